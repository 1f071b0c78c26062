"""Search and suggestions for a caller: identity first, clearance in the engine,
and every hit re-checked against the database before it is shown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.errors import NotFound
from catalogue.models import Entry
from catalogue.services.entries import EntryService, EntryView
from search.backend import HIGHLIGHT_FIELDS, FacetValue, SearchBackend, SearchQuery, Suggestion
from security import policy
from security.identity import Identity
from security.levels import ClassificationScheme

#: Without a status filter, retired entries stay out of search (as in lists).
DEFAULT_STATUSES = tuple(s for s in policy.STATUSES if s != policy.RETIRED)


@dataclass(frozen=True)
class SearchItem:
    view: EntryView
    score: float
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
    def __init__(self, session: Session, scheme: ClassificationScheme, backend: SearchBackend) -> None:
        self.session = session
        self.scheme = scheme
        self.backend = backend
        self.entries = EntryService(session, scheme)

    def search(self, identity: Identity, query: SearchQuery) -> SearchPage:
        if not query.filters.status:
            query = replace(query, filters=replace(query.filters, status=DEFAULT_STATUSES))
        result = self.backend.search(policy.read_filter(identity), query)
        views = self._visible_views(identity, [h.id for h in result.hits])
        items = [
            SearchItem(
                views[hit.id],
                hit.score,
                {k: v for k, v in hit.highlights.items() if k in HIGHLIGHT_FIELDS},
            )
            for hit in result.hits
            if hit.id in views
        ]
        # A hit the database no longer shows this caller (the index is a moment
        # behind) is dropped, and not counted.
        total = max(0, result.total - (len(result.hits) - len(items)))
        return SearchPage(total, items, result.facets, query.page, query.per_page)

    def suggest(self, identity: Identity, prefix: str, limit: int = 10) -> list[SuggestionView]:
        found: list[Suggestion] = self.backend.suggest(policy.read_filter(identity), prefix, limit)
        views = self._visible_views(identity, [s.id for s in found])
        return [SuggestionView(s.id, s.title, s.lang, views[s.id].entry.type) for s in found if s.id in views]

    def _visible_views(self, identity: Identity, ids: Sequence[str]) -> dict[str, EntryView]:
        """Views (whole or redacted) of the entries the caller may see, by id."""
        if not ids:
            return {}
        # One query loads them; EntryService.get then finds them in the session's
        # identity map (which holds weak references: keep ``loaded`` alive).
        loaded = self.session.scalars(select(Entry).where(Entry.id.in_(list(ids)))).all()
        views: dict[str, EntryView] = {}
        for entry_id in ids:
            try:
                views[entry_id] = self.entries.get(identity, entry_id)
            except NotFound:
                continue
        del loaded
        return views
