"""Issue 19's story through the web pages, in a real browser: a developer of Skatteetaten
finds a sensitive Skatteverket API as a summary and asks, from it, for two of its
operations with Skatteetaten's processing basis (the form's message beside its field
first); Skatteverket's officers see the flags, one takes it into assessment and another
narrows it to one operation and grants it for 12 months under the entry's disclosure
basis; the developer sees the grant in the register. A request for an entry without a
disclosure basis is refused, and the developer reads the reason. axe finds nothing on any
page; screenshots go to docs/screenshots/access-*.png.

Each person's browser sends their bearer token (WEB-R5.md): a real person's token from the
authorization server.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import SKATTEETATEN, SKATTEVERKET, register_client
from tests.factories import GDPR_TASK, OSL_TAX
from tests.integration.test_access_story import OSL_DISCLOSURE, request_body, sensitive_api
from tests.security.people import person_token

pytestmark = pytest.mark.e2e


def _as(browser: Any, token: str) -> Any:
    """A page in a browser of its own, acting as the person whose token it sends."""
    context = browser.new_context(
        extra_http_headers={"Authorization": f"Bearer {token}"}, viewport={"width": 1100, "height": 900}
    )
    return context.new_page()


def _officer(app: Any) -> str:
    return person_token(
        app,
        agency=SKATTEVERKET,
        clearance="sensitive",
        scopes=["catalogue:read:sensitive", "catalogue:review"],
    )


def test_request_assess_narrow_grant_and_refuse(
    browser, live_server, app, client, token_for, axe, screenshot
):
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    bare = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK])  # no disclosure basis
    developer = person_token(
        app, agency=SKATTEETATEN, clearance="public", scopes=["catalogue:read:public", "catalogue:write"]
    )
    system, _secret = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    assessor, decider = _officer(app), _officer(app)

    # -- the developer finds the API as a summary and asks for access from it.
    dev = _as(browser, developer)
    dev.goto(f"{live_server}/entries/{entry['id']}?lang=en")
    assert dev.locator("section.redacted").is_visible()
    axe.assert_clean(dev)
    dev.click("p.request-access a.button")
    dev.wait_for_url(f"**/entries/{entry['id']}/request-access")
    dev.fill("#f-operations", "getInkomst\nsokInkomster")
    dev.select_option("#f-purpose_code", "dpv:LegalCompliance")
    dev.select_option("#f-processing_basis-0-jurisdiction", "NO")
    dev.fill("#f-processing_basis-0-reference", "LOV-2016-05-27-14")
    dev.check("input[name=data_elements][value=personal-identity-number]")
    dev.check("input[name=data_elements][value=income]")
    dev.fill("#f-consumer_client_id", system)
    dev.fill("#f-contact-name", "Kari Nordmann")
    dev.fill("#f-contact-email", "kari@skatteetaten.no")
    dev.click("button[name=action][value=send]")  # no purpose yet
    dev.wait_for_selector("#f-purpose-error")  # the page answered with the form again
    assert dev.locator("#f-purpose-error").is_visible()
    assert "f-purpose-error" in (dev.get_attribute("#f-purpose", "aria-describedby") or "")
    assert dev.input_value("#f-contact-email") == "kari@skatteetaten.no"  # nothing typed is lost
    axe.assert_clean(dev)
    screenshot(dev, "access-request-form-error")
    dev.fill("#f-purpose", "Kontroll av inntekt opptjent i Sverige for personer skattepliktige i Norge.")
    dev.click("button[name=action][value=send]")
    dev.wait_for_url("**/access/requests/*?done=sent")
    request_id = dev.url.split("/access/requests/")[1].split("?")[0]
    assert "Submitted" in dev.inner_text("main")
    axe.assert_clean(dev)
    screenshot(dev, "access-request-sent")

    # -- an officer of Skatteverket sees it in the queue, with the flags, and takes it up.
    desk = _as(browser, assessor)
    desk.goto(f"{live_server}/access/incoming?lang=en")
    axe.assert_clean(desk)
    screenshot(desk, "access-queue")
    desk.click(f"a[href='/access/requests/{request_id}']")
    desk.wait_for_url(f"**/access/requests/{request_id}")
    # The flags section: nothing stands in the way here (Skatteetaten is cleared for
    # sensitive data and cites its processing basis); the refusal below shows a blocking one.
    assert "No flags" in desk.inner_text("#flags-h + p")
    assert "10 kap. 28 §" in desk.inner_text("main")  # the entry's disclosure basis
    assert "LOV-2016-05-27-14" in desk.inner_text("main")  # Skatteetaten's processing basis
    desk.click("text=Take into assessment")
    desk.wait_for_url("**done=assessed")
    assert desk.locator("#four-eyes").is_visible()
    axe.assert_clean(desk)

    # -- another officer narrows it to one operation and grants it for 12 months.
    chief = _as(browser, decider)
    chief.goto(f"{live_server}/access/requests/{request_id}?lang=en")
    chief.check("input[name=decision][value=grant]")
    chief.fill("#d-reason", "Utlämnande enligt 10 kap. 28 § OSL; endast enskild uppgift behövs.")
    chief.select_option("#d-disclosure_basis", "0")
    chief.fill("#d-valid_until", (date.today() + timedelta(days=365)).isoformat())
    chief.uncheck("input[name=operations][value=sokInkomster]")
    axe.assert_clean(chief)
    screenshot(chief, "access-decision")
    chief.click("form.decision button[type=submit]")
    chief.wait_for_url("**done=decided")
    assert "Granted" in chief.inner_text("main")
    axe.assert_clean(chief)

    # -- the developer sees the grant: one operation, both legal bases.
    dev.goto(f"{live_server}/access/grants?lang=en")
    register = dev.inner_text("main")
    assert "LOV-2016-05-27-14" in register and "10 kap. 28 §" in register
    axe.assert_clean(dev)
    screenshot(dev, "access-grants")
    dev.click("table.grants a")
    dev.wait_for_url("**/access/grants/*")
    grant_page = dev.inner_text("main")
    assert "getInkomst" in grant_page and "sokInkomster" not in grant_page
    axe.assert_clean(dev)
    screenshot(dev, "access-grant")

    # -- a request for an entry without a disclosure basis: flagged, refused, reason read.
    made = client.post(
        "/api/v1/access-requests",
        json=request_body(bare["id"], system),
        headers={"Authorization": f"Bearer {developer}"},
    )
    assert made.status_code == 201, made.json
    refused_id = made.json["id"]
    desk.goto(f"{live_server}/access/requests/{refused_id}?lang=en")
    flags = desk.inner_text("ul.flags")
    assert "No disclosure basis" in flags and "cannot be granted as it stands" in flags
    axe.assert_clean(desk)
    screenshot(desk, "access-flags")
    desk.click("text=Take into assessment")
    desk.wait_for_url("**done=assessed")
    reason = "Uppgifterna får inte lämnas ut: ingen bestämmelse i OSL medger utlämnande till Skatteetaten."
    chief.goto(f"{live_server}/access/requests/{refused_id}?lang=en")
    chief.check("input[name=decision][value=refuse]")
    chief.fill("#d-reason", reason)
    chief.click("form.decision button[type=submit]")
    chief.wait_for_url("**done=decided")
    dev.goto(f"{live_server}/access/requests/{refused_id}?lang=sv")
    answer = dev.inner_text("section.answer")
    assert reason in answer and "Varför den avslogs" in answer
    axe.assert_clean(dev)
    screenshot(dev, "access-refused-sv")

    # On a phone (390 px wide) no access page scrolls sideways.
    for who, path in (
        (dev, f"/entries/{entry['id']}/request-access"),
        (dev, "/access/grants"),
        (chief, f"/access/requests/{request_id}"),
    ):
        who.set_viewport_size({"width": 390, "height": 844})
        who.goto(f"{live_server}{path}")
        assert who.evaluate("document.documentElement.scrollWidth") <= 390, path
