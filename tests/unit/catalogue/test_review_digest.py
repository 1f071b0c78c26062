"""A bulk submission (``ReviewService.submit_many``: a harvest's new entries) and the day's
periodic reviews (``ReviewService.schedule_due``) tell the officers once per agency and
level, by a digest notification that counts its reviews; a single submission still tells
them once per entry. Each review stays its own row in
the queue, which the digest's id filters to just them; a digest is seen only by readers
who would have seen each of its entries' notifications."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalogue.compose import entry_service
from catalogue.errors import CatalogueError
from catalogue.models import AuditEvent, Entry, Notification, Review
from catalogue.schemas import DatasetCreateSchema
from catalogue.services.notifications import NotificationService, notice
from catalogue.services.reviews import Digest, ReviewService
from security import policy
from security.identity import Identity, build_identity, system_identity
from security.levels import DEFAULT_SCHEME
from tests.factories import dataset_payload
from tests.unit.catalogue.conftest import AGENCY, LANTMATERIET
from tests.unit.catalogue.test_notifications import nudges  # noqa: F401  (a fixture)
from tests.unit.catalogue.test_reviews import OWNER

SOURCE = "https://data.example.se/katalog.ttl"


def officer(agency: str = AGENCY, level: str = "internal") -> Identity:
    """A security officer of ``agency`` cleared up to ``level``."""
    return build_identity(
        DEFAULT_SCHEME,
        kind="user",
        subject=f"officer-{agency}-{level}",
        client_id="web",
        person=f"officer-{agency}-{level}",
        agency=agency,
        scopes=[f"catalogue:read:{level}", "catalogue:review"],
    )


def drafts(reviews: ReviewService, *levels: str, agency: str = AGENCY) -> list[str]:
    """New drafts of ``agency``, one per level given, written as a harvest writes them."""
    items = [DatasetCreateSchema().load(dataset_payload(agency, level)) for level in levels]
    identity = OWNER if agency == AGENCY else system_identity(DEFAULT_SCHEME)
    created = reviews.entries.create_many(identity, "dataset", items)
    return [e.id for e in created if isinstance(e, Entry)]


def notes(session: Session) -> list[Notification]:
    return list(session.scalars(select(Notification).order_by(Notification.id)))


def listed(session: Session, identity: Identity) -> list[tuple[str, str | None, int | None]]:
    page = NotificationService(session).list_for(identity)
    return [(n.kind, n.level, n.count) for n in page.items]


def submitted(answers: list[Review | CatalogueError]) -> list[Review]:
    assert not [a for a in answers if isinstance(a, CatalogueError)], answers
    return [a for a in answers if isinstance(a, Review)]


def test_a_bulk_submission_writes_one_digest_counting_its_reviews(session, reviews):
    ids = drafts(reviews, *["internal"] * 5)
    digest = Digest(source=SOURCE)
    opened = submitted(reviews.submit_many(OWNER, ids, "dataset", digest))
    assert len(opened) == 5
    [note] = notes(session)
    assert (note.kind, note.agency, note.audience) == ("reviews.requested", AGENCY, "security_officer")
    assert (note.count, note.level, note.source, note.digest) == (5, "internal", SOURCE, digest.id)
    # It names no review or entry: each review stays its own row, marked with the digest.
    assert note.review_id is None and note.entry_id is None
    assert note.message.startswith("5 reviews submitted together") and SOURCE in note.message
    rows = session.scalars(select(Review).where(Review.entry_id.in_(ids))).all()
    assert len(rows) == 5 and {r.digest for r in rows} == {digest.id}
    # What leaves Tillit: the digest's id (where to read the rest), not its count or source.
    sent = notice(note)
    assert sent["digest"] == digest.id and sent["review"] is None and sent["entry"] is None
    assert SOURCE not in str(sent) and "count" not in sent


def test_a_single_submission_still_tells_the_officers_of_each_entry(session, reviews):
    ids = drafts(reviews, "internal", "internal", "public")
    for entry_id in ids:
        reviews.submit(OWNER, entry_id, "dataset")
    written = notes(session)
    assert [(n.kind, n.entry_id, n.digest) for n in written] == [("review.requested", i, None) for i in ids]
    assert all(n.review_id is not None for n in written)
    assert session.scalars(select(Review.digest)).all() == [None, None, None]


def test_the_queue_filtered_by_the_digest_shows_just_its_reviews(session, reviews):
    alone = drafts(reviews, "internal")[0]
    reviews.submit(OWNER, alone, "dataset")
    ids = drafts(reviews, "internal", "internal", "public")
    digest = Digest()
    opened = submitted(reviews.submit_many(OWNER, ids, "dataset", digest))
    everyone = reviews.list_reviews(officer(), state="pending")
    assert everyone.total == 4
    theirs = reviews.list_reviews(officer(), digest=digest.id)
    assert sorted(v.review.id for v in theirs.items) == sorted(r.id for r in opened)
    # With the digest's level, as its notification links to them: its count.
    by_level = reviews.list_reviews(officer(), digest=digest.id, level="internal")
    assert by_level.total == 2


def test_a_digest_per_level_seen_only_with_clearance_for_it(session, reviews):
    ids = drafts(reviews, "internal", "internal", "internal", "public", "public")
    submitted(reviews.submit_many(OWNER, ids, "dataset"))
    assert sorted((n.level, n.count) for n in notes(session)) == [("internal", 3), ("public", 2)]
    assert sorted(listed(session, officer())) == [
        ("reviews.requested", "internal", 3),
        ("reviews.requested", "public", 2),
    ]
    # An officer cleared for public only would not have seen the internal entries'
    # notifications: nor the digest that counts them (nor its count, in the total).
    public_officer = officer(level="public")
    assert listed(session, public_officer) == [("reviews.requested", "public", 2)]
    assert NotificationService(session).list_for(public_officer).total == 1
    # As the queue agrees: the digest's reviews this officer may see.
    [digest] = {n.digest for n in notes(session)}
    assert reviews.list_reviews(public_officer, digest=digest).total == 2


@pytest.mark.usefixtures("lantmateriet")
def test_a_group_of_two_agencies_gives_each_agency_its_own_digest(session, reviews):
    ours = drafts(reviews, "internal", "internal")
    theirs = drafts(reviews, "internal", agency=LANTMATERIET)
    submitted(reviews.submit_many(system_identity(DEFAULT_SCHEME), [*ours, *theirs], "dataset"))
    assert sorted((n.agency, n.count) for n in notes(session)) == [(LANTMATERIET, 1), (AGENCY, 2)]
    assert listed(session, officer()) == [("reviews.requested", "internal", 2)]
    assert listed(session, officer(LANTMATERIET)) == [("reviews.requested", "internal", 1)]


def test_a_digest_continued_by_later_groups_counts_them_all(sessions, nudges):  # noqa: F811
    with sessions() as session:
        reviews = ReviewService(entry_service(session, DEFAULT_SCHEME))
        digest = Digest(source=SOURCE)
        submitted(reviews.submit_many(OWNER, drafts(reviews, "internal", "internal"), "dataset", digest))
        assert nudges == [1]
        # The next batch of the same run: the same notification counts it too, and the
        # delivery is not nudged again (the officers were told of the run already) ...
        submitted(reviews.submit_many(OWNER, drafts(reviews, "internal"), "dataset", digest))
        assert nudges == [1]
        assert [(n.level, n.count) for n in notes(session)] == [("internal", 3)]
        # ... unless it brings a level the run had not: a new notification, for other readers.
        submitted(reviews.submit_many(OWNER, drafts(reviews, "public"), "dataset", digest))
        assert nudges == [1, 2]
        assert [(n.level, n.count) for n in notes(session)] == [("internal", 3), ("public", 1)]
        # A group that opens nothing writes nothing.
        assert reviews.submit_many(OWNER, [], "dataset", digest) == []
        assert len(notes(session)) == 2


def test_periodic_reviews_falling_due_together_are_announced_by_one_digest_per_level(session, reviews):
    """The daily schedule opens each due entry's periodic review, and tells the officers
    once per agency and level, as a harvest does; each review stays its own row."""
    ids = drafts(reviews, "internal", "internal", "internal", "public")
    assert len(ids) == 4
    today = date(2027, 1, 4)
    session.execute(update(Entry).where(Entry.id.in_(ids)).values(status=policy.PUBLISHED, review_due=today))
    session.commit()
    assert notes(session) == []
    assert reviews.schedule_due(system_identity(DEFAULT_SCHEME), today=today) == 4
    written = notes(session)
    assert sorted((n.kind, n.level, n.count) for n in written) == [
        ("reviews.requested", "internal", 3),
        ("reviews.requested", "public", 1),
    ]
    assert all("due for their periodic review" in n.message for n in written)
    rows = session.scalars(select(Review).where(Review.entry_id.in_(ids))).all()
    assert sorted(r.kind for r in rows) == ["periodic"] * 4
    assert len({r.digest for r in rows}) == 1 and rows[0].digest == written[0].digest
    # Each review is its own audit event, naming its entry.
    events = session.execute(
        select(AuditEvent.entry_id, AuditEvent.details).where(AuditEvent.action == "review.schedule")
    ).all()
    expected = sorted((r.entry_id, r.id) for r in rows)
    assert sorted((e.entry_id, e.details["review"]) for e in events) == expected
    # Seen per clearance, as each entry's own notification would have been.
    assert listed(session, officer(level="public")) == [("reviews.requested", "public", 1)]
    assert sorted(listed(session, officer(level="internal"))) == [
        ("reviews.requested", "internal", 3),
        ("reviews.requested", "public", 1),
    ]
