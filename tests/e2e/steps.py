"""Journey steps that more than one browser test walks (tests/e2e/test_journeys.py signed
in through the form, tests/e2e/test_work_journeys.py with bearer tokens): a data owner
registers an API through the form and fixes the legal basis, submits it; a security
officer opens it in the queue and approves it listed publicly. Each step asserts what
every journey expects of it; a journey adds its own checks, axe runs and screenshots
between the steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.factories import MINIMAL_OPENAPI

#: OSL (2009:400) 27 kap. 1 §: secrecy for information in tax matters.
TAX_SECRECY = {
    "role": "restriction",
    "jurisdiction": "SE",
    "reference": "2009:400",
    "provision": "27 kap. 1 §",
}


def register_api_without_basis(
    page: Any, lang: str, *, title: str, description: str, endpoint: str, folder: Path
) -> Any:
    """Fill the API form (internal, an OpenAPI document uploaded) without the restriction
    basis an internal entry must cite, and save: the rule's message shows beside the legal
    basis, tied to it, and nothing typed is lost. Returns the error's locator."""
    page.fill(f"#f-title-{lang}", title)
    page.fill(f"#f-description-{lang}", description)
    page.select_option("#f-classification", "internal")
    page.fill("#f-endpoint_urls", endpoint)
    document = folder / "openapi.json"
    document.write_text(json.dumps(MINIMAL_OPENAPI))
    page.set_input_files("#f-openapi-file", str(document))
    page.click("button[name=action][value=save]")
    error = page.locator("#f-legal_basis-error")
    expect(error).to_be_visible()  # waits for the form's answer
    assert "f-legal_basis-error" in (page.get_attribute("#f-legal_basis", "aria-describedby") or "")
    assert page.input_value(f"#f-title-{lang}") == title
    return error


def cite_tax_secrecy_and_save(page: Any) -> str:
    """Fix the form with the restriction basis and save the draft; returns its entry id."""
    page.select_option("#f-legal_basis-0-role", TAX_SECRECY["role"])
    page.select_option("#f-legal_basis-0-jurisdiction", TAX_SECRECY["jurisdiction"])
    page.fill("#f-legal_basis-0-reference", TAX_SECRECY["reference"])
    page.fill("#f-legal_basis-0-provision", TAX_SECRECY["provision"])
    page.click("button[name=action][value=save]")
    page.wait_for_url("**/work/entries/*/edit?done=created")
    return str(page.url.split("/work/entries/")[1].split("/")[0])


def submit_for_review(page: Any) -> None:
    page.click("form.submit-form button[type=submit]")
    page.wait_for_url("**done=submitted")


def listed_in_mine(page: Any, server: str, entry_id: str) -> None:
    """ "My agency's entries" lists the entry once."""
    page.goto(f"{server}/work/mine")
    assert page.locator(f"a[href='/entries/{entry_id}']").count() == 1


def open_review(page: Any, title: str) -> None:
    """From the review queue, open the entry's review: the diff shows the legal basis."""
    page.get_by_role("link", name=title).click()
    page.wait_for_url("**/work/reviews/*")
    diff = page.locator("table.diff")
    expect(diff).to_be_visible()
    assert TAX_SECRECY["reference"] in diff.inner_text()


def approve_listed_publicly(page: Any, rationale: str) -> None:
    """Approve the review with the listing level lowered to public, with a rationale."""
    page.check("input[name=decision][value=approve]")
    page.select_option("#d-listing_level", "public")
    page.fill("#d-rationale", rationale)
    page.click("form.decision button[type=submit]")
    page.wait_for_url("**done=decided")
