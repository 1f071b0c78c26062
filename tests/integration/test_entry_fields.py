"""Every declared input field goes in through the API and comes back out (schema,
services, model, migrated column, rendering), and documentation_url end to end."""

from __future__ import annotations

from typing import Any

import pytest

from catalogue.fields import input_fields
from tests.conftest import LANTMATERIET
from tests.factories import GDPR_TASK, MINIMAL_OPENAPI, create_entry, dataset_payload, publish

WRITER = ("catalogue:write",)
DOCS = "https://www.skatteverket.se/dokumentation/inkomst"
CELEX_GDPR = "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32016R0679"
#: How the statute register names it for a reader who asks for no language (EU: English first).
GDPR_NAMED = {
    "name": "Regulation (EU) 2016/679 of the European Parliament and of the Council of 27 April 2016 on the "
    "protection of natural persons with regard to the processing of personal data and on the free movement "
    "of such data, and repealing Directive 95/46/EC (General Data Protection Regulation)",
    "short_name": "GDPR",
    "lang": "en",
}
#: Values other than the defaults (but serves_datasets: a link is tested elsewhere), so
#: each shows that its field was stored and shown: (input, expected output; None: the
#: same). A field declared without a sample here fails the first test below.
SAMPLES: dict[str, tuple[Any, Any]] = {
    "publisher": ("202100-5448", None),
    "title": ({"sv": "Inkomst", "en": "Income"}, None),
    "description": ({"nb": "Inntekt"}, None),
    "keywords": ({"sv": ["lön", "skatt"]}, None),
    "themes": (["ECON", "HEAL"], None),
    "contact_point": (
        {"name": "Kundtjänst", "email": "kund@example.se", "url": "https://example.se/kontakt"},
        None,
    ),
    "classification": ("public", None),
    "listing_level": ("public", None),
    "legal_basis": ([GDPR_TASK], [{**GDPR_TASK, "note": None, "url": CELEX_GDPR, "statute": GDPR_NAMED}]),
    "contains_personal_data": (True, None),
    "special_categories": (True, None),
    "licence": ("https://creativecommons.org/licenses/by/4.0/", None),
    "spatial": ("SE", None),
    "temporal": ({"start": "2020-01-01", "end": "2024-12-31"}, None),
    "update_frequency": ("MONTHLY", None),
    "documentation_url": (DOCS, None),
    "data_elements": (["income", "personal-identity-number"], None),
    "authoritative_for": (["income"], None),
    "distributions": (
        [{"format": "CSV", "access_url": "https://example.se/x.csv"}],
        [
            {
                "title": None,
                "format": "CSV",
                "media_type": None,
                "access_url": "https://example.se/x.csv",
                "download_url": None,
                "byte_size": None,
            }
        ],
    ),
    "endpoint_urls": (["https://api.example.se/v2"], None),
    "openapi": (MINIMAL_OPENAPI, ("has_openapi", True)),
    # The document or its URL, not both: with the document sent, no URL (a URL fetched
    # and shown: tests/integration/test_openapi_by_url.py).
    "openapi_url": (None, None),
    "serves_datasets": ([], None),
    "version": ("2.1.0", None),
    "lifecycle": ("experimental", None),
    "auth_mechanisms": ([{"type": "maskinporten", "scope": "skatteetaten:inntekt"}], None),
}


@pytest.mark.parametrize("collection", ["datasets", "apis"])
def test_every_input_field_goes_in_and_comes_out(client, token_for, collection):
    entry_type = "dataset" if collection == "datasets" else "api"
    declared = {f.name for f in input_fields(entry_type, creating=True)}
    assert declared <= set(SAMPLES), declared - set(SAMPLES)
    body = {name: SAMPLES[name][0] for name in declared}
    writer = token_for("public", extra=WRITER)
    created = client.post(f"/api/v1/{collection}", json=body, headers=writer)
    assert created.status_code == 201, created.json
    shown = client.get(f"/api/v1/{collection}/{created.json['id']}", headers=writer).json
    for name in declared:
        sent, expected = SAMPLES[name]
        if isinstance(expected, tuple):  # shown under another name
            assert shown[expected[0]] == expected[1], name
        else:
            assert shown[name] == (sent if expected is None else expected), name


def test_documentation_url_end_to_end(client, token_for, app):
    writer = token_for("internal", extra=WRITER)
    entry = create_entry(
        client, writer, classification="internal", listing_level="public", documentation_url=DOCS
    )
    assert entry["documentation_url"] == DOCS
    url = f"/api/v1/datasets/{entry['id']}"
    read = client.get(url, headers=writer)
    assert read.json["documentation_url"] == DOCS

    changed = "https://www.skatteverket.se/dokumentation/v2"
    patched = client.patch(
        url, json={"documentation_url": changed}, headers={**writer, "If-Match": read.headers["ETag"]}
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["documentation_url"] == changed
    assert client.get(url, headers=writer).json["documentation_url"] == changed

    # Not reviewed: a published entry takes the change at once (200, not 202).
    publish(app, entry["id"])
    read = client.get(url, headers=writer)
    cleared = client.patch(
        url, json={"documentation_url": None}, headers={**writer, "If-Match": read.headers["ETag"]}
    )
    assert cleared.status_code == 200, cleared.json
    assert cleared.json["documentation_url"] is None

    # Not in the redacted summary: another agency below the classification.
    summary = client.get(url, headers=token_for("public", agency=LANTMATERIET)).json
    assert summary["redacted"] is True and "documentation_url" not in summary, summary


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://www.skatteverket.se/dokumentation", "Expected an https URL."),
        ("ftp://example.se/doc", "Expected an https URL."),
        ("not a url", "Expected an https URL."),
        ("https://example.se/" + "x" * 1000, "Longer than maximum length 1000."),
        (42, "Expected an https URL."),
    ],
)
def test_documentation_url_must_be_https(client, token_for, value, message):
    writer = token_for("public", extra=WRITER)
    response = client.post(
        "/api/v1/datasets",
        json={
            "publisher": "202100-5448",
            "title": {"sv": "T"},
            "description": {"sv": "D"},
            "classification": "public",
            "documentation_url": value,
        },
        headers=writer,
    )
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"] == {"documentation_url": [message]}


LONG = "https://data.example.se/" + "a" * 1200


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"licence": LONG}, "licence"),
        ({"distributions": [{"access_url": LONG}]}, "distributions"),
        ({"distributions": [{"access_url": "https://a.se/", "download_url": LONG}]}, "distributions"),
        (
            {"distributions": [{"access_url": "https://a.se/", "media_type": "text/" + "x" * 200}]},
            "distributions",
        ),
    ],
)
def test_a_value_longer_than_its_column_is_a_422_not_a_database_error(client, token_for, override, field):
    """PostgreSQL enforces a column's length (SQLite does not): the input schema must refuse
    first, with a field message, on both."""
    response = client.post(
        "/api/v1/datasets",
        json=dataset_payload(LANTMATERIET, "public", **override),
        headers=token_for("public", extra=("catalogue:write",), agency=LANTMATERIET),
    )
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]
