"""People in a real browser: browsing the demo catalogue, and logging in with PKCE."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select

from catalogue.models import Entry
from tests.security.people import PASSWORD, REDIRECT, make_app_client, make_user

pytestmark = pytest.mark.e2e


def titles_at(app, **where):
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        rows = session.scalars(select(Entry).filter_by(**where)).all()
        return [next(iter(e.title.values())) for e in rows]


def test_browse_search_and_read(browser, live_server, app, tmp_path):
    page = browser.new_page()
    page.goto(f"{live_server}/?lang=sv")
    assert page.locator("header .tagline").inner_text() == "Myndigheternas katalog över data och API:er"
    total = int(page.locator("p.count").get_attribute("data-total"))
    assert total > 20
    # Anonymous readers see the public level: nothing listed above it appears.
    hidden = titles_at(app, listing_level="sensitive", status="published")
    assert hidden
    body = page.content()
    assert not any(title in body for title in hidden)

    page.fill("input[type=search]", "fastighet")
    page.press("input[type=search]", "Enter")
    page.wait_for_url("**q=fastighet**")
    results = page.locator("ol.results li.entry")
    assert results.count() >= 1
    first_title = results.first.locator("a.title").inner_text()
    page.screenshot(path=str(tmp_path / "search.png"), full_page=True)

    results.first.locator("a.title").click()
    page.wait_for_url("**/entries/**")
    assert page.locator("h1").inner_text() == first_title
    summary = page.locator(".redacted")
    if summary.count() == 0:
        # A whole entry shows its legal basis, linked to the statute.
        links = page.locator("table.legal a")
        if links.count():
            assert links.first.get_attribute("href").startswith(
                ("https://rkrattsbaser.gov.se/", "https://lovdata.no/", "https://eur-lex.europa.eu/")
            )
    page.screenshot(path=str(tmp_path / "entry.png"), full_page=True)
    assert page.goto(f"{live_server}/entries/00000000-0000-4000-8000-000000000000").status == 404


def test_person_logs_in_with_pkce(browser, live_server, app, client):
    make_user(app, "alice", roles=("data_owner",))
    client_id, secret = make_app_client(app)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "state": "st-e2e",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "scope": "catalogue:read:sensitive catalogue:write",
        }
    )
    page = browser.new_page()
    landed: list[str] = []
    # The app's callback is not served here: catch the redirect the browser follows.
    page.route(
        f"{REDIRECT}**",
        lambda route: (landed.append(route.request.url), route.fulfill(status=200, body="signed in")),
    )
    page.goto(f"{live_server}/oauth/authorize?{query}")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit], input[type=submit]")
    assert not landed and page.locator("form").count() >= 1  # refused, still on the login page
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_request(lambda request: request.url.startswith(REDIRECT), timeout=15_000) as sent:
        page.click("button[type=submit], input[type=submit]")
    landed.append(sent.value.url)
    params = {k: v[0] for k, v in parse_qs(urlsplit(landed[0]).query).items()}
    assert params["state"] == "st-e2e" and params["iss"] == "http://tillit.test" and params["code"]
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    token = client.post(
        "/oauth/token",
        headers={"Authorization": f"Basic {basic}"},
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    ).json
    assert token["scope"] == "catalogue:read:sensitive catalogue:write"
    me = client.get(
        "/api/v1/datasets?per_page=1", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert me.status_code == 200
