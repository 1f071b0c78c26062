"""Developers in a real browser (issue 17, "Done when"): a developer of another agency
searches, filters by a facet and opens a redacted summary; a developer cleared for the entry
reads it whole and its OpenAPI document rendered by Swagger UI, under the strict CSP.

People act through a bearer token in the browser context (a real person's, from the
authorization server, tests.security.people); tests/e2e/test_journeys.py walks the same
journey signed in through the sign-in form.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.people import person_token

pytestmark = pytest.mark.e2e

SKATTEETATEN = "974761076"
SKATTEVERKET = "202100-5448"
JOURNEY = {
    "sv": {"query": "inkomstuppgifter", "summary": "Det finns mer än du kan se", "hits": "träff"},
    "en": {"query": "inkomstuppgifter", "summary": "More exists than you can see", "hits": "hit"},
}


def person_context(browser: Any, app: Any, live_server: str, clearance: str) -> tuple[Any, list[str]]:
    token = person_token(
        app, agency=SKATTEETATEN, clearance=clearance, scopes=[f"catalogue:read:{clearance}"]
    )
    context = browser.new_context(
        extra_http_headers={"Authorization": f"Bearer {token}"}, viewport={"width": 1200, "height": 900}
    )
    # The shell sends its strict CSP on every page: a script or style it blocks is reported
    # in the console, which `watch` collects.
    violations: list[str] = []
    return context, violations


def watch(page: Any, violations: list[str]) -> None:
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: violations.append(str(e)))


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_developer_searches_filters_and_reads_a_summary_then_a_cleared_one_reads_it_whole(
    browser, live_server, app, axe, screenshot, lang
):
    words = JOURNEY[lang]
    context, violations = person_context(browser, app, live_server, "internal")
    page = context.new_page()
    watch(page, violations)
    page.goto(f"{live_server}/?lang={lang}")
    page.fill("input[type=search]", words["query"])
    page.press("input[type=search]", "Enter")
    page.wait_for_url(f"**q={words['query']}**")
    assert words["hits"] in page.locator("p.count").inner_text()
    axe.assert_clean(page)
    screenshot(page, f"search-{lang}")

    # Filter by the publisher facet: Skatteverket, by name.
    page.locator(f'.facet-publisher a[data-value="{SKATTEVERKET}"]').click()
    page.wait_for_url(f"**publisher={SKATTEVERKET}**")
    assert page.locator(".facet-publisher a.selected").count() == 1
    titles = page.locator("ol.results li.entry a.title")
    assert titles.count() >= 1
    api = page.locator("ol.results li.entry", has_text="Inkomstuppgifter API")
    api.locator("a.title").click()
    page.wait_for_url("**/entries/**")
    entry_url = page.url
    assert words["summary"] in page.locator(".redacted").inner_text()
    assert page.locator("table.operations").count() == 0
    axe.assert_clean(page)
    screenshot(page, f"entry-summary-{lang}")
    assert violations == []
    context.close()

    cleared, violations = person_context(browser, app, live_server, "sensitive")
    page = cleared.new_page()
    watch(page, violations)
    page.goto(f"{entry_url}?lang={lang}")  # a new browser: no language remembered yet
    assert page.locator(".redacted").count() == 0
    assert page.locator("table.legal a").count() >= 1
    assert page.locator("table.operations tbody tr").count() >= 1
    axe.assert_clean(page)
    screenshot(page, f"entry-full-{lang}")
    page.locator("a.openapi").click()
    page.wait_for_url("**/openapi**")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)  # rendered, not raw JSON
    assert page.locator(".swagger-ui .opblock").count() >= 1
    axe.assert_clean(page)
    screenshot(page, f"openapi-{lang}")
    assert violations == []
    cleared.close()


def test_the_pages_fit_a_phone(browser, live_server, app):
    context, _violations = person_context(browser, app, live_server, "sensitive")
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    for path in (
        "/?q=inkomst&lang=sv",
        "/agencies?lang=sv",
        f"/agencies/{SKATTEVERKET}?lang=sv",
        "/themes?lang=sv",
    ):
        page.goto(f"{live_server}{path}")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, (path, wide)
    page.goto(f"{live_server}/?q=inkomstuppgifter+api&lang=sv")
    page.locator("ol.results li.entry a.title").first.click()
    page.wait_for_url("**/entries/**")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
