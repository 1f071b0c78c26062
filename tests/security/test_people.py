"""Attack: the authorization-code flow for people — PKCE downgrade, code replay,
redirect-URI games, refresh-token reuse, scope escalation through roles, login
brute force and CSRF."""

from __future__ import annotations

import pytest
from joserfc import jwt

from authserver.services.users import UserService
from catalogue.models import Agency
from security.identity import system_identity
from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.security.conftest import bearer, make_entry
from tests.security.people import (
    PASSWORD,
    REDIRECT,
    auth_params,
    exchange,
    full_login,
    login,
    make_app_client,
    make_user,
    pkce,
    redirect_params,
    refresh,
)


@pytest.fixture
def alice(app):
    return make_user(app, "alice", SKATTEVERKET, roles=("data_owner",))


@pytest.fixture
def creds(app):
    return make_app_client(app)


def claims(app, token):
    return jwt.decode(token, app.extensions["tillit"].keys.private_set()).claims


def test_happy_path_gives_a_person_token_with_iss_in_the_redirect(client, app, alice, creds):
    verifier, challenge = pkce()
    params = redirect_params(login(client, auth_params(creds[0], challenge)))
    assert params["iss"] == "http://tillit.test"  # RFC 9207
    assert params["state"] == "st-123"
    r = exchange(client, creds, params["code"], verifier)
    assert r.status_code == 200
    c = claims(app, r.json["access_token"])
    assert (c["sub"], c["agency"], c["client_id"]) == (alice, SKATTEVERKET, creds[0])
    # data_owner of an agency cleared for sensitive, through a client allowed the same:
    assert r.json["scope"] == c["scope"] == "catalogue:read:sensitive catalogue:write"
    assert r.json["refresh_token"]
    hidden = make_entry(app, SKATTEVERKET, "sensitive", "sensitive", status="draft")
    assert client.get(f"/api/v1/datasets/{hidden}", headers=bearer(r.json["access_token"])).status_code == 200


@pytest.mark.parametrize(
    ("extra", "description"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "PKCE is required"),
        ({"code_challenge_method": "plain"}, "Only code_challenge_method=S256 is supported."),
        ({"code_challenge_method": None}, "Only code_challenge_method=S256 is supported."),
    ],
)
def test_pkce_downgrade_is_refused_before_login(client, creds, alice, extra, description):
    _, challenge = pkce()
    r = client.get("/oauth/authorize", query_string=auth_params(creds[0], challenge) | extra)
    params = redirect_params(r)
    assert params["error"] == "invalid_request"
    assert description in params["error_description"]
    assert params["iss"] == "http://tillit.test"


@pytest.mark.parametrize("verifier", [None, "x" * 50, "short"])
def test_code_without_the_right_verifier_is_useless(client, creds, alice, verifier):
    _, challenge = pkce()
    code = redirect_params(login(client, auth_params(creds[0], challenge)))["code"]
    r = exchange(client, creds, code, verifier)
    assert r.status_code == 400
    assert r.json["error"] in ("invalid_request", "invalid_grant")
    # ...and the code is spent: the right verifier cannot be tried next.


def test_code_replay_is_refused_and_revokes_what_the_code_gave(client, app, creds, alice):
    verifier, challenge = pkce()
    code = redirect_params(login(client, auth_params(creds[0], challenge)))["code"]
    first = exchange(client, creds, code, verifier)
    assert first.status_code == 200
    replay = exchange(client, creds, code, verifier)
    assert (replay.status_code, replay.json["error"]) == (400, "invalid_grant")
    # The tokens of the first exchange die with the replay (RFC 6749 §4.1.2).
    assert client.get("/api/v1/datasets", headers=bearer(first.json["access_token"])).status_code == 401
    assert refresh(client, creds, first.json["refresh_token"]).json["error"] == "invalid_grant"


def test_code_is_bound_to_its_client(client, app, creds, alice):
    other = make_app_client(app)
    verifier, challenge = pkce()
    code = redirect_params(login(client, auth_params(creds[0], challenge)))["code"]
    r = exchange(client, other, code, verifier)
    assert (r.status_code, r.json["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.se/callback/",  # trailing slash
        "https://app.example.se/callback?x=1",  # extra query
        "https://app.example.se/Callback",  # case
        "https://evil.example/callback",
        "https://app.example.se.evil.example/callback",
        "http://app.example.se/callback",  # scheme downgrade
    ],
)
def test_redirect_uri_must_match_exactly(client, creds, alice, uri):
    _, challenge = pkce()
    r = client.get("/oauth/authorize", query_string=auth_params(creds[0], challenge, redirect_uri=uri))
    assert r.status_code == 400  # never a redirect to an unregistered URI
    assert "Location" not in r.headers
    assert r.json["error"] == "invalid_request"


def test_redirect_uri_is_required(client, creds, alice):
    _, challenge = pkce()
    params = auth_params(creds[0], challenge)
    del params["redirect_uri"]
    r = client.get("/oauth/authorize", query_string=params)
    assert r.status_code == 400 and "Location" not in r.headers


