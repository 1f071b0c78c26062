"""Refusals noted on the request path and written to the audit chain afterwards."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from sqlalchemy import select

from catalogue.db import make_engine, make_session_factory
from catalogue.machinery.audit import refusals as audit_refusals
from catalogue.machinery.audit.chain import AuditedRef, ReadLog, verify_chain
from catalogue.machinery.audit.refusals import RefusalLog
from catalogue.migrate import upgrade
from catalogue.models import AuditEvent
from security.identity import build_identity
from security.levels import DEFAULT_SCHEME

PROBER = build_identity(
    DEFAULT_SCHEME, kind="client", subject="c1", agency="202100-5448", scopes=["catalogue:read:internal"]
)
OTHER = replace(PROBER, subject="c2", address="192.0.2.9")
HIDDEN = AuditedRef("11111111-1111-1111-1111-111111111111", "974761076", "sensitive")


@pytest.fixture
def sessions(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def events(sessions) -> list[AuditEvent]:
    with sessions() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def test_refusals_are_aggregated_per_caller_and_entry(sessions):
    refusals = RefusalLog(ReadLog(sessions).append_records, window=600)
    for _ in range(3):
        refusals.note(PROBER, "entry.read", HIDDEN.id, HIDDEN)
    unknown = [f"{n:08d}-0000-0000-0000-000000000000" for n in range(25)]
    for entry_id in unknown:
        refusals.note(PROBER, "entry.read", entry_id, None)
    refusals.note(OTHER, "entry.read", "x" * 500, None)
    assert events(sessions) == []  # noted, not written

    assert refusals.flush() == 3
    written = {(e.actor, e.entry_id): e for e in events(sessions)}
    assert {e.decision for e in written.values()} == {"deny"}
    hidden = written[("c1", HIDDEN.id)]
    assert (hidden.entry_agency, hidden.entry_level) == ("974761076", "sensitive")
    assert hidden.details["count"] == 3 and hidden.details["answered"] == 404
    assert written[("c1", None)].details["count"] == 25
    assert written[("c1", None)].details["ids"] == unknown[: audit_refusals.SAMPLE]
    assert written[("c2", None)].details["ids"] == ["x" * audit_refusals.ID_LENGTH]
    assert refusals.flush() == 0
    with sessions() as session:
        assert verify_chain(session).ok


def test_the_clock_writes_them_and_its_thread_ends(sessions):
    refusals = RefusalLog(ReadLog(sessions).append_records, window=0.05)
    refusals.note(PROBER, "entry.read", HIDDEN.id, HIDDEN)
    deadline = time.monotonic() + 10
    while (not events(sessions) or refusals._timer is not None) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [e.entry_id for e in events(sessions)] == [HIDDEN.id]
    assert refusals._timer is None


def test_more_entries_than_kept_are_counted_with_the_unknown_ids(sessions, monkeypatch):
    monkeypatch.setattr(audit_refusals, "MAX_KEYS", 2)
    refusals = RefusalLog(ReadLog(sessions).append_records, window=600)
    for n in range(5):
        refusals.note(PROBER, "entry.read", f"id-{n}", AuditedRef(f"id-{n}", "974761076", "sensitive"))
    assert refusals.flush() == 3
    counts = {e.entry_id: e.details["count"] for e in events(sessions)}
    assert counts == {"id-0": 1, "id-1": 1, None: 3}


def test_a_group_that_cannot_be_written_is_tried_again_then_given_up(tmp_path, sessions):
    empty = make_engine(f"sqlite:///{tmp_path / 'no-schema.db'}")  # no audit_events table
    refusals = RefusalLog(ReadLog(make_session_factory(empty)).append_records, window=600)
    refusals.note(PROBER, "entry.read", HIDDEN.id, HIDDEN)
    assert refusals.flush() == 0  # kept for the next try, counted with newer notes
    refusals.note(PROBER, "entry.read", HIDDEN.id, HIDDEN)
    assert refusals.flush() == 0
    refusals.write = ReadLog(sessions).append_records
    assert refusals.flush() == 1
    assert [e.details["count"] for e in events(sessions)] == [2]

    refusals.write = ReadLog(make_session_factory(empty)).append_records
    refusals.note(PROBER, "entry.read", HIDDEN.id, HIDDEN)
    for _ in range(audit_refusals.ATTEMPTS):
        refusals.flush()
    refusals.write = ReadLog(sessions).append_records
    assert refusals.flush() == 0  # given up (and logged), never kept without bound
    empty.dispose()


def test_close_writes_what_is_pending_and_stops_the_clock(sessions):
    refusals = RefusalLog(ReadLog(sessions).append_records, window=600)
    refusals.note(PROBER, "entry.read", HIDDEN.id, HIDDEN)
    started = time.monotonic()
    refusals.close()
    assert time.monotonic() - started < 60  # not a whole window
    assert [e.entry_id for e in events(sessions)] == [HIDDEN.id]
    assert refusals._timer is None
    refusals.note(PROBER, "entry.read", HIDDEN.id, HIDDEN)
    assert refusals._timer is None and events(sessions) != []  # no clock after close
    assert refusals.flush() == 1
