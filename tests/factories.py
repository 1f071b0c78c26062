"""Entry payloads and helpers that go through the real services."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from flask import Flask

from catalogue.compose import entry_service
from catalogue.services.reviews import ReviewService
from security.identity import system_identity

OSL_TAX = {
    "role": "restriction",
    "jurisdiction": "SE",
    "reference": "2009:400",
    "provision": "27 kap. 1 §",
    "note": "Skattesekretess",
}
GDPR_TASK = {
    "role": "processing",
    "jurisdiction": "EU",
    "reference": "32016R0679",
    "provision": "Art. 6(1)(e)",
}

MINIMAL_OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Inkomstuppgifter", "version": "1.0.0"},
    "paths": {
        "/inkomster/{id}": {
            "get": {
                "summary": "Hämta inkomstuppgift",
                "operationId": "getInkomst",
                "tags": ["inkomst"],
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "OK"}},
            }
        }
    },
}


def dataset_payload(
    publisher: str = "202100-5448", classification: str = "public", **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "publisher": publisher,
        "title": {"sv": "Inkomstuppgifter", "en": "Income statements"},
        "description": {
            "sv": "Arbetsgivares uppgifter om ersättning.",
            "en": "Employers' reports of remuneration.",
        },
        "keywords": {"sv": ["inkomst"], "en": ["income"]},
        "themes": ["ECON", "GOVE"],
        "classification": classification,
        "legal_basis": [] if classification == "public" else [copy.deepcopy(OSL_TAX)],
        "distributions": [
            {"format": "CSV", "media_type": "text/csv", "access_url": "https://www.skatteverket.se/data"}
        ],
    }
    body.update(overrides)
    return body


def api_payload(
    publisher: str = "202100-5448", classification: str = "public", **overrides: Any
) -> dict[str, Any]:
    body = dataset_payload(publisher, classification)
    del body["distributions"]
    body.update(
        {
            "endpoint_urls": ["https://api.skatteverket.se/inkomst/v1"],
            "openapi": copy.deepcopy(MINIMAL_OPENAPI),
            "version": "1.0.0",
            "lifecycle": "stable",
        }
    )
    body.update(overrides)
    return body


def publish(app: Flask, entry_id: str) -> None:
    """Submit and approve through the services (two system subjects: four eyes)."""
    ext = app.extensions["tillit"]
    system = system_identity(ext.scheme)
    with ext.sessions() as session:
        reviews = ReviewService(entry_service(session, ext.scheme, ext.indexer, ext.anchor))
        if reviews.entries.get(system, entry_id).entry.status == "draft":
            reviews.submit(system, entry_id)
        pending = reviews.list_reviews(system, state="pending")
        review = next(v.review for v in pending.items if v.entry.id == entry_id)
        reviews.decide(
            replace(system, subject="system:test-officer"),
            review.id,
            decision="approve",
            rationale="Approved in a test.",
        )


def create_entry(
    client: Any, headers: dict[str, str], collection: str = "datasets", **payload: Any
) -> dict[str, Any]:
    body = dataset_payload(**payload) if collection == "datasets" else api_payload(**payload)
    response = client.post(f"/api/v1/{collection}", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return dict(response.json)
