"""Search and suggestions for a caller: identity first, clearance in the engine,
and every hit re-checked against the database before it is shown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from catalogue.services.entries import EntryService, EntryView
from search.backend import HIGHLIGHT_FIELDS, FacetValue, SearchBackend, SearchQuery, Suggestion
from security import policy
from security.identity import Identity

#: Without a status filter, retired entries stay out of search (as in lists).
DEFAULT_STATUSES = tuple(s for s in policy.STATUSES if s != policy.RETIRED)


@dataclass(frozen=True)
class SearchItem:
    view: EntryView
    highlights: Mapping[str, str]


@dataclass(frozen=True)
class SearchPage:
    total: int
    items: list[SearchItem]
    facets: Mapping[str, Sequence[FacetValue]]
    page: int
    per_page: int


@dataclass(frozen=True)
class SuggestionView:
    id: str
    title: str
    lang: str
    type: str


class SearchService:
    def __init__(self, entries: EntryService, backend: SearchBackend) -> None:
        self.session = entries.session
        self.scheme = entries.scheme
        self.backend = backend
        self.entries = entries

    def search(self, identity: Identity, query: SearchQuery) -> SearchPage:
        if not query.filters.status:
            query = replace(query, filters=replace(query.filters, status=DEFAULT_STATUSES))
        result = self.backend.search(policy.read_filter(identity), query)
        views = self.entries.views_of(identity, [h.id for h in result.hits], audit=True)
        items = [
            SearchItem(
                views[hit.id],
                {k: v for k, v in hit.highlights.items() if k in HIGHLIGHT_FIELDS},
            )
            for hit in result.hits
            if hit.id in views
        ]
        # A hit the database no longer shows this caller (the index is a moment
        # behind) is dropped, and not counted.
        total = max(0, result.total - (len(result.hits) - len(items)))
        facets = result.facets
        if query.facet_names is not None:  # an engine may count more than was asked
            facets = {name: values for name, values in facets.items() if name in query.facet_names}
        return SearchPage(total, items, facets, query.page, query.per_page)

    def suggest(self, identity: Identity, prefix: str, limit: int = 10) -> list[SuggestionView]:
        found: list[Suggestion] = self.backend.suggest(policy.read_filter(identity), prefix, limit)
        # Titles only (what a redacted summary shows anyway): not audited as reads.
        views = self.entries.views_of(identity, [s.id for s in found], audit=False)
        return [SuggestionView(s.id, s.title, s.lang, views[s.id].entry.type) for s in found if s.id in views]
