"""A person signs in to the pages through the form, in Swedish and in English, sees who
they are in the header, and signs out; the pages pass axe and fit a phone."""

from __future__ import annotations

import pytest

from tests.agencies import LANTMATERIET
from tests.security.people import PASSWORD, make_user

pytestmark = pytest.mark.e2e

TEXTS = {
    "sv": {"sign_in": "Logga in", "sign_out": "Logga ut", "user": "Användarnamn", "password": "Lösenord",
           "role": "Dataägare", "clearance": "Behörighet: Sekretessbelagd", "agency": "Lantmäteriet"},
    "en": {"sign_in": "Sign in", "sign_out": "Sign out", "user": "User name", "password": "Password",
           "role": "Data owner", "clearance": "Clearance: Sensitive", "agency": "Swedish Mapping Authority"},
}  # fmt: skip


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_sign_in_see_the_header_and_sign_out(browser, live_server, app, axe, screenshot, lang):
    make_user(app, f"lisa-{lang}", agency=LANTMATERIET, roles=("data_owner",))
    text = TEXTS[lang]
    page = browser.new_page()
    page.goto(f"{live_server}/?lang={lang}")
    axe.assert_clean(page)
    page.get_by_role("link", name=text["sign_in"]).click()
    page.wait_for_url("**/signin**")
    assert page.title() == f"{text['sign_in']} · Tillit"
    axe.assert_clean(page)
    screenshot(page, f"signin-{lang}")
    page.get_by_label(text["user"]).fill(f"lisa-{lang}")
    page.get_by_label(text["password"]).fill(PASSWORD)
    page.get_by_role("button", name=text["sign_in"]).click()
    page.wait_for_selector(".who .person")
    header = page.locator("header .who").inner_text()
    assert f"Lisa-{lang.title()}" in header
    assert text["agency"] in header  # the agency's name in the page's language
    assert text["role"] in header and text["clearance"] in header
    axe.assert_clean(page)
    screenshot(page, f"home-signed-in-{lang}")
    page.get_by_role("button", name=text["sign_out"]).click()
    page.wait_for_selector("a.signin")
    assert page.locator(".who .person").count() == 0
    assert not [c for c in page.context.cookies() if c["name"] == "tillit-session"]


def test_a_wrong_password_is_told_plainly(browser, live_server, app, axe):
    make_user(app, "lisa", agency=LANTMATERIET)
    page = browser.new_page()
    page.goto(f"{live_server}/signin?lang=en")
    page.get_by_label("User name").fill("lisa")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert "Wrong user name or password" in page.get_by_role("alert").inner_text()
    axe.assert_clean(page)


def test_phone_width_skip_link_and_focus(browser, live_server):
    """No horizontal scrolling at 390 px; the skip link is the first stop and shows its focus."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    for path in ("/?lang=sv", "/signin?lang=sv", "/no/such/page?lang=sv"):
        page.goto(f"{live_server}{path}", wait_until="load")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    # An entry with a legal-basis table (wide tables scroll inside themselves).
    page.goto(f"{live_server}/?lang=sv&q=fastighet")
    page.locator("ol.results a.title").first.click()
    page.wait_for_url("**/entries/**")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_server}/signin?lang=en")  # (the home page's search box has autofocus)
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    assert skip.evaluate("e => e === document.activeElement")
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0  # moved into view when focused
    assert skip.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
