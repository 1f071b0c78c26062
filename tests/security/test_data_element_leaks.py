"""Attack: learn of an entry through "who holds this data element?".

Every caller, at every clearance, against a tagged entry at every (classification,
listing level): the holders list and its total, and the search filter and facet on
the element, show and count an entry exactly when the caller may list it; a
redacted holder never shows its legal bases. An API that carries the element only
in one of its operations is shown and counted exactly when the caller may read it
whole (docs/operations.md, "Operations' data elements").
"""

from __future__ import annotations

import pytest

from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.security.conftest import LEVELS, PAIRS, carrying_document, make_entry
from tests.security.test_visibility import CALLERS, expected, headers_for

pytestmark = pytest.mark.both_databases  # visibility compiled to SQL, at every clearance


@pytest.fixture
def tagged(app):
    """One entry per (classification, listing level) holding vehicle-registration."""
    return {
        pair: make_entry(app, SKATTEVERKET, *pair, data_elements=["vehicle-registration"]) for pair in PAIRS
    }


@pytest.fixture
def operated(app):
    """One API per (classification, listing level) whose operation, classified at the
    lowest level, carries vehicle-registration (the API itself is not tagged)."""
    return {
        pair: make_entry(
            app, SKATTEVERKET, *pair, entry_type="api", openapi=carrying_document("vehicle-registration")
        )
        for pair in PAIRS
    }


@pytest.mark.parametrize("caller", CALLERS, ids=[str(c) for c in CALLERS])
def test_holders_and_search_never_show_or_count_a_hidden_entry(
    app, client, token_for, tagged, operated, caller
):
    app.extensions["tillit"].search.refresh()
    h = headers_for(token_for, caller, agency=LANTMATERIET)
    outcome = {pair: expected(caller, pair) for pair in PAIRS}
    visible = {tagged[p] for p, o in outcome.items() if o != "hidden"}
    visible |= {operated[p] for p, o in outcome.items() if o == "full"}

    r = client.get("/api/v1/data-elements/vehicle-registration/holders?per_page=100", headers=h)
    assert r.status_code == 200
    assert r.json["total"] == len(visible)
    assert {item["id"] for item in r.json["items"]} == visible
    text = r.get_data(as_text=True)
    for pair, entry_id in tagged.items():
        if outcome[pair] == "hidden":
            assert entry_id not in text
    for pair, entry_id in operated.items():
        if outcome[pair] != "full":
            assert entry_id not in text
    assert "HIDDEN-OPERATION" not in text
    for item in r.json["items"]:
        if item["id"] in operated.values():
            assert item["view"] == "full"
            continue
        pair = next(p for p, i in tagged.items() if i == item["id"])
        if outcome[pair] == "summary":
            assert item["view"] == "summary" and item["disclosure_bases"] is None
            assert "2009:400" not in str(item)

    found = client.get("/api/v1/search?element=vehicle-registration&per_page=100", headers=h)
    assert found.status_code == 200
    assert found.json["total"] == len(visible)
    assert {item["id"] for item in found.json["items"]} == visible
    facet = {f["value"]: f["count"] for f in found.json["facets"]["element"]}
    assert facet == ({"vehicle-registration": len(visible)} if visible else {})


def test_the_levels_cover_every_outcome():
    # The table above is only an attack if it meets hidden, summary and full entries.
    outcomes = {expected(caller, pair) for caller in CALLERS for pair in PAIRS}
    assert outcomes == {"hidden", "summary", "full"} and len(LEVELS) == 3
