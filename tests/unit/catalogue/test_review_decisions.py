"""ReviewService decisions and the review queue on SQLite, called with identities: who
may decide (a cleared person of the publishing agency), what a hidden review answers
(the same NotFound as one that does not exist), what a decision changes."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from catalogue.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from catalogue.models import AuditEvent, Entry, Notification
from catalogue.services.reviews import NO_REVIEW, ReviewService
from security import policy
from security.identity import build_identity, system_identity
from security.levels import DEFAULT_SCHEME
from tests.unit.catalogue.callers import (
    FOREIGN_OFFICER,
    LANTMATERIET,
    LOW_OFFICER,
    OTHER_OFFICER,
    person,
)
from tests.unit.catalogue.conftest import AGENCY
from tests.unit.catalogue.test_reviews import OFFICER, OWNER, draft

pytestmark = pytest.mark.usefixtures("lantmateriet")


#: The publishing agency's own client with the review scope: a client is no person.
REVIEWING_CLIENT = build_identity(
    DEFAULT_SCHEME,
    kind="client",
    subject="review-client",
    client_id="review-client",
    agency=AGENCY,
    scopes=["catalogue:read:internal", "catalogue:review"],
)


def submitted(reviews: ReviewService) -> tuple[str, str]:
    """An internal draft sent to review: (entry id, review id)."""
    entry_id = draft(reviews)
    review_id = reviews.submit(OWNER, entry_id).pending_review
    assert review_id
    return entry_id, review_id


def refusals(session, action: str) -> list[dict]:
    return [
        e.details
        for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action == action, AuditEvent.decision == "deny")
        )
    ]


@pytest.mark.parametrize("caller", [FOREIGN_OFFICER, LOW_OFFICER], ids=["other agency", "below the level"])
def test_a_review_the_caller_may_not_see_is_not_found_and_the_refusal_is_logged(session, reviews, caller):
    _entry_id, review_id = submitted(reviews)
    with pytest.raises(NotFound) as hidden:
        reviews.decide(caller, review_id, decision="approve", rationale="Looks fine.")
    with pytest.raises(NotFound) as missing:
        reviews.decide(caller, str(uuid.uuid4()), decision="approve", rationale="Looks fine.")
    assert hidden.value.detail == missing.value.detail == NO_REVIEW
    with pytest.raises(NotFound):
        reviews.get_review(caller, review_id)
    assert refusals(session, "review.decide") == [{"review": review_id, "answered": 404}]
    assert reviews.get_review(OFFICER, review_id).review.state == "pending"


def test_a_client_of_the_agency_sees_the_review_but_never_decides(session, reviews):
    entry_id, review_id = submitted(reviews)
    assert reviews.get_review(REVIEWING_CLIENT, review_id).review.id == review_id
    with pytest.raises(PermissionDenied):
        reviews.decide(REVIEWING_CLIENT, review_id, decision="approve", rationale="Automated.")
    assert refusals(session, "review.decide") == [{"review": review_id, "answered": 403}]
    assert session.get(Entry, entry_id).status == policy.IN_REVIEW


def test_deciding_above_ones_own_clearance_is_refused(session, reviews):
    entry_id, review_id = submitted(reviews)
    with pytest.raises(PermissionDenied) as refused:
        reviews.decide(
            OFFICER, review_id, decision="approve", rationale="Raise it.", classification="sensitive"
        )
    assert "sensitive" in refused.value.detail
    assert session.get(Entry, entry_id).classification == "internal"


def test_a_rejected_publication_goes_back_to_draft_and_tells_the_data_owners(session, reviews):
    entry_id, review_id = submitted(reviews)
    decided = reviews.decide(OFFICER, review_id, decision="reject", rationale="  Legal basis missing.  ")

    assert decided.review.state == "rejected"
    assert decided.review.rationale == "Legal basis missing."
    assert (decided.review.decided_by, decided.review.decided_agency) == (OFFICER.subject, AGENCY)
    entry = session.get(Entry, entry_id)
    assert entry.status == policy.DRAFT and entry.review_due is None
    told = session.scalars(select(Notification).where(Notification.audience == "data_owner")).all()
    assert [(n.kind, n.review_id, n.entry_id) for n in told] == [("review.rejected", review_id, entry_id)]


def test_a_decision_is_final(reviews):
    _entry_id, review_id = submitted(reviews)
    reviews.decide(OFFICER, review_id, decision="approve", rationale="Checked.")
    with pytest.raises(Conflict):
        reviews.decide(OTHER_OFFICER, review_id, decision="reject", rationale="Changed my mind.")


def test_a_decision_needs_a_reason(session, reviews):
    entry_id, review_id = submitted(reviews)
    with pytest.raises(ValidationFailed) as refused:
        reviews.decide(OFFICER, review_id, decision="approve", rationale="   ")
    assert set(refused.value.errors) == {"rationale"}
    assert session.get(Entry, entry_id).status == policy.IN_REVIEW


def test_a_periodic_review_is_approved_never_rejected(session, reviews):
    entry_id, review_id = submitted(reviews)
    reviews.decide(OFFICER, review_id, decision="approve", rationale="Checked.")
    due = session.get(Entry, entry_id).review_due
    assert due is not None

    with pytest.raises(PermissionDenied):
        reviews.schedule_due(OWNER, today=due)
    assert reviews.schedule_due(system_identity(DEFAULT_SCHEME), today=due - timedelta(days=1)) == 0
    assert reviews.schedule_due(system_identity(DEFAULT_SCHEME), today=due) == 1
    assert reviews.schedule_due(system_identity(DEFAULT_SCHEME), today=due) == 0  # one pending per entry
    periodic = reviews.list_reviews(OTHER_OFFICER, state="pending").items
    assert [v.review.kind for v in periodic] == ["periodic"]

    with pytest.raises(ValidationFailed) as refused:
        reviews.decide(OTHER_OFFICER, periodic[0].review.id, decision="reject", rationale="Outdated.")
    assert set(refused.value.errors) == {"decision"}
    approved = reviews.decide(
        OTHER_OFFICER, periodic[0].review.id, decision="approve", rationale="Still internal."
    )
    assert approved.review.classification == "internal"
    assert session.get(Entry, entry_id).review_due > date.today()


def test_the_queue_is_the_callers_agency_within_its_clearance(reviews):
    _entry_id, review_id = submitted(reviews)

    assert [v.review.id for v in reviews.list_reviews(OFFICER).items] == [review_id]
    assert [v.review.id for v in reviews.list_reviews(OWNER, state="pending").items] == [review_id]
    assert reviews.list_reviews(OFFICER, state="approved").total == 0
    assert reviews.list_reviews(OFFICER, level="public").total == 0
    assert reviews.list_reviews(FOREIGN_OFFICER).total == 0
    assert reviews.list_reviews(FOREIGN_OFFICER, agency=AGENCY).total == 0  # a filter widens nothing
    assert reviews.list_reviews(LOW_OFFICER).total == 0
    reader = person("user-5", AGENCY, "catalogue:read:internal")
    with pytest.raises(PermissionDenied):
        reviews.list_reviews(reader)
    agencyless = person("user-6", None, "catalogue:read:internal", "catalogue:review")
    assert reviews.list_reviews(agencyless).total == 0


def test_the_history_is_for_the_publisher_and_lists_approved_levels(reviews):
    entry_id, review_id = submitted(reviews)
    assert reviews.history(OWNER, entry_id) == []  # nothing decided yet
    reviews.decide(OFFICER, review_id, decision="approve", rationale="Checked.")

    history = reviews.history(OWNER, entry_id)
    assert [(r.id, r.classification) for r in history] == [(review_id, "internal")]
    # Published and internal: another agency's reader at internal may read the entry,
    # but its classification history is the publisher's.
    foreign_reader = person("user-7", LANTMATERIET, "catalogue:read:internal", "catalogue:write")
    with pytest.raises(PermissionDenied):
        reviews.history(foreign_reader, entry_id)
    with pytest.raises(NotFound):  # below the entry's level: it does not exist for them
        reviews.history(LOW_OFFICER, entry_id)
