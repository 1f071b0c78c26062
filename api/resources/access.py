"""Access requests and grants (docs/access.md): thin over ``AccessRequestService``
and ``GrantService``, which hold every rule.

Each legal basis in a request or a grant carries its statute's name in the reader's
language beside its reference, as in entry responses (``name_bases``; docs/statutes.md).
The answer is built for each reader from the record, its entry, the register and the
reader's language, and only the record has a revision: so its ETag is the revision's tag
with a digest of the body (``_answer``), which changes with every other input, where an
entry's enumerates them (``api.resources.entries.representation_etag``: its body is cached
text, and a register change moves the entry's revision, not a request's). ``Vary`` names
``Accept-Language``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.auth import current_identity, require_scope
from api.openapi import Blueprint, page_of, problems
from api.resources.common import PageArgsSchema, etag, page_response
from api.resources.statute_names import name_bases
from api.wiring import services
from catalogue import access
from catalogue.services.access_request_views import RequestView
from catalogue.services.common import make_etag, variant_etag
from catalogue.services.grants import EXPORT_FORMATS, GrantView
from catalogue.shapes import LegalBasisSchema, element_keys
from catalogue.timestamps import Timestamp
from security.identity import REQUEST, REVIEW, WRITE

requests_blp = Blueprint(
    "access_requests",
    __name__,
    url_prefix="/api/v1/access-requests",
    description="Access requests: one agency asks another for an entry, with its own legal basis.",
)
grants_blp = Blueprint(
    "grants",
    __name__,
    url_prefix="/api/v1/grants",
    description="Grants: who may read what of whose, under which law, until when.",
)


class AccessContactSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True, validate=validate.Length(max=320))


class AccessRequestCreateSchema(Schema):
    """What a request asks for; the consuming system is a client of yours or an X-Road subsystem."""

    entry = fields.String(required=True, validate=validate.Length(min=1, max=36))
    operations = fields.List(
        fields.String(validate=[validate.Length(min=1, max=420), validate.Regexp(access.OPERATION_NAME)]),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={
            "description": "Operations of the API (operationId, or 'METHOD /path'); none: the whole entry."
        },
    )
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    purpose_code = fields.String(
        required=True,
        validate=validate.OneOf(list(access.PURPOSES)),
        metadata={"description": "A purpose of the Data Privacy Vocabulary (https://w3id.org/dpv)."},
    )
    processing_basis = fields.List(
        fields.Nested(LegalBasisSchema), load_default=list, validate=validate.Length(max=20)
    )
    data_elements = element_keys(load_default=list)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    consumer_client_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=64)
    )
    consumer_xroad = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(
            access.XROAD_SUBSYSTEM, error="Expected INSTANCE/MEMBERCLASS/MEMBERCODE/SUBSYSTEM."
        ),
        metadata={"example": "SE/GOV/2021005448/skatt-konsument"},
    )
    contact = fields.Nested(AccessContactSchema, required=True)


class AccessFlagSchema(Schema):
    code = fields.String()
    blocking = fields.Boolean(metadata={"description": "It cannot be granted as it stands."})
    reason = fields.String()


class AccessStepSchema(Schema):
    state = fields.String()
    by = fields.String()
    agency = fields.String(allow_none=True)
    at = fields.String()
    why = fields.String()


class AccessRequestSchema(Schema):
    id = fields.String()
    state = fields.String(validate=validate.OneOf(access.STATES))
    entry = fields.Dict(metadata={"description": "id, type, title and publisher of the entry."})
    requester_agency = fields.String()
    provider_agency = fields.String()
    requested_by = fields.String()
    operations = fields.List(fields.Dict())
    purpose = fields.String()
    purpose_code = fields.String()
    processing_basis = fields.List(fields.Nested(LegalBasisSchema))
    data_elements = fields.List(fields.Dict())
    period_start = fields.Date()
    period_end = fields.Date()
    consumer_client_id = fields.String(allow_none=True)
    consumer_xroad = fields.String(allow_none=True)
    contact = fields.Dict()
    submitted_at = Timestamp()
    assessed_by = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = Timestamp(allow_none=True)
    reason = fields.String(
        allow_none=True, metadata={"description": "Why it was granted, refused or withdrawn."}
    )
    renews = fields.String(allow_none=True)
    grant = fields.String(allow_none=True)
    steps = fields.List(fields.Nested(AccessStepSchema))
    # The providing side only (null for the requester):
    sharing_status = fields.String(allow_none=True)
    disclosure_bases = fields.List(fields.Nested(LegalBasisSchema), allow_none=True)
    flags = fields.List(fields.Nested(AccessFlagSchema))


class RequestQueryArgsSchema(PageArgsSchema):
    role = fields.String(
        load_default="mine",
        validate=validate.OneOf(["mine", "incoming"]),
        metadata={"description": "mine: your agency's requests; incoming: requests to your agency."},
    )
    state = fields.String(validate=validate.OneOf(access.STATES))


class AccessDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["grant", "refuse"]))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    disclosure_basis = fields.Nested(LegalBasisSchema, load_default=None, allow_none=True)
    valid_from = fields.Date(load_default=None, allow_none=True)
    valid_until = fields.Date(load_default=None, allow_none=True)
    operations = fields.List(fields.String(validate=validate.Length(min=1, max=420)), load_default=list)
    data_elements = element_keys(load_default=list)

    @validates_schema
    def _validity(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("decision") == "grant" and data.get("valid_until") is None:
            raise ValidationError({"valid_until": ["A grant names the last day it is valid."]})


class AccessReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class GrantSchema(Schema):
    id = fields.String()
    scope = fields.String(metadata={"description": "The OAuth scope the grant becomes (grant:<id>)."})
    state = fields.String(validate=validate.OneOf(["active", "pending", "expired", "revoked"]))
    side = fields.String(validate=validate.OneOf(["provider", "subject"]))
    request = fields.String()
    entry = fields.Dict()
    provider_agency = fields.String()
    subject_agency = fields.String()
    subject_client_id = fields.String(allow_none=True)
    subject_xroad = fields.String(allow_none=True)
    operations = fields.List(fields.String())
    data_elements = fields.List(fields.String())
    valid_from = fields.Date()
    valid_until = fields.Date()
    processing_basis = fields.List(fields.Nested(LegalBasisSchema))
    disclosure_basis = fields.Nested(LegalBasisSchema, allow_none=True)
    rationale = fields.String()
    decided_by = fields.String()
    decided_at = Timestamp()
    revoked_at = Timestamp(allow_none=True)
    revoked_by = fields.String(allow_none=True)
    revoke_reason = fields.String(allow_none=True)


class GrantQueryArgsSchema(PageArgsSchema):
    direction = fields.String(validate=validate.OneOf(["given", "received"]))
    state = fields.String(validate=validate.OneOf(["active", "pending", "expired", "revoked"]))


class ExportArgsSchema(Schema):
    format = fields.String(required=True, validate=validate.OneOf(EXPORT_FORMATS))


def _entry(view: RequestView | GrantView) -> dict[str, Any]:
    e = view.entry
    return {"id": e.id, "type": e.type, "title": e.title, "publisher": e.publisher}


def _request_body(view: RequestView) -> dict[str, Any]:
    r = view.request
    body: dict[str, Any] = AccessRequestSchema().dump(
        {
            **{k: getattr(r, k) for k in _REQUEST_FIELDS},
            "entry": _entry(view),
            "operations": view.operations,
            "data_elements": view.data_elements,
            "grant": view.grant_id,
            "sharing_status": view.sharing_status,
            "disclosure_bases": view.disclosure_bases,
            "flags": [{"code": f.code, "blocking": f.blocking, "reason": f.reason} for f in view.flags],
        }
    )
    return body


_REQUEST_FIELDS = (
    "id", "state", "requester_agency", "provider_agency", "requested_by", "purpose", "purpose_code",
    "processing_basis", "period_start", "period_end", "consumer_client_id", "consumer_xroad", "contact",
    "submitted_at", "assessed_by", "decided_by", "decided_at", "reason", "renews", "steps",
)  # fmt: skip
_GRANT_FIELDS = (
    "id", "provider_agency", "subject_agency", "subject_client_id", "subject_xroad", "operations",
    "data_elements", "valid_from", "valid_until", "processing_basis", "disclosure_basis", "rationale",
    "decided_by", "decided_at", "revoked_at", "revoked_by", "revoke_reason",
)  # fmt: skip


def _answer(body: dict[str, Any], revision_tag: str, status: int = 200) -> Response:
    """One request or grant, its statutes named for the reader; tagged with the revision's
    tag and a digest of what is sent (the module's docstring)."""
    response = jsonify(name_bases(body))
    response.status_code = status
    response.headers["ETag"] = variant_etag(revision_tag, response.get_data(as_text=True))
    response.vary.add("Accept-Language")
    return response


def _page(bodies: list[dict[str, Any]], total: int, page: int, per_page: int) -> Response:
    """A page of requests or grants, their statutes named for the reader in one query."""
    response = page_response(name_bases(bodies), total, page, per_page)
    response.vary.add("Accept-Language")
    return response


def _request_response(view: RequestView, status: int = 200) -> Response:
    revision = make_etag("access-request", view.request.id, view.request.revision)
    return _answer(_request_body(view), revision, status)


def _grant_body(view: GrantView) -> dict[str, Any]:
    g = view.grant
    body: dict[str, Any] = GrantSchema().dump(
        {
            **{k: getattr(g, k) for k in _GRANT_FIELDS},
            "scope": view.scope,
            "state": view.state,
            "side": view.side,
            "request": g.request_id,
            "entry": _entry(view),
        }
    )
    return body


def _grant_response(view: GrantView) -> Response:
    return _answer(_grant_body(view), make_etag("grant", view.grant.id, 2 if view.grant.revoked_at else 1))


# -- requests -----------------------------------------------------------------
@requests_blp.route("", methods=["POST"])
@require_scope(WRITE, REQUEST)
@requests_blp.arguments(AccessRequestCreateSchema)
@requests_blp.alt_response(201, schema=AccessRequestSchema, description="The submitted request.")
@etag("answer")
@problems(403, 404)
def create_request(data: dict[str, Any]) -> Any:
    """Ask for access to an entry you may see (at least as a summary), or to named
    operations of an API, with your agency's processing basis. A hidden entry answers
    404, as one that does not exist."""
    view = services().access_requests.create(current_identity(), data)
    response = _request_response(view, 201)
    response.headers["Location"] = f"/api/v1/access-requests/{view.request.id}"
    return response


@requests_blp.route("", methods=["GET"])
@requests_blp.arguments(RequestQueryArgsSchema(), location="query")
@requests_blp.alt_response(200, schema=page_of(AccessRequestSchema, "AccessRequest"), description="A page.")
@problems(403)
def list_requests(args: dict[str, Any]) -> Any:
    """Your agency's requests (role=mine), or those made to it (role=incoming: the
    security officers' queue, with the flags)."""
    page = services().access_requests.list_requests(
        current_identity(),
        incoming=args["role"] == "incoming",
        state=args.get("state"),
        page=args["page"],
        per_page=args["per_page"],
    )
    return _page([_request_body(v) for v in page.items], page.total, page.page, page.per_page)


@requests_blp.route("/<request_id>", methods=["GET"])
@requests_blp.alt_response(200, schema=AccessRequestSchema, description="The request.")
@etag("read")
def get_request(request_id: str) -> Any:
    """One request: to the requesting agency, and to the providing agency's officers
    with the entry's law and the flags. To anyone else it does not exist (404)."""
    return _request_response(services().access_requests.get(current_identity(), request_id))


@requests_blp.route("/<request_id>/assess", methods=["POST"])
@require_scope(REVIEW)
@requests_blp.alt_response(200, schema=AccessRequestSchema, description="The request, in assessment.")
@etag("answer")
@problems(403, 409)
def assess_request(request_id: str) -> Any:
    """A security officer of the providing agency takes the request into assessment."""
    return _request_response(services().access_requests.assess(current_identity(), request_id))


@requests_blp.route("/<request_id>/decision", methods=["POST"])
@require_scope(REVIEW)
@requests_blp.arguments(AccessDecisionSchema)
@requests_blp.alt_response(200, schema=AccessRequestSchema, description="The decided request.")
@etag("answer")
@problems(403, 409)
def decide_request(data: dict[str, Any], request_id: str) -> Any:
    """Grant (naming one of the entry's disclosure bases, with a validity and any
    narrowing) or refuse, with a reason the requester reads. Four eyes: the officer who
    assessed it does not decide it, when the agency has more than one officer."""
    return _request_response(services().access_requests.decide(current_identity(), request_id, data))


@requests_blp.route("/<request_id>/withdraw", methods=["POST"])
@require_scope(WRITE, REQUEST)
@requests_blp.arguments(AccessReasonSchema)
@requests_blp.alt_response(200, schema=AccessRequestSchema, description="The withdrawn request.")
@etag("answer")
@problems(403, 409)
def withdraw_request(data: dict[str, Any], request_id: str) -> Any:
    """The requesting agency takes back a request not yet decided."""
    return _request_response(
        services().access_requests.withdraw(current_identity(), request_id, data["reason"])
    )


@requests_blp.route("/<request_id>/renew", methods=["POST"])
@require_scope(WRITE, REQUEST)
@requests_blp.alt_response(201, schema=AccessRequestSchema, description="The new request.")
@etag("answer")
@problems(403, 409)
def renew_request(request_id: str) -> Any:
    """A new request pre-filled from a granted one, for the next period of the same length."""
    view = services().access_requests.renew(current_identity(), request_id)
    response = _request_response(view, 201)
    response.headers["Location"] = f"/api/v1/access-requests/{view.request.id}"
    return response


# -- grants -------------------------------------------------------------------
@grants_blp.route("", methods=["GET"])
@grants_blp.arguments(GrantQueryArgsSchema(), location="query")
@grants_blp.alt_response(200, schema=page_of(GrantSchema, "Grant"), description="A page of grants.")
@problems(403)
def list_grants(args: dict[str, Any]) -> Any:
    """Your agency's grants, given (of its entries) and received: who may read what of
    whose, and under which law."""
    page = services().grants.list_grants(
        current_identity(),
        direction=args.get("direction"),
        state=args.get("state"),
        page=args["page"],
        per_page=args["per_page"],
    )
    return _page([_grant_body(v) for v in page.items], page.total, page.page, page.per_page)


@grants_blp.route("/<grant_id>", methods=["GET"])
@grants_blp.alt_response(200, schema=GrantSchema, description="The grant.")
@etag("read")
def get_grant(grant_id: str) -> Any:
    """One grant, to its provider and its subject; to anyone else it does not exist (404)."""
    return _grant_response(services().grants.get(current_identity(), grant_id))


@grants_blp.route("/<grant_id>/revoke", methods=["POST"])
@require_scope(REVIEW)
@grants_blp.arguments(AccessReasonSchema)
@grants_blp.alt_response(200, schema=GrantSchema, description="The revoked grant.")
@etag("answer")
@problems(403, 409)
def revoke_grant(data: dict[str, Any], grant_id: str) -> Any:
    """The providing agency's officer ends the grant at once, with a reason: new tokens
    lack its scope, and tokens issued with it are revoked."""
    return _grant_response(services().grants.revoke(current_identity(), grant_id, data["reason"]))


@grants_blp.route("/<grant_id>/export", methods=["GET"])
@grants_blp.arguments(ExportArgsSchema(), location="query")
@grants_blp.alt_response(
    200, schema=Schema.from_dict({}, name="GrantExport"), description="The grant exported."
)
@problems(409)
def export_grant(args: dict[str, Any], grant_id: str) -> Any:
    """The grant as a Maskinporten-style scope delegation or an X-Road access-right
    record (docs/access.md, "Export")."""
    return jsonify(services().grants.export(current_identity(), grant_id, args["format"]))
