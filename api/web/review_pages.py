"""Security officers' pages: the review queue with the API's filters, a review shown as a
readable diff (the proposed version beside the published one, field by field, legal bases
as rows), and the decision.

The queue's filters and the decision are read with the API's own schemas
(``ReviewQueryArgsSchema``, ``DecisionSchema``) and decided by ``ReviewService`` with the
page's identity: four eyes, clearance and agency are the service's checks, and its refusal
is what the page shows. The page only explains beforehand that the submitter cannot
decide their own proposal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from api.resources.reviews import DecisionSchema, ReviewQueryArgsSchema
from api.web import work_forms as wf
from api.web.blueprint import bp
from api.web.i18n import page_language
from api.web.labels import statute_names
from api.web.session import page_identity
from api.web.work_common import levels, people_labels
from api.wiring import services
from catalogue.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from catalogue.services.reviews import ReviewView

FILTERS = ("state", "level", "due_before", "agency", "digest")


@bp.get("/work/reviews")
def review_queue() -> Any:
    """The reviews of your agency you may follow or decide, filtered as in the API."""
    asked = {k: v for k, v in request.args.items() if v and k in (*FILTERS, "page")}
    errors: dict[str, list[str]] = {}
    try:
        args = ReviewQueryArgsSchema().load(asked)
    except ValidationError as exc:
        errors = wf.flatten(exc.messages)
        args = ReviewQueryArgsSchema().load({k: v for k, v in asked.items() if k not in errors})
    status = 200
    items: list[ReviewView] = []
    total = 0
    try:
        page = services().reviews.list_reviews(
            page_identity(),
            state=args.get("state"),
            agency=args.get("agency"),
            level=args.get("level"),
            due_before=args.get("due_before"),
            digest=args.get("digest"),
            page=args["page"],
            per_page=20,
        )
        items, total = page.items, page.total
    except PermissionDenied as exc:
        errors[""] = [exc.detail]
        status = 403
    names = people_labels(v.review.submitted_by for v in items)
    return (
        render_template(
            "work/reviews.html",
            items=items,
            total=total,
            page=args["page"],
            asked=asked,
            errors=errors,
            names=names,
            levels=levels(),
        ),
        status,
    )


def diff(
    rv: ReviewView, published: Mapping[str, Any] | None, current: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The rows of a review's diff: each input field the proposal would change, its
    published and proposed values (``published`` None: nothing is published yet)."""
    review = rv.review
    proposed = {**current, **rv.proposed} if review.kind == "revision" else dict(current)
    if proposed.get("listing_level") is None:
        proposed["listing_level"] = proposed.get("classification")
    proposed["classification"] = review.proposed_classification or proposed.get("classification")
    rows = []
    for w in wf.widgets(str(current.get("type")), creating=False):
        if w.kind == "document":
            continue
        before = wf.comparable(w.name, (published or {}).get(w.name)) if published is not None else None
        after = wf.comparable(w.name, proposed.get(w.name))
        if published is not None and before == after:
            continue
        if published is None and after in (None, "", [], {}, False):
            continue
        row: dict[str, Any] = {"name": w.name, "label": w.label, "before": before, "after": after}
        if w.name == "legal_basis":
            row["bases"] = _basis_rows(before or [], after or [])
        rows.append(row)
    return rows


def _basis_rows(
    before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> list[tuple[str, dict[str, Any]]]:
    """Legal bases as rows: kept, removed and added."""
    rows = [("kept" if b in after else "removed", b) for b in before]
    return rows + [("added", b) for b in after if b not in before]


def _review_page(review_id: str, **extra: Any) -> Any:
    identity = page_identity()
    try:
        rv = services().reviews.get_review(identity, review_id)
        view = services().entries.get(identity, rv.entry.id)
    except NotFound:
        abort(404)
    current = dict(view.document)
    published_now = rv.review.kind != "publication"
    rows = diff(rv, current if published_now else None, current)
    names = people_labels([rv.review.submitted_by, rv.review.decided_by], [rv.review.submitted_by])
    cited = {b["reference"] for row in rows for _state, b in row.get("bases", ())}
    statutes = statute_names(identity, cited, page_language())
    own = (identity.person or identity.subject) == rv.review.submitted_by
    status = extra.pop("status", 200)
    return (
        render_template(
            "work/review.html",
            rv=rv,
            review=rv.review,
            entry=current,
            rows=rows,
            published_now=published_now,
            names=names,
            statutes=statutes,
            own=own,
            levels=levels(),
            errors=extra.pop("errors", {}),
            asked=extra.pop("asked", {}),
            **extra,
        ),
        status,
    )


@bp.get("/work/reviews/<review_id>")
def review(review_id: str) -> Any:
    """One review: the proposal beside the published version, and the decision form."""
    return _review_page(review_id)


@bp.post("/work/reviews/<review_id>/decision")
def decide(review_id: str) -> Any:
    """Approve (perhaps at another level) or reject, with a rationale: the service decides who may."""
    asked = {k: request.form.get(k, "") for k in ("decision", "classification", "listing_level", "rationale")}
    body = {k: v for k, v in asked.items() if v.strip()}
    try:
        data = DecisionSchema().load(body)
    except ValidationError as exc:
        return _review_page(review_id, errors=wf.flatten(exc.messages), asked=asked, status=422)
    try:
        services().reviews.decide(
            page_identity(),
            review_id,
            decision=data["decision"],
            rationale=data["rationale"],
            classification=data.get("classification"),
            listing_level=data.get("listing_level"),
        )
    except NotFound:
        abort(404)
    except ValidationFailed as exc:
        return _review_page(review_id, errors=wf.flatten(exc.errors), asked=asked, status=422)
    except (PermissionDenied, Conflict) as exc:
        return _review_page(review_id, errors={"": [exc.detail]}, asked=asked, status=exc.status)
    return redirect(url_for("web.review", review_id=review_id, done="decided"), 303)


__all__ = ["_", "decide", "diff", "review", "review_queue"]
