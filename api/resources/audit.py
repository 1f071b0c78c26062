"""The audit log: filters, pages and a JSON Lines export."""

from __future__ import annotations

from typing import Any

from flask import Response, stream_with_context
from marshmallow import fields, validate

from api.auth import current_identity, require_scope
from api.openapi import Blueprint, page_of
from api.resources.common import PageArgsSchema, page_response
from api.resources.people import label_events
from api.resources.reviews import AuditEventSchema
from api.resources.statute_names import Reader, name_bases
from api.wiring import services
from catalogue.services.audit import ShownEvent, as_json_lines
from catalogue.shapes import OrgNumber
from catalogue.statutes import cited_in
from security.identity import AUDIT

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/audit",
    description="The tamper-evident audit log (catalogue:audit).",
)


class AuditQueryArgsSchema(PageArgsSchema):
    entry = fields.String(validate=validate.Length(max=36))
    actor = fields.String(validate=validate.Length(max=200))
    agency = OrgNumber()
    action = fields.String(validate=validate.Length(max=48))
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()


def _filters(args: dict[str, Any]) -> dict[str, Any]:
    return {k: args.get(k) for k in ("entry", "actor", "agency", "action", "since", "until")}


@blp.route("", methods=["GET"])
@require_scope(AUDIT)
@blp.arguments(AuditQueryArgsSchema(), location="query")
@blp.alt_response(
    200, schema=page_of(AuditEventSchema, "AuditEvent"), description="A page of events, newest first."
)
def list_events(args: dict[str, Any]) -> Any:
    """Audit events about entries you may read now, within the clearance you had for
    them then (and events about no entry). Ids of entries you may not see are left out
    of an event's details, and the event is marked ``redacted``."""
    page = services().audit.list_events(
        current_identity(), page=args["page"], per_page=args["per_page"], **_filters(args)
    )
    bodies = name_statutes(label_events([_event_body(e) for e in page.items]))
    return page_response(bodies, page.total, page.page, page.per_page)


def name_statutes(bodies: list[dict[str, Any]], reader: Reader | None = None) -> list[dict[str, Any]]:
    """Audit event bodies with ``statutes`` beside ``details``: each statute the details
    cite (``catalogue.statutes.cited_in``: a grant's disclosure basis, a statute added),
    with ``statute`` naming it for the reader where the register knows it, as an entry's
    legal bases are named; an unknown one by its reference alone. One query for the page.
    ``details`` stay as recorded (the event's hash covers them)."""
    cited = [cited_in(body.get("details")) for body in bodies]
    for body, keys in zip(bodies, cited, strict=True):
        body["statutes"] = [{"jurisdiction": j, "reference": r} for j, r in keys]
    name_bases([body["statutes"] for body in bodies], reader)  # never the details themselves
    return bodies


def _event_body(shown: ShownEvent) -> dict[str, Any]:
    body = dict(AuditEventSchema().dump(shown.event))
    body["details"] = shown.details
    if shown.redacted:
        body["redacted"] = True  # the event's hash covers details not shown to you
    return body


@blp.route("/export", methods=["GET"])
@require_scope(AUDIT)
@blp.arguments(AuditQueryArgsSchema(), location="query")
@blp.alt_response(200, description="JSON Lines, oldest first, with each event's hashes.")
def export(args: dict[str, Any]) -> Any:
    """Every matching event as JSON Lines (application/x-ndjson)."""
    events = services().audit.export(current_identity(), **_filters(args))
    return Response(stream_with_context(as_json_lines(events)), mimetype="application/x-ndjson")
