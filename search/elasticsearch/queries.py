"""Search and suggest requests for Elasticsearch, and their answers: pure functions.

The rules are those of :mod:`search.backend`; here is how they become a request:

- The clearance filter (``ReadFilter``: listing level AND (open status OR own
  agency)) sits in ``query.bool.filter``. There is never a ``post_filter``: it
  does not restrict aggregations, so a filter placed there would let hidden
  entries into facet counts.
- Facet *selections* go into the same ``bool.filter``. Facets describe the
  result set (contract: "computed over the same query and ALL filters"), and
  with one filter list there is nothing outside it that could ever be counted.
  The price is that a selected facet no longer shows its sibling values'
  counts ("disjunctive" facets); the API can ask again without the selection
  when it wants them, still inside the clearance filter.
- Aggregations therefore run inside the filtered query. Facets over *full*
  fields (theme, legal basis, personal data, format) sit under a ``filter``
  aggregation on ``classification ∈ readable levels``, so a caller who sees an
  entry only as a redacted summary cannot count its keywords or legal bases.
- Free text is the parsed AST of :func:`search.query.parse`, turned into
  explicit ``multi_match``/``prefix`` clauses over an explicit field list. No
  user text ever reaches ``query_string`` or ``simple_query_string``.
- Each text clause matches a *summary* field, OR a *full* field of an entry
  whose classification the caller may read. Exclusions use the same clause, so
  ``-word`` cannot reveal a hidden keyword by an entry's absence.
- The request only names the aliases of levels the caller may see; the filter
  still carries those levels (defence in depth: an alias pointing at the wrong
  index must not widen anything). When ``ReadFilter.matches_nothing`` there is
  no request at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from search.backend import (
    FACET_FIELDS,
    FULL_EXTENSIONS,
    FULL_FACETS,
    MAX_PER_PAGE,
    SUMMARY_FACETS,
    FacetValue,
    Hit,
    SearchQuery,
    SearchResult,
    Suggestion,
    sort_facet_values,
)
from search.documents import FULL_TEXT_FIELDS, LANGUAGES, SUMMARY_TEXT_FIELDS, TITLE_ORDER
from search.elasticsearch.mapping import TOMBSTONE_FIELD, IndexNames, levels_in_order
from search.query import Clause, ParsedQuery, Phrase, Prefix, Term, fold, parse, words
from security.policy import ReadFilter

#: Keywords and titles weigh more than descriptions (issue 5).
GROUP_BOOSTS: Mapping[str, float] = {
    "title": 3.0,
    "keywords": 3.0,
    "description": 1.0,
    "publisher_name": 1.0,
    "legal_text": 1.0,
    "openapi": 0.5,
}
#: Relative weight of the ways a field is indexed: exact words first, stems
#: next, folded (typed without å, ä, ö, ø, æ) last. most_fields adds them up,
#: so an exact match scores exact + stem + folded and outranks a folded one.
#: The exact weight is large enough that an exact word in a description beats
#: a mere stem collision in a title ("fastighet" vs "Fast anställda": the
#: Swedish stemmer makes both "fast").
SUBFIELD_BOOSTS: Mapping[str, float] = {"": 1.0, ".exact": 3.0, ".folded": 0.5}
#: Phrases match unstemmed subfields only: the language analysers drop stop
#: words ("från", "och"), which would turn "arbetsgivare från" into a match
#: for "... från arbetsgivare".
PHRASE_SUBFIELDS = (".exact", ".folded")
#: Distinct values returned per facet. Every facet vocabulary of a catalogue
#: (themes, levels, statuses, formats, publishers, legal references) fits.
FACET_SIZE = 200
MAX_SUGGESTIONS = 20
TITLE_FIELDS = tuple(f"title_{lang}" for lang in LANGUAGES)
HIGHLIGHT_GROUPS = ("title", "description")
READABLE_AGG = "readable_whole"
_JOINER = re.compile(r"[-:.']")


@dataclass(frozen=True)
class SearchRequest:
    """What to send: the aliases to search and the body."""

    indices: tuple[str, ...]
    body: dict[str, Any]


# -- filters ----------------------------------------------------------------------
def clearance_filter(read_filter: ReadFilter) -> dict[str, Any]:
    """The policy's read filter as an Elasticsearch query: the twin of
    ``catalogue.visibility.visible_clause``. Call only when the filter can match."""
    status_ok: list[dict[str, Any]] = []
    if read_filter.open_statuses:
        status_ok.append({"terms": {"status": sorted(read_filter.open_statuses)}})
    if read_filter.own_agency is not None:
        status_ok.append({"term": {"publisher": read_filter.own_agency}})
    return {
        "bool": {
            "filter": [
                {"terms": {"listing_level": sorted(read_filter.levels)}},
                {"bool": {"should": status_ok, "minimum_should_match": 1}},
            ]
        }
    }


def readable_filter(readable_levels: Iterable[str]) -> dict[str, Any]:
    """Entries the caller may read whole (not just as a redacted summary)."""
    return {"terms": {"classification": sorted(readable_levels)}}


def selection_filters(query: SearchQuery, readable_levels: frozenset[str]) -> list[dict[str, Any]]:
    selected = query.filters.terms()
    clauses: list[dict[str, Any]] = [
        _selection(name, list(values), readable_levels) for name, values in selected.items()
    ]
    if any(name in FULL_FACETS for name in selected):
        # A filter on a full field only ever matches entries readable whole.
        clauses.append(readable_filter(readable_levels))
    return clauses


# -- text -------------------------------------------------------------------------
def _group(field: str) -> str:
    head = field.rsplit("_", 1)[0]
    return head if head in GROUP_BOOSTS else field


def weighted_fields(fields: Iterable[str], subfields: Iterable[str] = ("", ".exact", ".folded")) -> list[str]:
    """``title_sv`` → ``title_sv^3``, ``title_sv.exact^4.5``, ``title_sv.folded^1.5``."""
    out = []
    for field in fields:
        boost = GROUP_BOOSTS[_group(field)]
        for sub in subfields:
            out.append(f"{field}{sub}^{_num(boost * SUBFIELD_BOOSTS[sub])}")
    return out


def _num(value: float) -> str:
    return f"{value:g}"


def text_clause(clause: Clause, fields: Sequence[str]) -> dict[str, Any]:
    """One parsed clause over ``fields``; matches when any field matches."""
    if isinstance(clause, Phrase):
        return _phrase(" ".join(clause.words), fields)
    if isinstance(clause, Prefix):
        return _prefix(clause, fields)
    if _JOINER.search(clause.text):
        # "2009:400", "e-tjänst": the analysers split these; the parts must
        # stay together and in order.
        return _phrase(clause.text, fields)
    return {
        "multi_match": {
            "query": clause.text,
            "type": "most_fields",
            "operator": "and",
            "fields": weighted_fields(fields),
        }
    }


def _phrase(text: str, fields: Sequence[str]) -> dict[str, Any]:
    return {
        "multi_match": {"query": text, "type": "phrase", "fields": weighted_fields(fields, PHRASE_SUBFIELDS)}
    }


def _prefix(clause: Prefix, fields: Sequence[str]) -> dict[str, Any]:
    """Prefix queries are not analysed, so the prefix is lower-cased and folded
    here (by the parser) and matched against the ``.exact`` and ``.folded``
    subfields. Their default rewrite is a constant-score bitset: every matching
    term counts, there is no expansion cap that would lose hits silently."""
    parts = [p for p in _JOINER.split(clause.text) if p]
    last = parts[-1] if parts else clause.text
    alternatives: list[dict[str, Any]] = []
    for field in fields:
        boost = GROUP_BOOSTS[_group(field)]
        alternatives.append(
            {"prefix": {f"{field}.exact": {"value": last, "boost": boost * SUBFIELD_BOOSTS[".exact"]}}}
        )
        alternatives.append(
            {
                "prefix": {
                    f"{field}.folded": {"value": fold(last), "boost": boost * SUBFIELD_BOOSTS[".folded"]}
                }
            }
        )
    query: dict[str, Any] = {"bool": {"should": alternatives, "minimum_should_match": 1}}
    if len(parts) > 1:
        # "e-tj*": the leading parts are words of the same field, in front.
        lead = {"multi_match": {"query": " ".join(parts[:-1]), "type": "most_fields", "operator": "and",
                                "fields": weighted_fields(fields)}}  # fmt: skip
        query = {"bool": {"must": [lead, query]}}
    return query


def visible_text_clause(clause: Clause, readable_levels: frozenset[str]) -> dict[str, Any]:
    """Summary fields for every visible entry, OR full fields for entries the
    caller may read whole."""
    return {
        "bool": {
            "should": [
                text_clause(clause, SUMMARY_TEXT_FIELDS),
                {
                    "bool": {
                        "must": [text_clause(clause, FULL_TEXT_FIELDS)],
                        "filter": [readable_filter(readable_levels)],
                    }
                },
            ],
            "minimum_should_match": 1,
        }
    }


# -- search -----------------------------------------------------------------------
def build_search(
    query: SearchQuery,
    read_filter: ReadFilter,
    readable_levels: frozenset[str] | None = None,
    parsed: ParsedQuery | None = None,
) -> dict[str, Any]:
    """The body of one search request.

    ``readable_levels`` (default ``read_filter.levels``) are the classifications
    the caller may read whole. Raises ``ValueError`` for a filter that matches
    nothing: the caller must not send a request then (see
    :func:`build_search_request`).
    """
    if read_filter.matches_nothing:
        raise ValueError("The read filter matches nothing: send no request.")
    readable = frozenset(read_filter.levels if readable_levels is None else readable_levels)
    parsed = parse(query.text) if parsed is None else parsed
    filters = [clearance_filter(read_filter), *selection_filters(query, readable)]
    bool_query: dict[str, Any] = {"filter": filters}
    if parsed.must:
        bool_query["must"] = [visible_text_clause(c, readable) for c in parsed.must]
    bool_query["must_not"] = [
        {"term": {TOMBSTONE_FIELD: True}},
        *(visible_text_clause(c, readable) for c in parsed.must_not),
    ]
    body: dict[str, Any] = {
        "query": {"bool": bool_query},
        "sort": sort_clause(query.sort, has_text=bool(parsed.must)),
        "from": query.offset,
        "size": min(query.per_page, MAX_PER_PAGE),
        "track_total_hits": True,
        "_source": False,
    }
    if query.facets:
        body["aggs"] = facet_aggregations(readable)
    if parsed.must:
        body["highlight"] = highlight()
    return body


def build_search_request(
    query: SearchQuery,
    read_filter: ReadFilter,
    names: IndexNames,
    enabled_levels: Sequence[str],
) -> SearchRequest | None:
    """The aliases of the levels the caller may see, and the body; None when
    nothing can match (no request is sent at all)."""
    if read_filter.matches_nothing:
        return None
    levels = levels_in_order(read_filter.levels, enabled_levels)
    if not levels:
        return None
    indices = tuple(names.alias(level) for level in levels)
    return SearchRequest(indices, build_search(query, read_filter))


def sort_clause(sort: str, *, has_text: bool) -> list[Any]:
    if sort == "title":
        return [{"title_sort": {"order": "asc"}}, {"id": {"order": "asc"}}]
    if sort == "relevance" and has_text:
        return [{"_score": {"order": "desc"}}, {"modified": {"order": "desc"}}, {"id": {"order": "asc"}}]
    return [{"modified": {"order": "desc"}}, {"id": {"order": "asc"}}]


def _terms_agg(field: str) -> dict[str, Any]:
    return {
        "terms": {
            "field": field,
            "size": FACET_SIZE,
            "min_doc_count": 1,
            "order": [{"_count": "desc"}, {"_key": "asc"}],
        }
    }


def _selection(name: str, values: list[str], readable_levels: frozenset[str]) -> dict[str, Any]:
    """The filter of one facet selection; for a name in FULL_EXTENSIONS, its summary
    field OR its full field on an entry readable whole."""
    clause: dict[str, Any] = {"terms": {FACET_FIELDS[name]: values}}
    if name not in FULL_EXTENSIONS:
        return clause
    extension = {"terms": {FULL_EXTENSIONS[name]: values}}
    readable_extension = {"bool": {"filter": [extension, readable_filter(readable_levels)]}}
    return {"bool": {"should": [clause, readable_extension], "minimum_should_match": 1}}


def facet_aggregations(readable_levels: frozenset[str]) -> dict[str, Any]:
    """Facet aggregations. They run over the hits of the filtered query; full
    facets additionally only over entries readable whole."""
    aggs: dict[str, Any] = {name: _terms_agg(FACET_FIELDS[name]) for name in SUMMARY_FACETS}
    aggs[READABLE_AGG] = {
        "filter": readable_filter(readable_levels),
        "aggs": {
            **{name: _terms_agg(FACET_FIELDS[name]) for name in FULL_FACETS},
            **{field: _terms_agg(field) for field in FULL_EXTENSIONS.values()},
        },
    }
    return aggs


def highlight() -> dict[str, Any]:
    """Snippets from summary fields only; ``encoder: html`` escapes the text."""
    fields: dict[str, Any] = {}
    for lang in LANGUAGES:
        fields[f"title_{lang}"] = {"number_of_fragments": 0}
        fields[f"description_{lang}"] = {"fragment_size": 160, "number_of_fragments": 1}
    return {
        "type": "unified",
        "encoder": "html",
        "pre_tags": ["<mark>"],
        "post_tags": ["</mark>"],
        "require_field_match": False,
        "fields": fields,
    }


def parse_search_response(response: Mapping[str, Any], lang: str | None = None) -> SearchResult:
    hits_part = response.get("hits", {})
    total_part = hits_part.get("total", 0)
    total = int(total_part["value"] if isinstance(total_part, Mapping) else total_part)
    hits = [
        Hit(
            id=str(hit["_id"]),
            highlights=_highlights(hit.get("highlight") or {}, lang),
        )
        for hit in hits_part.get("hits", [])
    ]
    aggs = response.get("aggregations") or {}
    facets: dict[str, list[FacetValue]] = {}
    for name in SUMMARY_FACETS:
        _collect(facets, name, aggs.get(name))
    readable = aggs.get(READABLE_AGG) or {}
    for name in FULL_FACETS:
        _collect(facets, name, readable.get(name))
    for name, field in FULL_EXTENSIONS.items():
        # Disjoint fields (search.backend): each entry counted once.
        extension: dict[str, list[FacetValue]] = {}
        _collect(extension, name, readable.get(field))
        counts: dict[str, int] = {v.value: v.count for v in facets.get(name, ())}
        for value in extension.get(name, ()):
            counts[value.value] = counts.get(value.value, 0) + value.count
        _collect_counts(facets, name, counts)
    return SearchResult(total=total, hits=hits, facets=facets)


def _collect(facets: dict[str, list[FacetValue]], name: str, agg: Mapping[str, Any] | None) -> None:
    if not agg:
        return
    counts = {
        str(bucket.get("key_as_string", bucket["key"])): int(bucket["doc_count"])
        for bucket in agg.get("buckets", [])
    }
    _collect_counts(facets, name, counts)


def _collect_counts(facets: dict[str, list[FacetValue]], name: str, counts: Mapping[str, int]) -> None:
    values = sort_facet_values(counts)
    if values:
        facets[name] = values


def _highlights(highlight_part: Mapping[str, Sequence[str]], lang: str | None) -> dict[str, str]:
    order = ((lang,) if lang in LANGUAGES else ()) + LANGUAGES
    out: dict[str, str] = {}
    for group in HIGHLIGHT_GROUPS:
        for candidate in order:
            fragments = highlight_part.get(f"{group}_{candidate}")
            if fragments:
                out[group] = fragments[0]
                break
    return out


# -- suggest ----------------------------------------------------------------------
def build_suggest(prefix: str, read_filter: ReadFilter, limit: int = 10) -> dict[str, Any] | None:
    """Type-ahead over titles, inside the clearance filter. None: send nothing."""
    if read_filter.matches_nothing:
        return None
    found = words(prefix)
    if not found:
        return None
    clauses: list[dict[str, Any]] = [text_clause(Term(word), TITLE_FIELDS) for word in found[:-1]]
    clauses.append(text_clause(Prefix(found[-1]), TITLE_FIELDS))
    return {
        "query": {
            "bool": {
                "filter": [clearance_filter(read_filter)],
                "must": clauses,
                "must_not": [{"term": {TOMBSTONE_FIELD: True}}],
            }
        },
        "sort": [{"_score": {"order": "desc"}}, {"title_sort": {"order": "asc"}}, {"id": {"order": "asc"}}],
        "size": max(1, min(limit, MAX_SUGGESTIONS)),
        "_source": list(TITLE_FIELDS),
        "track_total_hits": False,
    }


def build_suggest_request(
    prefix: str, read_filter: ReadFilter, names: IndexNames, enabled_levels: Sequence[str], limit: int = 10
) -> SearchRequest | None:
    if read_filter.matches_nothing:
        return None
    levels = levels_in_order(read_filter.levels, enabled_levels)
    body = build_suggest(prefix, read_filter, limit)
    if not levels or body is None:
        return None
    return SearchRequest(tuple(names.alias(level) for level in levels), body)


def parse_suggest_response(response: Mapping[str, Any], prefix: str) -> list[Suggestion]:
    """The title that the prefix matched, in the first language that has it."""
    found = words(prefix)
    wanted = fold(found[-1]) if found else ""
    out: list[Suggestion] = []
    for hit in response.get("hits", {}).get("hits", []):
        source = hit.get("_source") or {}
        titles = {lang: source.get(f"title_{lang}") or "" for lang in TITLE_ORDER}
        lang = next(
            (code for code, title in titles.items() if any(fold(w).startswith(wanted) for w in words(title))),
            next((code for code, title in titles.items() if title), None),
        )
        if lang is None:
            continue
        out.append(Suggestion(id=str(hit["_id"]), title=titles[lang], lang=lang))
    return out
