"""Agencies: public facts; only administrators change them."""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import Schema, fields, validate

from api.auth import current_identity, require_scope
from api.openapi import Blueprint, page_of, problems
from api.resources.common import PageArgsSchema, etag, page_response, tagged_response
from api.wiring import services
from catalogue.models import Agency
from catalogue.orgnr import COUNTRIES
from catalogue.schemas import AgencyCreateSchema, AgencySchema, AgencyUpdateSchema
from catalogue.services.agencies import agency_etag
from catalogue.shapes import LegalBasisSchema
from catalogue.sharing import SHARING_STATUSES
from security.identity import ADMIN

blp = Blueprint(
    "agencies",
    __name__,
    url_prefix="/api/v1/agencies",
    description="The agencies that publish entries.",
)
_schema = AgencySchema()


class SharingProvisionSchema(Schema):
    role = fields.String()
    provision = fields.String()


class SharingStatuteSchema(Schema):
    jurisdiction = fields.String()
    reference = fields.String(metadata={"description": "SFS number, Lovdata id or CELEX number."})
    url = fields.String()
    provisions = fields.List(fields.Nested(SharingProvisionSchema))
    entries = fields.Integer(metadata={"description": "How many entries of the group cite it."})


class SharingEntrySchema(Schema):
    id = fields.String()
    type = fields.String()
    title = fields.Dict()
    classification = fields.String()
    status = fields.String()
    sharing_status = fields.String(metadata={"description": "open, shareable or no_disclosure_basis."})
    legal_basis = fields.List(fields.Nested(LegalBasisSchema))


class SharingGroupSchema(Schema):
    status = fields.String(metadata={"description": "open, shareable or no_disclosure_basis."})
    count = fields.Integer(metadata={"description": "Its entries you may read whole, on all pages."})
    statutes = fields.List(fields.Nested(SharingStatuteSchema))


class SharingReportPageSchema(page_of(SharingEntrySchema, "SharingEntry")):  # type: ignore[misc]
    """A page of the report's entries (by status, then classification and id), with the
    agency and every group's count and statutes, over all pages."""

    agency = fields.String()
    groups = fields.List(fields.Nested(SharingGroupSchema))


class SharingQueryArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(SHARING_STATUSES))


class AgencyQueryArgsSchema(PageArgsSchema):
    country = fields.String(validate=validate.OneOf(COUNTRIES))


def _response(agency: Agency, status: int = 200) -> Response:
    return tagged_response(_schema.dump(agency), agency_etag(agency), status)


@blp.route("", methods=["GET"])
@blp.arguments(AgencyQueryArgsSchema(), location="query")
@blp.alt_response(200, schema=page_of(AgencySchema, "Agency"), description="A page of agencies.")
def list_agencies(args: dict[str, Any]) -> Any:
    """List agencies."""
    page = services().agencies.list_agencies(
        current_identity(),
        country=args.get("country"),
        page=args["page"],
        per_page=args["per_page"],
    )
    return page_response([_schema.dump(a) for a in page.items], page.total, page.page, page.per_page)


@blp.route("", methods=["POST"])
@require_scope(ADMIN)
@blp.arguments(AgencyCreateSchema)
@blp.alt_response(201, schema=AgencySchema, description="The new agency.")
@problems(409)
@etag("answer")
def create_agency(data: dict[str, Any]) -> Any:
    """Register an agency (catalogue:admin)."""
    agency = services().agencies.create(current_identity(), data)
    response = _response(agency, 201)
    response.headers["Location"] = f"/api/v1/agencies/{agency.orgnr}"
    return response


@blp.route("/<orgnr:orgnr>", methods=["GET"])
@blp.alt_response(200, schema=AgencySchema, description="The agency.")
@etag("read")
def get_agency(orgnr: str) -> Any:
    """Read an agency."""
    return _response(services().agencies.get(current_identity(), orgnr))


@blp.route("/<orgnr:orgnr>/sharing", methods=["GET"])
@blp.arguments(SharingQueryArgsSchema(), location="query")
@blp.alt_response(200, schema=SharingReportPageSchema, description="The agency's entries by sharing status.")
@problems(403)
def sharing_report(args: dict[str, Any], orgnr: str) -> Any:
    """The agency's entries by sharing status, with the statutes they cite: for the
    agency's own data owners and security officers, and administrators. Only entries
    you may read whole are listed or counted. Paged (``status`` narrows the pages to
    one group); the groups' counts and statutes cover all pages."""
    report = services().sharing.report(
        current_identity(), orgnr, status=args.get("status"), page=args["page"], per_page=args["per_page"]
    )
    body = SharingReportPageSchema().dump(report.as_dict())
    extra = {"agency": body["agency"], "groups": body["groups"]}
    return page_response(body["items"], body["total"], body["page"], body["per_page"], extra=extra)


@blp.route("/<orgnr:orgnr>", methods=["PUT"])
@require_scope(ADMIN)
@blp.arguments(AgencyUpdateSchema)
@blp.alt_response(200, schema=AgencySchema, description="The agency.")
@etag("write")
def replace_agency(data: dict[str, Any], orgnr: str, if_match: str | None) -> Any:
    """Replace an agency's names, homepage, contact and clearance (If-Match)."""
    return _response(services().agencies.update(current_identity(), orgnr, data, if_match))


@blp.route("/<orgnr:orgnr>", methods=["PATCH"])
@require_scope(ADMIN)
@blp.arguments(AgencyUpdateSchema(partial=True))
@blp.alt_response(200, schema=AgencySchema, description="The agency.")
@etag("write")
def patch_agency(data: dict[str, Any], orgnr: str, if_match: str | None) -> Any:
    """Change some of an agency's fields (If-Match)."""
    return _response(services().agencies.update(current_identity(), orgnr, data, if_match))


@blp.route("/<orgnr:orgnr>", methods=["DELETE"])
@require_scope(ADMIN)
@blp.alt_response(200, schema=AgencySchema, description="The retired agency.")
@etag("write")
def retire_agency(orgnr: str, if_match: str | None) -> Any:
    """Retire an agency: kept, but its clients get no more tokens (If-Match)."""
    return _response(services().agencies.retire(current_identity(), orgnr, if_match))
