"""AuditService, the reading side of the audit log, on SQLite, called with identities:
the audit scope to read at all, events about an entry only within the reader's
clearance, ids of hidden entries redacted from details, who read an entry only for its
publisher (a hidden entry is not found), and every read of the log logged."""

from __future__ import annotations

import uuid

import pytest

from catalogue.compose import audit_service
from catalogue.errors import NotFound, PermissionDenied
from catalogue.services.audit import AuditService, as_json_lines
from catalogue.services.reviews import ReviewService
from tests.unit.catalogue.callers import LANTMATERIET, OTHER_OFFICER, person
from tests.unit.catalogue.conftest import AGENCY
from tests.unit.catalogue.test_reviews import OFFICER, OWNER, draft

pytestmark = pytest.mark.usefixtures("lantmateriet")


AUDITOR = person("auditor-1", AGENCY, "catalogue:read:internal", "catalogue:audit")
#: An auditor cleared only for public entries.
LOW_AUDITOR = person("auditor-2", AGENCY, "catalogue:read:public", "catalogue:audit")
#: A data owner of another agency who may read published internal entries.
FOREIGN_READER = person("user-9", LANTMATERIET, "catalogue:read:internal", "catalogue:write")


@pytest.fixture
def audit(session) -> AuditService:
    return audit_service(session)


def published(reviews: ReviewService) -> str:
    """An internal dataset, published (submitted by its owner, approved by an officer)."""
    entry_id = draft(reviews)
    review_id = reviews.submit(OWNER, entry_id).pending_review
    assert review_id
    reviews.decide(OFFICER, review_id, decision="approve", rationale="Checked.")
    return entry_id


def actions(audit: AuditService, identity, **filters) -> list[str]:
    return [shown.event.action for shown in audit.list_events(identity, **filters).items]


def test_reading_the_log_needs_the_audit_scope(audit):
    for read in (audit.list_events, audit.verify, lambda who: list(audit.export(who))):
        with pytest.raises(PermissionDenied):
            read(OWNER)


def test_events_about_an_entry_are_shown_within_the_readers_clearance(reviews, audit):
    entry_id = draft(reviews)  # internal

    assert actions(audit, AUDITOR, entry=entry_id) == ["entry.create"]
    assert actions(audit, LOW_AUDITOR, entry=entry_id) == []
    # Not counted either: the total is of what the reader may see.
    assert audit.list_events(LOW_AUDITOR, action="entry.create").total == 0
    assert audit.list_events(AUDITOR, action="entry.create").total == 1


def test_filters_narrow_and_each_read_of_the_log_is_logged(reviews, audit):
    entry_id = published(reviews)
    assert actions(audit, AUDITOR, entry=entry_id) == [
        "review.approve",
        "review.submit",
        "entry.create",
    ]  # newest first
    assert actions(audit, AUDITOR, action="review.approve") == ["review.approve"]
    assert actions(audit, AUDITOR, actor=OFFICER.subject, entry=entry_id) == ["review.approve"]

    reads = audit.list_events(AUDITOR, action="audit.read").items
    # The three reads above, newest first; this one is logged after it answers.
    assert [shown.event.details for shown in reads] == [
        {"actor": OFFICER.subject, "entry": entry_id},
        {"action": "review.approve"},
        {"entry": entry_id},
    ]
    assert all(shown.event.actor == AUDITOR.subject for shown in reads)


def test_an_id_of_an_entry_the_reader_may_not_list_is_redacted_from_details(reviews, audit):
    entry_id = draft(reviews)
    audit.list_events(AUDITOR, entry=entry_id)  # logs an audit.read naming the entry

    [for_auditor] = audit.list_events(AUDITOR, action="audit.read").items
    assert for_auditor.details == {"entry": entry_id} and not for_auditor.redacted
    shown_to_low = audit.list_events(LOW_AUDITOR, action="audit.read", actor=AUDITOR.subject).items
    [for_low] = [shown for shown in shown_to_low if "entry" in shown.event.details]
    assert for_low.details == {"entry": None} and for_low.redacted
    assert entry_id not in "".join(as_json_lines([for_low]))
    assert for_low.event.details == {"entry": entry_id}  # the stored event, which the hash covers, is whole


def test_who_read_an_entry_is_for_its_publisher_and_hidden_entries_are_not_found(reviews, audit):
    entry_id = published(reviews)
    reviews.entries.get(FOREIGN_READER, entry_id)  # an internal entry's read is an event

    readers = audit.readers(OWNER, entry_id)
    assert [(e.action, e.actor, e.actor_agency) for e in readers.items] == [
        ("entry.read", FOREIGN_READER.subject, LANTMATERIET)
    ]
    assert audit.readers(AUDITOR, entry_id).total == 1
    with pytest.raises(PermissionDenied):  # it may list the entry, but the readers are the publisher's
        audit.readers(FOREIGN_READER, entry_id)
    with pytest.raises(NotFound) as hidden:
        audit.readers(LOW_AUDITOR, entry_id)
    with pytest.raises(NotFound) as missing:
        audit.readers(LOW_AUDITOR, str(uuid.uuid4()))
    assert hidden.value.detail == missing.value.detail


def test_the_chain_verifies_and_an_export_is_oldest_first(reviews, audit):
    entry_id = published(reviews)
    verification = audit.verify(AUDITOR)
    assert verification.ok and verification.checked >= 3

    exported = [shown.event.action for shown in audit.export(AUDITOR, entry=entry_id)]
    assert exported == ["entry.create", "review.submit", "review.approve"]
    assert "audit.export" in actions(audit, AUDITOR, actor=AUDITOR.subject)


def test_events_from_before_an_entry_was_lowered_keep_the_level_they_had(reviews, audit):
    entry_id = published(reviews)
    request = reviews.request_reclassification(OFFICER, entry_id, "No longer confidential.")
    reviews.decide(
        OTHER_OFFICER, request.id, decision="approve", rationale="Lowered.", classification="public"
    )
    assert reviews.entries.get(LOW_AUDITOR, entry_id).entry.classification == "public"

    # The reader may read the entry now, but was not cleared for what happened before.
    assert actions(audit, LOW_AUDITOR, entry=entry_id) == ["review.approve"]
    assert len(actions(audit, AUDITOR, entry=entry_id)) == 5
