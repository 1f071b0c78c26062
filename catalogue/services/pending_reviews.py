"""Opening a review: the pending row and the officers' notification, in the caller's
transaction. One pending review per entry.

Both services that open reviews use this piece: ``EntryService.update`` (a change to
the reviewed fields of a published entry becomes a pending revision) and
``ReviewService`` (submissions, reclassification requests, periodic reviews). It sits
below both, so that neither imports the other to open one: entries → pending_reviews,
reviews → entries and pending_reviews, never back.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import fields as entry_fields
from catalogue.errors import Conflict
from catalogue.models import Entry, Notification, Review, new_id
from catalogue.ports import AuditTrail
from security.identity import Identity

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """The proposal as stored: each field by its declared JSON codec (catalogue.fields),
    such as dates and UUIDs as strings."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        codec = entry_fields.BY_NAME[key].json if key in entry_fields.BY_NAME else None
        out[key] = codec.to_json(value) if codec is not None else value
    return out


def loadable(data: dict[str, Any]) -> dict[str, Any]:
    """The stored proposal as the entry rules take it (the twin of ``_jsonable``)."""
    out = dict(data)
    for key, value in data.items():
        codec = entry_fields.BY_NAME[key].json if key in entry_fields.BY_NAME else None
        if codec is not None:
            out[key] = codec.from_json(value)
    return out


class PendingReviews:
    """Opens reviews on the caller's session; the caller commits."""

    def __init__(self, session: Session, audit: AuditTrail) -> None:
        self.session = session
        self.audit = audit

    def propose_revision(
        self, identity: Identity, entry: Entry, data: dict[str, Any], changed: list[str]
    ) -> Review:
        """A change to the reviewed fields of a published entry waits for an officer;
        until then the published version stays as it is."""
        proposed_level = data.get("classification", entry.classification)
        review = self.open(identity, entry, "revision", _jsonable(data), proposed_level)
        self.audit.record(
            identity,
            "review.submit",
            entry=entry,
            details={"review": review.id, "kind": "revision", "fields": changed},
        )
        self.session.commit()
        return review

    def open(
        self, identity: Identity, entry: Entry, kind: str, proposal: dict[str, Any], level: str
    ) -> Review:
        """Open a pending review of ``entry`` and notify its officers; Conflict if one is pending already."""
        review, notice = self.opening(identity, entry, kind, proposal, level, self.pending_for([entry.id]))
        self.session.add(review)
        self.session.add(notice)
        return review

    def pending_for(self, entry_ids: Sequence[str]) -> set[str]:
        """Those of ``entry_ids`` with a review waiting for a decision (one query)."""
        if not entry_ids:
            return set()
        return set(
            self.session.scalars(
                select(Review.entry_id).where(Review.entry_id.in_(list(entry_ids)), Review.state == PENDING)
            )
        )

    def opening(
        self,
        identity: Identity,
        entry: Entry,
        kind: str,
        proposal: dict[str, Any],
        level: str,
        busy: Collection[str],
    ) -> tuple[Review, Notification]:
        """The pending review of ``entry`` and its officers' notification, not yet added to
        the session (``open`` adds them; ``ReviewService.submit_many`` writes a group's
        together); Conflict if ``entry.id`` is among ``busy`` (``pending_for``)."""
        if entry.id in busy:
            raise Conflict("This entry already has a review waiting for a decision.")
        # The id is given here, not at the flush: the notification names it, and nothing is
        # flushed before the caller's commit (a bulk submission's entries are flushed, and
        # found changed, by their commit: ``ReviewService.submit_many``).
        review = Review(
            id=new_id(),
            entry_id=entry.id,
            kind=kind,
            state=PENDING,
            agency=entry.publisher,
            proposed=proposal,
            proposed_classification=level,
            previous_classification=entry.classification,
            previous_listing_level=entry.listing_level,
            submitted_by=identity.person or identity.subject,
        )
        notice = Notification(
            agency=entry.publisher,
            audience="security_officer",
            kind="review.requested",
            review_id=review.id,
            entry_id=entry.id,
            message=f"A {kind} review of {entry_title(entry)} waits for a decision "
            f"(proposed level: {level}).",
        )
        return review, notice


def entry_title(entry: Entry) -> str:
    """The entry's title for a message, quoted, in the first language it has; else its id."""
    for lang in ("en", "sv", "nb", "nn"):
        if entry.title.get(lang):
            return f"“{entry.title[lang]}”"
    return entry.id
