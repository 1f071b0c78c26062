"""Every date-time Tillit answers with is RFC 3339 in UTC, written ``…Z``, and reads the
same after a restart (a new app on the same database) as when it was written: an
entry's ``created``/``modified``, a review's ``submitted_at``/``decided_at``, an audit
event's ``at``, a notification's ``created``, an agency's ``created``/``modified``.

On PostgreSQL the restarted app's connections run in another time zone, so a value
read back in the session's zone must still come out in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from api.app import create_app
from catalogue.machinery.readpath import rendering
from catalogue.machinery.readpath.lru import LRUCache
from catalogue.models import Entry
from catalogue.timestamps import format_timestamp
from tests.conftest import SKATTEVERKET
from tests.factories import create_entry

pytestmark = pytest.mark.both_databases  # what each engine hands back for a timestamptz column

OWNER = ("catalogue:write",)
OFFICER = ("catalogue:review",)
AUDITOR = ("catalogue:audit",)

# RFC 3339 date-time, in the one form Tillit writes: UTC as "Z", microseconds always.
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def _stamps(client: Any, entry_id: str, review_id: str, headers: dict[str, dict[str, str]]) -> dict[str, str]:
    entry = client.get(f"/api/v1/datasets/{entry_id}", headers=headers["owner"])
    assert entry.status_code == 200, entry.json
    review = client.get(f"/api/v1/reviews/{review_id}", headers=headers["officer"])
    assert review.status_code == 200, review.json
    events = client.get(f"/api/v1/audit?entry={entry_id}", headers=headers["auditor"])
    assert events.status_code == 200, events.json
    notes = client.get("/api/v1/notifications", headers=headers["officer"])
    assert notes.status_code == 200, notes.json
    agency = client.get(f"/api/v1/agencies/{SKATTEVERKET}", headers=headers["owner"])
    assert agency.status_code == 200, agency.json
    found = {
        "entry.created": entry.json["created"],
        "entry.modified": entry.json["modified"],
        "review.submitted_at": review.json["submitted_at"],
        "review.decided_at": review.json["decided_at"],
        "agency.created": agency.json["created"],
        "agency.modified": agency.json["modified"],
    }
    found.update({f"audit.{e['seq']}.at": e["at"] for e in events.json["items"]})
    found.update({f"notification.{n['id']}.created": n["created"] for n in notes.json["items"]})
    return found


def _restarted_settings(app_settings: dict[str, Any]) -> dict[str, Any]:
    url = app_settings["DATABASE_URL"]
    if url.startswith("postgresql"):
        # Another session time zone (+05:30): PostgreSQL answers timestamptz in it.
        url += ("&" if "?" in url else "?") + "options=-c%20timezone%3DAsia/Kolkata"
    return {**app_settings, "DATABASE_URL": url}


def test_timestamps_are_rfc3339_utc_and_survive_a_restart(app, client, token_for, app_settings, monkeypatch):
    headers = {
        "owner": token_for("internal", extra=OWNER),
        "officer": token_for("internal", extra=OFFICER),
        "auditor": token_for("internal", extra=AUDITOR),
    }
    entry = create_entry(client, headers["owner"], classification="internal")
    submitted = client.post(f"/api/v1/datasets/{entry['id']}/submit", headers=headers["owner"])
    assert submitted.status_code == 202, submitted.json
    review_id = submitted.headers["Location"].rsplit("/", 1)[1]
    decided = client.post(
        f"/api/v1/reviews/{review_id}/decision",
        json={"decision": "approve", "rationale": "Internal, as proposed."},
        headers=headers["officer"],
    )
    assert decided.status_code == 200, decided.json

    before = _stamps(client, entry["id"], review_id, headers)
    assert any(k.startswith("audit.") for k in before) and any(k.startswith("notification.") for k in before)
    for name, value in before.items():
        assert STAMP.fullmatch(value), (name, value)
        assert datetime.fromisoformat(value).utcoffset() is not None
        assert abs((datetime.now(UTC) - datetime.fromisoformat(value)).total_seconds()) < 3600, (name, value)

    # A restart: a new app (new engine, new connections) on the same database, and no
    # rendering remembered from before (a new process has none).
    monkeypatch.setattr(rendering, "CACHE", LRUCache(rendering.CACHE.size))
    restarted = create_app(_restarted_settings(app_settings))
    engine = restarted.extensions["tillit"].engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            assert connection.execute(text("SHOW timezone")).scalar_one() == "Asia/Kolkata"
    after = _stamps(restarted.test_client(), entry["id"], review_id, headers)
    with restarted.extensions["tillit"].sessions() as session:  # the model hands back UTC itself
        stored = session.get(Entry, entry["id"])
        assert stored is not None and stored.created.utcoffset() == timedelta(0)
        assert format_timestamp(stored.created) == before["entry.created"]
    # (The reads themselves are audited: events written since are left aside.)
    assert {name: after.get(name) for name in before} == before
