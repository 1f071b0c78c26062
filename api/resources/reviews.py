"""The review queue and decisions."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from marshmallow import Schema, fields, validate

from api.auth import current_identity, require_scope
from api.openapi import Blueprint, page_of, problems
from api.resources.common import PageArgsSchema, page_response
from api.resources.people import ActorLabelSchema, actor_labels
from api.wiring import services
from catalogue.services.reviews import ReviewView
from catalogue.shapes import OrgNumber, StatuteLabelSchema
from catalogue.timestamps import Timestamp
from security.identity import REVIEW, Identity

blp = Blueprint(
    "reviews",
    __name__,
    url_prefix="/api/v1/reviews",
    description="Classification reviews: the security officers' queue and decisions.",
)


class ReviewSchema(Schema):
    id = fields.String()
    entry = fields.String(attribute="entry_id")
    kind = fields.String()
    state = fields.String()
    agency = fields.String()
    proposed_classification = fields.String()
    previous_classification = fields.String(allow_none=True)
    previous_listing_level = fields.String(allow_none=True)
    proposed_change = fields.Dict(attribute="proposed")
    submitted_by = fields.String()
    submitted_by_label = fields.Nested(ActorLabelSchema, dump_only=True, allow_none=True)
    submitted_at = Timestamp()
    decided_by = fields.String(allow_none=True)
    decided_by_label = fields.Nested(ActorLabelSchema, dump_only=True, allow_none=True)
    decided_at = Timestamp(allow_none=True)
    classification = fields.String(allow_none=True)
    listing_level = fields.String(allow_none=True)
    rationale = fields.String(allow_none=True)
    # Of the entry under review, added by _review_body where a reader gets a review.
    entry_type = fields.String(dump_only=True, validate=validate.OneOf(["dataset", "api"]))
    entry_title = fields.Dict(dump_only=True, keys=fields.String(), values=fields.String())
    review_due = fields.Date(dump_only=True, allow_none=True)


class HistorySchema(Schema):
    review = fields.String(attribute="id")
    kind = fields.String()
    classification = fields.String()
    listing_level = fields.String()
    previous_classification = fields.String(allow_none=True)
    decided_by = fields.String()
    decided_by_label = fields.Nested(ActorLabelSchema, dump_only=True, allow_none=True)
    decided_at = Timestamp()
    rationale = fields.String()


class CitedStatuteSchema(Schema):
    """A statute an audit event's details cite, by its reference and, where the register
    knows it, its name for the reader."""

    jurisdiction = fields.String(required=True)
    reference = fields.String(required=True)
    statute = fields.Nested(StatuteLabelSchema, dump_only=True)


class AuditEventSchema(Schema):
    seq = fields.Integer()
    at = Timestamp()
    action = fields.String()
    decision = fields.String()
    actor = fields.String()
    #: Who the actor is, where it names a person or a client (people.label_events).
    actor_label = fields.Nested(ActorLabelSchema, dump_only=True, allow_none=True)
    actor_agency = fields.String(allow_none=True)
    client_id = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    entry = fields.String(attribute="entry_id", allow_none=True)
    entry_level = fields.String(allow_none=True)
    details = fields.Dict()
    #: Present (true) when ids of entries hidden from you were left out of ``details``.
    redacted = fields.Boolean()
    #: The statutes ``details`` cite, named (audit.name_statutes).
    statutes = fields.List(
        fields.Nested(CitedStatuteSchema),
        dump_only=True,
        metadata={"description": "Each statute the details cite, with its name where the register knows it."},
    )


class ReclassifySchema(Schema):
    rationale = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    classification = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    listing_level = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    rationale = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class ReviewQueryArgsSchema(PageArgsSchema):
    state = fields.String(validate=validate.OneOf(["pending", "approved", "rejected"]))
    agency = OrgNumber()
    level = fields.String(validate=validate.Length(max=32))
    due_before = fields.Date()
    #: The reviews a bulk submission opened (a ``reviews.requested`` notification's ``digest``).
    digest = fields.String(validate=validate.Length(max=36))


def _review_body(view: ReviewView) -> dict[str, Any]:
    body = dict(ReviewSchema().dump(view.review))
    body["proposed_change"] = view.proposed  # as this reader may see it
    body["entry_type"] = view.entry.type
    body["entry_title"] = view.entry.title
    body["review_due"] = view.entry.review_due.isoformat() if view.entry.review_due else None
    return body


def label_reviews(
    bodies: list[dict[str, Any]], reader: tuple[Identity, str | None] | None = None
) -> list[dict[str, Any]]:
    """Review (or history) bodies with the submitting and deciding person's label beside
    the id, for the whole page in one query. A review is submitted by a person or by a
    client acting on its own; it is decided by a person."""
    submitters = [b.get("submitted_by") for b in bodies]
    labels = actor_labels([*submitters, *(b.get("decided_by") for b in bodies)], submitters, reader)
    for body in bodies:
        for key in ("submitted_by", "decided_by"):
            if key in body:
                body[f"{key}_label"] = labels.get(body[key]) if body[key] else None
    return bodies


@blp.route("", methods=["GET"])
@blp.arguments(ReviewQueryArgsSchema(), location="query")
@blp.alt_response(200, schema=page_of(ReviewSchema, "Review"), description="A page of reviews.")
@problems(403)
def list_reviews(args: dict[str, Any]) -> Any:
    """The reviews you may decide or follow: your agency's, within your clearance.
    Filter by state, agency, level, review due date and digest (one bulk submission's)."""
    page = services().reviews.list_reviews(
        current_identity(),
        state=args.get("state"),
        agency=args.get("agency"),
        level=args.get("level"),
        due_before=args.get("due_before"),
        digest=args.get("digest"),
        page=args["page"],
        per_page=args["per_page"],
    )
    return page_response(
        label_reviews([_review_body(v) for v in page.items]), page.total, page.page, page.per_page
    )


@blp.route("/<review_id>", methods=["GET"])
@blp.alt_response(200, schema=ReviewSchema, description="The review.")
def get_review(review_id: str) -> Any:
    """One review."""
    return jsonify(
        label_reviews([_review_body(services().reviews.get_review(current_identity(), review_id))])[0]
    )


@blp.route("/<review_id>/decision", methods=["POST"])
@require_scope(REVIEW)
@blp.arguments(DecisionSchema)
@blp.alt_response(200, schema=ReviewSchema, description="The decided review (final).")
@problems(403, 409)
def decide(data: dict[str, Any], review_id: str) -> Any:
    """Approve (optionally with another classification or listing level) or reject, with a
    rationale. Needs a person's token (never a client's own) with catalogue:review,
    clearance for the level, and someone other than the submitting person (four eyes).
    A review you may not see answers 404, as one that does not exist. Decisions are final."""
    view = services().reviews.decide(
        current_identity(),
        review_id,
        decision=data["decision"],
        rationale=data["rationale"],
        classification=data.get("classification"),
        listing_level=data.get("listing_level"),
    )
    return jsonify(label_reviews([_review_body(view)])[0])
