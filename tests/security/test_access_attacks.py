"""Attacks on access requests and grants: other agencies' requests and grants by id,
asking about a hidden entry, a scope for a grant not held, a grant used after it
expired. Every token is real (issued by the token endpoint)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from catalogue.models_access import Grant
from tests.conftest import LANTMATERIET, SKATTEETATEN, fetch_token, register_client
from tests.factories import create_entry, publish
from tests.integration.test_access_story import (
    GDPR_TASK,
    OFFICER,
    OSL_DISCLOSURE,
    OSL_TAX,
    WRITER,
    request_body,
    resource_server,
    sensitive_api,
)
from tests.security.people import basic

DECIDER = ("catalogue:review", "catalogue:audit")


@pytest.fixture
def app_settings(app_settings):
    # Every request reloads the standing: what a server sees within the sync interval.
    return {**app_settings, "REVOCATION_SYNC_SECONDS": 0}


def _granted(client, app, token_for):
    """A grant of Skatteverket's API to a Skatteetaten client; (request id, grant id, client creds)."""
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    made = client.post(
        "/api/v1/access-requests", json=request_body(entry["id"], system[0]), headers=developer
    )
    request_id = made.json["id"]
    client.post(f"/api/v1/access-requests/{request_id}/assess", headers=token_for("sensitive", extra=OFFICER))
    decision = {
        "decision": "grant",
        "reason": "OK.",
        "disclosure_basis": OSL_DISCLOSURE,
        "valid_until": str(date.today() + timedelta(days=365)),
    }
    decided = client.post(
        f"/api/v1/access-requests/{request_id}/decision",
        json=decision,
        headers=token_for("sensitive", extra=DECIDER),
    )
    assert decided.status_code == 200, decided.json
    return entry, request_id, decided.json["grant"], system


def _same_404(a, b):
    assert (a.status_code, a.json) == (b.status_code, b.json)
    assert a.status_code == 404


def test_requests_and_grants_of_other_agencies_do_not_exist_for_them(client, app, token_for):
    _, request_id, grant_id, _ = _granted(client, app, token_for)
    missing = str(uuid.uuid4())
    for extra in (("catalogue:write",), ("catalogue:review",), ("catalogue:audit",)):
        outsider = token_for("sensitive", agency=LANTMATERIET, extra=extra)
        _same_404(
            client.get(f"/api/v1/access-requests/{request_id}", headers=outsider),
            client.get(f"/api/v1/access-requests/{missing}", headers=outsider),
        )
        _same_404(
            client.get(f"/api/v1/grants/{grant_id}", headers=outsider),
            client.get(f"/api/v1/grants/{missing}", headers=outsider),
        )
        _same_404(
            client.get(f"/api/v1/grants/{grant_id}/export?format=maskinporten", headers=outsider),
            client.get(f"/api/v1/grants/{missing}/export?format=maskinporten", headers=outsider),
        )
        assert client.get("/api/v1/grants", headers=outsider).json["total"] == 0
        assert client.get("/api/v1/access-requests?role=incoming", headers=outsider).json["total"] == 0
        assert client.get("/api/v1/access-requests?role=mine", headers=outsider).json["total"] == 0
    officer = token_for("sensitive", agency=LANTMATERIET, extra=("catalogue:review",))
    _same_404(
        client.post(f"/api/v1/grants/{grant_id}/revoke", json={"reason": "x"}, headers=officer),
        client.post(f"/api/v1/grants/{missing}/revoke", json={"reason": "x"}, headers=officer),
    )
    _same_404(
        client.post(f"/api/v1/access-requests/{request_id}/assess", headers=officer),
        client.post(f"/api/v1/access-requests/{missing}/assess", headers=officer),
    )
    # The requesting agency sees its request, but never decides or revokes.
    requester_officer = token_for("sensitive", agency=SKATTEETATEN, extra=("catalogue:review",))
    assert (
        client.post(
            f"/api/v1/grants/{grant_id}/revoke", json={"reason": "x"}, headers=requester_officer
        ).status_code
        == 403
    )


def test_requesting_a_hidden_entry_answers_as_one_that_does_not_exist(client, app, token_for):
    owner = token_for("sensitive", extra=WRITER)
    hidden = create_entry(
        client, owner, "apis", classification="sensitive", listing_level="sensitive", legal_basis=[OSL_TAX]
    )
    publish(app, hidden["id"])
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    asked = client.post(
        "/api/v1/access-requests", json=request_body(hidden["id"], system[0]), headers=developer
    )
    never = client.post(
        "/api/v1/access-requests", json=request_body(str(uuid.uuid4()), system[0]), headers=developer
    )
    _same_404(asked, never)
    assert asked.json["detail"] == "No entry with that id."
    assert sorted(asked.headers.keys()) == sorted(never.headers.keys())


def test_another_agencys_client_cannot_be_named_as_the_consumer(client, app, token_for):
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    foreign = register_client(app, LANTMATERIET, ["catalogue:read:public"])
    theirs = client.post(
        "/api/v1/access-requests", json=request_body(entry["id"], foreign[0]), headers=developer
    )
    nobody = client.post(
        "/api/v1/access-requests", json=request_body(entry["id"], "no-such-client"), headers=developer
    )
    assert theirs.status_code == nobody.status_code == 422
    assert theirs.json == nobody.json


