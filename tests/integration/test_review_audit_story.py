"""Issue 6's whole story through the HTTP API, and the audit chain under attack."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from api.cli import main
from catalogue.db import make_engine
from catalogue.machinery.audit.chain import verify_chain
from tests.conftest import LANTMATERIET, SKATTEETATEN, SKATTEVERKET
from tests.factories import GDPR_TASK, OSL_TAX, create_entry, dataset_payload, publish
from tests.integration.test_entries_rules import problem

pytestmark = pytest.mark.both_databases  # the audit chain under attack: roles, triggers, concurrent writers

OWNER = ("catalogue:write", "catalogue:review")  # a data owner who is also an officer
OFFICER = ("catalogue:review",)
AUDITOR = ("catalogue:audit",)


def verify_cli(app_settings, monkeypatch):
    monkeypatch.setenv("TILLIT_INSTANCE_PATH", app_settings["INSTANCE_PATH"])
    monkeypatch.setenv("TILLIT_DATABASE_URL", app_settings["DATABASE_URL"])
    return CliRunner().invoke(main, ["audit", "verify"])


def test_the_whole_story(client, token_for, app, app_settings, monkeypatch):
    owner = token_for("sensitive", extra=OWNER)
    body = dataset_payload(
        classification="sensitive", contains_personal_data=True, legal_basis=[OSL_TAX, GDPR_TASK]
    )
    entry = client.post("/api/v1/datasets", json=body, headers=owner).json
    url = f"/api/v1/datasets/{entry['id']}"
    submitted = client.post(url + "/submit", headers=owner)
    assert submitted.status_code == 202
    review_id = submitted.json["entry"] and submitted.headers["Location"].rsplit("/", 1)[1]

    # The queue shows it to the agency's officers.
    queue = client.get("/api/v1/reviews?state=pending", headers=token_for("sensitive", extra=OFFICER)).json
    assert [r["id"] for r in queue["items"]] == [review_id]
    assert queue["items"][0]["proposed_classification"] == "sensitive"

    decision = {
        "decision": "approve",
        "listing_level": "public",
        "rationale": "Skattesekretess, 27 kap. 1 § OSL; existence may be public.",
    }
    # She cannot approve her own submission: four eyes.
    mine = client.post(f"/api/v1/reviews/{review_id}/decision", json=decision, headers=owner)
    assert "Four eyes" in problem(mine, 403)["detail"]
    # An officer without clearance for the level cannot either (nor learn that it exists).
    low = token_for("internal", extra=OFFICER)
    problem(client.post(f"/api/v1/reviews/{review_id}/decision", json=decision, headers=low), 404)
    # An officer of another agency has no say.
    other = token_for("sensitive", agency=LANTMATERIET, extra=OFFICER)
    problem(client.post(f"/api/v1/reviews/{review_id}/decision", json=decision, headers=other), 404)
    # A rationale is required.
    officer = token_for("sensitive", extra=OFFICER)
    empty = client.post(
        f"/api/v1/reviews/{review_id}/decision", json={**decision, "rationale": " "}, headers=officer
    )
    assert problem(empty, 422)["errors"]["rationale"]
    decided = client.post(f"/api/v1/reviews/{review_id}/decision", json=decision, headers=officer)
    assert decided.status_code == 200, decided.json
    assert decided.json["state"] == "approved" and decided.json["listing_level"] == "public"
    assert decided.json["review_due"]  # sensitive entries are reviewed again yearly
    again = client.post(f"/api/v1/reviews/{review_id}/decision", json=decision, headers=officer)
    assert "final" in problem(again, 409)["detail"]

    # Another agency's developer finds the redacted summary...
    developer = token_for("public", agency=LANTMATERIET)
    summary = client.get(url, headers=developer).json
    assert summary["redacted"] is True and "legal_basis" not in summary
    # ...and a developer with clearance reads it all.
    cleared = token_for("sensitive", agency=SKATTEETATEN)
    full = client.get(url, headers=cleared).json
    assert full["redacted"] is False and full["listing_level"] == "public"

    # The publisher sees both reads: who has seen this.
    readers = client.get(url + "/readers", headers=owner).json["items"]
    seen = {(r["actor_agency"], r["details"]["view"]) for r in readers}
    assert {(LANTMATERIET, "summary"), (SKATTEETATEN, "full")} <= seen
    assert all(r["entry_level"] == "sensitive" and r["address"] for r in readers)
    problem(client.get(url + "/readers", headers=cleared), 403)

    history = client.get(url + "/classification-history", headers=owner).json["items"]
    assert [(h["classification"], h["listing_level"]) for h in history] == [("sensitive", "public")]
    assert history[0]["rationale"].startswith("Skattesekretess")
    problem(client.get(url + "/classification-history", headers=cleared), 403)

    # The chain verifies; then a row is tampered with and verification names it.
    result = verify_cli(app_settings, monkeypatch)
    assert result.exit_code == 0, result.output
    engine = app.extensions["tillit"].engine
    victim = readers[-1]["seq"]
    drop_append_only_guard(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'nobody' WHERE seq = :s"), {"s": victim})
    result = verify_cli(app_settings, monkeypatch)
    assert result.exit_code == 1
    assert f"broken at event {victim}: its content does not match its hash" in result.output


def drop_append_only_guard(engine):
    """What an attacker with the database owner's rights would do first."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))


