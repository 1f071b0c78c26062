"""The read log hands the next group to the audit writer process the moment the last
one is answered (``ReadLog._lead``): sent by the leader that got the answer, before its
own readers are woken; still nobody answered before their events are durable, one
chain in the order sent, and a group that could not be sent is sent again, not lost."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Sequence

import pytest
from sqlalchemy import select

from catalogue.machinery.audit.chain import AuditUnavailable, ReadLog, Record, verify_chain
from catalogue.machinery.audit.writer import AuditWriterFailed, ProcessGroupWriter
from catalogue.models import AuditEvent
from catalogue.visibility import EntryHead
from security.identity import build_identity
from tests.integration.test_read_log import _hold_the_chain

pytestmark = pytest.mark.both_databases  # the chain's lock held while the next group queues

READER = "974761076"  # Skatteetaten
HEAD = EntryHead(
    "5d0c3f9e-55a1-4c3e-9c87-0f6a3b3e1a11", "dataset", 3, "published", "sensitive", "internal", READER
)


@pytest.fixture
def app_settings(app_settings):
    return {**app_settings, "AUDIT_WRITER": "process"}


class Sends:
    """The app's real writer, noting who sent each group and who had been answered then;
    ``refuse`` (the sends to refuse, counted from 1) makes those sends fail as a gone child's do."""

    def __init__(self, writer: ProcessGroupWriter, answered: list[int], refuse: Sequence[int] = ()) -> None:
        self.writer = writer
        self.answered = answered
        self.refuse = set(refuse)
        self.sent: list[tuple[str, list[str], list[int]]] = []

    def send(self, records: Sequence[Record]) -> None:
        actors = [r.identity.subject for r in records]
        self.sent.append((threading.current_thread().name, actors, list(self.answered)))
        if len(self.sent) in self.refuse:
            raise AuditWriterFailed("The audit writer process stopped.")
        self.writer.send(records)

    def receive(self) -> None:
        self.writer.receive()

    def close(self) -> None:
        self.writer.close()


def _reader(ext, n: int):
    return build_identity(
        ext.scheme, kind="client", subject=f"reader-{n}", agency=READER, scopes=["catalogue:read:sensitive"]
    )


def _actors(ext) -> list[str]:
    with ext.sessions() as session:
        return list(session.scalars(select(AuditEvent.actor).order_by(AuditEvent.seq)))


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def _run(ext, log: ReadLog, sends: Sends, answered: list[int], readers: int) -> None:
    """Reader 0 leads a group that waits on the chain's lock, the others queue behind it;
    then the lock is let go, and every reader's thread joined."""

    def read(n: int) -> None:
        log.append(_reader(ext, n), "entry.read", [(HEAD, {"view": "full"})])
        answered.append(n)

    threads = [threading.Thread(target=read, args=(n,), name=f"reader-{n}") for n in range(readers)]
    _conn, release = _hold_the_chain(ext)  # the child waits for the chain's lock
    try:
        threads[0].start()
        _until(lambda: len(sends.sent) == 1, "the first group is sent")
        for thread in threads[1:]:
            thread.start()
        _until(lambda: len(log._pending) == readers - 1, "the others queue for the next group")
        assert answered == []  # nobody before their events are durable
    finally:
        release()
    for thread in threads:
        thread.join(30)


def test_the_next_group_is_sent_by_the_leader_before_its_own_readers_are_answered(app):
    ext = app.extensions["tillit"]
    ext.read_log.writer.write([])  # the child started (its first answer includes the imports)
    answered: list[int] = []
    sends = Sends(ext.read_log.writer, answered)
    log = ReadLog(ext.sessions, ext.anchor, sends)
    before = len(_actors(ext))
    _run(ext, log, sends, answered, readers=5)
    assert sorted(answered) == list(range(5))
    # The first group held reader 0 alone; the four who queued meanwhile went in one more,
    # sent by reader 0's thread as soon as its answer came, before reader 0 was answered.
    assert [(who, actors) for who, actors, _ in sends.sent] == [
        ("reader-0", ["reader-0"]),
        ("reader-0", [f"reader-{n}" for n in range(1, 5)]),
    ]
    assert sends.sent[1][2] == []
    assert (log.groups, log.events) == (2, 5)
    assert _actors(ext)[before:] == [f"reader-{n}" for n in range(5)]
    with ext.sessions() as session:
        verdict = verify_chain(session, ext.anchor)
    assert verdict.ok, verdict.reason


def test_a_next_group_that_could_not_be_sent_is_sent_again_by_its_own_reader(app):
    ext = app.extensions["tillit"]
    ext.read_log.writer.write([])
    answered: list[int] = []
    sends = Sends(ext.read_log.writer, answered, refuse=[2])  # the hand-off's send fails
    log = ReadLog(ext.sessions, ext.anchor, sends)
    before = len(_actors(ext))
    _run(ext, log, sends, answered, readers=4)
    assert sorted(answered) == list(range(4))  # nobody refused: the group was never sent
    assert [(who, actors) for who, actors, _ in sends.sent] == [
        ("reader-0", ["reader-0"]),
        ("reader-0", ["reader-1", "reader-2", "reader-3"]),  # refused
        ("reader-1", ["reader-1", "reader-2", "reader-3"]),  # sent again by the next leader
    ]
    assert sorted(_actors(ext)[before:]) == [f"reader-{n}" for n in range(4)]  # each once
    with ext.sessions() as session:
        verdict = verify_chain(session, ext.anchor)
    assert verdict.ok, verdict.reason


def test_when_the_child_goes_with_a_group_the_queued_group_is_sent_to_a_new_one(app):
    """The child is killed while it writes the first group: that group's read is refused
    (never answered unrecorded); the group queued behind it is not handed to the dead
    child but sent by its own reader to a new one, and answered."""
    ext = app.extensions["tillit"]
    writer = ext.read_log.writer
    writer.write([])
    child = writer.pid
    answered: list[int] = []
    refused: list[int] = []
    sends = Sends(writer, answered)
    log = ReadLog(ext.sessions, ext.anchor, sends)
    before = len(_actors(ext))

    def read(n: int) -> None:
        try:
            log.append(_reader(ext, n), "entry.read", [(HEAD, {"view": "full"})])
            answered.append(n)
        except AuditUnavailable:
            refused.append(n)

    threads = [threading.Thread(target=read, args=(n,), name=f"reader-{n}") for n in range(3)]
    _conn, release = _hold_the_chain(ext)
    try:
        threads[0].start()
        _until(lambda: len(sends.sent) == 1, "the first group is sent")
        for thread in threads[1:]:
            thread.start()
        _until(lambda: len(log._pending) == 2, "the others queue")
        os.kill(child, signal.SIGKILL)  # gone with the first group, waiting for the lock
        threads[0].join(30)
        assert refused == [0] and answered == []
    finally:
        release()
    for thread in threads:
        thread.join(30)
    assert sorted(answered) == [1, 2]
    assert [(who, actors) for who, actors, _ in sends.sent] == [
        ("reader-0", ["reader-0"]),
        ("reader-1", ["reader-1", "reader-2"]),
    ]
    assert writer.pid not in (None, child)
    assert sorted(_actors(ext)[before:]) == ["reader-1", "reader-2"]
    with ext.sessions() as session:
        verdict = verify_chain(session, ext.anchor)
    assert verdict.ok, verdict.reason
