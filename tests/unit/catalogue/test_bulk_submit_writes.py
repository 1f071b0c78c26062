"""``ReviewService.submit_many`` writes its group by Core (reviews and notifications
inserted, the entries' status changed by one version-checked UPDATE): the notifications
are still nudged after the commit, an entry changed meanwhile is a Conflict that writes
nothing, and each submitted entry still gets its outbox row and ``review.submit`` event."""

from __future__ import annotations

from sqlalchemy import func, select, update

from catalogue.compose import entry_service
from catalogue.errors import Conflict
from catalogue.models import AuditEvent, Entry, Notification, OutboxEvent, Review
from catalogue.schemas import DatasetCreateSchema
from catalogue.services.reviews import ReviewService
from security.levels import DEFAULT_SCHEME
from tests.factories import dataset_payload
from tests.unit.catalogue.test_notifications import nudges  # noqa: F401  (a fixture)
from tests.unit.catalogue.test_reviews import AGENCY, OWNER


def _drafts(reviews: ReviewService, count: int) -> list[str]:
    items = [DatasetCreateSchema().load(dataset_payload(AGENCY, "internal")) for _ in range(count)]
    return [e.id for e in reviews.entries.create_many(OWNER, "dataset", items) if isinstance(e, Entry)]


def test_a_bulk_submission_nudges_once_after_its_commit(sessions, nudges):  # noqa: F811
    with sessions() as session:
        reviews = ReviewService(entry_service(session, DEFAULT_SCHEME))
        ids = _drafts(reviews, 3)
        assert nudges == []
        reviews.submit_many(OWNER, ids, "dataset")
    # Once, with the group's one notification (its digest) already committed.
    assert nudges == [1]


def test_a_bulk_submission_writes_status_revision_outbox_and_events(session):
    reviews = ReviewService(entry_service(session, DEFAULT_SCHEME))
    ids = _drafts(reviews, 2)
    submitted = reviews.submit_many(OWNER, ids, "dataset")
    assert all(isinstance(r, Review) for r in submitted)
    session.expire_all()
    rows = session.execute(select(Entry.status, Entry.revision).where(Entry.id.in_(ids))).all()
    assert sorted(rows) == [("in_review", 2), ("in_review", 2)]
    outbox = session.execute(select(OutboxEvent.entry_id, OutboxEvent.revision)).all()
    assert sorted(outbox) == sorted([(i, 1) for i in ids] + [(i, 2) for i in ids])
    events = session.scalars(select(AuditEvent.entry_id).where(AuditEvent.action == "review.submit")).all()
    assert sorted(events) == sorted(ids)


def test_an_entry_changed_meanwhile_is_a_conflict_and_nothing_is_written(session):
    reviews = ReviewService(entry_service(session, DEFAULT_SCHEME))
    ids = _drafts(reviews, 2)
    # Both entries are read first (as ``submit_many`` reads them), then another writer
    # moves one on before the group's UPDATE: its version no longer matches.
    held = session.scalars(select(Entry).where(Entry.id.in_(ids))).all()
    session.connection().execute(update(Entry.__table__).where(Entry.id == ids[1]).values(revision=5))
    try:
        reviews.submit_many(OWNER, ids, "dataset")
    except Conflict:
        pass
    else:
        raise AssertionError("expected a Conflict")
    assert held
    assert session.scalar(select(func.count()).select_from(Review)) == 0
    assert session.scalar(select(func.count()).select_from(Notification)) == 0
    statuses = session.scalars(select(Entry.status).where(Entry.id.in_(ids))).all()
    assert statuses == ["draft", "draft"]