def sensitive_reads(client, token_for, app, count=3):
    owner = token_for("sensitive", extra=("catalogue:write",))
    entry = create_entry(client, owner, classification="sensitive")
    publish(app, entry["id"])
    for _ in range(count):
        assert client.get(f"/api/v1/datasets/{entry['id']}", headers=owner).status_code == 200
    return entry


def chain(app):
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        return verify_chain(session, ext.anchor)


def test_events_cannot_be_changed_or_removed(client, token_for, app):
    sensitive_reads(client, token_for, app, 1)
    engine = app.extensions["tillit"].engine
    for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert chain(app).ok


@pytest.mark.parametrize("attack", ["delete-middle", "reorder", "cut-newest", "edit-details"])
def test_tampering_is_detected(client, token_for, app, attack):
    sensitive_reads(client, token_for, app, 4)
    before = chain(app)
    assert before.ok and before.checked >= 6
    engine = app.extensions["tillit"].engine
    drop_append_only_guard(engine)
    last = before.checked
    with engine.begin() as conn:
        if attack == "delete-middle":
            conn.execute(text("DELETE FROM audit_events WHERE seq = 3"))
        elif attack == "reorder":
            rows = {r.seq: r for r in conn.execute(text("SELECT seq, hash FROM audit_events"))}
            conn.execute(text("UPDATE audit_events SET seq = -1 WHERE seq = 3"))
            conn.execute(text("UPDATE audit_events SET seq = 3 WHERE seq = 4"))
            conn.execute(text("UPDATE audit_events SET seq = 4 WHERE seq = -1"))
            assert rows
        elif attack == "cut-newest":
            conn.execute(text("DELETE FROM audit_events WHERE seq >= :s"), {"s": last - 1})
        else:
            conn.execute(text("UPDATE audit_events SET details = :d WHERE seq = 2"), {"d": '{"view": "x"}'})
    after = chain(app)
    assert not after.ok
    expected = {"delete-middle": 4, "reorder": 3, "cut-newest": last - 1, "edit-details": 2}[attack]
    assert after.broken_seq == expected, after


def test_concurrent_appends_never_fork(client, token_for, app, app_settings):
    owner = token_for("sensitive", extra=("catalogue:write",))
    entry = create_entry(client, owner, classification="sensitive")
    publish(app, entry["id"])
    errors: list[BaseException] = []

    def reader() -> None:
        local = app.test_client()
        try:
            for _ in range(10):
                response = local.get(f"/api/v1/datasets/{entry['id']}", headers=owner)
                assert response.status_code == 200, response.json
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    result = chain(app)
    assert result.ok
    engine = app.extensions["tillit"].engine
    with engine.connect() as conn:
        reads = conn.execute(
            text(
                "SELECT count(*) FROM audit_events WHERE action = 'entry.read'"
                " AND entry_id = :e AND actor_agency = :a"
            ),
            {"e": entry["id"], "a": SKATTEVERKET},
        ).scalar()
    assert reads == 60


def test_auditors_see_only_what_their_clearance_allows(client, token_for, app):
    entry = sensitive_reads(client, token_for, app, 1)
    low = client.get(f"/api/v1/audit?entry={entry['id']}", headers=token_for("internal", extra=AUDITOR))
    assert low.status_code == 200 and low.json["total"] == 0
    high = client.get(f"/api/v1/audit?entry={entry['id']}", headers=token_for("sensitive", extra=AUDITOR))
    actions = {e["action"] for e in high.json["items"]}
    assert {"entry.create", "review.submit", "review.approve", "entry.read"} <= actions
    problem(client.get("/api/v1/audit", headers=token_for("sensitive")), 403)
    problem(client.get("/api/v1/audit"), 401)
    export = client.get(
        f"/api/v1/audit/export?entry={entry['id']}", headers=token_for("sensitive", extra=AUDITOR)
    )
    lines = export.data.decode().strip().splitlines()
    assert export.mimetype == "application/x-ndjson" and len(lines) == high.json["total"]


