"""Reads are audited by group commit: one transaction for the events of many
readers, each reader answered only once its event is durable, one unbroken chain,
and no read answered when its event cannot be written."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from catalogue.machinery.audit.chain import ADVISORY_LOCK_KEY, AuditUnavailable, ReadLog, verify_chain
from catalogue.models import AuditEvent
from catalogue.visibility import EntryHead
from security.identity import build_identity
from tests.conftest import SKATTEVERKET
from tests.factories import create_entry, publish

pytestmark = pytest.mark.both_databases  # group commit of the audit chain under concurrent readers

HEAD = EntryHead(
    "5d0c3f9e-55a1-4c3e-9c87-0f6a3b3e1a11", "dataset", 3, "published", "sensitive", "internal", SKATTEVERKET
)


def _reader(ext, n: int):
    return build_identity(
        ext.scheme,
        kind="client",
        subject=f"reader-{n}",
        agency=SKATTEVERKET,
        scopes=["catalogue:read:sensitive"],
    )


def _hold_the_chain(ext):
    """Another writer holds the chain's lock (SQLite: the write lock; PostgreSQL: the advisory lock)."""
    conn = ext.engine.connect()
    if ext.engine.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
        return conn, lambda: (
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY}),
            conn.close(),
        )
    conn = ext.engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    conn.begin()
    return conn, lambda: (conn.rollback(), conn.close())


def _events(ext) -> int:
    with ext.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_readers_arriving_during_a_commit_are_written_together(app):
    ext = app.extensions["tillit"]
    log = ReadLog(ext.sessions, ext.anchor)
    before = _events(ext)
    _conn, release = _hold_the_chain(ext)
    answered: list[int] = []
    threads = [
        threading.Thread(
            target=lambda n=n: (
                log.append(_reader(ext, n), "entry.read", [(HEAD, {"view": "full"})]),
                answered.append(n),
            )
        )
        for n in range(10)
    ]
    threads[0].start()  # the first leads, and waits for the chain's lock
    deadline = time.monotonic() + 10
    while not log._leading and time.monotonic() < deadline:
        time.sleep(0.01)
    for t in threads[1:]:
        t.start()
    while len(log._pending) < 9 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert answered == []  # nobody is answered before their event is durable
    release()
    for t in threads:
        t.join(10)
    assert sorted(answered) == list(range(10))
    # The first group held the leader's event alone; the nine who queued meanwhile went in one more.
    assert (log.groups, log.events) == (2, 10)
    assert _events(ext) == before + 10
    with ext.sessions() as session:
        assert verify_chain(session, ext.anchor).ok
        actors = session.scalars(select(AuditEvent.actor).where(AuditEvent.entry_id == HEAD.id)).all()
    assert sorted(actors) == sorted(f"reader-{n}" for n in range(10))


def test_many_concurrent_readers_keep_one_chain(app):
    ext = app.extensions["tillit"]
    log = ReadLog(ext.sessions, ext.anchor)
    before = _events(ext)

    def read(n: int) -> None:
        for _ in range(15):
            log.append(_reader(ext, n), "entry.read", [(HEAD, {"view": "full"}), (HEAD, {"view": "summary"})])

    threads = [threading.Thread(target=read, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert log.events == 8 * 15 * 2 and log.groups <= 8 * 15
    assert _events(ext) == before + 240
    with ext.sessions() as session:
        assert verify_chain(session, ext.anchor).ok


def test_an_event_that_cannot_be_written_refuses_the_read_and_the_next_one_goes_through(app):
    ext = app.extensions["tillit"]
    failures = iter([True])

    def sessions():
        if next(failures, False):
            raise ConnectionError("database unreachable")
        return ext.sessions()

    log = ReadLog(sessions, ext.anchor)
    with pytest.raises(AuditUnavailable):
        log.append(_reader(ext, 1), "entry.read", [(HEAD, None)])
    log.append(_reader(ext, 2), "entry.read", [(HEAD, None)])  # leadership was handed back
    assert log.events == 1


def test_over_http_a_read_whose_event_cannot_be_written_is_not_answered(app, client, token_for):
    owner = token_for("sensitive", extra=("catalogue:write",))
    entry = create_entry(client, owner, classification="sensitive")
    publish(app, entry["id"])
    reader = token_for("sensitive", agency="974761076")
    assert client.get(f"/api/v1/datasets/{entry['id']}", headers=reader).status_code == 200

    def unreachable():
        raise ConnectionError("database unreachable")

    app.extensions["tillit"].read_log.sessions = unreachable
    refused = client.get(f"/api/v1/datasets/{entry['id']}", headers=reader)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert refused.mimetype == "application/problem+json"
    assert "title" in refused.json and "Inkomst" not in refused.get_data(as_text=True)
    # Public entries need no event: they are still answered.
    public = create_entry(client, owner, classification="public")
    publish(app, public["id"])
    assert client.get(f"/api/v1/datasets/{public['id']}", headers=reader).status_code == 200
