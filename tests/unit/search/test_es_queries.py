"""The Elasticsearch request builders: the structure that keeps hidden entries hidden."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search.backend import MAX_PER_PAGE, FacetValue, SearchFilters, SearchQuery
from search.documents import FULL_TEXT_FIELDS, SUMMARY_TEXT_FIELDS
from search.elasticsearch import queries as q
from search.elasticsearch.mapping import IndexNames
from security.policy import OPEN_STATUSES, STATUSES, EntryFacts, ReadFilter

LEVELS = ("public", "internal", "sensitive")
NAMES = IndexNames("tillit-entries")
AGENCY = "202100-5448"


def rf(levels: set[str], statuses: set[str] = set(OPEN_STATUSES), agency: str | None = AGENCY) -> ReadFilter:
    return ReadFilter(frozenset(levels), frozenset(statuses), agency)


ANON = rf({"public"}, agency=None)
INTERNAL = rf({"public", "internal"})


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair in a nested request body."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def keys(node: Any) -> set[str]:
    return {key for key, _ in walk(node)}


# -- a tiny interpreter of the query DSL subset we emit ---------------------------
def matches(query: dict[str, Any], doc: dict[str, Any]) -> bool:
    ((kind, spec),) = query.items()
    if kind == "bool":
        must = all(matches(c, doc) for c in spec.get("filter", []) + spec.get("must", []))
        must_not = any(matches(c, doc) for c in spec.get("must_not", []))
        should = spec.get("should", [])
        minimum = spec.get("minimum_should_match", 0 if ("filter" in spec or "must" in spec) else 1)
        should_ok = sum(matches(c, doc) for c in should) >= minimum if should else minimum == 0
        return must and not must_not and should_ok
    if kind == "terms":
        ((field, values),) = spec.items()
        have = doc.get(field)
        have = have if isinstance(have, list) else [] if have is None else [have]
        return any(v in values for v in have)
    if kind == "term":
        ((field, value),) = spec.items()
        return doc.get(field) == value
    raise AssertionError(f"unexpected query kind {kind}")


# -- clearance ------------------------------------------------------------------
def test_clearance_filter_structure() -> None:
    assert q.clearance_filter(INTERNAL) == {
        "bool": {
            "filter": [
                {"terms": {"listing_level": ["internal", "public"]}},
                {
                    "bool": {
                        "should": [
                            {"terms": {"status": ["deprecated", "published"]}},
                            {"term": {"publisher": AGENCY}},
                        ],
                        "minimum_should_match": 1,
                    }
                },
            ]
        }
    }


@given(
    levels=st.sets(st.sampled_from((*LEVELS, "secret", "bogus"))),
    statuses=st.sets(st.sampled_from(STATUSES)),
    agency=st.sampled_from((None, AGENCY, "974761076")),
    publisher=st.sampled_from((AGENCY, "974761076", "202100-4888")),
    listing_level=st.sampled_from((*LEVELS, "secret", "bogus")),
    status=st.sampled_from(STATUSES),
)
def test_clearance_filter_equals_the_policy(
    levels, statuses, agency, publisher, listing_level, status
) -> None:
    read_filter = ReadFilter(frozenset(levels), frozenset(statuses), agency)
    facts = EntryFacts(
        publisher=publisher, classification=listing_level, listing_level=listing_level, status=status
    )
    doc = {"publisher": publisher, "listing_level": listing_level, "status": status}
    if read_filter.matches_nothing:
        assert q.build_search_request(SearchQuery(), read_filter, NAMES, LEVELS) is None
        assert not read_filter.matches(facts)
        return
    body = q.build_search(SearchQuery(), read_filter)
    assert matches(body["query"], doc) == read_filter.matches(facts)


def test_tombstones_never_match() -> None:
    body = q.build_search(SearchQuery(), rf(set(LEVELS), set(STATUSES)))
    assert not matches(body["query"], {"id": "x", "revision": 9, "tombstone": True})
    assert {"term": {"tombstone": True}} in body["query"]["bool"]["must_not"]


def test_filter_is_in_the_main_query_and_there_is_no_post_filter() -> None:
    query = SearchQuery(text="skatt", filters=SearchFilters(publisher=(AGENCY,), theme=("GOVE",)))
    body = q.build_search(query, INTERNAL)
    assert body["query"]["bool"]["filter"][0] == q.clearance_filter(INTERNAL)
    assert "post_filter" not in keys(body)
    # Aggregations sit beside the query, so they only see its (filtered) hits.
    assert set(body) >= {"query", "aggs"}
    assert "aggs" not in body["query"]


def test_matches_nothing_sends_no_request() -> None:
    nothing = ReadFilter(frozenset(), frozenset(OPEN_STATUSES), None)
    assert q.build_search_request(SearchQuery(text="x"), nothing, NAMES, LEVELS) is None
    assert q.build_suggest_request("x", nothing, NAMES, LEVELS) is None
    assert q.build_suggest("x", nothing) is None
    with pytest.raises(ValueError):
        q.build_search(SearchQuery(), nothing)
    no_status = ReadFilter(frozenset({"public"}), frozenset(), None)
    assert q.build_search_request(SearchQuery(), no_status, NAMES, LEVELS) is None


def test_only_the_permitted_aliases_are_searched() -> None:
    request = q.build_search_request(SearchQuery(), INTERNAL, NAMES, LEVELS)
    assert request is not None
    assert request.indices == ("tillit-entries-public", "tillit-entries-internal")
    anon = q.build_search_request(SearchQuery(), ANON, NAMES, LEVELS)
    assert anon is not None and anon.indices == ("tillit-entries-public",)
    # Levels the deployment has not enabled never become index names.
    odd = rf({"public", "secret"})
    request = q.build_search_request(SearchQuery(), odd, NAMES, LEVELS)
    assert request is not None and request.indices == ("tillit-entries-public",)
    assert q.build_search_request(SearchQuery(), rf({"secret"}), NAMES, LEVELS) is None


# -- facets ------------------------------------------------------------------------
def test_facets_are_computed_inside_the_filter() -> None:
    body = q.build_search(SearchQuery(), INTERNAL)
    aggs = body["aggs"]
    for name, field in (("type", "type"), ("publisher", "publisher"), ("classification", "classification")):
        assert aggs[name]["terms"]["field"] == field
        assert aggs[name]["terms"]["min_doc_count"] == 1
    assert aggs["status"]["terms"]["field"] == "status"
    full = aggs[q.READABLE_AGG]
    assert full["filter"] == {"terms": {"classification": ["internal", "public"]}}
    assert {name: a["terms"]["field"] for name, a in full["aggs"].items()} == {
        "theme": "themes",
        "legal_basis": "legal_basis",
        "sharing_status": "sharing_status",
        "personal_data": "personal_data",
        "auth": "auth",
        "format": "formats",
        # The full half of ``element`` (search.backend, FULL_EXTENSIONS).
        "operation_elements": "operation_elements",
    }


def test_no_aggregations_when_facets_are_not_wanted() -> None:
    assert "aggs" not in q.build_search(SearchQuery(facets=False), INTERNAL)


def test_facet_selections_are_main_filters() -> None:
    filters = SearchFilters(type=("dataset",), publisher=(AGENCY,), status=("published",))
    body = q.build_search(SearchQuery(filters=filters), INTERNAL)
    main = body["query"]["bool"]["filter"]
    assert {"terms": {"type": ["dataset"]}} in main
    assert {"terms": {"publisher": [AGENCY]}} in main
    assert {"terms": {"status": ["published"]}} in main
    # Summary filters alone do not restrict to readable classifications.
    assert {"terms": {"classification": ["internal", "public"]}} not in main


@pytest.mark.parametrize(
    ("filters", "clause"),
    [
        (SearchFilters(theme=("GOVE",)), {"terms": {"themes": ["GOVE"]}}),
        (SearchFilters(legal_basis=("2009:400",)), {"terms": {"legal_basis": ["2009:400"]}}),
        (SearchFilters(sharing_status=("shareable",)), {"terms": {"sharing_status": ["shareable"]}}),
        (SearchFilters(personal_data=True), {"terms": {"personal_data": ["true"]}}),
        (SearchFilters(format=("CSV",)), {"terms": {"formats": ["CSV"]}}),
    ],
)
def test_full_field_filters_only_match_readable_entries(filters: SearchFilters, clause: dict) -> None:
    main = q.build_search(SearchQuery(filters=filters), INTERNAL)["query"]["bool"]["filter"]
    assert clause in main
    assert {"terms": {"classification": ["internal", "public"]}} in main


def test_element_matches_operation_elements_only_on_readable_entries() -> None:
    main = q.build_search(SearchQuery(filters=SearchFilters(element=("income",))), INTERNAL)["query"]["bool"]
    readable = {"terms": {"classification": ["internal", "public"]}}
    assert {
        "bool": {
            "should": [
                {"terms": {"data_elements": ["income"]}},
                {"bool": {"filter": [{"terms": {"operation_elements": ["income"]}}, readable]}},
            ],
            "minimum_should_match": 1,
        }
    } in main["filter"]
    # The entry's own tags are a summary field: no readable filter around the whole.
    assert readable not in main["filter"]


def test_the_element_facet_adds_the_readable_operation_elements() -> None:
    def buckets(**counts: int) -> dict:
        return {"buckets": [{"key": k.replace("_", "-"), "doc_count": c} for k, c in counts.items()]}

    response = {
        "hits": {"total": {"value": 3}, "hits": []},
        "aggregations": {
            "element": buckets(name=1, postal_address=1),
            q.READABLE_AGG: {"operation_elements": buckets(postal_address=1, income=2)},
        },
    }
    facets = q.parse_search_response(response).facets
    assert [(v.value, v.count) for v in facets["element"]] == [
        ("income", 2),
        ("postal-address", 2),
        ("name", 1),
    ]


# -- text ---------------------------------------------------------------------------
def test_user_syntax_never_reaches_an_engine_parser() -> None:
    text = 'title:hemlig OR classification:secret^9 (a AND b) "x y" ~z /re/ _exists_:keywords'
    body = q.build_search(SearchQuery(text=text), INTERNAL)
    found = keys(body)
    assert "query_string" not in found and "simple_query_string" not in found
    # User text only ever appears as the analysed text of a multi_match or as a
    # prefix value: "title:hemlig" is the phrase "title hemlig", not a field.
    for key, value in walk(body["query"]):
        if key == "multi_match":
            assert set(value) <= {"query", "type", "operator", "fields"}
    assert "_exists_" not in keys(body) and "exists" not in keys(body)
    # Only the explicit document fields are ever targeted.
    allowed = set(SUMMARY_TEXT_FIELDS) | set(FULL_TEXT_FIELDS)
    for key, value in walk(body["query"]):
        if key == "fields":
            assert {f.split("^")[0].split(".")[0] for f in value} <= allowed
        if key == "prefix":
            assert {f.split(".")[0] for f in value} <= allowed


def _should_pair(clause: dict) -> tuple[dict, dict]:
    should = clause["bool"]["should"]
    assert clause["bool"]["minimum_should_match"] == 1 and len(should) == 2
    return should[0], should[1]


def _fields(node: Any) -> set[str]:
    out: set[str] = set()
    for key, value in walk(node):
        if key == "fields":
            out |= {f.split("^")[0].split(".")[0] for f in value}
        if key == "prefix":
            out |= {f.split(".")[0] for f in value}
    return out


def test_full_fields_match_only_readable_classifications() -> None:
    body = q.build_search(SearchQuery(text="fastighet"), INTERNAL)
    (clause,) = body["query"]["bool"]["must"]
    summary, full = _should_pair(clause)
    assert _fields(summary) == set(SUMMARY_TEXT_FIELDS)
    assert full["bool"]["filter"] == [{"terms": {"classification": ["internal", "public"]}}]
    assert _fields(full["bool"]["must"]) == set(FULL_TEXT_FIELDS)


def test_exclusions_use_the_same_guarded_clause() -> None:
    body = q.build_search(SearchQuery(text="fastighet -lagfart"), ANON)
    must_not = body["query"]["bool"]["must_not"]
    assert must_not[0] == {"term": {"tombstone": True}}
    summary, full = _should_pair(must_not[1])
    assert summary["multi_match"]["query"] == "lagfart"
    assert full["bool"]["filter"] == [{"terms": {"classification": ["public"]}}]


def test_only_exclusions_match_everything_else() -> None:
    body = q.build_search(SearchQuery(text="-lagfart"), ANON)
    assert "must" not in body["query"]["bool"]
    assert body["sort"][0] == {"modified": {"order": "desc"}}
    assert "highlight" not in body


def test_term_weights_exact_over_stemmed_over_folded_and_titles_over_descriptions() -> None:
    clause = q.text_clause(q.Term("skatt"), SUMMARY_TEXT_FIELDS)["multi_match"]
    assert clause["type"] == "most_fields" and clause["operator"] == "and"
    weights = {f.split("^")[0]: float(f.split("^")[1]) for f in clause["fields"]}
    assert weights["title_sv.exact"] > weights["title_sv"] > weights["title_sv.folded"]
    assert weights["title_sv"] > weights["description_sv"]
    full = q.text_clause(q.Term("skatt"), FULL_TEXT_FIELDS)["multi_match"]
    full_weights = {f.split("^")[0]: float(f.split("^")[1]) for f in full["fields"]}
    assert full_weights["keywords_sv"] == weights["title_sv"]


def test_phrases_and_joined_terms_are_phrase_matches() -> None:
    assert (
        q.text_clause(q.Phrase(("inkomst", "uppgift")), SUMMARY_TEXT_FIELDS)["multi_match"]["type"]
        == "phrase"
    )
    joined = q.text_clause(q.Term("2009:400"), FULL_TEXT_FIELDS)["multi_match"]
    assert joined["type"] == "phrase" and joined["query"] == "2009:400"


def test_prefix_is_lowercased_and_folded_in_code() -> None:
    body = q.build_search(SearchQuery(text="Lantmät*"), ANON)
    summary, _ = _should_pair(body["query"]["bool"]["must"][0])
    values = {
        next(iter(p["prefix"])): next(iter(p["prefix"].values()))["value"] for p in summary["bool"]["should"]
    }
    assert values["title_sv.exact"] == "lantmät"
    assert values["title_sv.folded"] == "lantmat"
    assert "multi_match" not in keys(summary)  # no phrase_prefix: no max_expansions cap


def test_prefix_with_joiners_keeps_the_leading_part() -> None:
    clause = q.text_clause(q.Prefix("e-tjä"), SUMMARY_TEXT_FIELDS)
    lead, rest = clause["bool"]["must"]
    assert lead["multi_match"]["query"] == "e"
    prefixes = [next(iter(p["prefix"].values()))["value"] for p in rest["bool"]["should"]]
    assert set(prefixes) == {"tjä", "tja"}


# -- sort, paging, highlight ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("sort", "text", "expected"),
    [
        ("relevance", "skatt", ["_score", "modified", "id"]),
        ("relevance", "", ["modified", "id"]),
        ("title", "skatt", ["title_sort", "id"]),
        ("modified", "skatt", ["modified", "id"]),
    ],
)
def test_sort(sort: str, text: str, expected: list[str]) -> None:
    body = q.build_search(SearchQuery(text=text, sort=sort), ANON)  # type: ignore[arg-type]
    assert [next(iter(s)) for s in body["sort"]] == expected


def test_paging() -> None:
    body = q.build_search(SearchQuery(page=3, per_page=20), ANON)
    assert (body["from"], body["size"]) == (40, 20)
    assert q.build_search(SearchQuery(per_page=MAX_PER_PAGE), ANON)["size"] == 100
    assert body["track_total_hits"] is True
    assert body["_source"] is False


def test_highlight_only_summary_fields_html_escaped() -> None:
    body = q.build_search(SearchQuery(text="skatt"), INTERNAL)
    hl = body["highlight"]
    assert hl["encoder"] == "html"
    assert hl["pre_tags"] == ["<mark>"] and hl["post_tags"] == ["</mark>"]
    assert {f.split("_")[0] for f in hl["fields"]} == {"title", "description"}


# -- responses ---------------------------------------------------------------------------
def test_parse_search_response() -> None:
    response = {
        "hits": {
            "total": {"value": 3, "relation": "eq"},
            "hits": [
                {
                    "_id": "a",
                    "_score": 2.5,
                    "highlight": {
                        "title_en": ["<mark>Tax</mark>"],
                        "title_sv": ["<mark>Skatt</mark>"],
                        "description_nb": ["om <mark>skatt</mark>"],
                    },
                },
                {"_id": "b", "_score": None},
            ],
        },
        "aggregations": {
            "type": {"buckets": [{"key": "dataset", "doc_count": 2}, {"key": "api", "doc_count": 2}]},
            "publisher": {"buckets": []},
            "classification": {"buckets": [{"key": "public", "doc_count": 3}]},
            "status": {"buckets": [{"key": "published", "doc_count": 3}]},
            q.READABLE_AGG: {
                "doc_count": 2,
                "theme": {"buckets": [{"key": "GOVE", "doc_count": 1}]},
                "legal_basis": {"buckets": []},
                "personal_data": {
                    "buckets": [
                        {"key": 1, "key_as_string": "true", "doc_count": 2},
                        {"key": 0, "key_as_string": "false", "doc_count": 0},
                    ]
                },
                "format": {"buckets": []},
            },
        },
    }
    result = q.parse_search_response(response, lang="en")
    assert result.total == 3
    assert [h.id for h in result.hits] == ["a", "b"]
    assert result.hits[0].highlights == {"title": "<mark>Tax</mark>", "description": "om <mark>skatt</mark>"}
    assert not hasattr(result.hits[0], "score")  # scores depend on hidden entries' words
    assert result.facets["type"] == [FacetValue("api", 2), FacetValue("dataset", 2)]
    assert result.facets["personal_data"] == [FacetValue("true", 2)]
    assert result.facets["theme"] == [FacetValue("GOVE", 1)]
    assert "publisher" not in result.facets and "legal_basis" not in result.facets
    assert q.parse_search_response(response, lang=None).hits[0].highlights["title"] == "<mark>Skatt</mark>"


# -- suggest ------------------------------------------------------------------------------------
def test_suggest_filters_by_clearance_and_uses_titles_only() -> None:
    body = q.build_suggest("inkomst upp", ANON, limit=5)
    assert body is not None
    assert body["query"]["bool"]["filter"] == [q.clearance_filter(ANON)]
    assert "post_filter" not in keys(body) and "aggs" not in body
    assert _fields(body["query"]["bool"]["must"]) == set(q.TITLE_FIELDS)
    term, prefix = body["query"]["bool"]["must"]
    assert term["multi_match"]["query"] == "inkomst"
    assert "prefix" in keys(prefix)
    assert body["size"] == 5
    assert q.build_suggest("   ", ANON) is None
    assert q.build_suggest("x", ANON, limit=1000)["size"] == q.MAX_SUGGESTIONS  # type: ignore[index]


def test_suggest_request_only_permitted_aliases() -> None:
    request = q.build_suggest_request("skat", ANON, NAMES, LEVELS)
    assert request is not None and request.indices == ("tillit-entries-public",)


def test_parse_suggest_response_picks_the_matching_title() -> None:
    response = {"hits": {"hits": [
        {"_id": "a", "_source": {"title_sv": "Skatteregistret", "title_en": "Tax register"}},
        {"_id": "b", "_source": {"title_sv": "Fastigheter", "title_en": "Taxable property"}},
        {"_id": "c", "_source": {"title_nb": "Skattemelding"}},
    ]}}  # fmt: skip
    found = q.parse_suggest_response(response, "tax")
    assert [(s.id, s.title, s.lang) for s in found] == [
        ("a", "Tax register", "en"),
        ("b", "Taxable property", "en"),
        ("c", "Skattemelding", "nb"),
    ]