def test_token_exchange_redirect_uri_must_match(client, creds, alice):
    verifier, challenge = pkce()
    code = redirect_params(login(client, auth_params(creds[0], challenge)))["code"]
    r = exchange(client, creds, code, verifier, redirect_uri=REDIRECT + "/other")
    assert (r.status_code, r.json["error"]) == (400, "invalid_grant")


def test_refresh_rotates_and_reuse_revokes_the_family(client, app, creds, alice):
    first = full_login(client, creds)
    second = refresh(client, creds, first["refresh_token"])
    assert second.status_code == 200
    assert second.json["refresh_token"] != first["refresh_token"]
    # An attacker replays the first (rotated) refresh token:
    reuse = refresh(client, creds, first["refresh_token"])
    assert (reuse.status_code, reuse.json["error"]) == (400, "invalid_grant")
    # The whole family is dead, including the legitimate newest token and its access token.
    assert refresh(client, creds, second.json["refresh_token"]).json["error"] == "invalid_grant"
    assert client.get("/api/v1/datasets", headers=bearer(second.json["access_token"])).status_code == 401


def test_refresh_cannot_widen_scope_or_outlive_the_account(client, app, creds, alice):
    first = full_login(client, creds)
    narrowed = refresh(client, creds, first["refresh_token"], scope="catalogue:read:sensitive")
    assert narrowed.json["scope"] == "catalogue:read:sensitive"
    wider = refresh(
        client, creds, narrowed.json["refresh_token"], scope="catalogue:read:sensitive catalogue:admin"
    )
    assert (wider.status_code, wider.json["error"]) == (400, "invalid_scope")
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        UserService(session, ext.scheme).disable(system_identity(ext.scheme), "alice")
    r = refresh(client, creds, narrowed.json["refresh_token"])
    assert (r.status_code, r.json["error"]) == (400, "invalid_grant")


def test_refresh_token_is_not_an_access_token(client, creds, alice):
    tokens = full_login(client, creds)
    r = client.get("/api/v1/datasets", headers=bearer(tokens["refresh_token"]))
    assert (r.status_code, r.json["detail"]) == (401, "The access token is malformed.")


def test_refresh_token_of_another_client_is_refused(client, app, creds, alice):
    tokens = full_login(client, creds)
    other = make_app_client(app)
    r = refresh(client, other, tokens["refresh_token"])
    assert (r.status_code, r.json["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize(
    ("roles", "scope", "error"),
    [
        (("data_owner",), "catalogue:read:internal catalogue:admin", "invalid_scope"),  # client lacks it
        ((), "catalogue:write", "invalid_scope"),  # person lacks the role
    ],
)
def test_person_cannot_escalate_scope(client, app, roles, scope, error):
    make_user(app, "bob", SKATTEVERKET, roles=roles)
    creds = make_app_client(app)
    _verifier, challenge = pkce()
    params = auth_params(creds[0], challenge, scope=scope)
    page = client.get("/oauth/authorize", query_string=params)
    if page.status_code == 302:  # refused before login: the client may never ask for it
        assert redirect_params(page)["error"] == error
        return
    assert redirect_params(login(client, params, username="bob"))["error"] == error


def test_person_reads_at_most_the_lower_of_own_and_agency_clearance(client, app):
    make_user(app, "carol", LANTMATERIET, roles=(), clearance="internal")
    creds = make_app_client(app, agency=LANTMATERIET, scopes="catalogue:read:sensitive")
    _verifier, challenge = pkce()
    params = auth_params(creds[0], challenge, scope="catalogue:read:sensitive")
    assert redirect_params(login(client, params, username="carol"))["error"] == "invalid_scope"
    tokens = full_login(client, creds, username="carol")
    assert tokens["scope"] == "catalogue:read:internal"
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        session.get(Agency, LANTMATERIET).clearance = "public"
        session.commit()
    assert refresh(client, creds, tokens["refresh_token"]).json["error"] == "invalid_scope"


def test_login_failures_look_alike_and_lock_the_account(client, app, creds, alice):
    _, challenge = pkce()
    params = auth_params(creds[0], challenge)
    pages = [login(client, params, password="wrong password!!").get_data(as_text=True) for _ in range(5)]
    unknown = login(client, params, username="nobody").get_data(as_text=True)
    for html in [*pages, unknown]:
        assert "Wrong user name or password, or the account is locked or disabled." in html
    locked = login(client, params, password=PASSWORD)  # the right password, too late
    assert locked.status_code == 200
    assert "Wrong user name or password" in locked.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, creds, alice):
    _, challenge = pkce()
    r = login(client, auth_params(creds[0], challenge), csrf=False)
    assert r.status_code == 400
    assert "Location" not in r.headers


def test_login_page_cannot_be_framed(client, creds, alice):
    _, challenge = pkce()
    r = client.get("/oauth/authorize", query_string=auth_params(creds[0], challenge))
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


def test_public_client_needs_pkce_and_cannot_use_client_credentials(client, app, alice):
    creds = make_app_client(app, auth_method="none")
    assert creds[1] == ""
    tokens = full_login(client, creds)
    assert tokens["access_token"]
    r = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": creds[0]})
    assert r.status_code in (400, 401)
    assert r.json["error"] in ("invalid_client", "unauthorized_client")
