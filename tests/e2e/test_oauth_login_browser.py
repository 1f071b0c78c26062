"""The authorization server's own login page (what a third-party application sends a person
to: authorization code with PKCE) in the web application's look: its stylesheet, header and
footer, a language switch that keeps the application's request, under the page's strict CSP
(a violation in the console fails the test); axe finds nothing, in Swedish and in English,
and it fits a phone (390 px) without scrolling sideways."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.security.people import auth_params, make_app_client, pkce

pytestmark = pytest.mark.e2e

TEXTS = {
    "sv": {"locale": "sv-SE", "title": "Logga in i Tillit", "asks": "Catalogue app vill agera åt dig",
           "user": "Användarnamn", "other": ("English", "Sign in to Tillit")},
    "en": {"locale": "en-GB", "title": "Sign in to Tillit", "asks": "Catalogue app asks to act for you",
           "user": "User name", "other": ("Svenska", "Logga in i Tillit")},
}  # fmt: skip


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_login_page_has_the_applications_look(
    module_app, module_server, module_browser, axe, screenshot, lang
):
    text = TEXTS[lang]
    client_id, _secret = make_app_client(module_app)
    _verifier, challenge = pkce()
    problems: list[str] = []
    context = module_browser.new_context(locale=text["locale"], viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    response = page.goto(f"{module_server}/oauth/authorize?{urlencode(auth_params(client_id, challenge))}")
    assert response is not None and response.status == 200
    csp = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
    assert page.title() == text["title"]
    assert text["asks"] in page.locator("main").inner_text()
    # The stylesheet is applied (served from this origin under style-src 'self').
    assert page.evaluate("getComputedStyle(document.querySelector('header.top .brand')).fontWeight") == "700"
    assert page.get_by_label(text["user"]).is_visible()
    axe.assert_clean(page)
    screenshot(page, f"oauth-login-{lang}")

    # On a phone: nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    axe.assert_clean(page)
    screenshot(page, f"oauth-login-phone-{lang}")

    # The language switch keeps the application's request.
    other, other_title = text["other"]
    page.get_by_role("link", name=other, exact=True).click()
    page.wait_for_url("**lang=**")
    assert page.title() == other_title
    assert "Catalogue app" in page.locator("main").inner_text()
    assert page.locator("input[name=password]").count() == 1
    axe.assert_clean(page)
    assert problems == [], problems
    context.close()
