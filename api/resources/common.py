"""Small helpers shared by the blueprints."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from marshmallow import Schema, fields, validate

from catalogue.services.agencies import AgencyService
from catalogue.services.audit import AuditService
from catalogue.services.entries import EntryService
from catalogue.services.reviews import ReviewService


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


def entry_service() -> EntryService:
    ext = current_app.extensions["tillit"]
    return EntryService(
        g.db,
        ext.scheme,
        ext.indexer,
        ext.anchor,
        ext.review_intervals,
        ext.read_log,
        ext.heads,
        openapi_limits=ext.openapi_limits,
        refusals=ext.refusals,
    )


def review_service() -> ReviewService:
    g.notify = True  # reviews write notifications: deliver them after the request
    return ReviewService.of(entry_service())


def audit_service() -> AuditService:
    ext = current_app.extensions["tillit"]
    return AuditService(g.db, ext.anchor, ext.refusals)


def agency_service() -> AgencyService:
    return AgencyService(g.db, current_app.extensions["tillit"].scheme)


def if_match() -> str | None:
    return request.headers.get("If-Match")


def page_body(items: list[Any], total: int, page: int, per_page: int) -> dict[str, Any]:
    return {"total": total, "page": page, "per_page": per_page, "items": items}
