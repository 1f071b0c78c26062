"""Each entry field, declared once in catalogue.fields, reaches every place it must
(the API's schemas, the review rule, the services' copies, a review's JSON, the
search document and both engines' schemas), and nothing undeclared is there."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect as sa_inspect

from catalogue import fields as entry_fields
from catalogue import schemas
from catalogue.entry_field import REQUIRED, EntryField
from catalogue.fields import ENTRY_FIELDS
from catalogue.models import Distribution, Entry, LegalBasis
from catalogue.services import entries, pending_reviews, reviews
from search import documents, embedded, tantivy_shape
from search.documents import build_document
from search.elasticsearch import mapping

TYPES = ("dataset", "api")
#: What the output schemas show that is not an entry field: which view this is.
VIEW_MARKERS = {"redacted"}


def _names(fields: tuple[EntryField, ...] | list[EntryField]) -> set[str]:
    return {f.name for f in fields}


def _applies(entry_type: str) -> list[EntryField]:
    return [f for f in ENTRY_FIELDS if entry_type in f.applies_to]


# -- the API ------------------------------------------------------------------------------
@pytest.mark.parametrize("entry_type", TYPES)
def test_input_schemas_take_exactly_the_declared_input_fields(entry_type: str) -> None:
    prefix = "Dataset" if entry_type == "dataset" else "Api"
    create = getattr(schemas, f"{prefix}CreateSchema")()
    update = getattr(schemas, f"{prefix}UpdateSchema")()
    always = _names([f for f in _applies(entry_type) if f.input == "always"])
    at_creation = _names([f for f in _applies(entry_type) if f.input == "create"])
    assert set(update.fields) == always
    assert set(create.fields) == always | at_creation
    assert at_creation == {"publisher"}
    for name, field in create.fields.items():
        declared = entry_fields.BY_NAME[name]
        assert field.required is declared.required, name
        if not declared.required:
            loaded = field.load_default() if callable(field.load_default) else field.load_default
            assert loaded == declared.default, name


@pytest.mark.parametrize("entry_type", TYPES)
def test_output_schemas_show_exactly_the_declared_fields(entry_type: str) -> None:
    entry = _entry(entry_type)
    full = schemas.EntrySchema().dump(entry)
    detail = schemas.EntryDetailSchema().dump(entry)
    summary = schemas.EntrySummarySchema().dump(entry)
    shown = _names([f for f in _applies(entry_type) if f.output != "never"])
    single = _names([f for f in _applies(entry_type) if f.output == "single"])
    assert set(detail) == shown | VIEW_MARKERS
    # Lists, search hits and the rendering cache: never the single fields (operations).
    assert set(full) == (shown - single) | VIEW_MARKERS
    assert single == ({"operations"} if entry_type == "api" else set())
    assert set(summary) == _names([f for f in _applies(entry_type) if f.output == "summary"]) | VIEW_MARKERS
    assert summary["redacted"] is True and full["redacted"] is False


def test_the_redacted_summary_is_the_summary_fields_only() -> None:
    # A security rule: nothing more than these is ever shown to a caller below the level.
    summary = _names([f for f in ENTRY_FIELDS if f.output == "summary"])
    assert summary == {
        "id",
        "type",
        "title",
        "description",
        "publisher",
        "contact_point",
        "classification",
        "listing_level",
        "status",
        # Which data elements it holds and is authoritative for: the once-only finder
        # answers every lister (docs/data-elements.md, "Who sees a tag").
        "data_elements",
        "authoritative_for",
    }


def test_a_type_s_own_fields_are_not_shown_on_the_other_type() -> None:
    dataset = schemas.EntrySchema().dump(_entry("dataset"))
    api = schemas.EntrySchema().dump(_entry("api"))
    assert "distributions" in dataset and "endpoint_urls" not in dataset and "has_openapi" not in dataset
    assert "distributions" not in api and api["endpoint_urls"] == ["https://api.example.org/v1"]
    assert api["has_openapi"] is True and "openapi" not in api


# -- the review rule ----------------------------------------------------------------------
def test_reviewed_fields_are_the_declared_ones_everywhere() -> None:
    declared = tuple(f.name for f in ENTRY_FIELDS if f.reviewed)
    assert entries.REVIEWED_FIELDS == declared == reviews.REVIEWED_FIELDS
    assert set(declared) == {
        "classification",
        "listing_level",
        "legal_basis",
        "contains_personal_data",
        "special_categories",
        "authoritative_for",  # a claim other agencies rely on (docs/data-elements.md)
    }
    # A reviewed field can be changed, and so must be compared: it is input, and stored.
    for name in declared:
        field = entry_fields.BY_NAME[name]
        assert field.input == "always" and field.storage in ("column", "special"), name


# -- the services' copies and a review's JSON -----------------------------------------------
def test_column_fields_are_model_columns_of_the_same_name() -> None:
    columns = set(sa_inspect(Entry).columns.keys())
    for field in ENTRY_FIELDS:
        if field.storage in ("column", "system"):
            assert field.name in columns, field.name
        else:
            assert field.name not in columns, field.name
    # Columns that are no entry field: the parts of temporal, and the services' own.
    undeclared = columns - {f.name for f in ENTRY_FIELDS}
    assert undeclared == {"temporal_start", "temporal_end", "review_due"}


def test_every_optional_input_field_has_its_default_and_required_ones_none() -> None:
    defaults = entry_fields.input_defaults()
    optional = {f.name for f in ENTRY_FIELDS if f.input == "always" and f.default is not REQUIRED}
    assert set(defaults) == optional
    # Copies: a default list or dict is never shared between two entries.
    assert entry_fields.input_defaults()["themes"] is not defaults["themes"]


def test_a_proposal_round_trips_through_json() -> None:
    loaded = schemas.ApiUpdateSchema().load(
        {
            "title": {"sv": "T"},
            "description": {"sv": "D"},
            "classification": "public",
            "temporal": {"start": "2020-01-01", "end": None},
            "serves_datasets": ["7b0e2a52-5d5c-4a59-9d8e-0f7f1c1f0a01"],
        }
    )
    stored = json.loads(json.dumps(pending_reviews._jsonable(loaded)))
    again = pending_reviews.loadable(stored)
    assert again["temporal"] == {"start": date(2020, 1, 1), "end": None}
    assert again["serves_datasets"] == ["7b0e2a52-5d5c-4a59-9d8e-0f7f1c1f0a01"]
    assert {k: v for k, v in again.items() if k not in ("temporal", "serves_datasets")} == {
        k: v for k, v in loaded.items() if k not in ("temporal", "serves_datasets")
    }


# -- the search index -----------------------------------------------------------------------
def test_the_document_has_exactly_the_declared_index_fields() -> None:
    for entry_type in TYPES:
        doc = build_document(_entry(entry_type), "public", {"sv": "Skatteverket"})
        assert set(doc) == set(documents.DOCUMENT_FIELDS)
    declared = {name for f in ENTRY_FIELDS for spec in f.index for name in spec.names()}
    assert declared == set(documents.DOCUMENT_FIELDS)


def test_plain_indexed_fields_are_copied_from_their_column() -> None:
    doc = build_document(_entry("dataset"), "public", {"sv": "Skatteverket"})
    assert doc["classification"] == "internal" and doc["themes"] == ["GOVE", "REGI"]
    assert doc["personal_data"] is True and doc["keywords_sv"] == "fastighet ; lagfart"
    assert doc["title_en"] == "Real property register" and doc["title_nb"] == ""


def test_elasticsearch_maps_exactly_the_document_fields_by_kind() -> None:
    properties = mapping.index_body()["mappings"]["properties"]
    assert set(properties) == set(documents.DOCUMENT_FIELDS) | {mapping.TOMBSTONE_FIELD}
    expected = {"keyword": "keyword", "boolean": "boolean", "language_text": "text", "text": "text"}
    expected |= {"long": "long", "date": "date", "sort": "keyword"}
    for _field, spec in entry_fields.indexed():
        for name in spec.names():
            assert properties[name]["type"] == expected[spec.kind], name


def test_the_two_keyword_lists_agree() -> None:
    # They differed (personal_data): a boolean in Elasticsearch, now a boolean everywhere.
    assert mapping.KEYWORD_FIELDS == documents.KEYWORD_FIELDS
    assert "personal_data" in documents.BOOLEAN_FIELDS and "personal_data" not in documents.KEYWORD_FIELDS


def test_the_embedded_schema_has_every_document_field(tmp_path: Path) -> None:
    backend = embedded.EmbeddedBackend(tmp_path)
    try:
        probe = {"long": "1", "date": '"2025-01-01T00:00:00Z"'}
        for _field, spec in entry_fields.indexed():
            for name in spec.names():
                backend.index.parse_query(probe.get(spec.kind, "x"), [name])  # an unknown field raises
        with pytest.raises(ValueError):
            backend.index.parse_query("x", ["no_such_field"])
    finally:
        backend.close()
    keywords = {*tantivy_shape.KEYWORDS, *tantivy_shape.MULTI_KEYWORDS}
    assert keywords == {*documents.KEYWORD_FIELDS, *documents.BOOLEAN_FIELDS}
    for _field, spec in entry_fields.indexed():
        if spec.kind in ("language_text", "text"):
            for name in spec.names():
                assert tantivy_shape.TEXT_FIELDS[name][1] == spec.group, name


def test_text_fields_match_in_their_declared_group() -> None:
    # Summary text matches for every lister; full text only for readers of the whole entry.
    by_group = {
        g: {n for _f, s in entry_fields.indexed() if s.group == g and "text" in s.kind for n in s.names()}
        for g in ("summary", "full")
    }
    assert set(documents.SUMMARY_TEXT_FIELDS) == by_group["summary"]
    assert set(documents.FULL_TEXT_FIELDS) == by_group["full"]


def _entry(entry_type: str) -> Entry:
    entry = Entry(
        id="7b0e2a52-5d5c-4a59-9d8e-0f7f1c1f0a01",
        type=entry_type,
        publisher="202100-5448",
        title={"sv": "Fastighetsregistret", "en": "Real property register"},
        description={"sv": "Uppgifter om fastigheter"},
        keywords={"sv": ["fastighet", "lagfart"]},
        themes=["REGI", "GOVE", "REGI"],
        contact_point={"name": "Kundtjänst"},
        classification="internal",
        listing_level="public",
        contains_personal_data=True,
        special_categories=False,
        status="published",
        revision=4,
        created=datetime(2025, 3, 1, tzinfo=UTC),
        modified=datetime(2025, 3, 1, tzinfo=UTC),
        endpoint_urls=["https://api.example.org/v1"] if entry_type == "api" else [],
        openapi={"openapi": "3.0.3", "paths": {}} if entry_type == "api" else None,
        lifecycle="stable" if entry_type == "api" else None,
    )
    entry.legal_bases = [
        LegalBasis(position=0, role="restriction", jurisdiction="SE", reference="2009:400", url="u")
    ]
    entry.distributions = [Distribution(position=0, format="csv", access_url="https://example.org/x.csv")]
    return entry


# -- a change to what is indexed comes with a new index version ----------------------------
#: The fingerprint of each released index schema. A declaration that changes what is
#: indexed changes the fingerprint: bump the version (existing indices are then rebuilt)
#: and add its fingerprint here.
ES_TEMPLATES = {
    2: "da47107bc5b6896b",
    3: "8dd85ae29b12a5ff",
    4: "c5d519f989a14389",
    5: "95745dc8b3996ea9",
    6: "8422359f98810dbd",
}
TANTIVY_SCHEMAS = {
    "3": "1b4f1fbe2801fffd",
    "4": "f8406410230bda05",
    "5": "6f48e52bf51fd987",
    "6": "0eddf001e0f63873",
    "7": "e036ae6171374ae3",  # legal_text_fold
    "8": "28a9ef85b4293b27",  # operation_elements and its combination field
}


def _fingerprint(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def test_a_changed_elasticsearch_mapping_has_a_new_template_version() -> None:
    assert ES_TEMPLATES.get(mapping.TEMPLATE_VERSION) == _fingerprint(mapping.index_body())


def test_a_changed_tantivy_schema_has_a_new_schema_version() -> None:
    # What the schema is built from (names, order, analysers, stored), not the weights.
    shape = [
        list(tantivy_shape.KEYWORDS),
        list(tantivy_shape.MULTI_KEYWORDS),
        list(tantivy_shape.COMBO_FACETS.values()),
        *([list(tantivy_shape.COMBO_EXTENSIONS.values())] if tantivy_shape.COMBO_EXTENSIONS else []),
        [
            [name, analyser, name in tantivy_shape.STORED_TEXT]
            for name, (analyser, _k, _w) in tantivy_shape.TEXT_FIELDS.items()
        ],
    ]
    assert TANTIVY_SCHEMAS.get(tantivy_shape.SCHEMA_VERSION) == _fingerprint(shape)
