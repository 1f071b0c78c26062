"""Notifications are nudged out after the transaction that wrote them commits:
never before, never for one that rolled back (on SQLite, through the services)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from catalogue.compose import entry_service
from catalogue.models import Notification
from catalogue.schemas import DatasetCreateSchema
from catalogue.services.notifications import on_notifications_committed
from catalogue.services.reviews import ReviewService
from security.levels import DEFAULT_SCHEME
from tests.factories import dataset_payload
from tests.unit.catalogue.test_reviews import AGENCY, OWNER


@pytest.fixture
def nudges(sessions) -> list[int]:
    """Each nudge, with the notifications another session can read at that moment."""
    seen: list[int] = []

    def committed() -> None:
        with sessions() as other:
            seen.append(other.scalar(select(func.count()).select_from(Notification)) or 0)

    on_notifications_committed(sessions, committed)
    return seen


def draft(reviews: ReviewService) -> str:
    data = DatasetCreateSchema().load(dataset_payload(AGENCY, "internal"))
    return reviews.entries.create(OWNER, "dataset", data).entry.id


def test_a_submission_nudges_once_after_its_commit(sessions, nudges):
    with sessions() as session:
        reviews = ReviewService(entry_service(session, DEFAULT_SCHEME))
        entry_id = draft(reviews)
        assert nudges == []  # a commit that wrote no notification
        reviews.submit(OWNER, entry_id)
    assert nudges == [1]  # once, and the notification was already committed


def test_a_rolled_back_notification_never_nudges(sessions, nudges):
    with sessions() as session:
        entries = entry_service(session, DEFAULT_SCHEME)
        reviews = ReviewService(entries)
        entry_id = draft(reviews)
        entry = entries.load_visible(OWNER, entry_id, None)
        entries.pending_reviews.open(OWNER, entry, "publication", {}, entry.classification)
        session.flush()  # the notification is written in the transaction ...
        session.rollback()  # ... which rolls back
        assert nudges == []
        # The next commit of this session wrote none: still no nudge.
        entries.retire(OWNER, entry_id, "*")
    assert nudges == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 0
