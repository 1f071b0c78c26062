"""The Elasticsearch index template: pure data, checked field by field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from catalogue.models import Distribution, Entry, LegalBasis
from search.documents import (
    BOOLEAN_FIELDS,
    FULL_TEXT_FIELDS,
    KEYWORD_FIELDS,
    SUMMARY_TEXT_FIELDS,
    build_document,
)
from search.elasticsearch import mapping
from search.elasticsearch.mapping import IndexNames
from search.elasticsearch.reindex import tombstone


def _entry(**overrides: object) -> Entry:
    values: dict[str, object] = {
        "id": "7b0e2a52-5d5c-4a59-9d8e-0f7f1c1f0a01",
        "type": "dataset",
        "publisher": "202100-5448",
        "title": {"sv": "Fastighetsregistret", "en": "Real property register"},
        "description": {"sv": "Uppgifter om fastigheter", "nb": "Eiendommer"},
        "keywords": {"sv": ["fastighet", "lagfart"]},
        "themes": ["GOVE", "REGI"],
        "classification": "internal",
        "listing_level": "public",
        "contains_personal_data": True,
        "status": "published",
        "revision": 4,
        "modified": datetime(2025, 3, 1, tzinfo=UTC),
        "openapi": None,
    }
    values.update(overrides)
    entry = Entry(**values)
    entry.legal_bases = [
        LegalBasis(position=0, role="restriction", jurisdiction="SE", reference="2009:400", url="u")
    ]
    entry.distributions = [Distribution(position=0, format="csv", access_url="https://example.org/x.csv")]
    return entry


@pytest.fixture
def properties() -> dict:
    return mapping.index_body()["mappings"]["properties"]


def test_mapping_is_strict_and_versioned() -> None:
    body = mapping.index_body()["mappings"]
    assert body["dynamic"] == "strict"
    assert body["_meta"]["template_version"] == mapping.TEMPLATE_VERSION


def test_every_document_field_is_mapped(properties: dict) -> None:
    doc = build_document(_entry(), "public", {"sv": "Skatteverket"})
    assert set(doc) <= set(properties), set(doc) - set(properties)
    assert set(tombstone("x", 1)) <= set(properties)


def test_field_types(properties: dict) -> None:
    for name in KEYWORD_FIELDS:
        expected = "boolean" if name == "personal_data" else "keyword"
        assert properties[name]["type"] == expected, name
    for name in BOOLEAN_FIELDS:
        assert properties[name]["type"] == "boolean", name
    assert "personal_data" in BOOLEAN_FIELDS
    for name in (*SUMMARY_TEXT_FIELDS, *FULL_TEXT_FIELDS):
        assert properties[name]["type"] == "text", name
    assert properties["revision"]["type"] == "long"
    assert properties["modified"]["type"] == "date"
    assert properties["tombstone"]["type"] == "boolean"


def test_text_fields_rank_without_corpus_statistics(properties: dict) -> None:
    # BM25 would weigh words by documents the caller cannot see (other agencies'
    # drafts in the same level index): every text field and subfield is boolean.
    for name in (*SUMMARY_TEXT_FIELDS, *FULL_TEXT_FIELDS):
        assert properties[name]["similarity"] == "boolean", name
        for sub, spec in properties[name]["fields"].items():
            assert spec["similarity"] == "boolean", (name, sub)


@pytest.mark.parametrize(
    ("field", "analyser"),
    [
        ("title_sv", "swedish"),
        ("description_sv", "swedish"),
        ("keywords_sv", "swedish"),
        ("title_nb", "norwegian"),
        ("title_nn", "norwegian"),
        ("keywords_nn", "norwegian"),
        ("title_en", "english"),
        ("description_en", "english"),
        ("publisher_name", "standard"),
        ("legal_text", "standard"),
        ("openapi", "standard"),
    ],
)
def test_text_fields_have_language_exact_and_folded_forms(
    properties: dict, field: str, analyser: str
) -> None:
    spec = properties[field]
    assert spec["analyzer"] == analyser
    boolean = {"similarity": "boolean"}
    assert spec["fields"]["exact"] == {"type": "text", "analyzer": "tillit_exact", **boolean}
    assert spec["fields"]["folded"] == {"type": "text", "analyzer": "tillit_folded", **boolean}


def test_analysis_definitions() -> None:
    analysis = mapping.index_body()["settings"]["analysis"]
    assert analysis["analyzer"]["tillit_folded"] == {
        "type": "custom",
        "tokenizer": "standard",
        "filter": ["lowercase", "asciifolding"],
    }
    # Unstemmed and unfolded: exact words rank first.
    assert analysis["analyzer"]["tillit_exact"]["filter"] == ["lowercase"]
    # Code-point order, as the contract says; no folding of å, ä, ö (see mapping.py).
    assert analysis["normalizer"]["tillit_sort"]["filter"] == ["lowercase"]


def test_title_sort_is_a_normalised_keyword(properties: dict) -> None:
    assert properties["title_sort"] == {"type": "keyword", "normalizer": "tillit_sort", "ignore_above": 256}


def test_settings_one_shard_and_replicas_that_fit_the_cluster() -> None:
    settings = mapping.index_body()["settings"]
    assert settings["number_of_shards"] == 1
    assert settings["auto_expand_replicas"] == "0-1"
    assert mapping.index_body(shards=3, replicas="1-2")["settings"]["number_of_shards"] == 3


def test_composable_template() -> None:
    names = IndexNames("tillit-entries")
    components = mapping.component_templates(names)
    assert set(components) == {"tillit-entries-settings", "tillit-entries-mappings"}
    assert "analysis" in components["tillit-entries-settings"]["template"]["settings"]
    assert components["tillit-entries-mappings"]["template"]["mappings"]["dynamic"] == "strict"
    template = mapping.index_template(names)
    assert template["index_patterns"] == ["tillit-entries-*"]
    # Order matters: later components override earlier ones.
    assert template["composed_of"] == ["tillit-entries-settings", "tillit-entries-mappings"]
    assert template["allow_auto_create"] is False
    assert template["version"] == mapping.TEMPLATE_VERSION
    for body in components.values():
        assert body["version"] == mapping.TEMPLATE_VERSION


def test_index_names() -> None:
    names = IndexNames()
    assert names.alias("public") == "tillit-entries-public"
    index = names.new_index("top-secret", datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC))
    assert index == "tillit-entries-top-secret-20250102030405678901"
    assert names.is_generation_of(index, "top-secret")
    assert not names.is_generation_of(index, "top")
    assert not names.is_generation_of("tillit-entries-top-secret", "top-secret")


@pytest.mark.parametrize("bad", ["Public", "-x", "a b", "", "x" * 40, "../x"])
def test_index_names_refuse_odd_level_keys(bad: str) -> None:
    with pytest.raises(ValueError):
        IndexNames().alias(bad)


@pytest.mark.parametrize("bad", ["Tillit", "_x", "a*b", "a,b"])
def test_index_names_refuse_odd_prefixes(bad: str) -> None:
    with pytest.raises(ValueError):
        IndexNames(bad)


def test_levels_in_order_drops_unknown_levels() -> None:
    enabled = ("public", "internal", "sensitive")
    assert mapping.levels_in_order({"sensitive", "public", "secret"}, enabled) == ("public", "sensitive")
    assert mapping.levels_in_order(set(), enabled) == ()
