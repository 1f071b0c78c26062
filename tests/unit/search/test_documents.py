from datetime import datetime

from catalogue.models import Distribution, Entry, LegalBasis
from search.documents import build_document, openapi_text


def _entry(**kw):
    base = dict(
        id="e1",
        type="dataset",
        publisher="202100-5448",
        title={"sv": "Fastighetsregistret", "en": "Property register"},
        description={"sv": "Om fastigheter"},
        keywords={"sv": ["ägare"]},
        themes=["REGI", "REGI"],
        classification="internal",
        listing_level="public",
        status="published",
        revision=3,
        modified=datetime(2025, 1, 2, 3, 4, 5),
        contains_personal_data=True,
        openapi=None,
    )
    base.update(kw)
    entry = Entry(**base)
    entry.legal_bases = [
        LegalBasis(
            position=0,
            role="restriction",
            jurisdiction="SE",
            reference="2009:400",
            provision="24 kap. 8 §",
            url="u",
        )
    ]
    entry.distributions = [
        Distribution(position=0, format="csv", access_url="u"),
        Distribution(position=1, media_type="application/json", access_url="u"),
    ]
    return entry


def test_flat_document():
    doc = build_document(_entry(), "public", {"sv": "Skatteverket"})
    assert doc["id"] == "e1" and doc["revision"] == 3 and doc["classification"] == "internal"
    assert (
        doc["title_sv"] == "Fastighetsregistret" and doc["title_nb"] == "" and doc["keywords_sv"] == "ägare"
    )
    assert doc["themes"] == ["REGI"] and doc["legal_basis"] == ["2009:400"]
    assert doc["formats"] == ["CSV", "JSON"] and doc["personal_data"] is True
    assert doc["modified"] == "2025-01-02T03:04:05+00:00"  # naive = UTC
    assert doc["title_sort"] == "fastighetsregistret" and doc["publisher_name"] == "Skatteverket"
    assert "24 kap. 8 §" in doc["legal_text"] and doc["openapi"] == ""


def test_openapi_text_has_paths_summaries_operation_ids_and_tags():
    text = openapi_text(
        {
            "openapi": "3.0.3",
            "info": {"title": "Inkomst-API"},
            "paths": {
                "/income/{id}": {
                    "get": {"operationId": "getIncome", "summary": "Read one", "tags": ["income"]}
                }
            },
        }
    )
    for part in ("Inkomst-API", "/income/{id}", "getIncome", "Read one", "income"):
        assert part in text