def test_hidden_entries_are_denied_in_the_log_but_not_to_the_caller(client, token_for, app):
    owner = token_for("sensitive", extra=("catalogue:write",))
    entry = create_entry(client, owner, classification="sensitive")
    probe = client.get(f"/api/v1/datasets/{entry['id']}", headers=token_for("internal", agency=SKATTEETATEN))
    assert probe.status_code == 404
    events = client.get(
        f"/api/v1/audit?entry={entry['id']}&action=entry.read", headers=token_for("sensitive", extra=AUDITOR)
    ).json["items"]
    assert [(e["decision"], e["actor_agency"]) for e in events] == [("deny", SKATTEETATEN)]


def test_publish_and_revision_story(client, token_for, app):
    owner = token_for("sensitive", extra=("catalogue:write",))
    officer = token_for("sensitive", extra=OFFICER)
    entry = create_entry(client, owner, classification="internal")
    publish(app, entry["id"])
    url = f"/api/v1/datasets/{entry['id']}"
    etag = client.get(url, headers=owner).headers["ETag"]
    pending = client.patch(url, json={"classification": "sensitive"}, headers={**owner, "If-Match": etag})
    assert pending.status_code == 202
    review = pending.json["review"]
    decision = {"decision": "approve", "rationale": "Now covers individual income data."}
    decided = client.post(f"/api/v1/reviews/{review}/decision", json=decision, headers=officer)
    assert decided.status_code == 200, decided.json
    after = client.get(url, headers=owner).json
    assert after["classification"] == "sensitive" and after["listing_level"] == "internal"
    history = client.get(url + "/classification-history", headers=owner).json["items"]
    assert [h["classification"] for h in history] == ["internal", "sensitive"]
    # A rejected revision changes nothing.
    etag = client.get(url, headers=owner).headers["ETag"]
    pending = client.patch(url, json={"listing_level": "public"}, headers={**owner, "If-Match": etag})
    rejected = client.post(
        f"/api/v1/reviews/{pending.json['review']}/decision",
        json={"decision": "reject", "rationale": "Existence is itself sensitive."},
        headers=officer,
    )
    assert rejected.json["state"] == "rejected"
    assert client.get(url, headers=owner).json["listing_level"] == "internal"


def test_postgres_app_role_cannot_change_the_log(app, app_settings, client, token_for):
    url = app_settings["DATABASE_URL"]
    if not url.startswith("postgresql"):
        pytest.skip("roles exist on PostgreSQL only")
    sensitive_reads(client, token_for, app, 1)
    engine = app.extensions["tillit"].engine
    with engine.begin() as conn:
        conn.execute(text("DROP ROLE IF EXISTS tillit_app_test"))
        conn.execute(text("CREATE ROLE tillit_app_test LOGIN"))
    from catalogue.migrate import grant_app_role

    grant_app_role(engine, "tillit_app_test")
    as_app = make_engine(url.replace("postgres@", "tillit_app_test@"))
    try:
        with as_app.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() > 0
        for statement in (
            "UPDATE audit_events SET actor = 'x'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
        ):
            with pytest.raises(Exception, match="permission denied"), as_app.begin() as conn:
                conn.execute(text(statement))
    finally:
        as_app.dispose()
        owner = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with owner.begin() as conn:
            conn.execute(text("DROP OWNED BY tillit_app_test"))
            conn.execute(text("DROP ROLE tillit_app_test"))
        owner.dispose()


def test_access_itself_is_audited(client, token_for, app):
    from tests.conftest import fetch_token, register_client

    creds = register_client(app, SKATTEVERKET, ["catalogue:read:internal"])
    fetch_token(client, *creds)
    refused = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic bm9ib2R5Om5vdGhpbmc="},
    )
    assert refused.status_code == 401
    auditor = token_for("sensitive", extra=AUDITOR)
    events = client.get("/api/v1/audit?per_page=100", headers=auditor).json["items"]
    by_action = {}
    for e in events:
        by_action.setdefault(e["action"], []).append(e)
    created = [e for e in by_action["client.create"] if e["details"]["client"] == creds[0]]
    assert created and created[0]["details"]["scopes"] == ["catalogue:read:internal"]
    issued = [e for e in by_action["token.issue"] if e["client_id"] == creds[0]]
    assert issued and issued[0]["details"]["scope"] == "catalogue:read:internal"
    assert issued[0]["actor_agency"] == SKATTEVERKET and issued[0]["address"]
    assert by_action["token.refuse"][0]["decision"] == "deny"
    assert chain(app).ok


