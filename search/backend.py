"""The engine-neutral search interface and its value types.

Both engines (embedded tantivy, Elasticsearch) implement :class:`SearchBackend`
and must give the same answers to the shared contract suite
(tests/contract/test_search_contract.py). The rules every backend follows:

Visibility (fail closed)
    The caller's :class:`security.policy.ReadFilter` goes into the main query,
    never into a post-filter. When ``read_filter.matches_nothing`` the answer is
    empty (total 0, no facets, no suggestions) without asking the engine.
    Visible ⇔ ``listing_level ∈ levels`` AND (``status ∈ open_statuses`` OR
    ``publisher == own_agency``).

Two field groups
    *Summary* fields are what a redacted view shows: title, description,
    publisher, type, classification, status (and listing_level). Any visible
    entry may match on them. *Full* fields (keywords, themes, legal basis,
    personal data, formats, OpenAPI text) may only match, filter or be counted
    for entries the caller may read whole: ``classification ∈ levels``. So:

    - a text clause matches ⇔ it matches a summary field, OR it matches a full
      field AND ``classification ∈ levels`` (the same holds for exclusions, so
      ``-word`` can never reveal a hidden keyword by an entry's absence);
    - a filter on ``theme``, ``legal_basis``, ``sharing_status``,
      ``personal_data`` or ``format``
      only ever matches entries with ``classification ∈ levels``;
    - facets over those fields count only such entries;
    - highlights come from summary fields (title, description) only.

    One filter reads both groups (``FULL_EXTENSIONS``): ``element`` matches an
    entry's own ``data_elements`` (summary), OR ``operation_elements`` (full: the
    elements an API's operations carry) AND ``classification ∈ levels``. The
    ``element`` facet counts the first for every visible entry plus the second
    for entries readable whole; a document never holds a value in both fields,
    so the sum counts each entry once (docs/operations.md).

Facets
    Computed over the same query and ALL filters as the hits (they describe the
    result set); a value appears only with a count ≥ 1. Facet names:
    ``FACETS``. ``personal_data`` values are the strings ``"true"``/``"false"``.

Text
    ``SearchQuery.text`` is the user's raw text; backends parse it with
    :func:`search.query.parse` (never pass it to an engine parser). All positive
    clauses must match (AND); excluded clauses must not. Empty text (or only
    exclusions) matches every visible entry.

Sorting
    ``relevance`` (score desc), ``title`` (``title_sort`` asc), ``modified``
    (modified desc). The relevance score stays inside the engine and is built
    from the document's own matching fields and their weights only, never from
    statistics over other documents (IDF, average field length): those include
    entries the caller may not see, which could then move its order. Ties come
    in an engine-chosen order, so the contract suite never depends on them.
    With no positive text clause, ``relevance`` behaves as ``modified``.

Revisions
    ``upsert`` never lets a document replace one with a higher ``revision``;
    an equal revision is replaced (idempotent re-delivery).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from security.policy import ReadFilter

Sort = Literal["relevance", "title", "modified"]
SORTS: tuple[Sort, ...] = ("relevance", "title", "modified")
MAX_PER_PAGE = 100
#: Deep paging costs the engine page × per_page documents; nobody reads page 500.
MAX_WINDOW = 10_000

#: Facets over summary fields: counted for every visible entry.
SUMMARY_FACETS = ("type", "publisher", "classification", "status", "element")
#: Facets over full fields: counted only for entries the caller may read whole.
#: ``sharing_status`` is one: it tells whether the entry cites a disclosure basis, and
#: the legal bases are full fields.
#: ``auth`` (the types of an API's authentication mechanisms) is one: the mechanisms
#: are shown only on the whole entry (catalogue.fields).
FULL_FACETS = ("theme", "legal_basis", "sharing_status", "personal_data", "format", "auth")
FACETS = SUMMARY_FACETS + FULL_FACETS

#: The document field behind each facet / filter name.
FACET_FIELDS: Mapping[str, str] = {
    "type": "type",
    "publisher": "publisher",
    "classification": "classification",
    "status": "status",
    "element": "data_elements",
    "theme": "themes",
    "legal_basis": "legal_basis",
    "sharing_status": "sharing_status",
    "personal_data": "personal_data",
    "format": "formats",
    "auth": "auth",
}
#: Filters and facets over a summary field that also read a full field, for entries
#: the caller may read whole: name → the full document field. ``operation_elements``
#: holds only the elements the entry's own ``data_elements`` lack (search.documents).
FULL_EXTENSIONS: Mapping[str, str] = {"element": "operation_elements"}
HIGHLIGHT_FIELDS = ("title", "description")


@dataclass(frozen=True)
class SearchFilters:
    """Each field: any of the values (OR); fields combine with AND. Empty = no filter."""

    type: tuple[str, ...] = ()
    publisher: tuple[str, ...] = ()
    classification: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    element: tuple[str, ...] = ()  # data-element keys, e.g. "postal-address"
    theme: tuple[str, ...] = ()
    legal_basis: tuple[str, ...] = ()  # normalised references, e.g. "2009:400"
    sharing_status: tuple[str, ...] = ()  # catalogue.sharing.SHARING_STATUSES
    personal_data: bool | None = None
    format: tuple[str, ...] = ()  # upper-case, e.g. "CSV"
    auth: tuple[str, ...] = ()  # catalogue.shapes.AUTH_TYPES, e.g. "maskinporten"

    def terms(self) -> dict[str, tuple[str, ...]]:
        """Filter name → accepted keyword values (personal_data as "true"/"false")."""
        out: dict[str, tuple[str, ...]] = {}
        for name in FACETS:
            if name == "personal_data":
                if self.personal_data is not None:
                    out[name] = ("true" if self.personal_data else "false",)
                continue
            values = getattr(self, name)
            if values:
                out[name] = tuple(values)
        return out


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: Sort = "relevance"
    page: int = 1
    per_page: int = 20
    #: Preferred language of the caller (snippets, title sort); None = any.
    lang: str | None = None
    facets: bool = True
    #: The facets to count (``facets`` on); None: all of them. An engine counts only
    #: these, so a caller that shows two facets does not pay for eleven.
    facet_names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.facet_names is not None and not set(self.facet_names) <= set(FACETS):
            raise ValueError(f"facets must be among {', '.join(FACETS)}")
        if self.sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        if self.page < 1 or self.page * self.per_page > MAX_WINDOW:
            raise ValueError(f"page × per_page must stay within {MAX_WINDOW}")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class Hit:
    """One hit, in rank order. No score: a relevance score is computed from
    statistics over every indexed document, so handing it out would let a caller
    measure entries it may not see (see docs/security.md, "Ranking and hidden
    entries")."""

    id: str
    #: field ("title"/"description") → HTML fragment, matches in <mark>, text escaped.
    highlights: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: Sequence[Hit]
    #: facet name → values by count desc, then value asc. Only facets with values.
    facets: Mapping[str, Sequence[FacetValue]] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> SearchResult:
        return cls(0, (), {})


@dataclass(frozen=True)
class Suggestion:
    id: str
    title: str
    lang: str


class SearchBackend(Protocol):
    """One search engine. Only ``search`` and ``suggest`` see callers' filters;
    the rest is for the indexer (system jobs)."""

    name: str

    def search(self, read_filter: ReadFilter, query: SearchQuery) -> SearchResult: ...

    def suggest(self, read_filter: ReadFilter, prefix: str, limit: int = 10) -> list[Suggestion]: ...

    def upsert(self, documents: Sequence[Mapping[str, Any]]) -> None:
        """Index documents; one whose stored revision is higher is left alone."""

    def delete(self, entry_ids: Iterable[str]) -> None:
        """Remove documents (an entry that vanished from the database)."""

    def revisions(self) -> dict[str, int]:
        """Every indexed id with its revision, for ``tillit index check``."""
        ...

    def rebuild(self, documents: Iterable[Mapping[str, Any]]) -> int:
        """Replace the whole index with ``documents`` (no revision checks), without
        a moment where searches see an empty or half-filled index. Returns the count."""
        ...

    def clear(self) -> None:
        """Drop every document."""

    def refresh(self) -> None:
        """Make everything written so far visible to searches."""

    def ready(self) -> bool: ...

    def close(self) -> None: ...


def sort_facet_values(counts: Mapping[str, int]) -> list[FacetValue]:
    """The contract's facet order: count desc, then value asc; zero counts dropped."""
    return [FacetValue(v, c) for v, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c > 0]
