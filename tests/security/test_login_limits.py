"""Attack: one address guessing across many user names; a stranger locking the owner
out with a few wrong passwords; escaping the address limit with a forged
X-Forwarded-For; flooding /oauth/token with unknown clients to grow the audit chain."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from authserver.services.security_events import RefusalTally
from catalogue.models import AuditEvent
from tests.conftest import SKATTEVERKET
from tests.security.people import PASSWORD, auth_params, csrf_token, make_app_client, make_user, pkce
from tests.security.people import basic as basic_auth

STRANGER = {"REMOTE_ADDR": "198.51.100.7"}
OWNER = {"REMOTE_ADDR": "203.0.113.20"}
FAILED = "Wrong user name or password, or the account is locked or disabled."


@pytest.fixture
def app_settings(app_settings):
    # The per-account limit is out of the way unless a test lowers it.
    return app_settings | {"RATE_LIMIT_LOGIN": "100/minute"}


@pytest.fixture
def flow(app, client):
    creds = make_app_client(app)
    _, challenge = pkce()
    params = auth_params(creds[0], challenge)
    token = csrf_token(client.get("/oauth/authorize", query_string=params).get_data(as_text=True))

    def attempt(username: str, password: str, environ: dict[str, str], **headers: str):
        return client.post(
            "/oauth/authorize?" + urlencode(params),
            data={"username": username, "password": password, "csrf_token": token},
            environ_base=environ,
            headers=headers,
        )

    return attempt


def test_one_address_meets_a_limit_across_user_names(flow):
    statuses = [flow(f"name{i}", "some guess here", STRANGER).status_code for i in range(31)]
    assert statuses == [200] * 30 + [429]
    refused = flow("name99", "some guess here", STRANGER)
    assert refused.mimetype == "application/problem+json"
    assert refused.json["status"] == 429
    # Another address is not affected.
    assert flow("name100", "some guess here", OWNER).status_code == 200


def test_forged_x_forwarded_for_does_not_escape_the_address_limit(flow):
    statuses = [
        flow(f"name{i}", "some guess here", STRANGER, **{"X-Forwarded-For": f"10.9.{i}.1"}).status_code
        for i in range(31)
    ]
    assert statuses[-1] == 429


def test_successful_logins_do_not_use_up_the_address(app, flow):
    make_user(app, "alice", SKATTEVERKET)
    assert all(flow("alice", PASSWORD, OWNER).status_code == 302 for _ in range(35))


def test_a_stranger_cannot_lock_the_owner_out(app, flow):
    make_user(app, "alice", SKATTEVERKET)
    for _ in range(6):
        r = flow("alice", "not her password", STRANGER)
        assert FAILED in r.get_data(as_text=True)
    # The stranger's address is locked out of alice, even with the right password...
    locked = flow("alice", PASSWORD, STRANGER)
    assert locked.status_code == 200
    assert FAILED in locked.get_data(as_text=True)
    # ...but alice signs in from her own address.
    assert flow("alice", PASSWORD, OWNER).status_code == 302


def test_brute_force_of_one_account_from_one_address_is_stopped(app, flow):
    make_user(app, "alice", SKATTEVERKET)
    pages = [flow("alice", f"guess {i} of many", STRANGER).get_data(as_text=True) for i in range(5)]
    assert all(FAILED in page for page in pages)
    # From the sixth try on no password is checked from there: the right one fails too.
    assert flow("alice", PASSWORD, STRANGER).status_code == 200
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        failures = session.scalar(
            select(func.count()).where(
                AuditEvent.action == "login.failure", AuditEvent.address == STRANGER["REMOTE_ADDR"]
            )
        )
    assert failures == 6


def test_a_success_clears_the_address_count(app, flow):
    make_user(app, "alice", SKATTEVERKET)
    for _ in range(4):
        flow("alice", "a typo in it", OWNER)
    assert flow("alice", PASSWORD, OWNER).status_code == 302
    for _ in range(4):
        flow("alice", "a typo in it", OWNER)
    assert flow("alice", PASSWORD, OWNER).status_code == 302


def test_brute_force_from_rotating_addresses_meets_the_account_limit(app, flow):
    app.config["RATE_LIMIT_LOGIN"] = "3/minute"
    make_user(app, "alice", SKATTEVERKET)
    statuses = [flow("alice", f"guess {i}", {"REMOTE_ADDR": f"10.2.0.{i}"}).status_code for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_a_locked_out_address_does_not_spend_the_accounts_budget(app, flow):
    app.config["RATE_LIMIT_LOGIN"] = "6/minute"
    make_user(app, "alice", SKATTEVERKET)
    # Five guesses spend five; the stranger's further tries check no password and spend nothing.
    statuses = [flow("alice", f"guess {i}", STRANGER).status_code for i in range(12)]
    assert statuses == [200] * 12
    assert flow("alice", PASSWORD, OWNER).status_code == 302


def _refusal_events(app) -> int:
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        return int(session.scalar(select(func.count()).where(AuditEvent.action == "token.refuse")) or 0)


def test_unknown_client_flood_is_limited_and_written_once(app, client):
    before = _refusal_events(app)
    statuses = [
        client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=basic_auth(f"no-such-client-{i}", "guess"),
            environ_base=STRANGER,
        ).status_code
        for i in range(40)
    ]
    assert statuses == [401] * 30 + [429] * 10
    assert _refusal_events(app) - before == 1
    # Another address is still answered, and its first refusal is recorded at once.
    other = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic_auth("x", "y"),
        environ_base=OWNER,
    )
    assert other.status_code == 401
    assert _refusal_events(app) - before == 2


def test_refusals_of_a_closed_window_are_recorded_as_one_count():
    tally = RefusalTally(window=60)
    assert tally.note("a", 1000.0) == (True, [])
    for i in range(38):
        assert tally.note("a", 1001.0 + i / 10) == (False, [])
    assert tally.note("b", 1030.0) == (True, [])
    # The first refusal after a's window closed carries its count; b's window is still open.
    assert tally.note("c", 1061.0) == (True, [("a", 38, 1000.0)])
    assert tally.note("a", 1062.0) == (True, [])
    assert tally.note("b", 1095.0) == (True, [])  # b counted nothing beyond its first


def test_open_windows_are_bounded():
    tally = RefusalTally(window=60, max_open=3)
    for name in "abc":
        tally.note(name, 0.0)
        tally.note(name, 1.0)
    first, closed = tally.note("d", 2.0)
    assert first and closed == [("a", 1, 0.0)]