def test_logins_are_audited(client, token_for, app):
    from authserver.services.users import UserService
    from tests.security.people import PASSWORD, make_user

    make_user(app, "bodil", roles=("data_owner",))
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        users = UserService(session, ext.scheme)
        assert users.authenticate("bodil", "not her password", "192.0.2.7") is None
        assert users.authenticate("bodil", PASSWORD, "192.0.2.7") is not None
    auditor = token_for("sensitive", extra=AUDITOR)
    failures = client.get("/api/v1/audit?action=login.failure", headers=auditor).json["items"]
    successes = client.get("/api/v1/audit?action=login.success", headers=auditor).json["items"]
    assert [(e["decision"], e["address"]) for e in failures] == [("deny", "192.0.2.7")]
    assert successes[0]["actor_agency"] == SKATTEVERKET and successes[0]["decision"] == "allow"
    assert chain(app).ok


def test_overdue_entries_come_back_to_the_officers(client, token_for, app, app_settings, monkeypatch):
    from datetime import date, timedelta

    from catalogue.models import Entry

    owner = token_for("sensitive", extra=("catalogue:write",))
    officer = token_for("sensitive", extra=OFFICER)
    entry = create_entry(client, owner, classification="sensitive")
    public = create_entry(client, owner)
    for e in (entry, public):
        publish(app, e["id"])
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        due = session.get(Entry, entry["id"]).review_due
        assert due is not None and (due - date.today()).days == 365
        assert session.get(Entry, public["id"]).review_due is None  # the lowest level is not reviewed
        session.get(Entry, entry["id"]).review_due = date.today() - timedelta(days=1)
        session.commit()
    # A due date filter shows what is overdue before the daily job runs.
    queue = client.get(f"/api/v1/reviews?due_before={date.today().isoformat()}", headers=officer).json
    assert queue["total"] == 1  # the approved publication review of the overdue entry
    monkeypatch.setenv("TILLIT_INSTANCE_PATH", app_settings["INSTANCE_PATH"])
    monkeypatch.setenv("TILLIT_DATABASE_URL", app_settings["DATABASE_URL"])
    result = CliRunner().invoke(main, ["reviews", "schedule"])
    assert result.exit_code == 0 and "Opened 1 periodic review" in result.output
    assert "Opened 0" in CliRunner().invoke(main, ["reviews", "schedule"]).output  # once only
    pending = client.get("/api/v1/reviews?state=pending&level=sensitive", headers=officer).json["items"]
    assert [(r["kind"], r["entry"]) for r in pending] == [("periodic", entry["id"])]
    reject = client.post(
        f"/api/v1/reviews/{pending[0]['id']}/decision",
        headers=officer,
        json={"decision": "reject", "rationale": "x"},
    )
    assert "approved, with a new level if needed" in problem(reject, 422)["errors"]["decision"][0]
    decided = client.post(
        f"/api/v1/reviews/{pending[0]['id']}/decision",
        headers=officer,
        json={
            "decision": "approve",
            "classification": "internal",
            "rationale": "Aggregated since 2026; no longer covered by 27 kap. 1 § OSL.",
        },
    )
    assert decided.status_code == 200, decided.json
    after = client.get(f"/api/v1/datasets/{entry['id']}", headers=owner).json
    assert after["classification"] == "internal" and after["status"] == "published"
    with ext.sessions() as session:
        assert (session.get(Entry, entry["id"]).review_due - date.today()).days == 730


def test_readers_of_an_entry_above_the_auditors_clearance_stay_hidden(client, token_for, app):
    owner = token_for("sensitive", extra=("catalogue:write",))
    entry = create_entry(client, owner, classification="sensitive", listing_level="public")
    publish(app, entry["id"])
    client.get(f"/api/v1/datasets/{entry['id']}", headers=owner)
    low_auditor = token_for("internal", agency=SKATTEETATEN, extra=AUDITOR)
    problem(client.get(f"/api/v1/datasets/{entry['id']}/readers", headers=low_auditor), 403)
    cleared = token_for("sensitive", agency=SKATTEETATEN, extra=AUDITOR)
    assert client.get(f"/api/v1/datasets/{entry['id']}/readers", headers=cleared).json["total"] >= 1
