"""Opening a review: the pending row and the officers' notification, in the caller's
transaction. One pending review per entry.

A review opened on its own announces itself: one ``review.requested`` notification naming
it and its entry (``requested``). The reviews opened together (a harvest's new entries:
``ReviewService.submit_many``; the periodic reviews that fall due on one day:
``ReviewService.schedule_due``) are announced together instead: one
``reviews.requested`` notification, a **digest**, per agency and classification level
(``PendingReviews.announce``), counting them, saying where they came from and sharing
their ``digest`` id, by which the review queue shows just them. Per level, because a
reader sees an entry's notification only with clearance for the entry
(``NotificationService.list_for``): a digest of one level is seen by exactly those who
would have seen each of its entries' notifications, and its count tells no one of an
entry above their clearance. The entries of a publication review are drafts or in review,
seen only inside their agency, so within the agency the level is all that decides.

Both services that open reviews use this piece: ``EntryService.update`` (a change to
the reviewed fields of a published entry becomes a pending revision) and
``ReviewService`` (submissions, reclassification requests, periodic reviews). It sits
below both, so that neither imports the other to open one: entries → pending_reviews,
reviews → entries and pending_reviews, never back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import fields as entry_fields
from catalogue.errors import Conflict
from catalogue.models import Entry, Notification, Review, new_id
from catalogue.ports import AuditTrail
from security.identity import Identity

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
#: The notification kinds that announce reviews: one review's, and a bulk submission's digest.
REQUESTED, DIGEST = "review.requested", "reviews.requested"
OFFICERS = "security_officer"


@dataclass(frozen=True)
class Digest:
    """Reviews opened together, announced together (``PendingReviews.announce``): a bulk
    submission's, or the periodic reviews that fell due on one day.

    ``id`` is written on each review and on its digest notifications. A caller that
    submits in several groups (a harvest run writes its records in batches) passes the
    same ``Digest`` to each: the run's notifications then count every group's reviews, and
    the officers hear of the run once per agency and level, not once per batch."""

    id: str = field(default_factory=new_id)
    #: Where the entries came from (a harvest's source URL), shown with the digest.
    source: str | None = None
    #: Why the reviews were opened, in the digest's message ("5 reviews <reason> wait ...").
    reason: str = "submitted together"


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
        review = self.opening(identity, entry, kind, proposal, level, self.pending_for([entry.id]))
        self.session.add(review)
        self.session.add(requested(review, entry))
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
        digest: Digest | None = None,
    ) -> Review:
        """The pending review of ``entry``, not yet added to the session, nor announced
        (``open`` adds it with its ``requested`` notification; ``ReviewService.submit_many``
        writes a group's together, announced by ``announce``: ``digest``); Conflict if
        ``entry.id`` is among ``busy`` (``pending_for``)."""
        if entry.id in busy:
            raise Conflict("This entry already has a review waiting for a decision.")
        # The id is given here, not at the flush: the notification names it, and nothing is
        # flushed before the caller's commit (a bulk submission's entries are flushed, and
        # found changed, by their commit: ``ReviewService.submit_many``).
        return Review(
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
            digest=digest.id if digest is not None else None,
        )

    def announce(self, digest: Digest, opened: Sequence[tuple[Review, Entry]]) -> list[Notification]:
        """The officers' digest of ``opened`` (reviews opened with ``digest``, each with its
        entry): one notification per agency and level of the entries, counting them. Those
        this digest has already (an earlier group of the same run) count the new reviews
        too, changed in place in the session; the others are returned, new, for the caller
        to write in the same transaction."""
        counts = Counter((entry.publisher, entry.classification) for _review, entry in opened)
        if not counts:
            return []
        written = {
            (note.agency, note.level): note
            for note in self.session.scalars(
                select(Notification)
                .where(
                    Notification.digest == digest.id,
                    Notification.kind == DIGEST,
                    Notification.audience == OFFICERS,
                )
                # Locked on PostgreSQL till the commit, so that two groups adding to one
                # digest at once each count theirs (SQLite: writes go one at a time anyway).
                .with_for_update()
                .execution_options(populate_existing=True)  # counted as written, not as held
            )
        }
        origin = f", from {digest.source}" if digest.source else ""
        new = []
        for (agency, level), count in counts.items():
            note = written.get((agency, level))
            if note is None:
                note = Notification(
                    agency=agency, audience=OFFICERS, kind=DIGEST, digest=digest.id, level=level, count=0
                )
                new.append(note)
            note.count = (note.count or 0) + count
            note.source = digest.source
            note.message = (
                f"{note.count} reviews {digest.reason} wait for a decision (level: {level}{origin})."
            )
        return new


def requested(review: Review, entry: Entry) -> Notification:
    """The officers' notification of one review opened on its own (not in a digest)."""
    return Notification(
        agency=entry.publisher,
        audience=OFFICERS,
        kind=REQUESTED,
        review_id=review.id,
        entry_id=entry.id,
        message=f"A {review.kind} review of {entry_title(entry)} waits for a decision "
        f"(proposed level: {review.proposed_classification}).",
    )


def entry_title(entry: Entry) -> str:
    """The entry's title for a message, quoted, in the first language it has; else its id."""
    for lang in ("en", "sv", "nb", "nn"):
        if entry.title.get(lang):
            return f"“{entry.title[lang]}”"
    return entry.id
