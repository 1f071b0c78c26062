"""Every declared input field goes in through the API and comes back out (schema,
services, model, migrated column, rendering)."""

from __future__ import annotations

from typing import Any

import pytest

from catalogue.fields import input_fields
from tests.factories import GDPR_TASK, MINIMAL_OPENAPI

WRITER = ("catalogue:write",)
CELEX_GDPR = "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32016R0679"
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
    "legal_basis": ([GDPR_TASK], [{**GDPR_TASK, "note": None, "url": CELEX_GDPR}]),
    "contains_personal_data": (True, None),
    "special_categories": (True, None),
    "licence": ("https://creativecommons.org/licenses/by/4.0/", None),
    "spatial": ("SE", None),
    "temporal": ({"start": "2020-01-01", "end": "2024-12-31"}, None),
    "update_frequency": ("MONTHLY", None),
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
    "serves_datasets": ([], None),
    "version": ("2.1.0", None),
    "lifecycle": ("experimental", None),
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
