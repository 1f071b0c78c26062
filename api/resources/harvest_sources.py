"""An agency's harvest sources: DCAT-AP catalogues Tillit harvests on a schedule
(docs/harvest.md). The agency's own administrators only; the rule is the service's."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, fields, validate

from api.auth import current_identity, require_scope
from api.openapi import Blueprint, problems
from api.wiring import services
from catalogue.models_harvest import HarvestSource
from dcat.harvest.records import PROFILES
from dcat.harvest.register import MAX_HOURS
from security.identity import ADMIN

blp = Blueprint(
    "harvest_sources",
    __name__,
    url_prefix="/api/v1/agencies",
    description="The DCAT-AP catalogues an agency has Tillit harvest into its entries.",
)


class HarvestSourceCreateSchema(Schema):
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "The catalogue's https URL (its first page, for a paged one)."},
    )
    profile = fields.String(load_default="dcat-ap", validate=validate.OneOf(PROFILES))
    every_hours = fields.Integer(load_default=24, validate=validate.Range(min=1, max=MAX_HOURS))


class HarvestSourceChangeSchema(Schema):
    """What a PATCH may change (each optional); the next run keeps its time."""

    url = fields.String(
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "The catalogue's https URL (its first page, for a paged one)."},
    )
    profile = fields.String(validate=validate.OneOf(PROFILES))
    every_hours = fields.Integer(validate=validate.Range(min=1, max=MAX_HOURS))


class HarvestSourceSchema(Schema):
    id = fields.String()
    agency = fields.String()
    url = fields.String()
    profile = fields.String()
    every_hours = fields.Integer()
    next_run = fields.DateTime()
    last_run = fields.DateTime(allow_none=True)
    last_outcome = fields.Dict(allow_none=True)
    created = fields.DateTime()


class HarvestSourceListSchema(Schema):
    items = fields.List(fields.Nested(HarvestSourceSchema), required=True)


def _dump(source: HarvestSource) -> dict[str, Any]:
    return dict(HarvestSourceSchema().dump(source))


@blp.route("/<orgnr:orgnr>/harvest-sources", methods=["GET"])
@require_scope(ADMIN)
@blp.alt_response(200, schema=HarvestSourceListSchema, description="The agency's harvest sources.")
@problems(403, 404)
def list_sources(orgnr: str) -> Any:
    """The agency's harvest sources (its own administrators only)."""
    items = services().harvest_sources.list(current_identity(), orgnr)
    return jsonify({"items": [_dump(s) for s in items]})


@blp.route("/<orgnr:orgnr>/harvest-sources", methods=["POST"])
@require_scope(ADMIN)
@blp.arguments(HarvestSourceCreateSchema)
@blp.alt_response(201, schema=HarvestSourceSchema, description="The registered source (due now).")
@problems(403, 404, 409)
def create_source(data: dict[str, Any], orgnr: str) -> Any:
    """Register a source URL and how often to harvest it, in hours."""
    source = services().harvest_sources.create(current_identity(), orgnr, data)
    response = jsonify(_dump(source))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/agencies/{orgnr}/harvest-sources/{source.id}"
    return response


@blp.route("/<orgnr:orgnr>/harvest-sources/<source_id>/run", methods=["POST"])
@require_scope(ADMIN)
@blp.alt_response(200, schema=HarvestSourceSchema, description="The source, due now.")
@problems(403, 404)
def run_source(orgnr: str, source_id: str) -> Any:
    """Make the source due now: the next `tillit harvest run-due` harvests it."""
    return jsonify(_dump(services().harvest_sources.run_now(current_identity(), orgnr, source_id)))


@blp.route("/<orgnr:orgnr>/harvest-sources/<source_id>", methods=["PATCH"])
@require_scope(ADMIN)
@blp.arguments(HarvestSourceChangeSchema)
@blp.alt_response(200, schema=HarvestSourceSchema, description="The changed source.")
@problems(403, 404, 409)
def change_source(data: dict[str, Any], orgnr: str, source_id: str) -> Any:
    """Change a source's URL, profile or interval (those given)."""
    return jsonify(_dump(services().harvest_sources.update(current_identity(), orgnr, source_id, data)))


@blp.route("/<orgnr:orgnr>/harvest-sources/<source_id>", methods=["DELETE"])
@require_scope(ADMIN)
@blp.alt_response(204, description="Removed; the entries it gave stay as they are.")
@problems(403, 404)
def delete_source(orgnr: str, source_id: str) -> Any:
    """Remove a source from the register."""
    services().harvest_sources.delete(current_identity(), orgnr, source_id)
    return Response(status=204)
