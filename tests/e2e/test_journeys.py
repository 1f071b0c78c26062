"""Issue 17's "Done when", in a real browser (Debian's chromium), each person signed in
through the sign-in form as a real person (an account with a password, roles and a
clearance, as `tillit demo` makes them), in Swedish and in English:

1. a data owner at Skatteverket registers an API with an OpenAPI document through the form,
   fixes the validation error shown beside its field, and submits it for review;
2. a security officer of the same agency finds it in the queue, reads the diff and approves
   it with a lowered listing level (internal, listed publicly);
3. a developer of another agency (Skatteetaten, cleared for public entries only) searches,
   filters by a facet and opens the redacted summary;
4. a developer of that agency with clearance reads the whole entry and its OpenAPI document
   rendered by Swagger UI;
5. the publisher sees both reads, with the readers' names and agency.

Every page the journey visits passes axe with zero violations and runs under the shell's
strict CSP (a violation in the console fails the test); each main page is saved as
docs/screenshots/journey-<n>-<page>-<lang>.png (the README shows some of them).

One chromium and one app for the module: the steps build on each other within a language,
and the two languages use different people and entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from authserver.services.users import UserService
from security.identity import system_identity
from tests.agencies import SKATTEETATEN, SKATTEVERKET
from tests.e2e.steps import (
    approve_listed_publicly,
    cite_tax_secrecy_and_save,
    listed_in_mine,
    open_review,
    register_api_without_basis,
    submit_for_review,
)
from tests.security.people import PASSWORD

pytestmark = pytest.mark.e2e

#: The words the pages say (from the shell's, discover's and work's catalogues) and the
#: journey's own content in each language.
TEXTS = {
    "sv": {
        "locale": "sv-SE", "user": "Användarnamn", "password": "Lösenord", "sign_in": "Logga in",
        "title": "Kontrolluppgiftstjänsten", "query": "kontrolluppgiftstjänsten",
        "description": "Arbetsgivares kontrolluppgifter om anställdas inkomster.",
        "rationale": "Skattesekretess gäller uppgifterna; att API:et finns är ingen hemlighet.",
        "summary": "Det finns mer än du kan se", "publisher": "Skatteverket", "hit": "1 träff",
        "readers": "Vem har läst detta", "reader_agency": "Skatteetaten",
        "whole": "Hela posten", "summary_read": "Sammanfattningen",
    },
    "en": {
        "locale": "en-GB", "user": "User name", "password": "Password", "sign_in": "Sign in",
        "title": "Statements of Earnings Service", "query": "earnings",
        "description": "Employers' statements of their employees' earnings.",
        "rationale": "Tax secrecy covers the data; that the API exists is no secret.",
        "summary": "More exists than you can see", "publisher": "Swedish Tax Agency", "hit": "1 hit",
        "readers": "Who has read this", "reader_agency": "Norwegian Tax Administration",
        "whole": "The whole entry", "summary_read": "The summary",
    },
}  # fmt: skip


def person(app: Any, username: str, name: str, agency: str, roles: tuple[str, ...], clearance: str) -> str:
    """A person as `tillit demo` makes one: an account with a password, roles and clearance."""
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        UserService(session, ext.scheme).create(
            system_identity(ext.scheme),
            username=username,
            agency=agency,
            name=name,
            roles=roles,
            password=PASSWORD,
            clearance=clearance,
        )
    return username


class Person:
    """One person's browser (a context of its own: its own cookies), signed in through the
    form; every page it loads is watched for CSP violations and script errors."""

    def __init__(self, browser: Any, server: str, lang: str) -> None:
        self.server, self.lang, self.problems = server, lang, []
        self.context = browser.new_context(
            locale=TEXTS[lang]["locale"], viewport={"width": 1200, "height": 900}
        )
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.problems.append(message.text)

    def sign_in(self, username: str, then: str) -> Any:
        """Go to ``then``; sign in through the form if the page sends us there (or the
        header's "Sign in" link); land on ``then``."""
        page, text = self.page, TEXTS[self.lang]
        page.goto(f"{self.server}{then}")
        if "/signin" not in page.url:
            page.get_by_role("link", name=text["sign_in"], exact=True).click()
            page.wait_for_url("**/signin**")
        page.get_by_label(text["user"]).fill(username)
        page.get_by_label(text["password"]).fill(PASSWORD)
        page.get_by_role("button", name=text["sign_in"], exact=True).click()
        page.wait_for_selector("header .who .person")
        assert page.url.split(self.server)[1].split("?")[0] == then.split("?")[0], page.url
        return page

    def close(self) -> None:
        assert self.problems == [], self.problems
        self.context.close()


@pytest.fixture
def people(module_browser: Any, module_server: str) -> Iterator[Any]:
    opened: list[Person] = []

    def open_for(lang: str) -> Person:
        opened.append(Person(module_browser, module_server, lang))
        return opened[-1]

    yield open_for
    for one in opened:
        one.close()


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_register_review_discover_read_and_see_the_readers(
    module_app, module_server, people, axe, screenshot, tmp_path, lang
):
    text = TEXTS[lang]
    owner = person(module_app, f"ebba-{lang}", "Ebba Ekholm", SKATTEVERKET, ("data_owner",), "sensitive")
    officer = person(
        module_app, f"sven-{lang}", "Sven Sjöberg", SKATTEVERKET, ("security_officer",), "sensitive"
    )
    outsider = person(module_app, f"ola-{lang}", f"Ola Nordmann {lang}", SKATTEETATEN, (), "public")
    cleared = person(module_app, f"kari-{lang}", f"Kari Nordmann {lang}", SKATTEETATEN, (), "internal")

    # -- 1. The data owner registers an API, internal, first without the restriction basis.
    desk = people(lang)
    page = desk.sign_in(owner, f"/work/new/api?lang={lang}")  # the form sends her to sign in first
    register_api_without_basis(
        page,
        lang,
        title=text["title"],
        description=text["description"],
        endpoint="https://api.skatteverket.se/kontrolluppgifter/v1",
        folder=tmp_path,
    )
    axe.assert_clean(page)
    screenshot(page, f"journey-1-form-error-{lang}")
    entry_id = cite_tax_secrecy_and_save(page)
    axe.assert_clean(page)
    submit_for_review(page)
    listed_in_mine(page, module_server, entry_id)
    axe.assert_clean(page)
    screenshot(page, f"journey-1-mine-{lang}")

    # -- 2. A security officer of Skatteverket approves it, listed at the lowest level.
    review = people(lang)
    page = review.sign_in(officer, "/")  # through the header's "Sign in" link
    page.goto(f"{module_server}/work/reviews?state=pending")
    axe.assert_clean(page)
    screenshot(page, f"journey-2-queue-{lang}")
    open_review(page, text["title"])
    axe.assert_clean(page)
    screenshot(page, f"journey-2-review-{lang}")
    approve_listed_publicly(page, text["rationale"])
    axe.assert_clean(page)

    # -- 3. A developer of Skatteetaten (public clearance) finds it and reads the summary.
    dev = people(lang)
    page = dev.sign_in(outsider, "/")
    page.fill("input[type=search]", text["query"])
    page.press("input[type=search]", "Enter")
    page.wait_for_url("**q=**")
    page.locator(f'.facet-publisher a[data-value="{SKATTEVERKET}"]').click()
    page.wait_for_url(f"**publisher={SKATTEVERKET}**")
    assert text["publisher"] in page.locator(".facet-publisher a.selected").inner_text()  # a name, not a code
    assert text["hit"] in page.locator("p.count").inner_text()
    axe.assert_clean(page)
    screenshot(page, f"journey-3-search-{lang}")
    page.get_by_role("link", name=text["title"]).click()
    page.wait_for_url(f"**/entries/{entry_id}**")
    assert text["summary"] in page.locator(".redacted").inner_text()
    assert page.locator("a.openapi").count() == 0 and "2009:400" not in page.content()
    axe.assert_clean(page)
    screenshot(page, f"journey-3-summary-{lang}")

    # -- 4. A developer of Skatteetaten cleared for internal entries reads it whole.
    reader = people(lang)
    page = reader.sign_in(cleared, f"/entries/{entry_id}")
    assert page.locator(".redacted").count() == 0
    assert "2009:400" in page.locator("table.legal").inner_text()
    axe.assert_clean(page)
    screenshot(page, f"journey-4-entry-{lang}")
    page.locator("a.openapi").click()
    page.wait_for_url("**/openapi**")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)  # rendered, not raw JSON
    axe.assert_clean(page)
    screenshot(page, f"journey-4-openapi-{lang}")

    # -- 5. The publisher (the officer of Skatteverket) sees both reads, by name and agency.
    page = review.page
    page.goto(f"{module_server}/entries/{entry_id}")
    page.get_by_role("link", name=text["readers"]).click()
    page.wait_for_url(f"**/work/entries/{entry_id}/readers**")
    rows = page.locator("table.list tbody tr")
    seen = [rows.nth(i).inner_text() for i in range(rows.count())]
    ola = [r for r in seen if f"Ola Nordmann {lang}" in r]
    kari = [r for r in seen if f"Kari Nordmann {lang}" in r]
    assert ola and all(text["reader_agency"] in r for r in ola + kari), seen
    assert any(text["summary_read"] in r for r in ola), seen
    assert any(text["whole"] in r for r in kari), seen
    axe.assert_clean(page)
    screenshot(page, f"journey-5-readers-{lang}")
