"""The pages' sign-in session: fixation, replay after sign-out, CSRF, withdrawn authority,
time-outs, forged cookies and the login rate limit (api/web/session.py, api/web/signin.py)."""

from __future__ import annotations

import time

import pytest

from api.web.session import page_identity
from authserver.services.users import UserService
from catalogue.services.agencies import AgencyService
from security.identity import system_identity
from tests.agencies import LANTMATERIET
from tests.integration.web.signing_in import HTML, page_csrf, session_cookie, sign_in, sign_out
from tests.security.people import make_user


def _identity(client):
    with client:
        client.get("/", headers=HTML)
        return page_identity()


def test_signing_in_makes_a_new_session_id(app, client):
    make_user(app, "alice")
    make_user(app, "bob")
    sign_in(client, "alice")
    before = session_cookie(client)
    planted = client.get_cookie("tillit-session")
    assert planted is not None
    sign_in(client, "bob")
    after = session_cookie(client)
    assert after and after != before
    # The session signed in before is over (revoked), not merely replaced.
    other = app.test_client()
    other.set_cookie("tillit-session", before)
    assert _identity(other).kind == "anonymous"
    assert _identity(client).person is not None


def test_a_cookie_replayed_after_sign_out_is_refused(app, client):
    make_user(app, "alice")
    sign_in(client)
    stolen = session_cookie(client)
    assert _identity(client).kind == "user"
    sign_out(client)
    thief = app.test_client()
    thief.set_cookie("tillit-session", stolen)
    page = thief.get("/", headers=HTML)
    assert "Alice" not in page.get_data(as_text=True)
    assert "tillit-session=;" in page.headers.get("Set-Cookie", "")  # told to forget it
    thief.set_cookie("tillit-session", stolen)
    assert _identity(thief).kind == "anonymous"


def test_a_forged_or_altered_cookie_is_anonymous(app, client):
    make_user(app, "alice")
    sign_in(client)
    genuine = session_cookie(client)
    other = app.test_client()
    other.set_cookie("tillit-session", genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"))
    assert _identity(other).kind == "anonymous"
    other.set_cookie("tillit-session", "x" * 3000)
    assert other.get("/", headers=HTML).status_code == 200


@pytest.mark.parametrize("token", [None, "wrong", "keep-but-other-session"])
def test_a_form_without_its_csrf_token_is_refused_with_a_page(app, client, token):
    make_user(app, "alice")
    sign_in(client)
    form = {}
    if token == "wrong":
        form["csrf_token"] = "not-a-token"
    elif token == "keep-but-other-session":
        stranger = app.test_client()
        form["csrf_token"] = page_csrf(stranger.get("/signin", headers=HTML).get_data(as_text=True))
    response = client.post("/signout", data=form, headers=HTML)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "form had expired" in response.get_data(as_text=True)
    assert _identity(client).kind == "user"  # still signed in: nothing was done


def test_sign_in_without_csrf_is_refused(app, client):
    make_user(app, "alice")
    response = client.post("/signin", data={"username": "alice", "password": "x"}, headers=HTML)
    assert response.status_code == 400
    assert session_cookie(client) is None


def test_the_api_is_not_under_csrf(client, token_for):
    headers = token_for("public", extra=("catalogue:write",))
    response = client.post("/api/v1/datasets", json={}, headers=headers)
    assert response.status_code == 422  # validation, not a CSRF refusal
    assert response.mimetype == "application/problem+json"


def test_a_disabled_person_loses_access_at_the_next_request(app, client):
    make_user(app, "alice")
    sign_in(client)
    assert _identity(client).kind == "user"
    ext = app.extensions["tillit"]
    with ext.sessions() as db:
        UserService(db, ext.scheme).disable(system_identity(ext.scheme), "alice")
    assert _identity(client).kind == "anonymous"
    # Enabled again, the old session stays over.
    cookie = session_cookie(client) or ""
    with ext.sessions() as db:
        user = UserService(db, ext.scheme).by_username("alice")
        user.disabled = False
        db.commit()
    replay = app.test_client()
    if cookie:
        replay.set_cookie("tillit-session", cookie)
    assert _identity(replay).kind == "anonymous"


def test_a_retired_agency_ends_its_peoples_sessions(app, client):
    make_user(app, "alice", agency=LANTMATERIET)
    sign_in(client)
    ext = app.extensions["tillit"]
    with ext.sessions() as db:
        AgencyService(db, ext.scheme).retire(system_identity(ext.scheme), LANTMATERIET, "*")
    assert _identity(client).kind == "anonymous"


def test_a_lowered_clearance_counts_at_the_next_request(app, client):
    make_user(app, "alice", clearance="sensitive")
    sign_in(client)
    assert _identity(client).clearance == "sensitive"
    ext = app.extensions["tillit"]
    with ext.sessions() as db:
        UserService(db, ext.scheme).by_username("alice").clearance = "public"
        db.commit()
    assert _identity(client).clearance == "public"


def test_the_idle_time_out_ends_a_session(app, client, monkeypatch):
    make_user(app, "alice")
    sign_in(client)
    idle = int(app.config["WEB_SESSION_IDLE_SECONDS"])
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + idle + 5)
    assert _identity(client).kind == "anonymous"


def test_use_keeps_a_session_until_the_absolute_time_out(app, client, monkeypatch):
    make_user(app, "alice")
    sign_in(client)
    idle = int(app.config["WEB_SESSION_IDLE_SECONDS"])
    longest = int(app.config["WEB_SESSION_MAX_SECONDS"])
    start = time.time()
    clock = {"now": start}
    monkeypatch.setattr(time, "time", lambda: clock["now"])
    # A page every half idle period keeps the session (the cookie is signed again) ...
    while clock["now"] + idle / 2 < start + longest - 10:
        clock["now"] += idle / 2
        assert _identity(client).kind == "user"
    # ... until the absolute time-out, however busy the person.
    clock["now"] = start + longest + 1
    assert _identity(client).kind == "anonymous"


def test_the_session_cookie_is_secure_over_https(app, client):
    make_user(app, "alice")
    page = client.get("/signin", headers=HTML, base_url="https://tillit.test")
    token = page_csrf(page.get_data(as_text=True))
    response = client.post(
        "/signin",
        data={"username": "alice", "password": "correct horse battery staple", "csrf_token": token},
        headers={**HTML, "Referer": "https://tillit.test/signin"},  # Flask-WTF checks it over https
        base_url="https://tillit.test",
    )
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-tillit-session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie and "Domain" not in cookie


def test_login_rate_limits_apply_to_the_pages(app, client):
    """The authorization server's limits, in the same buckets: failures per address across
    user names (the per-account limit is spared by the lockout, as on its own page)."""
    make_user(app, "alice")
    limit = int(str(app.config["RATE_LIMIT_LOGIN_ADDRESS"]).split("/")[0])
    statuses = [
        sign_in(client, username=f"name{i}", password="a guess").status_code for i in range(limit + 1)
    ]
    assert statuses == [200] * limit + [429]
    refused = sign_in(client)
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert "Retry-After" in refused.headers
