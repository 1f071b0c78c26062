"""The statute register: public to read; administrators add and replace statutes."""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import fields, validate

from api.auth import current_identity, require_scope
from api.openapi import Blueprint, page_of, problems
from api.resources.common import PageArgsSchema, etag, page_response, tagged_response
from api.wiring import services
from catalogue.legal import JURISDICTIONS
from catalogue.models import Statute
from catalogue.services.statutes import statute_etag
from catalogue.statute_schemas import StatuteCreateSchema, StatuteSchema, StatuteUpdateSchema
from security.identity import ADMIN

blp = Blueprint(
    "statutes",
    __name__,
    url_prefix="/api/v1/statutes",
    description="The statutes Tillit knows by name: official names, short names and links, by jurisdiction "
    "and reference (SFS number, Lovdata id, CELEX number). A reference not in the register is still a valid "
    "citation; it is shown by its number.",
)
_schema = StatuteSchema()


class StatuteQueryArgsSchema(PageArgsSchema):
    jurisdiction = fields.String(validate=validate.OneOf(JURISDICTIONS))


def _response(statute: Statute, status: int = 200) -> Response:
    return tagged_response(_schema.dump(statute), statute_etag(statute), status)


@blp.route("", methods=["GET"])
@blp.arguments(StatuteQueryArgsSchema(), location="query")
@blp.alt_response(200, schema=page_of(StatuteSchema, "Statute"), description="A page of statutes.")
def list_statutes(args: dict[str, Any]) -> Any:
    """List the register's statutes by jurisdiction and reference (public)."""
    page = services().statutes.list_statutes(
        current_identity(),
        jurisdiction=args.get("jurisdiction"),
        page=args["page"],
        per_page=args["per_page"],
    )
    return page_response([_schema.dump(s) for s in page.items], page.total, page.page, page.per_page)


@blp.route("", methods=["POST"])
@require_scope(ADMIN)
@blp.arguments(StatuteCreateSchema)
@blp.alt_response(201, schema=StatuteSchema, description="The new statute.")
@problems(409)
@etag("answer")
def create_statute(data: dict[str, Any]) -> Any:
    """Add a statute to the register (catalogue:admin); 409 if it is there already."""
    statute = services().statutes.create(current_identity(), data)
    response = _response(statute, 201)
    response.headers["Location"] = f"/api/v1/statutes/{statute.jurisdiction}/{statute.reference}"
    return response


@blp.route("/<jurisdiction>/<reference>", methods=["GET"])
@blp.alt_response(200, schema=StatuteSchema, description="The statute.")
@problems(422)
@etag("read")
def get_statute(jurisdiction: str, reference: str) -> Any:
    """Read a statute (public). 404 if the register does not know it, 422 for a malformed reference."""
    return _response(services().statutes.get(current_identity(), jurisdiction, reference))


@blp.route("/<jurisdiction>/<reference>", methods=["PUT"])
@require_scope(ADMIN)
@blp.arguments(StatuteUpdateSchema)
@blp.alt_response(200, schema=StatuteSchema, description="The statute.")
@problems(422)
@etag("write")
def replace_statute(data: dict[str, Any], jurisdiction: str, reference: str, if_match: str | None) -> Any:
    """Replace a statute's names, short names, link, note and source (catalogue:admin, If-Match).
    The entries citing it are reindexed with the new names."""
    statute = services().statutes.replace(current_identity(), jurisdiction, reference, data, if_match)
    return _response(statute)
