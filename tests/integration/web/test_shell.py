"""The frame of every page: security headers, error pages for people, titles, favicon,
notifications, escaping of what people are called, and complete translations."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import g

from api.web.headers import content_security_policy
from authserver.services.users import UserService
from catalogue.models import Notification
from tests.agencies import SKATTEVERKET
from tests.integration.web.signing_in import HTML, sign_in
from tests.security.people import auth_params, make_app_client, make_user, pkce

STRICT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def test_pages_carry_the_strict_policy_and_headers(client):
    page = client.get("/", headers=HTML)
    assert page.headers["Content-Security-Policy"] == STRICT
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "Cookie" in page.headers["Vary"]
    # No inline script anywhere in the frame: a page's scripts are files of our own.
    html = page.get_data(as_text=True)
    scripts = re.findall(r"<script[^>]*>.*?</script>", html, re.S)
    own = r'<script src="/assets/[^"]+\.js"( defer)?></script>'
    assert all(re.fullmatch(own, s) for s in scripts), scripts
    assert html.count("<script") == len(scripts)


def test_a_view_relaxes_the_policy_for_its_own_response_only(app):
    with app.test_request_context("/"):
        g.csp_relax = {
            "style-src": ["'unsafe-inline'"],
            "worker-src": ["blob:"],
            "frame-ancestors": ["*"],  # never relaxed
            "script-src": ["'self'; evil"],  # no smuggled directive
        }
        policy = content_security_policy()
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "worker-src blob:" in policy
    assert "frame-ancestors 'none'" in policy and "*" not in policy
    assert "evil" not in policy
    with app.test_request_context("/"):
        assert content_security_policy() == STRICT


def test_no_store_for_anyone_signed_in_or_holding_a_token(app, client, token_for):
    anonymous = app.test_client().get("/", headers=HTML)
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    bearer = client.get("/", headers={**HTML, **token_for("sensitive")})
    assert bearer.headers["Cache-Control"] == "no-store"
    make_user(app, "alice")
    sign_in(client)
    signed_in = client.get("/", headers=HTML)
    assert signed_in.headers["Cache-Control"] == "no-store"
    assert client.get("/signin", headers=HTML).headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("sv", "Sidan finns inte"),
        ("nb", "Fant ikke siden"),
        ("nn", "Fann ikkje sida"),
        ("en", "Page not found"),
    ],
)
def test_a_browser_gets_a_404_page_in_its_language(client, lang, text):
    page = client.get(f"/no/such/page?lang={lang}", headers=HTML)
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert text in html
    assert f"<title>{text} · Tillit</title>" in html
    assert f'<html lang="{lang}">' in html
    assert page.headers["Content-Security-Policy"] == STRICT
    assert page.headers["Cache-Control"] == "no-store"


def test_a_missing_entry_is_a_404_page_like_a_missing_page(client):
    page = client.get("/entries/00000000-0000-4000-8000-000000000000?lang=en", headers=HTML)
    assert page.status_code == 404
    assert "Page not found" in page.get_data(as_text=True)


def test_the_api_keeps_problems_even_for_a_browser(client):
    response = client.get("/api/v1/no-such-thing", headers=HTML)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert client.get("/no/such/page").mimetype == "application/problem+json"  # no Accept: a program


def test_a_405_page(client):
    page = client.post("/favicon.ico", headers=HTML)
    # CSRF runs first on the pages' own routes; an unknown method elsewhere is a 405 page.
    assert page.status_code in (400, 405)
    assert page.mimetype == "text/html"


def test_titles_and_favicon(client):
    html = client.get("/signin?lang=sv", headers=HTML).get_data(as_text=True)
    assert "<title>Logga in · Tillit</title>" in html
    assert 'rel="icon"' in html
    for path in ("/assets/favicon.svg", "/favicon.ico"):
        with client.get(path) as icon:
            assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
            assert icon.get_data().startswith(b"<svg")


def test_a_hostile_name_is_escaped_in_the_header(app, client):
    ext = app.extensions["tillit"]
    make_user(app, "mallory")
    with ext.sessions() as db:
        UserService(db, ext.scheme).by_username("mallory").name = '<script>alert("x")</script>'
        db.commit()
    sign_in(client, "mallory")
    html = client.get("/", headers=HTML).get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_notifications_need_a_signed_in_person(client):
    response = client.get("/notifications", headers=HTML)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=/notifications")


def test_access_notices_are_named_in_the_page_language(app, client):
    """Issue 19's notices (a request to assess, a grant ending or revoked) are named like
    the review ones, not shown by their code."""
    make_user(app, "otto", agency=SKATTEVERKET, roles=("security_officer",))
    ext = app.extensions["tillit"]
    with ext.sessions() as db:
        for kind in ("access.submitted", "grant.expiring", "grant.revoked"):
            db.add(Notification(agency=SKATTEVERKET, audience="security_officer", kind=kind, message="m"))
        db.commit()
    sign_in(client, "otto")
    html = client.get("/notifications?lang=sv", headers=HTML).get_data(as_text=True)
    for label in (
        "En begäran om åtkomst väntar på bedömning",
        "En beviljad åtkomst upphör inom 30 dagar",
        "En beviljad åtkomst återkallades",
    ):
        assert label in html
    assert "access.submitted" not in html and "grant.revoked" not in html


def test_an_officer_sees_the_count_and_the_list(app, client):
    make_user(app, "olga", agency=SKATTEVERKET, roles=("security_officer",))
    ext = app.extensions["tillit"]
    with ext.sessions() as db:
        for _ in range(2):
            db.add(
                Notification(
                    agency=SKATTEVERKET, audience="security_officer", kind="review.requested", message="m"
                )
            )
        db.add(Notification(agency=SKATTEVERKET, audience="data_owner", kind="review.approved", message="m"))
        db.commit()
    sign_in(client, "olga")
    html = client.get("/notifications?lang=sv", headers=HTML).get_data(as_text=True)
    assert '<span class="count-badge">2</span>' in html
    assert "2 notiser" in html
    assert html.count("En granskning väntar på beslut") == 2
    assert "En granskning godkändes" not in html  # the data owners' queue, not hers


def test_a_reader_without_a_queue_sees_no_count(app, client):
    make_user(app, "rita", roles=())
    sign_in(client, "rita")
    html = client.get("/", headers=HTML).get_data(as_text=True)
    assert "count-badge" not in html
    page = client.get("/notifications?lang=en", headers=HTML).get_data(as_text=True)
    assert "Notifications are for data owners and security officers." in page


def test_the_authorization_servers_login_page_speaks_the_readers_language(app, client):
    client_id, _ = make_app_client(app)
    _, challenge = pkce()
    params = auth_params(client_id, challenge)
    swedish = client.get("/oauth/authorize", query_string=params, headers={"Accept-Language": "sv"})
    html = swedish.get_data(as_text=True)
    assert '<html lang="sv">' in html and "<title>Logga in i Tillit</title>" in html
    assert "Catalogue app vill agera åt dig" in html and "Användarnamn" in html
    english = client.get("/oauth/authorize", query_string=params).get_data(as_text=True)
    assert "<title>Sign in to Tillit</title>" in english and "Catalogue app asks to act for you" in english


def test_sign_in_comes_back_to_the_page_with_its_query(app, client):
    """The header's link keeps the page's query (a search with the filters it understood),
    re-encoded and escaped, never raw; the person lands on that very search after signing in."""
    hostile = '/?q=<script>alert("q")</script>&theme=NOPE&publisher=202100-5448'
    html = client.get(hostile, headers=HTML).get_data(as_text=True)
    assert "<script>alert" not in html
    link = re.search(r'<a class="signin" href="([^"]+)"', html)
    assert link is not None
    target = parse_qs(urlsplit(unescape(link.group(1))).query)["next"][0]
    assert target.startswith("/?") and "<" not in target and '"' not in target  # re-encoded
    kept = parse_qs(urlsplit(target).query)
    # What the search page understood is kept; an unknown filter value is never echoed.
    assert kept["q"] == ['<script>alert("q")</script>'] and "theme" not in kept
    make_user(app, "vera", agency=SKATTEVERKET)
    landed = sign_in(client, "vera", next_page=target)
    assert landed.status_code == 302 and landed.headers["Location"] == target
    # A page answered to something other than GET (an error page after a POST) links plainly.
    client.post("/signout", data={}, headers=HTML)  # (refused: no token; she stays signed in)
    client.delete_cookie("tillit-session")
    page = client.post("/?q=kept", headers=HTML)
    assert page.status_code == 405
    assert '<a class="signin" href="/signin">' in page.get_data(as_text=True)


def test_the_public_level_notice_is_for_anonymous_readers_only(app, client, token_for):
    notice = "You see what the Public level may see."
    assert notice in client.get("/?lang=en", headers=HTML).get_data(as_text=True)
    as_token = client.get("/?lang=en", headers={**HTML, **token_for("internal")}).get_data(as_text=True)
    assert notice not in as_token
    make_user(app, "vilma", agency=SKATTEVERKET)
    sign_in(client, "vilma")
    signed_in = client.get("/?lang=en", headers=HTML).get_data(as_text=True)
    assert notice not in signed_in and "Clearance: Sensitive" in signed_in  # she sees hers


def _nav(html: str) -> list[str]:
    nav = re.search(r'<nav class="main-nav"[^>]*>(.*?)</nav>', html, re.S)
    assert nav is not None
    return [unescape(label) for label in re.findall(r"<a [^>]*>([^<]+)</a>", nav.group(1))]


@pytest.mark.parametrize(
    ("roles", "shown", "hidden"),
    [
        (
            ("data_owner",),
            ["My agency's entries", "My agency's access requests", "Grants register"],
            ["Review queue", "Requests to my agency", "Audit log"],
        ),
        (
            ("security_officer",),
            ["Review queue", "Requests to my agency", "Grants register"],
            ["My agency's entries", "My agency's access requests"],
        ),
    ],
)
def test_the_header_links_what_the_persons_roles_open(app, client, roles, shown, hidden):
    make_user(app, "nora", agency=SKATTEVERKET, roles=roles)
    sign_in(client, "nora")
    links = _nav(client.get("/?lang=en", headers=HTML).get_data(as_text=True))
    assert set(shown) <= set(links) and not set(hidden) & set(links)


def test_an_anonymous_reader_gets_only_search_in_the_header(client):
    assert _nav(client.get("/?lang=en", headers=HTML).get_data(as_text=True)) == ["Search"]
