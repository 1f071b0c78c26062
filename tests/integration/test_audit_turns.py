"""On SQLite the audit writer processes of one instance (one per web worker) take turns
through a file lock in the instance folder before each group (``writer.Turns``), rather
than through SQLite's busy retries: a writer waits while another holds the turn, is
answered once it is let go, and two workers' writers keep one chain."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from sqlalchemy import func, select

from catalogue.machinery.audit.chain import ReadLog, Record, portable, verify_chain
from catalogue.machinery.audit.writer import TURNS_FILE, ProcessGroupWriter, Turns
from catalogue.models import AuditEvent
from catalogue.visibility import EntryHead
from security.identity import build_identity

READER = "974761076"  # Skatteetaten
HEAD = EntryHead(
    "5d0c3f9e-55a1-4c3e-9c87-0f6a3b3e1a11", "dataset", 3, "published", "sensitive", "internal", READER
)


def _reader(ext, n: int):
    return build_identity(
        ext.scheme, kind="client", subject=f"reader-{n}", agency=READER, scopes=["catalogue:read:sensitive"]
    )


def _count(ext, subject: str | None = None) -> int:
    query = select(func.count()).select_from(AuditEvent)
    if subject is not None:
        query = query.where(AuditEvent.actor == subject)
    with ext.sessions() as session:
        return int(session.scalar(query) or 0)


def test_a_writer_waits_for_its_turn_and_writes_once_it_is_let_go(app, app_settings):
    ext = app.extensions["tillit"]
    writer = ProcessGroupWriter(app_settings["DATABASE_URL"], app_settings["INSTANCE_PATH"])  # a worker's
    try:
        writer.write([])  # started (its first answer includes the imports)
        fd = os.open(Path(app_settings["INSTANCE_PATH"]) / TURNS_FILE, os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)  # another writer's turn
        try:
            writer.send([portable(Record(_reader(ext, 1), "entry.read", [(HEAD, {"view": "full"})]))])
            answered = threading.Event()
            waiting = threading.Thread(target=lambda: (writer.receive(), answered.set()))
            waiting.start()
            assert not answered.wait(0.5)  # not written, so not answered, while the turn is held
            assert _count(ext, "reader-1") == 0
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        waiting.join(30)
        assert answered.is_set()
        assert _count(ext, "reader-1") == 1
    finally:
        writer.close()


def test_the_writers_of_two_workers_keep_one_chain(app, app_settings):
    ext = app.extensions["tillit"]
    url, instance = app_settings["DATABASE_URL"], app_settings["INSTANCE_PATH"]
    writers = [ProcessGroupWriter(url, instance) for _ in range(2)]
    logs = [ReadLog(ext.sessions, ext.anchor, w) for w in writers]
    before = _count(ext)
    errors: list[BaseException] = []

    def read(log: ReadLog, n: int) -> None:
        try:
            for _ in range(10):
                log.append(_reader(ext, n), "entry.read", [(HEAD, {"view": "full"})] * 2)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(logs[n % 2], n)) for n in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for writer in writers:
            writer.close()
    assert errors == []
    assert _count(ext) - before == 8 * 10 * 2
    assert all(log.groups > 0 for log in logs)  # both workers' writers wrote
    with ext.sessions() as session:
        verdict = verify_chain(session, ext.anchor)
    assert verdict.ok, verdict.reason


def test_there_are_no_turns_to_take_on_postgresql(tmp_path):
    turns = Turns("postgresql://tillit@127.0.0.1/tillit", tmp_path)
    with turns.taken():
        pass
    turns.close()
    assert not (tmp_path / TURNS_FILE).exists()
    sqlite = Turns(f"sqlite:///{tmp_path / 'tillit.db'}", tmp_path)
    sqlite.close()
    assert (tmp_path / TURNS_FILE).exists()
