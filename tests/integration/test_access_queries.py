"""Listing access requests costs a constant number of SQL statements per page: the
entries' legal bases and operations, the data elements, grants and requesters'
clearances are loaded for the whole page at once (``AccessRequestService._page_facts``),
and the flags computed from them by the one rule (``catalogue.access.flags_of``).

Ten entries, 50 requests among them: a page of 5 touches 5 entries, a page of 50 all ten,
so a statement per request or per entry shows as a difference (one fixture for both
lists: building it is most of the test's time)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.conftest import SKATTEETATEN, register_client
from tests.factories import GDPR_TASK, OSL_TAX
from tests.integration.test_access_story import OFFICER, OSL_DISCLOSURE, WRITER, request_body, sensitive_api

ENTRIES = 10
REQUESTS = 50
ASSESSED = 5


@pytest.fixture
def app_settings(app_settings):
    """The deny-list, keys and standing are reloaded once, not on a 1 s timer that a slow
    run could cross between the two pages measured (a reload is a few statements more)."""
    return {**app_settings, "REVOCATION_SYNC_SECONDS": 3600}


@contextmanager
def statements(app) -> Iterator[list[str]]:
    """The SQL statements this thread runs while the block runs (the test client serves
    a request in the test's thread; the app's background writers run in their own)."""
    seen: list[str] = []
    engine = app.extensions["tillit"].engine
    me = threading.get_ident()

    def note(_conn, _cursor, statement, *_rest) -> None:
        if threading.get_ident() == me:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


@pytest.fixture
def queue(client, app, token_for):
    """Fifty Skatteetaten requests over ten Skatteverket APIs, five of them in assessment."""
    entries = [
        sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK] + ([OSL_DISCLOSURE] if i % 2 else []))
        for i in range(ENTRIES)
    ]
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    officer = token_for("sensitive", extra=OFFICER)
    made = []
    for i in range(REQUESTS):
        body = request_body(entries[i % ENTRIES]["id"], system[0])
        sent = client.post("/api/v1/access-requests", json=body, headers=developer)
        assert sent.status_code == 201, sent.json
        made.append(sent.json["id"])
    for request_id in made[:ASSESSED]:
        assert client.post(f"/api/v1/access-requests/{request_id}/assess", headers=officer).status_code == 200
    return developer, officer


def _api_page(client, app, headers, role: str, per_page: int) -> int:
    client.get(f"/api/v1/access-requests?role={role}&per_page=1", headers=headers)  # tokens, caches warm
    with statements(app) as seen:
        page = client.get(f"/api/v1/access-requests?role={role}&per_page={per_page}", headers=headers)
    assert page.status_code == 200, page.json
    assert len(page.json["items"]) == per_page
    return len(seen)


def _web_page(client, app, headers, state: str, expected: int) -> int:
    client.get(f"/access/incoming?state={state}", headers=headers)
    with statements(app) as seen:
        page = client.get(f"/access/incoming?state={state}", headers=headers)
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('class="badge state-') == expected
    return len(seen)


def test_a_page_of_requests_costs_a_constant_number_of_statements(client, app, queue):
    developer, officer = queue
    # The API, both lists.
    for role, headers in (("incoming", officer), ("mine", developer)):
        small = _api_page(client, app, headers, role, 5)
        large = _api_page(client, app, headers, role, REQUESTS)
        assert small == large, (role, small, large)
    # The flags are there, computed for every request of the page.
    items = client.get(f"/api/v1/access-requests?role=incoming&per_page={REQUESTS}", headers=officer).json
    blocked = [r for r in items["items"] if any(f["code"] == "no_disclosure_basis" for f in r["flags"])]
    assert len(blocked) == len([i for i in range(REQUESTS) if i % ENTRIES % 2 == 0])
    # The officers' queue page: 5 in assessment, and a full page (access_pages.PER_PAGE) submitted.
    small = _web_page(client, app, officer, "in_assessment", ASSESSED)
    full = _web_page(client, app, officer, "submitted", 20)
    assert small == full, (small, full)
