"""Helpers for the page tests: APIs made through the services (datasets: tests.searchkit),
and the text of a page without the parts that differ between two renderings by design."""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask

from catalogue.compose import entry_service
from catalogue.schemas import ApiCreateSchema
from security.identity import system_identity
from tests.factories import MINIMAL_OPENAPI, publish
from tests.searchkit import OSL


def create_api(
    app: Flask,
    publisher: str,
    title: str,
    *,
    classification: str = "public",
    listing_level: str | None = None,
    lang: str = "sv",
    **extra: Any,
) -> str:
    """A published API with an OpenAPI document, made with the system identity (rules run)."""
    ext = app.extensions["tillit"]
    data: dict[str, Any] = {
        "publisher": publisher,
        "title": {lang: title},
        "description": {lang: extra.pop("description", f"Om {title}")},
        "classification": classification,
        **({"listing_level": listing_level} if listing_level else {}),
        "legal_basis": [] if classification == "public" else [dict(OSL)],
        "endpoint_urls": ["https://api.example.se/v1"],
        "openapi": copy.deepcopy(MINIMAL_OPENAPI),
        "version": "1.2.0",
        "lifecycle": "stable",
        **extra,
    }
    with ext.sessions() as session:
        service = entry_service(session, ext.scheme, ext.indexer, ext.anchor)
        entry_id = service.create(system_identity(ext.scheme), "api", ApiCreateSchema().load(data)).entry.id
    publish(app, entry_id)
    return entry_id


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))
