"""Signing in to the pages: a session bound to the person, who they are in the header,
signing out, and the identity the pages act with (what the API gives that person)."""

from __future__ import annotations

import re

from api.web.session import page_identity
from authserver.services.users import UserService
from security.identity import REVIEW, WRITE, system_identity
from tests.agencies import LANTMATERIET, SKATTEETATEN
from tests.integration.web.signing_in import HTML, session_cookie, sign_in, sign_out
from tests.oidcflow import security_events
from tests.security.people import make_user


def test_every_page_offers_sign_in(client):
    html = client.get("/?lang=sv", headers=HTML).get_data(as_text=True)
    assert 'href="/signin?next=' in html
    assert "Logga in" in html


def test_a_person_signs_in_and_the_header_shows_them(app, client):
    make_user(
        app, "alice", agency=LANTMATERIET, roles=("data_owner", "security_officer"), clearance="internal"
    )
    response = sign_in(client, next_page="/?lang=sv")
    assert response.status_code == 302
    assert response.headers["Location"] == "/?lang=sv"
    cookie = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookie if c.startswith("tillit-session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Path=/" in session
    html = client.get("/?lang=sv", headers=HTML).get_data(as_text=True)
    assert "Alice" in html
    assert "Lantmäteriet" in html
    assert "Dataägare" in html and "Säkerhetsansvarig" in html
    assert "Behörighet: Intern" in html
    assert "Logga ut" in html
    assert 'href="/signin' not in html


def test_the_pages_act_with_the_persons_identity(app, client):
    make_user(app, "alice", agency=SKATTEETATEN, roles=("data_owner",), clearance="internal")
    sign_in(client)
    with client:
        client.get("/", headers=HTML)
        identity = page_identity()
        assert identity.kind == "user"
        assert identity.agency == SKATTEETATEN
        assert identity.clearance == "internal"
        assert identity.has_scope(WRITE) and not identity.has_scope(REVIEW)
        assert identity.person == identity.subject


def test_a_changed_role_counts_at_the_next_page(app, client):
    make_user(app, "alice", roles=("data_owner",))
    sign_in(client)
    ext = app.extensions["tillit"]
    with ext.sessions() as db:
        user = UserService(db, ext.scheme).by_username("alice")
        user.roles = ["security_officer"]
        db.commit()
    with client:
        client.get("/", headers=HTML)
        assert page_identity().has_scope(REVIEW)
        assert not page_identity().has_scope(WRITE)


def test_a_wrong_password_and_an_unknown_person_read_alike(app, client):
    make_user(app, "alice")
    wrong = sign_in(client, password="not the password at all")
    unknown = sign_in(client, username="nobody-here")
    assert wrong.status_code == unknown.status_code == 200
    token = re.compile(r'name="csrf_token" value="[^"]+"')  # signed with the time
    assert token.sub("", wrong.get_data(as_text=True)) == token.sub("", unknown.get_data(as_text=True))
    assert "Wrong user name or password" in wrong.get_data(as_text=True)
    assert session_cookie(client) is None


def test_sign_out_ends_the_session(app, client):
    alice = make_user(app, "alice")
    sign_in(client)
    assert session_cookie(client)
    response = sign_out(client)
    assert response.status_code == 302
    assert session_cookie(client) is None
    assert "Alice" not in client.get("/", headers=HTML).get_data(as_text=True)
    (event,) = security_events(app, "logout")
    assert event.actor == alice and event.details == {"via": "web"}


def test_next_never_leaves_the_site(app, client):
    make_user(app, "alice")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        client.delete_cookie("tillit-session")
        response = sign_in(client, next_page=target)
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target


def test_a_disabled_agency_person_cannot_sign_in(app, client):
    ext = app.extensions["tillit"]
    make_user(app, "alice")
    with ext.sessions() as db:
        UserService(db, ext.scheme).disable(system_identity(ext.scheme), "alice")
    response = sign_in(client)
    assert response.status_code == 200
    assert "Wrong user name or password" in response.get_data(as_text=True)


def test_a_hostile_next_is_escaped_on_the_form(client):
    html = client.get('/signin?next=/"><script>alert(1)</script>', headers=HTML).get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert 'value="/&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
