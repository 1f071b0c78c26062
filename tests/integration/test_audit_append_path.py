"""The audit writer's cheaper append (issue 20, round 7): events inserted straight on the
driver (``PreparedInsert``) are stored exactly as SQLAlchemy's own insert stores them, on
SQLite and PostgreSQL; and the child's anchor, moved on a thread of its own, ends on the
newest head asked for and never moves back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, Table, insert, select, text
from sqlalchemy.exc import DatabaseError

from catalogue.db import PreparedInsert, make_engine, make_session_factory
from catalogue.machinery.audit.chain import (
    AuditedRef,
    HeadAnchor,
    Record,
    event_hash,
    verify_chain,
    write_records,
)
from catalogue.machinery.audit.writer import _Anchoring
from catalogue.models import AuditEvent
from tests.integration.test_audit_chain_keys import READER as CHAIN_READER

pytestmark = pytest.mark.both_databases

#: The chain keys test's reader, from an IPv6 address (the column stores either).
READER = replace(CHAIN_READER, address="2001:db8::7")
ENTRY = AuditedRef("5d0c3f9e-55a1-4c3e-9c87-0f6a3b3e1a11", "202100-5448", "sensitive")


def _rows() -> list[dict[str, object]]:
    """Rows with every kind of value the audit columns take: nulls, nested and
    non-ASCII details, a timestamp with microseconds."""
    at = datetime(2026, 12, 5, 6, 7, 8, 123456, tzinfo=UTC)
    base = {
        "at": at, "action": "entry.read", "decision": "allow", "actor": READER.subject,
        "actor_agency": READER.agency, "client_id": READER.client_id, "address": READER.address,
        "entry_id": ENTRY.id, "entry_agency": ENTRY.publisher, "entry_level": ENTRY.classification,
        "prev_hash": "0" * 64, "hash": "1" * 64,
    }  # fmt: skip
    return [
        {**base, "seq": 1, "details": {"view": "full"}},
        {**base, "seq": 2, "details": {"query": "skatt å ä ö", "ids": [ENTRY.id], "n": 3, "ok": True}},
        {**base, "seq": 3, "details": {}, "entry_id": None, "entry_agency": None, "entry_level": None,
         "actor_agency": None, "client_id": None, "address": None},
    ]  # fmt: skip


def test_rows_inserted_on_the_driver_are_stored_as_sqlalchemy_stores_them(database_url):
    engine = make_engine(database_url)
    try:
        metadata = MetaData()
        copies = [
            Table(
                name,
                metadata,
                *[Column(c.name, c.type, primary_key=c.primary_key) for c in AuditEvent.__table__.columns],
            )
            for name in ("audit_copy_orm", "audit_copy_driver")
        ]
        metadata.create_all(engine)
        with make_session_factory(engine)() as session:
            session.execute(insert(copies[0]), _rows())
            PreparedInsert(copies[1]).many(session, _rows())
            PreparedInsert(copies[1]).many(session, [])  # nothing to insert: no statement
            session.commit()
        with engine.connect() as conn:
            # As stored: the driver's own text of every column, past SQLAlchemy's types.
            stored = [
                conn.exec_driver_sql(f"SELECT * FROM {copy.name} ORDER BY seq").fetchall() for copy in copies
            ]
            read = [conn.execute(select(copy).order_by(copy.c.seq)).mappings().all() for copy in copies]
        assert stored[1] == stored[0]
        assert [dict(r) for r in read[1]] == [dict(r) for r in read[0]] == _rows()
    finally:
        engine.dispose()


def test_a_group_written_the_cheaper_way_verifies_and_rehashes(database_url):
    engine = make_engine(database_url)
    try:
        sessions = make_session_factory(engine)
        items = [(ENTRY, {"view": "full"}), (ENTRY, {"view": "summary"}), (None, {"answered": 404})]
        newest = write_records(
            sessions, [Record(READER, "entry.read", items), Record(READER, "audit.read", [])]
        )
        write_records(sessions, [Record(READER, "entry.read", items[:1], "deny")])
        with sessions() as session:
            events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
            assert [e.seq for e in events] == [1, 2, 3, 4]
            assert newest is not None and newest["hash"] == events[2].hash
            assert all(event_hash(e) == e.hash for e in events)
            shown = [{"view": "full"}, {"view": "summary"}, {"answered": 404}, {"view": "full"}]
            assert [e.details for e in events] == shown
            verdict = verify_chain(session)
        assert verdict.ok and verdict.checked == 4, verdict.reason
        with engine.connect() as conn, pytest.raises(DatabaseError, match="append-only"):  # still append-only
            conn.execute(text("DELETE FROM audit_events"))
    finally:
        engine.dispose()


def test_the_childs_anchor_ends_on_the_newest_head_and_never_moves_back(tmp_path: Path):
    anchor = HeadAnchor.in_folder(tmp_path)
    anchoring = _Anchoring(anchor)
    for seq in (3, 7, 5, 9, 8):
        anchoring.advance(seq, f"hash-{seq}")
    anchoring.close()  # writes what was asked last before it stops
    assert anchor.read() == (9, "hash-9")
    again = _Anchoring(HeadAnchor.in_folder(tmp_path))  # a new child: reads the file once
    again.advance(4, "hash-4")
    again.close()
    assert HeadAnchor.in_folder(tmp_path).read() == (9, "hash-9")


def test_an_anchor_that_cannot_be_written_stops_the_child_at_its_next_group(tmp_path: Path):
    """As when the anchor was moved in line: the failure is raised (the child stops and its
    next groups are refused until a new child writes them), never swallowed."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    anchoring = _Anchoring(HeadAnchor(blocker / "audit-head.json"))
    anchoring.advance(1, "hash-1")
    anchoring.close()  # the move was tried, and failed
    assert isinstance(anchoring.failed, OSError)
    with pytest.raises(OSError):
        anchoring.advance(2, "hash-2")
