"""Attack: learn who works where, or who did what, through the people endpoint or the
names beside the ids of audit events, reads and reviews."""

from __future__ import annotations

import pytest

from authserver.services.users import UserService
from tests.agencies import LANTMATERIET, SKATTEVERKET
from tests.factories import create_entry, publish
from tests.security.people import make_user

OFFICER = ("catalogue:review",)
WRITER = ("catalogue:write",)
AUDITOR = ("catalogue:audit",)
ADMIN = ("catalogue:admin",)
NOBODY = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def people(app) -> dict[str, str]:
    return {
        "anna": make_user(app, "anna", agency=SKATTEVERKET),
        "olof": make_user(app, "olof", agency=LANTMATERIET),
    }


def test_an_officer_sees_their_own_agencys_people_only(client, token_for, people):
    officer = token_for("internal", extra=OFFICER)
    listed = client.get("/api/v1/people?per_page=100", headers=officer)
    assert listed.status_code == 200
    assert {p["agency"] for p in listed.json["items"]} == {SKATTEVERKET}
    assert people["anna"] in {p["id"] for p in listed.json["items"]}
    assert people["olof"] not in {p["id"] for p in listed.json["items"]}
    # Asking for another agency's people is refused, not quietly answered with one's own.
    assert client.get(f"/api/v1/people?agency={LANTMATERIET}", headers=officer).status_code == 403


def test_another_agencys_person_is_the_same_404_as_nobody(client, token_for, people):
    officer = token_for("internal", extra=OFFICER)
    hidden = client.get(f"/api/v1/people/{people['olof']}", headers=officer)
    missing = client.get(f"/api/v1/people/{NOBODY}", headers=officer)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json == missing.json
    assert hidden.headers.get("ETag") == missing.headers.get("ETag")
    assert client.get(f"/api/v1/people/{people['anna']}", headers=officer).json["name"] == "Anna"


def test_people_are_not_for_readers_writers_auditors_or_anonymous(client, token_for, people):
    for extra in ((), WRITER, AUDITOR):
        headers = token_for("internal", extra=extra)
        assert client.get("/api/v1/people", headers=headers).status_code == 403
        assert client.get(f"/api/v1/people/{people['anna']}", headers=headers).status_code == 403
    anonymous = client.get(f"/api/v1/people/{people['anna']}")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_administrator_sees_anyones_people_and_filters_by_agency(client, token_for, people):
    admin = token_for("public", extra=ADMIN)
    listed = client.get("/api/v1/people?agency=2021004888&per_page=100", headers=admin).json
    assert {p["id"] for p in listed["items"]} == {people["olof"]}
    assert client.get(f"/api/v1/people/{people['anna']}", headers=admin).status_code == 200


def test_names_come_only_with_events_the_reader_may_see(app, client, token_for):
    writer = token_for("internal", extra=WRITER)
    entry = create_entry(client, writer, classification="internal")
    publish(app, entry["id"])
    reader = token_for("internal", agency=LANTMATERIET)  # reads it: the read names this client
    assert client.get(f"/api/v1/datasets/{entry['id']}", headers=reader).status_code == 200

    # The publisher's officer sees who read it, by name and agency (another agency's client).
    officer = token_for("internal", extra=OFFICER)
    reads = client.get(f"/api/v1/datasets/{entry['id']}/readers", headers=officer).json["items"]
    foreign = [r for r in reads if r["actor_agency"] == LANTMATERIET]
    assert foreign and foreign[0]["actor_label"] == {
        "kind": "client",
        "name": "test client",
        "agency": LANTMATERIET,
        "agency_name": "Lantmäteriet",
        "lang": "sv",
    }

    # An auditor cleared only for public entries sees no event of the internal entry, so
    # no name from it either; the other agency's reader sees no one's reads at all.
    low_auditor = token_for("public", agency=LANTMATERIET, extra=AUDITOR)
    events = client.get("/api/v1/audit?per_page=100", headers=low_auditor).json["items"]
    assert all(e["entry"] != entry["id"] for e in events)
    assert client.get(f"/api/v1/datasets/{entry['id']}/readers", headers=reader).status_code in (403, 404)


def test_a_person_id_typed_at_a_failed_login_is_never_shown_as_that_person(app, client, token_for, people):
    """Anyone may type a known person id as a user name; the failed login it records
    must not appear in the audit log under that person's name."""
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        refused = UserService(session, ext.scheme).sign_in(people["anna"], "wrong password", "203.0.113.7")
    assert refused.user is None
    auditor = token_for("sensitive", extra=AUDITOR)
    events = client.get("/api/v1/audit?action=login.failure&per_page=100", headers=auditor).json["items"]
    typed = [e for e in events if e["actor"] == people["anna"]]
    assert typed and all(e["actor_label"] is None for e in typed)


def test_the_sharing_report_event_counts_nothing_a_lower_auditor_could_compare(app, client, token_for):
    """The report's audit event is about no entry, so every auditor sees it: it must
    not carry how many entries the (higher-cleared) caller reads whole."""
    writer = token_for("sensitive", extra=WRITER)
    publish(app, create_entry(client, writer, classification="sensitive")["id"])
    officer = token_for("sensitive", extra=OFFICER)
    assert client.get(f"/api/v1/agencies/{SKATTEVERKET}/sharing", headers=officer).status_code == 200
    low_auditor = token_for("public", extra=AUDITOR)
    events = client.get("/api/v1/audit?action=agency.sharing_report&per_page=100", headers=low_auditor).json[
        "items"
    ]
    assert events and all(set(e["details"]) == {"agency"} for e in events)
