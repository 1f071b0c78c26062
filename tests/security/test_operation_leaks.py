"""Attack: learn an API's operations, or its authentication mechanisms, below the
clearance to read it whole (docs/operations.md, "Who sees operations: the rule").

Every caller, at every clearance, against an API with a document at every
(classification, listing level): a whole reader sees every operation (each classified
at most at the API's level); a summary reader sees neither ``operations`` nor
``auth_mechanisms``, and ``/operations`` answers it exactly as it answers a missing id;
a caller who may not list the API gets that same answer.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from catalogue.compose import entry_service
from catalogue.schemas import ApiCreateSchema
from security.identity import system_identity
from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.factories import publish
from tests.security.conftest import PAIRS
from tests.security.test_visibility import CALLERS, expected, headers_for

pytestmark = pytest.mark.both_databases

MISSING = "00000000-0000-0000-0000-000000000000"
DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "HIDDEN-API", "version": "1"},
    "paths": {
        "/hidden-path": {
            "get": {
                "operationId": "hiddenOperation",
                "x-classification": "public",
                "x-data-elements": ["income"],
                "responses": {"200": {"description": "OK"}},
            },
            "post": {"operationId": "hiddenWrite", "responses": {"201": {"description": "Created"}}},
        }
    },
}
MARKERS = ("hidden-path", "hiddenOperation", "hiddenWrite", "HIDDEN-SCOPE")


def _api(app, classification: str, listing: str) -> str:
    raw: dict[str, Any] = {
        "publisher": SKATTEVERKET,
        "title": {"en": f"API {classification}/{listing}"},
        "description": {"en": "An API."},
        "classification": classification,
        "listing_level": listing,
        "openapi": copy.deepcopy(DOCUMENT),
        "auth_mechanisms": [{"type": "maskinporten", "scope": "skatteetaten:HIDDEN-SCOPE"}],
    }
    if classification != "public":
        raw["legal_basis"] = [
            {"role": "restriction", "jurisdiction": "SE", "reference": "2009:400", "provision": "27 kap. 1 §"}
        ]
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        service = entry_service(session, ext.scheme, ext.indexer, ext.anchor)
        entry_id = service.create(
            system_identity(ext.scheme), "api", dict(ApiCreateSchema().load(raw))
        ).entry.id
    publish(app, entry_id)
    return entry_id


@pytest.fixture
def apis(app):
    return {pair: _api(app, *pair) for pair in PAIRS}


@pytest.mark.parametrize("caller", CALLERS, ids=[str(c) for c in CALLERS])
def test_operations_only_for_whole_readers(client, token_for, apis, caller):
    h = headers_for(token_for, caller, agency=LANTMATERIET)
    missing = client.get(f"/api/v1/apis/{MISSING}/operations", headers=h)
    assert missing.status_code == 404
    for pair, api_id in apis.items():
        outcome = expected(caller, pair)
        entry = client.get(f"/api/v1/apis/{api_id}", headers=h)
        listed = client.get(f"/api/v1/apis/{api_id}/operations", headers=h)
        if outcome == "full":
            assert [o["operation_id"] for o in entry.json["operations"]] == ["hiddenOperation", "hiddenWrite"]
            assert entry.json["auth_mechanisms"][0]["scope"] == "skatteetaten:HIDDEN-SCOPE"
            assert listed.status_code == 200 and listed.json["items"] == entry.json["operations"]
            continue
        if outcome == "summary":
            assert entry.status_code == 200, pair
            assert "operations" not in entry.json and "auth_mechanisms" not in entry.json, pair
            text = entry.get_data(as_text=True)
            assert not any(marker in text for marker in MARKERS), pair
        else:
            assert entry.status_code == 404, pair
        # Summary or hidden: the answer of a missing id, status, body and headers alike.
        assert listed.status_code == 404, pair
        assert listed.get_data() == missing.get_data(), pair
        assert listed.headers.get("Content-Type") == missing.headers.get("Content-Type"), pair
        assert "ETag" not in listed.headers, pair


@pytest.mark.parametrize("caller", CALLERS, ids=[str(c) for c in CALLERS])
def test_the_auth_filter_and_facet_count_only_whole_readers(app, client, token_for, apis, caller):
    app.extensions["tillit"].search.refresh()
    h = headers_for(token_for, caller, agency=LANTMATERIET)
    whole = {apis[p] for p in PAIRS if expected(caller, p) == "full"}
    found = client.get("/api/v1/search?auth=maskinporten&per_page=100", headers=h)
    assert found.status_code == 200
    assert {item["id"] for item in found.json["items"]} == whole
    facet = {f["value"]: f["count"] for f in found.json["facets"].get("auth", [])}
    assert facet == ({"maskinporten": len(whole)} if whole else {})
