"""TILLIT_AUDIT_WRITER=process (what `tillit serve` runs): the audit events of reads
are written by a child process, still durable before the read is answered, still
one chain, and reads are refused (503) while the child is gone."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from catalogue.machinery.audit.chain import verify_chain
from catalogue.models import AuditEvent
from tests.factories import create_entry, publish

pytestmark = pytest.mark.both_databases  # the audit chain written by a child process: transactions and locks

READER = "974761076"  # Skatteetaten, another agency


@pytest.fixture
def app_settings(app_settings):
    return {**app_settings, "AUDIT_WRITER": "process"}


def _reads_of(app, entry_id: str) -> list[tuple[str, str | None]]:
    with app.extensions["tillit"].sessions() as session:
        rows = session.execute(
            select(AuditEvent.actor_agency, AuditEvent.address)
            .where(
                AuditEvent.entry_id == entry_id,
                AuditEvent.action == "entry.read",
                AuditEvent.actor_agency == READER,
            )
            .order_by(AuditEvent.seq)
        ).all()
    return [tuple(r) for r in rows]


def _read_once(app, client, token_for) -> tuple[str, str, dict[str, str], Any]:
    """A sensitive entry read once by another agency's client (so the child runs):
    (entry id, its path, the reader's headers, the writer)."""
    entry_id = _sensitive_entry(app, client, token_for)
    reader = token_for("sensitive", agency=READER)
    path = f"/api/v1/datasets/{entry_id}"
    assert client.get(path, headers=reader).status_code == 200
    return entry_id, path, reader, app.extensions["tillit"].read_log.writer


def _sensitive_entry(app, client, token_for) -> str:
    owner = token_for("sensitive", extra=("catalogue:write",))
    created = create_entry(client, owner, classification="sensitive", listing_level="internal")
    publish(app, created["id"])
    return str(created["id"])


def test_reads_are_written_by_the_child_before_they_are_answered(app, client, token_for):
    entry_id = _sensitive_entry(app, client, token_for)
    reader = token_for("sensitive", agency=READER)
    writer = app.extensions["tillit"].read_log.writer
    for n in range(1, 4):
        response = client.get(f"/api/v1/datasets/{entry_id}", headers=reader)
        assert response.status_code == 200
        # Answered, so already durable: the event is there, from the child.
        assert _reads_of(app, entry_id) == [(READER, "127.0.0.1")] * n
        assert writer.pid is not None and writer.pid != os.getpid()
    listed = client.get("/api/v1/datasets?per_page=100", headers=reader)
    assert entry_id in [item["id"] for item in listed.json["items"]]
    assert len(_reads_of(app, entry_id)) == 4  # the page's read too
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        verdict = verify_chain(session, ext.anchor)
    assert verdict.ok, verdict.reason


def test_a_read_after_the_child_died_is_never_answered_unrecorded(app, client, token_for):
    """A killed child: the next read is either refused (its group was sent to the dead
    child: 503, nothing of the entry) or, when the death is seen before sending, written
    by a new child and answered. Which one depends on when the kernel finishes the kill,
    so both are allowed; never is a read answered without its event. (A child that stops
    answering is refused for sure: test_a_child_that_stops_answering_is_replaced_and_its_reads_refused.)"""
    entry_id, path, reader, writer = _read_once(app, client, token_for)
    first = writer.pid
    os.kill(first, signal.SIGKILL)
    after = client.get(path, headers=reader)
    if after.status_code == 503:
        assert after.mimetype == "application/problem+json"
        assert "audit log cannot record reads" in after.json["detail"]
        assert "sensitive" not in after.get_data(as_text=True)  # nothing of the entry shown
        assert len(_reads_of(app, entry_id)) == 1
        after = client.get(path, headers=reader)  # the next read starts a new child
    assert after.status_code == 200
    assert writer.pid not in (None, first)
    assert len(_reads_of(app, entry_id)) == 2


def test_concurrent_readers_are_all_written_in_one_chain(app):
    """Many request threads at once: their groups go to the child one after another,
    every event lands once, in one chain."""
    from catalogue.visibility import EntryHead
    from security.identity import build_identity

    ext = app.extensions["tillit"]
    head = EntryHead(
        "5d0c3f9e-55a1-4c3e-9c87-0f6a3b3e1a11", "dataset", 3, "published", "sensitive", "internal", READER
    )
    with ext.sessions() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent))
    errors: list[BaseException] = []

    def read(n: int) -> None:
        reader = build_identity(
            ext.scheme,
            kind="client",
            subject=f"reader-{n}",
            agency=READER,
            scopes=["catalogue:read:sensitive"],
        )
        try:
            for _ in range(5):
                ext.read_log.append(reader, "entry.read", [(head, {"view": "full"})] * 3)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with ext.sessions() as session:
        after = session.scalar(select(func.count()).select_from(AuditEvent))
        verdict = verify_chain(session, ext.anchor)
    assert after - before == 12 * 5 * 3
    assert verdict.ok, verdict.reason
    assert ext.read_log.events >= 12 * 5 * 3 and ext.read_log.groups <= 12 * 5


def test_a_child_that_stops_answering_is_replaced_and_its_reads_refused(app, client, token_for, monkeypatch):
    from catalogue.machinery.audit import writer as audit_writer

    entry_id, path, reader, writer = _read_once(app, client, token_for)  # (the child started)
    monkeypatch.setattr(audit_writer, "ANSWER_TIMEOUT", 0.5)
    monkeypatch.setattr(audit_writer, "STOP_TIMEOUT", 0.5)
    hung = writer.pid
    os.kill(hung, signal.SIGSTOP)  # alive, but never answers
    try:
        assert client.get(path, headers=reader).status_code == 503
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(hung, signal.SIGCONT)
    # The new child's first answer includes its start (imports): the usual time allowed.
    monkeypatch.setattr(audit_writer, "ANSWER_TIMEOUT", 60.0)
    assert client.get(path, headers=reader).status_code == 200
    assert writer.pid not in (None, hung)
    assert len(_reads_of(app, entry_id)) == 2
