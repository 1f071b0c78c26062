"""Helpers for the search tests: entries created through the services."""

from __future__ import annotations

from typing import Any

from flask import Flask

from catalogue.compose import entry_service
from catalogue.schemas import DatasetCreateSchema
from catalogue.services.reviews import ReviewService
from security.identity import system_identity
from tests.factories import publish

OSL = {"role": "restriction", "jurisdiction": "SE", "reference": "2009:400", "provision": "27 kap. 1 §"}


def create_entry(
    app: Flask,
    publisher: str,
    title: str,
    *,
    classification: str = "public",
    listing_level: str | None = None,
    status: str = "published",
    lang: str = "sv",
    **extra: Any,
) -> str:
    """An entry made through EntryService with the system identity (rules run)."""
    ext = app.extensions["tillit"]
    data: dict[str, Any] = {
        "publisher": publisher,
        "title": {lang: title},
        "description": {lang: extra.pop("description", f"Om {title}")},
        "classification": classification,
        **({"listing_level": listing_level} if listing_level else {}),
        "legal_basis": [] if classification == "public" else [dict(OSL)],
        **extra,
    }
    system = system_identity(ext.scheme)
    with ext.sessions() as session:
        service = entry_service(session, ext.scheme, ext.indexer, ext.anchor)
        view = service.create(system, "dataset", DatasetCreateSchema().load(data))
        entry_id = view.entry.id
        if status == "in_review":
            ReviewService(service).submit(system, entry_id)
    if status in ("published", "retired"):
        publish(app, entry_id)
    if status == "retired":
        with ext.sessions() as session:
            entry_service(session, ext.scheme, ext.indexer, ext.anchor).retire(system, entry_id, "*")
    return entry_id
