"""The classification scheme: public, so clients can label and request scopes."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from api.openapi import Blueprint
from api.wiring import tillit

blp = Blueprint(
    "classification-scheme",
    __name__,
    url_prefix="/api/v1/classification-scheme",
    description="The ordered classification levels, their labels and scopes.",
)


class LevelSchema(Schema):
    key = fields.String(required=True)
    rank = fields.Integer(required=True, metadata={"description": "0 for the lowest level."})
    labels = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    enabled = fields.Boolean(required=True)
    description = fields.String(required=True, allow_none=True)
    scope = fields.String(required=True, metadata={"description": "The scope that reads up to this level."})


class ClassificationSchemeSchema(Schema):
    levels = fields.List(fields.Nested(LevelSchema), required=True)


@blp.route("")
@blp.alt_response(200, schema=ClassificationSchemeSchema, description="The levels, lowest first.")
def get_scheme() -> Any:
    """The classification levels, lowest first, with labels and read scopes."""
    return tillit().scheme.as_dict()
