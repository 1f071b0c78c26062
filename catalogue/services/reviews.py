"""Classification review: submission, the four-eyes decision, revisions of
published entries, periodic re-review, and the classification history."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm.attributes import set_committed_value

from catalogue.db import begin_write
from catalogue.errors import CatalogueError, Conflict, NotFound, PermissionDenied, ValidationFailed
from catalogue.models import Entry, Notification, Review, utcnow
from catalogue.services.common import MAX_PER_PAGE, Page
from catalogue.services.entries import REVIEWED_FIELDS, EntryService, EntryView, PreparedInput
from catalogue.services.pending_reviews import (
    APPROVED,
    PENDING,
    REJECTED,
    Digest,
    entry_title,
    loadable,
    requested,
)
from security import policy
from security.identity import Identity

KINDS = ("publication", "revision", "periodic", "reclassification")
NO_REVIEW = "No review with that id."


#: Fields of a proposal that name other entries: shown only as far as the reader may list them.
ENTRY_ID_FIELDS = ("serves_datasets",)


@dataclass(frozen=True)
class ReviewView:
    """A review and its entry as one reader is shown them."""

    review: Review
    entry: Entry
    #: The proposed change as this reader may see it (see ``ENTRY_ID_FIELDS``).
    proposed: dict[str, Any]


class ReviewService:
    """Composed over an ``EntryService``: the same session, audit log, visibility
    and rules of entries, reached through its public building blocks."""

    def __init__(self, entries: EntryService) -> None:
        self.entries = entries
        self.session = entries.session
        self.scheme = entries.scheme
        self.audit = entries.audit
        self.review_intervals = entries.review_intervals
        self.pending = entries.pending_reviews

    # -- submitting ----------------------------------------------------------
    def submit(self, identity: Identity, entry_id: str, entry_type: str | None = None) -> EntryView:
        """A data owner sends a draft to review; the proposed version is frozen."""
        begin_write(self.session)
        entry = self.entries.load_visible(identity, entry_id, entry_type)
        self.entries.require_write(identity, entry, "review.submit")
        review = self._submission(identity, entry, self.pending.pending_for([entry.id]))
        self.session.add_all((review, requested(review, entry)))
        self.entries.commit_change(identity, entry, "review.submit", {"review": review.id})
        return self.entries.view(identity, entry, pending_review=review.id)

    def submit_many(
        self,
        identity: Identity,
        entry_ids: Sequence[str],
        entry_type: str | None = None,
        digest: Digest | None = None,
    ) -> list[Review | CatalogueError]:
        """``submit`` for many drafts at once (a harvest's new entries): each one checked
        by the steps ``submit`` takes, the submissions committed together, each with its
        outbox row and ``review.submit`` event. The officers are told once per agency and
        level, not once per entry: ``digest``'s notifications (a new digest unless the
        caller continues one; catalogue/services/pending_reviews.py). The answer, in the
        order of ``entry_ids``: each one's review, or why it was not submitted. No rendering."""
        digest = digest if digest is not None else Digest()
        begin_write(self.session)
        # Read once for the group: the entries (``load_visible`` then finds each in the
        # session; held here, as the session's identity map holds them weakly) and which
        # of them have a review pending already.
        _held = self.session.scalars(select(Entry).where(Entry.id.in_(list(entry_ids)))).all()
        busy = self.pending.pending_for(entry_ids)
        answers: list[Review | CatalogueError | None] = [None] * len(entry_ids)
        # Every permission first: a refusal is audited in a transaction of its own,
        # which must not roll back the reviews opened before it.
        allowed: list[tuple[int, Entry]] = []
        for i, entry_id in enumerate(entry_ids):
            try:
                entry = self.entries.load_visible(identity, entry_id, entry_type)
                self.entries.require_write(identity, entry, "review.submit")
                allowed.append((i, entry))
            except CatalogueError as exc:
                answers[i] = exc
        submitted: list[tuple[Entry, dict[str, Any] | None]] = []
        opened: list[tuple[Review, Entry]] = []
        frozen: list[tuple[Entry, dict[str, Any]]] = []
        for i, entry in allowed:
            try:
                review = self._opening(identity, entry, busy, digest)
            except CatalogueError as exc:
                answers[i] = exc
                continue
            answers[i] = review
            opened.append((review, entry))
            # The status change is written for the group by one version-checked UPDATE
            # (``commit_changes``' ``updates``), not by the unit of work; the entry holds
            # it at once, so that a second submission of it in the group is refused.
            frozen.append((entry, self._frozen()))
            set_committed_value(entry, "status", policy.IN_REVIEW)
            submitted.append((entry, {"review": review.id}))
        # Reviews and new notifications by Core inserts (their delivery is nudged when the
        # commit wrote one: catalogue.services.notifications).
        notes = self.pending.announce(digest, opened)
        new = [review for review, _entry in opened] + notes
        self.entries.commit_changes(identity, "review.submit", submitted, new, frozen)
        return [a for a in answers if a is not None]

    def _submission(self, identity: Identity, entry: Entry, busy: Collection[str]) -> Review:
        """Freeze ``entry`` and give its publication review (neither added nor announced
        nor committed); ``busy``: the entries with a review pending."""
        opened = self._opening(identity, entry, busy)
        for name, value in self._frozen().items():
            setattr(entry, name, value)
        return opened

    def _opening(
        self, identity: Identity, entry: Entry, busy: Collection[str], digest: Digest | None = None
    ) -> Review:
        """The publication review of the draft ``entry``, to be announced on its own or in
        ``digest`` (Conflict unless a draft without a pending review: ``busy``)."""
        if entry.status != policy.DRAFT:
            raise Conflict(f"Only a draft can be submitted for review; this entry is {entry.status}.")
        return self.pending.opening(identity, entry, "publication", {}, entry.classification, busy, digest)

    @staticmethod
    def _frozen() -> dict[str, Any]:
        """What submitting changes on the entry: in review (frozen), modified now."""
        return {"status": policy.IN_REVIEW, "modified": utcnow()}

    def request_reclassification(self, identity: Identity, entry_id: str, rationale: str) -> Review:
        """A security officer opens a review of a published entry (another officer decides)."""
        begin_write(self.session)
        entry = self.entries.load_visible(identity, entry_id, None)
        if not policy.can_review(identity, entry.facts, entry.classification):
            self.entries.audit_now(identity, "review.request", entry, decision="deny")
            raise PermissionDenied(
                "Requesting a review needs a person (signed in) with the catalogue:review scope "
                "in the publishing agency, with clearance for the entry."
            )
        if entry.status not in (policy.PUBLISHED, policy.DEPRECATED):
            raise Conflict("Only a published entry can be reclassified; drafts are submitted.")
        review = self.pending.open(
            identity, entry, "reclassification", {"rationale": rationale}, entry.classification
        )
        self.audit.record(identity, "review.request", entry=entry, details={"review": review.id})
        self.session.commit()
        return review

    def schedule_due(self, identity: Identity, today: date | None = None) -> int:
        """Open a periodic review for every published entry whose review is due. The
        officers are told once per agency and level (a digest, as for a bulk submission),
        not once per entry: a catalogue reviewed yearly has hundreds fall due on one day."""
        if not identity.is_system:
            raise PermissionDenied("Periodic reviews are scheduled by the system.")
        today = today or date.today()
        begin_write(self.session)
        pending = select(Review.entry_id).where(Review.state == PENDING)
        due = self.session.scalars(
            select(Entry).where(
                Entry.review_due <= today,
                Entry.status.in_([policy.PUBLISHED, policy.DEPRECATED]),
                Entry.id.not_in(pending),
            )
        ).all()
        digest = Digest(reason="due for their periodic review")
        opened = [
            (self.pending.opening(identity, entry, "periodic", {}, entry.classification, (), digest), entry)
            for entry in due
        ]
        self.session.add_all(review for review, _entry in opened)
        # One event per review, appended together: one read of the chain's head for the day.
        self.audit.record_many(
            identity,
            "review.schedule",
            [
                (
                    entry,
                    {"review": review.id, "due": entry.review_due.isoformat() if entry.review_due else None},
                )
                for review, entry in opened
            ],
        )
        self.session.add_all(self.pending.announce(digest, opened))
        self.session.commit()
        return len(due)

    # -- deciding -------------------------------------------------------------
    def decide(
        self,
        identity: Identity,
        review_id: str,
        *,
        decision: str,
        rationale: str,
        classification: str | None = None,
        listing_level: str | None = None,
    ) -> ReviewView:
        """Approve or reject a pending review, finally, and notify the data owners.

        Only a person with the review scope in the publishing agency, cleared for the
        higher of the proposed and decided levels, who did not submit it (four eyes);
        a review the caller may not see is NotFound, as one that does not exist."""
        begin_write(self.session)
        # Exactly the GET's rule and answer: a review the caller may not see is "not
        # found", never "forbidden at level X"; the log records the refusal.
        review, entry = self._visible_review(identity, review_id, audit_as="review.decide")
        final_level = classification or self._proposed(review, entry, "classification")
        final_listing = listing_level or (
            self._proposed(review, entry, "listing_level")
            if not classification
            or self.scheme.not_above(self._proposed(review, entry, "listing_level"), classification)
            else classification
        )
        needed = self.scheme.highest([review.proposed_classification, final_level]) or final_level
        if not policy.can_review(identity, entry.facts, needed):
            self.entries.audit_now(
                identity,
                "review.decide",
                entry,
                decision="deny",
                details={"review": review.id, "answered": 403},
            )
            raise PermissionDenied(
                f"Deciding this review needs a person (signed in) with the catalogue:review scope "
                f"in the publishing agency and clearance {needed!r}."
            )
        # Four eyes compare persons: a submission records the submitter's subject, for a
        # person their user id whichever client they came through. Only a person (or the
        # system) gets this far.
        if (identity.person or identity.subject) == review.submitted_by:
            self.entries.audit_now(
                identity,
                "review.decide",
                entry,
                decision="deny",
                details={"review": review.id, "answered": 403, "rule": "four eyes"},
            )
            raise PermissionDenied("Four eyes: you submitted this review, so someone else decides it.")
        if review.state != PENDING:
            raise Conflict("This review is decided already; decisions are final.")
        errors: dict[str, list[str]] = {}
        if not rationale.strip():
            errors["rationale"] = ["Give the reason for the decision."]
        if decision == "reject" and review.kind == "periodic":
            errors["decision"] = ["A periodic review is approved, with a new level if needed."]
        if errors:
            raise ValidationFailed(errors)

        review.decided_by = identity.subject
        review.decided_agency = identity.agency
        review.decided_at = utcnow()
        review.rationale = rationale.strip()
        if decision == "approve":
            self._approve(identity, review, entry, final_level, final_listing)
        else:
            review.state = REJECTED
            if review.kind == "publication":
                entry.status = policy.DRAFT
                entry.modified = utcnow()
        self.session.add(
            Notification(
                agency=entry.publisher,
                audience="data_owner",
                kind=f"review.{review.state}",
                review_id=review.id,
                entry_id=entry.id,
                message=f"The {review.kind} review of {entry_title(entry)} was {review.state}: "
                f"{review.rationale}",
            )
        )
        self.entries.commit_change(
            identity,
            entry,
            f"review.{decision}",
            {
                "review": review.id,
                "kind": review.kind,
                "classification": review.classification,
                "listing_level": review.listing_level,
                "rationale": review.rationale,
            },
        )
        return self._shown(identity, [(review, entry)])[0]

    def _approve(self, identity: Identity, review: Review, entry: Entry, level: str, listing: str) -> None:
        if review.kind == "revision":
            change = loadable(review.proposed)
            change["classification"] = level
            change["listing_level"] = listing
            self.entries.apply(identity, entry, PreparedInput.proposed(change), creating=False)
        else:
            self.entries.check_rules(
                identity,
                entry,
                {
                    **self.entries.merged(entry, {}, creating=False),
                    "classification": level,
                    "listing_level": listing,
                },
                [],
            )
            entry.classification = level
            entry.listing_level = listing
        if review.kind == "publication":
            entry.status = policy.PUBLISHED
        interval = self.review_intervals.get(level)
        entry.review_due = (
            date.today() + timedelta(days=interval) if interval and level != self.scheme.lowest else None
        )
        entry.modified = utcnow()
        review.state = APPROVED
        review.classification = level
        review.listing_level = listing

    def _proposed(self, review: Review, entry: Entry, field: str) -> str:
        """What the revision proposes for ``field``, read as the proposal was checked
        (``EntryService.merged``): a listing level that is given as null (a PUT
        without it, or an explicit null) is the proposed classification; one left
        out of a PATCH is the entry's own."""
        proposed = review.proposed if review.kind == "revision" else {}
        value = proposed.get(field)
        if field == "listing_level" and "listing_level" in proposed and value is None:
            value = proposed.get("classification") or entry.classification
        return str(value or getattr(entry, field))

    def _visible_review(
        self, identity: Identity, review_id: str, audit_as: str | None = None
    ) -> tuple[Review, Entry]:
        """The review and its entry, or the same NotFound as for a review that does not
        exist. ``audit_as``: record the refusal of a hidden one under that action."""
        review = self.session.get(Review, review_id) if len(review_id) == 36 else None
        entry = self.session.get(Entry, review.entry_id) if review is not None else None
        if review is None or entry is None:
            raise NotFound(NO_REVIEW)
        if not self._may_see(identity, review, entry):
            if audit_as:
                self.entries.audit_now(
                    identity, audit_as, entry, decision="deny", details={"review": review.id, "answered": 404}
                )
            raise NotFound(NO_REVIEW)
        return review, entry

    # -- reading ----------------------------------------------------------------
    def get_review(self, identity: Identity, review_id: str) -> ReviewView:
        """The review, if the caller may follow its entry's reviews at its proposed level; else NotFound."""
        return self._shown(identity, [self._visible_review(identity, review_id)])[0]

    def _shown(self, identity: Identity, pairs: list[tuple[Review, Entry]]) -> list[ReviewView]:
        """Views whose proposals name only entries the reader may list (one query)."""
        named = [str(i) for review, _ in pairs for f in ENTRY_ID_FIELDS for i in review.proposed.get(f) or []]
        visible = set(self.entries.visible_ids(identity, named))
        views = []
        for review, entry in pairs:
            proposed = dict(review.proposed)
            for f in ENTRY_ID_FIELDS:
                if f in proposed:
                    proposed[f] = [i for i in proposed[f] or [] if str(i) in visible]
            views.append(ReviewView(review, entry, proposed))
        return views

    def list_reviews(
        self,
        identity: Identity,
        *,
        state: str | None = None,
        agency: str | None = None,
        level: str | None = None,
        due_before: date | None = None,
        digest: str | None = None,
        page: int = 1,
        per_page: int = 20,
    ) -> Page[ReviewView]:
        """The queue: reviews of the caller's agency whose levels its clearance covers
        (``digest``: only those a bulk submission opened, as its notification names it)."""
        if identity.agency is None and not identity.is_system:
            return Page([], 0, page, per_page)
        if not (
            identity.is_system
            or identity.has_scope("catalogue:review")
            or identity.has_scope("catalogue:write")
        ):
            raise PermissionDenied("The review queue needs catalogue:review or catalogue:write.")
        readable = sorted(identity.readable_levels)
        conditions: list[ColumnElement[bool]] = [
            Review.proposed_classification.in_(readable),
            Entry.classification.in_(readable),
            Entry.listing_level.in_(readable),
        ]
        if not identity.is_system:
            conditions.append(Review.agency == identity.agency)
        if state:
            conditions.append(Review.state == state)
        if agency:
            conditions.append(Review.agency == agency)
        if level:
            conditions.append(or_(Review.proposed_classification == level, Entry.classification == level))
        if due_before:
            conditions.append(and_(Entry.review_due.is_not(None), Entry.review_due <= due_before))
        if digest:
            conditions.append(Review.digest == digest)
        query = select(Review, Entry).join(Entry, Entry.id == Review.entry_id).where(*conditions)
        total = self.session.scalar(select(func.count()).select_from(query.subquery()))
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        rows = self.session.execute(
            query.order_by(Review.submitted_at.desc(), Review.id)
            .limit(per_page)
            .offset((max(page, 1) - 1) * per_page)
        ).all()
        return Page(self._shown(identity, [(r, e) for r, e in rows]), int(total or 0), page, per_page)

    def history(self, identity: Identity, entry_id: str, entry_type: str | None = None) -> list[Review]:
        """Each level the entry has had, who decided, when and why."""
        entry = self.entries.load_visible(identity, entry_id, entry_type)
        if not policy.can_see_reviews(identity, entry.facts):
            self.entries.audit_now(
                identity, "entry.history", entry, decision="deny", details={"answered": 403}
            )
            raise PermissionDenied("The classification history is for the publisher and its officers.")
        return list(
            self.session.scalars(
                select(Review)
                .where(Review.entry_id == entry.id, Review.state == APPROVED)
                .order_by(Review.decided_at)
            ).all()
        )

    def _may_see(self, identity: Identity, review: Review, entry: Entry) -> bool:
        return (
            policy.can_see_reviews(identity, entry.facts)
            and review.proposed_classification in identity.readable_levels
        )


__all__ = ["KINDS", "REVIEWED_FIELDS", "Digest", "ReviewService", "ReviewView"]
