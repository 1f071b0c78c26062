"""Small helpers shared by the blueprints (the services: ``api.wiring.services``)."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema, fields, validate

from catalogue.shapes import LANGUAGES


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


def reader_language() -> str | None:
    """The language the reader asked for: ``?lang=`` if it is one of the catalogue's,
    else the best of Accept-Language, else None (then each text falls back in its own order)."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES)


def if_match() -> str | None:
    return request.headers.get("If-Match")


def page_body(items: list[Any], total: int, page: int, per_page: int) -> dict[str, Any]:
    return {"total": total, "page": page, "per_page": per_page, "items": items}
