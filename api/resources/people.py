"""People: who works at an agency (for its security officers and administrators), and
the names shown beside the ids of audit events, reads and reviews.

The rules are ``authserver.services.people.PeopleService``'s (docs/security.md,
"People and their names"); here is the HTTP shape only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import jsonify
from marshmallow import Schema, fields, validate

from api.auth import current_identity
from api.openapi import Blueprint, page_of, problems
from api.resources.common import PageArgsSchema, page_response, reader_language
from api.wiring import services
from catalogue.shapes import OrgNumber
from catalogue.timestamps import Timestamp
from security.identity import Identity
from security.roles import ROLES

blp = Blueprint(
    "people",
    __name__,
    url_prefix="/api/v1/people",
    description="People of an agency (its security officers; administrators: any agency).",
)


class ActorLabelSchema(Schema):
    """Who is behind an id: present where the id names a person or client Tillit knows
    and you were shown the record it belongs to."""

    kind = fields.String(required=True, validate=validate.OneOf(["person", "client"]))
    name = fields.String(required=True, metadata={"description": "The person's (or client's) display name."})
    agency = fields.String(required=True, metadata={"description": "Their agency's organisation number."})
    agency_name = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The agency's name in your language, or the nearest."},
    )
    lang = fields.String(
        required=True, allow_none=True, metadata={"description": "The language of agency_name."}
    )


def actor_labels(
    people: Iterable[str | None],
    clients: Iterable[str | None] = (),
    reader: tuple[Identity, str | None] | None = None,
) -> dict[str, dict[str, Any]]:
    """The labels of the people and clients behind ids of one page, in one query.
    ``reader``: whose labels in which language (the web pages'); default the API caller's."""
    identity, lang = reader or (current_identity(), reader_language())
    found = services().people.labels(
        identity,
        (i for i in people if i),
        (i for i in clients if i),
        lang,
    )
    return {
        key: {
            "kind": shown.kind,
            "name": shown.name,
            "agency": shown.agency,
            "agency_name": shown.agency_name,
            "lang": shown.lang,
        }
        for key, shown in found.items()
    }


def label_events(
    bodies: list[dict[str, Any]], reader: tuple[Identity, str | None] | None = None
) -> list[dict[str, Any]]:
    """Audit event bodies with ``actor_label`` beside ``actor``: a person by id, a client
    only where the event says the client acted on its own (never a typed login name)."""
    labels = actor_labels(
        (b["actor"] for b in bodies),
        (b["actor"] for b in bodies if b["actor"] == b.get("client_id")),
        reader,
    )
    for body in bodies:
        label = labels.get(body["actor"])
        # A label must agree with the agency the event recorded for its actor: a failed
        # login records what was typed, with no agency, so a typed person id is never
        # shown as that person.
        body["actor_label"] = label if label and label["agency"] == body.get("actor_agency") else None
    return bodies


class PersonSchema(Schema):
    id = fields.String(required=True)
    username = fields.String(required=True)
    name = fields.String(required=True)
    agency = fields.String(required=True)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True)
    clearance = fields.String(
        required=True, allow_none=True, metadata={"description": "Their own clearance; null: the agency's."}
    )
    disabled = fields.Boolean(required=True)
    sign_in = fields.Method(
        "_sign_in",
        required=True,
        metadata={
            "type": "string",
            "description": "`local` (a password) or the OpenID Connect provider's name.",
        },
    )
    created = Timestamp(required=True)
    last_login = Timestamp(required=True, allow_none=True)

    def _sign_in(self, user: Any) -> str:
        return str(user.provider or "local")


class PeopleQueryArgsSchema(PageArgsSchema):
    agency = OrgNumber(metadata={"description": "Administrators: only this agency's people."})


@blp.route("", methods=["GET"])
@blp.arguments(PeopleQueryArgsSchema(), location="query")
@blp.alt_response(200, schema=page_of(PersonSchema, "Person"), description="A page of people by user name.")
@problems(403)
def list_people(args: dict[str, Any]) -> Any:
    """People by user name: a security officer sees their own agency's (catalogue:review),
    an administrator any agency's (catalogue:admin; filter with ``agency``)."""
    page = services().people.list_people(
        current_identity(), agency=args.get("agency"), page=args["page"], per_page=args["per_page"]
    )
    return page_response(PersonSchema(many=True).dump(page.items), page.total, page.page, page.per_page)


@blp.route("/<person_id>", methods=["GET"])
@blp.alt_response(200, schema=PersonSchema, description="The person.")
@problems(403)
def get_person(person_id: str) -> Any:
    """One person, by id. Another agency's person answers 404, as an id nobody has."""
    return jsonify(PersonSchema().dump(services().people.get_person(current_identity(), person_id)))
