"""Facet counts of the embedded engine: one aggregation over a search's matches.

Full facets are counted from the single-valued ``<classification>SEP<values>``
combinations (search/tantivy_shape.py), and the buckets of classifications the caller
may not read whole are dropped before their values are split and summed, so a hidden
value never appears; more combinations than ``COMBO_FACET_SIZE`` falls back to exact
counting on the plain fields.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import tantivy
from tantivy import Occur, Query

from search.backend import (
    FACET_FIELDS,
    FACETS,
    FULL_EXTENSIONS,
    FULL_FACETS,
    SUMMARY_FACETS,
    FacetValue,
    sort_facet_values,
)
from search.tantivy_shape import COMBO_EXTENSIONS, COMBO_FACETS, SEP, VALUE_SEP

FACET_SIZE = 1000
#: Buckets asked of a combination facet; more distinct combinations than this
#: (sum_other_doc_count > 0) falls back to exact counting on the plain fields.
COMBO_FACET_SIZE = 10_000


def count_facets(
    searcher: tantivy.Searcher,
    query: Query,
    levels: frozenset[str],
    readable_only: Sequence[tuple[Occur, Query]],
    names: Sequence[str] = FACETS,
) -> dict[str, list[FacetValue]]:
    """The facets ``names`` in one aggregation over the hits. Full facets are counted
    from the ``<classification>SEP<values>`` combinations, keeping only the
    classifications the caller may read whole."""
    summary = [name for name in SUMMARY_FACETS if name in names]
    full = [name for name in FULL_FACETS if name in names]
    extensions = {name: field for name, field in FULL_EXTENSIONS.items() if name in names}
    spec = {name: _terms(FACET_FIELDS[name], FACET_SIZE) for name in summary}
    spec.update({name: _terms(COMBO_FACETS[name], COMBO_FACET_SIZE) for name in full})
    spec.update({field: _terms(COMBO_EXTENSIONS[field], COMBO_FACET_SIZE) for field in extensions.values()})
    if not spec:
        return {}
    try:
        raw = searcher.aggregate(query, spec)
    except ValueError:  # too many buckets for tantivy: count exactly below
        raw = {}
    out = {name: _bucket_counts(raw[name]) for name in summary if name in raw}
    if len(out) < len(summary):
        out = plain_facets(searcher, query, summary)
    counted_whole = (*full, *extensions.values())
    if any(name not in raw or raw[name].get("sum_other_doc_count") for name in counted_whole):
        # More combinations than asked for: the slower, exact way.
        restricted = Query.boolean_query([(Occur.Must, query), *readable_only])
        out.update(plain_facets(searcher, restricted, full))
        if extensions:
            counted = searcher.aggregate(
                restricted, {field: _terms(field, FACET_SIZE) for field in extensions.values()}
            )
            for name, field in extensions.items():
                out[name] = _summed(out.get(name, []), _bucket_counts(counted.get(field, {})))
        return out
    for name in full:
        out[name] = _readable_counts(raw[name], levels)
    for name, field in extensions.items():
        out[name] = _summed(out.get(name, []), _readable_counts(raw[field], levels))
    return out


def plain_facets(
    searcher: tantivy.Searcher, query: Query, names: Sequence[str]
) -> dict[str, list[FacetValue]]:
    raw = searcher.aggregate(query, {name: _terms(FACET_FIELDS[name], FACET_SIZE) for name in names})
    return {name: _bucket_counts(raw.get(name, {})) for name in names}


def _readable_counts(raw: Mapping[str, Any], levels: frozenset[str]) -> list[FacetValue]:
    """The counts of a ``<classification>SEP<values>`` aggregation, only for the
    classifications the caller may read whole."""
    counts: Counter[str] = Counter()
    for bucket in raw["buckets"]:
        level, _, values = str(bucket["key"]).partition(SEP)
        if level in levels and values:
            for value in values.split(VALUE_SEP):
                counts[value] += int(bucket["doc_count"])
    return sort_facet_values(counts)


def _summed(*parts: Sequence[FacetValue]) -> list[FacetValue]:
    """Facet counts of disjoint fields added up (FULL_EXTENSIONS)."""
    counts: Counter[str] = Counter()
    for part in parts:
        for value in part:
            counts[value.value] += value.count
    return sort_facet_values(counts)


def _terms(field: str, size: int) -> dict[str, Any]:
    return {"terms": {"field": field, "size": size}}


def _bucket_counts(raw: Mapping[str, Any]) -> list[FacetValue]:
    return sort_facet_values({str(b["key"]): int(b["doc_count"]) for b in raw.get("buckets", [])})
