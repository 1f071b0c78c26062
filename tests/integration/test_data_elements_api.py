"""Data elements through the HTTP API: the public vocabulary, "who holds it?",
the administrators' extension, tags on entries and the search filter and facet."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.security.conftest import make_entry

OSL_DISCLOSURE = {
    "role": "disclosure",
    "jurisdiction": "SE",
    "reference": "2009:400",
    "provision": "10 kap. 28 §",
}


@pytest.fixture
def holders(app):
    """Who holds a postal address: a copy, the base register, a redacted summary and a hidden entry."""
    return {
        "copy": make_entry(app, LANTMATERIET, "public", data_elements=["postal-address"]),
        "source": make_entry(
            app,
            SKATTEVERKET,
            "public",
            data_elements=["postal-address", "name"],
            authoritative_for=["postal-address"],
        ),
        "redacted": make_entry(app, SKATTEVERKET, "sensitive", "internal", data_elements=["postal-address"]),
        "hidden": make_entry(app, SKATTEVERKET, "sensitive", "sensitive", data_elements=["postal-address"]),
    }


def test_the_vocabulary_is_public_with_labels_and_uris(client):
    listed = client.get("/api/v1/data-elements")
    assert listed.status_code == 200
    items = {e["key"]: e for e in listed.json["items"]}
    assert len(items) >= 12
    assert items["postal-address"]["labels"] == {
        "sv": "postadress",
        "nb": "postadresse",
        "en": "postal address",
    }
    assert items["postal-address"]["uri"] == "http://www.w3.org/ns/locn#Address"
    one = client.get("/api/v1/data-elements/d-number")
    assert one.status_code == 200 and one.json["uri"] == "urn:tillit:data-element:d-number"


def test_an_unknown_element_is_a_problem_not_an_echo(client):
    for path in ("/api/v1/data-elements/shoe-size", "/api/v1/data-elements/shoe-size/holders"):
        r = client.get(path)
        assert r.status_code == 404 and r.mimetype == "application/problem+json"
        assert "shoe-size" not in r.get_data(as_text=True)
    bad = client.get("/api/v1/data-elements/name/holders?per_page=1000")
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"


def test_holders_answer_who_holds_it_authoritative_first(client, token_for, holders):
    anonymous = client.get("/api/v1/data-elements/postal-address/holders").json
    assert anonymous["element"]["key"] == "postal-address"
    assert [h["id"] for h in anonymous["items"]] == [holders["source"], holders["copy"]]
    assert anonymous["total"] == 2
    source = anonymous["items"][0]
    assert source["authoritative"] is True and source["publisher"] == SKATTEVERKET
    assert source["classification"] == "public" and source["view"] == "full"
    assert source["disclosure_bases"] == [] and source["sharing_status"] == "open"
    assert source["href"] == f"/api/v1/datasets/{holders['source']}"

    internal = client.get(
        "/api/v1/data-elements/postal-address/holders", headers=token_for("internal", agency=LANTMATERIET)
    ).json
    assert internal["total"] == 3
    redacted = next(h for h in internal["items"] if h["id"] == holders["redacted"])
    assert redacted["view"] == "summary" and redacted["disclosure_bases"] is None
    assert holders["hidden"] not in str(internal)

    page = client.get("/api/v1/data-elements/postal-address/holders?per_page=1&page=2").json
    assert page["total"] == 2 and [h["id"] for h in page["items"]] == [holders["copy"]]


def test_an_entry_is_tagged_through_its_own_fields(client, token_for):
    writer = token_for("internal", agency=SKATTEVERKET, extra=("catalogue:write",))
    body = {
        "publisher": SKATTEVERKET,
        "title": {"sv": "Inkomster"},
        "description": {"sv": "Inkomster per person"},
        "classification": "public",
        "data_elements": ["income", "personal-identity-number"],
        "authoritative_for": ["income"],
    }
    created = client.post("/api/v1/datasets", json=body, headers=writer)
    assert created.status_code == 201, created.json
    assert created.json["data_elements"] == ["income", "personal-identity-number"]
    assert created.json["authoritative_for"] == ["income"]
    for tags, field in [
        ({"data_elements": ["shoe-size"]}, "data_elements"),
        ({"data_elements": ["Income!"]}, "data_elements"),
        ({"data_elements": ["name", "name"]}, "data_elements"),
        ({"data_elements": ["name"], "authoritative_for": ["income"]}, "authoritative_for"),
    ]:
        refused = client.post("/api/v1/datasets", json={**body, **tags}, headers=writer)
        assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
        assert field in refused.json["errors"], refused.json


def test_administrators_extend_the_vocabulary(client, token_for):
    new = {
        "key": "driving-licence",
        "uri": "urn:tillit:data-element:driving-licence",
        "vocabulary": "Tillit (proposed URN)",
        "labels": {"sv": "körkort", "nb": "førerkort", "en": "driving licence"},
    }
    reader = token_for("internal", agency=SKATTEVERKET)
    assert client.post("/api/v1/data-elements", json=new, headers=reader).status_code == 403
    admin = token_for("internal", agency=SKATTEVERKET, extra=("catalogue:admin",))
    missing_label = {**new, "labels": {"sv": "körkort"}}
    assert client.post("/api/v1/data-elements", json=missing_label, headers=admin).status_code == 422
    added = client.post("/api/v1/data-elements", json=new, headers=admin)
    assert added.status_code == 201 and added.headers["Location"] == "/api/v1/data-elements/driving-licence"
    assert client.post("/api/v1/data-elements", json=new, headers=admin).status_code == 409
    assert client.get("/api/v1/data-elements/driving-licence/holders").json["total"] == 0


def test_search_filters_and_counts_by_element(app, client, token_for, holders):
    app.extensions["tillit"].search.refresh()
    found = client.get("/api/v1/search?element=postal-address&facets=true").json
    assert {h["id"] for h in found["items"]} == {holders["source"], holders["copy"]}
    facet = {f["value"]: f["count"] for f in found["facets"]["element"]}
    assert facet == {"postal-address": 2, "name": 1}
    internal = client.get("/api/v1/search?element=postal-address", headers=token_for("internal")).json
    assert internal["total"] == 3 and holders["hidden"] not in str(internal)
    assert client.get("/api/v1/search?element=").status_code == 422


def test_the_command_line_lists_and_extends_the_vocabulary(client, run_cli):
    listed = run_cli("data-elements", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert "vehicle-registration" in {row["key"] for row in json.loads(listed.output)}
    args = [
        "data-elements",
        "add",
        "--key",
        "driving-licence",
        "--uri",
        "urn:tillit:data-element:driving-licence",
    ]
    args += ["--vocabulary", "Tillit (proposed URN)", "--label", "sv=körkort", "--label", "nb=førerkort"]
    refused = run_cli(*args)
    assert refused.exit_code != 0 and "en" in refused.output  # a label in English is required
    added = run_cli(*args, "--label", "en=driving licence")
    assert added.exit_code == 0, added.output
    assert client.get("/api/v1/data-elements/driving-licence").json["labels"]["en"] == "driving licence"
    assert run_cli(*args, "--label", "en=driving licence").exit_code == 1  # taken


def test_the_web_search_page_offers_the_element_filter(app, client, holders):
    app.extensions["tillit"].search.refresh()
    page = client.get("/?element=postal-address&lang=en").get_data(as_text=True)
    # The element facet, by its label, the chosen value marked (the discover search page).
    assert re.search(
        r'class="selected" data-value="postal-address">.*?<span class="label">postal address</span>', page
    )
    assert 'data-total="2"' in page and holders["hidden"] not in page
    unknown = client.get("/?element=shoe-size&lang=en")
    assert unknown.status_code == 200 and "shoe-size" not in unknown.get_data(as_text=True)
    entry = client.get(f"/entries/{holders['source']}?lang=sv").get_data(as_text=True)
    # The entry page names its elements in the reader's language, the authoritative one marked.
    marked = r'class="element authoritative"[^>]*>postadress</a> <span class="badge authoritative">'
    assert re.search(marked, entry)
    assert ">namn</a>" in entry