def test_scope_escalation_to_a_grant_not_held_is_refused(client, app, token_for):
    _, _, grant_id, holder = _granted(client, app, token_for)
    scope = f"grant:{grant_id}"
    for creds in (
        register_client(app, LANTMATERIET, ["catalogue:read:sensitive"]),  # another agency
        register_client(app, SKATTEETATEN, ["catalogue:read:sensitive"]),  # the agency, another client
    ):
        for asked in (scope, f"catalogue:read:public {scope}", f"grant:{uuid.uuid4()}"):
            r = client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials", "scope": asked},
                headers=basic(*creds),
            )
            assert (r.status_code, r.json["error"]) == (400, "invalid_scope")
    # The holder cannot ask for a grant it does not hold either.
    r = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": f"grant:{uuid.uuid4()}"},
        headers=basic(*holder),
    )
    assert r.json["error"] == "invalid_scope"
    # Nor does a token by default carry a grant: it is asked for by name.
    rs = resource_server(app)
    plain = fetch_token(client, *holder)
    assert (
        scope not in client.post("/oauth/introspect", data={"token": plain}, headers=basic(*rs)).json["scope"]
    )


def test_a_grant_used_after_it_expired_is_gone_from_tokens(client, app, token_for):
    _, _, grant_id, holder = _granted(client, app, token_for)
    scope = f"grant:{grant_id}"
    token = fetch_token(client, *holder, scope=f"catalogue:read:public {scope}")
    rs = resource_server(app)
    assert scope in client.post("/oauth/introspect", data={"token": token}, headers=basic(*rs)).json["scope"]
    # Time passes: the grant's last day is yesterday.
    ext = app.extensions["tillit"]
    yesterday = date.today() - timedelta(days=1)
    with ext.sessions() as session:
        session.execute(
            update(Grant)
            .where(Grant.id == grant_id)
            .values(valid_from=yesterday - timedelta(days=365), valid_until=yesterday)
        )
        session.commit()
    shown = client.post("/oauth/introspect", data={"token": token}, headers=basic(*rs)).json
    assert shown["active"] is True and scope not in shown["scope"].split()
    r = client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "scope": scope}, headers=basic(*holder)
    )
    assert r.json["error"] == "invalid_scope"
    listed = client.get(
        f"/api/v1/grants/{grant_id}", headers=token_for("public", agency=SKATTEETATEN, extra=WRITER)
    )
    assert listed.json["state"] == "expired"


#: The access pages that take a request's or a grant's id (api/web/access_pages.py).
REQUEST_PAGES = [
    ("GET", "/access/requests/{id}"),
    ("POST", "/access/requests/{id}/assess"),
    ("POST", "/access/requests/{id}/decision"),
    ("POST", "/access/requests/{id}/withdraw"),
    ("POST", "/access/requests/{id}/renew"),
]
GRANT_PAGES = [("GET", "/access/grants/{id}"), ("POST", "/access/grants/{id}/revoke")]
HTML = {"Accept": "text/html"}


def test_the_pages_of_other_agencies_requests_and_grants_are_missing_ones(client, app, token_for):
    _, request_id, grant_id, _ = _granted(client, app, token_for)
    missing = str(uuid.uuid4())
    form = {"decision": "grant", "reason": "x", "basis": "0", "valid_until": "2030-01-01"}
    for extra in (("catalogue:write",), ("catalogue:review",), ("catalogue:audit",)):
        outsider = {**token_for("sensitive", agency=LANTMATERIET, extra=extra), **HTML}
        for pages, known in ((REQUEST_PAGES, request_id), (GRANT_PAGES, grant_id)):
            for method, path in pages:
                theirs = client.open(path.format(id=known), method=method, data=form, headers=outsider)
                never = client.open(path.format(id=missing), method=method, data=form, headers=outsider)
                assert theirs.status_code == never.status_code == 404, path
                assert theirs.data.replace(known.encode(), b"ID") == never.data.replace(
                    missing.encode(), b"ID"
                )
                assert sorted(theirs.headers.keys()) == sorted(never.headers.keys())
        for listing in ("/access/requests", "/access/incoming", "/access/grants"):
            body = client.get(listing, headers=outsider).get_data(as_text=True)
            assert request_id not in body and grant_id not in body
    # Nothing was done by any of them.
    officer = token_for("sensitive", extra=DECIDER)
    assert client.get(f"/api/v1/grants/{grant_id}", headers=officer).json["state"] == "active"


def test_the_request_page_of_a_hidden_entry_is_a_missing_ones(client, app, token_for):
    owner = token_for("sensitive", extra=WRITER)
    hidden = create_entry(
        client, owner, "apis", classification="sensitive", listing_level="sensitive", legal_basis=[OSL_TAX]
    )
    publish(app, hidden["id"])
    developer = {**token_for("public", agency=SKATTEETATEN, extra=WRITER), **HTML}
    missing = str(uuid.uuid4())
    for method in ("GET", "POST"):
        asked = client.open(f"/entries/{hidden['id']}/request-access", method=method, headers=developer)
        never = client.open(f"/entries/{missing}/request-access", method=method, headers=developer)
        assert asked.status_code == never.status_code == 404
        assert asked.data.replace(hidden["id"].encode(), b"ID") == never.data.replace(missing.encode(), b"ID")
