"""TILLIT_AUDIT_WRITER=process (what `tillit serve` runs): the audit events of reads
are written by a child process, still durable before the read is answered, still
one chain, and reads are refused (503) while the child is gone."""

from __future__ import annotations

import os
import signal

import pytest
from sqlalchemy import select

from catalogue.audit import verify_chain
from catalogue.models import AuditEvent
from tests.factories import create_entry, publish

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


def test_reads_are_refused_while_the_child_is_gone_and_resume_with_a_new_one(app, client, token_for):
    entry_id = _sensitive_entry(app, client, token_for)
    reader = token_for("sensitive", agency=READER)
    path = f"/api/v1/datasets/{entry_id}"
    assert client.get(path, headers=reader).status_code == 200
    writer = app.extensions["tillit"].read_log.writer
    first = writer.pid
    os.kill(first, signal.SIGKILL)
    refused = client.get(path, headers=reader)
    assert refused.status_code == 503
    assert refused.mimetype == "application/problem+json"
    assert "audit log cannot record reads" in refused.json["detail"]
    assert "sensitive" not in refused.get_data(as_text=True)  # nothing of the entry shown
    assert len(_reads_of(app, entry_id)) == 1
    # The next read starts a new child and is answered (and recorded).
    assert client.get(path, headers=reader).status_code == 200
    assert writer.pid not in (None, first)
    assert len(_reads_of(app, entry_id)) == 2
