"""The data owner's and the security officer's journeys in a real browser (issue 17's
done-criterion): a data owner registers an API with an OpenAPI document through the form,
fixes the validation error shown beside the field and submits it; a security officer of
the same agency finds it in the queue, reads the diff and approves it with a lowered
listing level. In Swedish and in English; axe finds nothing on any page; a screenshot of
each main page goes to docs/screenshots/.

Each person's browser sends their bearer token (a real person's token from the
authorization server); tests/e2e/test_journeys.py walks the same journey signed in
through the sign-in form.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import SKATTEVERKET
from tests.factories import MINIMAL_OPENAPI
from tests.security.people import person_token

pytestmark = pytest.mark.e2e


def _as(browser: Any, token: str) -> Any:
    """A page in a browser of its own, acting as the person whose token it sends."""
    context = browser.new_context(
        extra_http_headers={"Authorization": f"Bearer {token}"}, viewport={"width": 1100, "height": 900}
    )
    return context.new_page()


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_register_an_api_then_an_officer_approves_it(
    browser, live_server, app, client, axe, screenshot, lang, tmp_path
):
    owner = person_token(
        app,
        agency=SKATTEVERKET,
        clearance="sensitive",
        scopes=["catalogue:read:sensitive", "catalogue:write"],
    )
    officer = person_token(
        app,
        agency=SKATTEVERKET,
        clearance="sensitive",
        scopes=["catalogue:read:sensitive", "catalogue:review"],
    )
    title = {"sv": "Inkomst-API (test)", "en": "Income API (test)"}[lang]

    # -- the data owner registers the API, classified internal, without a legal basis first.
    page = _as(browser, owner)
    page.goto(f"{live_server}/work/new/api?lang={lang}")
    axe.assert_clean(page)
    page.fill("#f-title-" + lang, title)
    page.fill(
        "#f-description-" + lang, "Arbetsgivares uppgifter om inkomster." if lang == "sv" else "Income."
    )
    page.select_option("#f-classification", "internal")
    page.fill("#f-endpoint_urls", "https://api.skatteverket.se/inkomst/v1")
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(MINIMAL_OPENAPI))
    page.set_input_files("#f-openapi-file", str(document))
    page.click("button[name=action][value=save]")
    # The rule's refusal, beside the legal basis, tied to it; what was typed is still there.
    error = page.locator("#f-legal_basis-error")
    expect(error).to_be_visible()  # waits for the form's answer (as tests/e2e/test_journeys.py)
    assert "2009:400" not in error.inner_text()
    assert "f-legal_basis-error" in (page.get_attribute("#f-legal_basis", "aria-describedby") or "")
    assert page.input_value("#f-title-" + lang) == title
    assert json.loads(page.input_value("#f-openapi-text")) == MINIMAL_OPENAPI  # the upload is kept
    axe.assert_clean(page)
    screenshot(page, f"work-form-error-{lang}")

    # -- fixes it: a restriction basis (OSL 27 kap. 1 §, tax secrecy), and saves a draft.
    page.select_option("#f-legal_basis-0-role", "restriction")
    page.select_option("#f-legal_basis-0-jurisdiction", "SE")
    page.fill("#f-legal_basis-0-reference", "2009:400")
    page.fill("#f-legal_basis-0-provision", "27 kap. 1 §")
    page.click("button[name=action][value=save]")
    page.wait_for_url("**/work/entries/*/edit?done=created")
    axe.assert_clean(page)
    screenshot(page, f"work-draft-{lang}")
    page.click("form.submit-form button[type=submit]")
    page.wait_for_url("**done=submitted")
    entry_id = page.url.split("/work/entries/")[1].split("/")[0]
    page.goto(f"{live_server}/work/mine")
    assert page.locator(f"a[href='/entries/{entry_id}']").count() == 1
    axe.assert_clean(page)
    screenshot(page, f"work-mine-{lang}")

    # -- the officer finds it in the queue, reads the diff, approves with a lower listing level.
    desk = _as(browser, officer)
    desk.goto(f"{live_server}/work/reviews?state=pending&lang={lang}")
    axe.assert_clean(desk)
    screenshot(desk, f"work-queue-{lang}")
    desk.click(f"text={title}")
    desk.wait_for_url("**/work/reviews/*")
    diff = desk.locator("table.diff")
    assert diff.is_visible() and "2009:400" in diff.inner_text()
    axe.assert_clean(desk)
    screenshot(desk, f"work-review-{lang}")
    desk.check("input[name=decision][value=approve]")
    desk.select_option("#d-listing_level", "public")
    desk.fill("#d-rationale", "Skattesekretess; att API:et finns är ingen hemlighet.")
    desk.click("form.decision button[type=submit]")
    desk.wait_for_url("**done=decided")
    axe.assert_clean(desk)

    # On a phone (390 px wide) no work page scrolls sideways.
    for who, path in (
        (page, f"/work/new/api?lang={lang}"),
        (page, "/work/mine"),
        (desk, "/work/reviews"),
        (desk, desk.url.split(live_server)[1]),
    ):
        who.set_viewport_size({"width": 390, "height": 844})
        who.goto(f"{live_server}{path}")
        assert who.evaluate("document.documentElement.scrollWidth") <= 390, path
    screenshot(desk, f"work-review-phone-{lang}")

    body = client.get(f"/api/v1/apis/{entry_id}", headers={"Authorization": f"Bearer {owner}"}).json
    assert (body["status"], body["classification"], body["listing_level"]) == (
        "published",
        "internal",
        "public",
    )
