"""``ElasticsearchBackend``: the ``SearchBackend`` protocol over the official client.

Writes (the indexer's side, system jobs only):

- ``upsert`` indexes each document into the alias of its ``listing_level``
  with ``version=revision``, and a tombstone of the same revision into every
  other level (see :func:`search.elasticsearch.reindex.upsert_actions`). The
  tombstones go first, in their own bulk request that waits for a refresh, so
  an entry whose level changed disappears from its old level before it
  appears at the new one: tighten before loosen, never two copies.
- Retired entries stay indexed as ordinary documents with ``status:
  retired`` (the soft delete): the clearance filter decides who sees them,
  exactly as ``catalogue.visibility`` does in SQL (only the owning agency and
  system jobs), and their revision keeps protecting them from late events.
- ``delete`` (an entry that vanished from the database) removes the document
  from every level index.

Reads: ``search`` and ``suggest`` send a request only to the aliases of the
levels the caller may see, with the clearance filter in the main query; when
the read filter matches nothing no request is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch
from elasticsearch import helpers as es_helpers

from search.backend import SearchQuery, SearchResult, Suggestion
from search.elasticsearch.mapping import DEFAULT_PREFIX, TOMBSTONE_FIELD, IndexNames
from search.elasticsearch.queries import (
    build_search_request,
    build_suggest_request,
    parse_search_response,
    parse_suggest_response,
)
from search.elasticsearch.reindex import (
    DEFAULT_INDEX_SETTINGS,
    IndexSettings,
    RebuildReport,
    TemplateState,
    delete_actions,
    ensure_level_indices,
    ensure_templates,
    rebuild,
    run_bulk,
    upsert_actions,
)
from security.levels import DEFAULT_SCHEME, ClassificationScheme
from security.policy import ReadFilter

log = logging.getLogger(__name__)


class ElasticsearchBackend:
    name = "elasticsearch"

    def __init__(
        self,
        client: Elasticsearch,
        levels: Sequence[str],
        *,
        prefix: str = DEFAULT_PREFIX,
        settings: IndexSettings = DEFAULT_INDEX_SETTINGS,
        tighten_wait: bool = True,
    ) -> None:
        """``levels``: the scheme's enabled level keys, lowest first. A document
        of any other level is indexed nowhere; a caller's levels outside it are
        ignored (an unknown key never matches anything)."""
        if not levels:
            raise ValueError("The Elasticsearch backend needs at least one enabled level.")
        self.client = client
        self.levels = tuple(levels)
        self.names = IndexNames(prefix)
        self.settings = settings
        #: Wait for the tombstones to be searchable before writing the documents.
        self.tighten_wait = tighten_wait
        self._ensured = False

    @classmethod
    def from_url(
        cls, url: str, levels: Sequence[str], *, prefix: str = DEFAULT_PREFIX, request_timeout: float = 10.0
    ) -> ElasticsearchBackend:
        client = Elasticsearch(url, request_timeout=request_timeout, retry_on_timeout=True, max_retries=3)
        return cls(client, levels, prefix=prefix)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ElasticsearchBackend:
        """From Tillit's settings: ``ELASTICSEARCH_URL``, ``ELASTICSEARCH_INDEX_PREFIX``
        (default ``tillit-entries``) and the classification scheme's enabled levels."""
        path = settings.get("CLASSIFICATION_SCHEME")
        scheme = ClassificationScheme.load(path) if path else DEFAULT_SCHEME
        return cls.from_url(
            str(settings["ELASTICSEARCH_URL"]),
            scheme.enabled_keys,
            prefix=str(settings.get("ELASTICSEARCH_INDEX_PREFIX") or DEFAULT_PREFIX),
        )

    # -- setup ------------------------------------------------------------------------
    def ensure(self) -> TemplateState:
        """Install or upgrade the templates and give every enabled level its
        index and alias. Safe to call at every start, from several processes.
        Called on first use, so a Tillit that starts before Elasticsearch
        does not fail: it is just not ready yet."""
        state = ensure_templates(self.client, self.names, self.settings)
        if state == "upgraded":
            log.warning("Elasticsearch templates upgraded: run `tillit reindex` to apply them.")
        ensure_level_indices(self.client, self.names, self.levels)
        self._ensured = True
        return state

    def _ensure_once(self) -> None:
        if not self._ensured:
            self.ensure()

    @property
    def aliases(self) -> tuple[str, ...]:
        return tuple(self.names.alias(level) for level in self.levels)

    # -- reads ------------------------------------------------------------------------
    def search(self, read_filter: ReadFilter, query: SearchQuery) -> SearchResult:
        request = build_search_request(query, read_filter, self.names, self.levels)
        if request is None:
            return SearchResult.empty()
        response = self.client.search(
            index=",".join(request.indices),
            body=request.body,
            ignore_unavailable=True,
            allow_no_indices=True,
        )
        return parse_search_response(response.body, query.lang)

    def suggest(self, read_filter: ReadFilter, prefix: str, limit: int = 10) -> list[Suggestion]:
        request = build_suggest_request(prefix, read_filter, self.names, self.levels, limit)
        if request is None:
            return []
        response = self.client.search(
            index=",".join(request.indices),
            body=request.body,
            ignore_unavailable=True,
            allow_no_indices=True,
        )
        return parse_suggest_response(response.body, prefix)

    # -- writes (system jobs) ---------------------------------------------------------
    def upsert(self, documents: Sequence[Mapping[str, Any]]) -> None:
        self._ensure_once()
        tighten, write = upsert_actions(documents, self.names.alias, self.levels)
        run_bulk(self.client, tighten, require_alias=True, refresh="wait_for" if self.tighten_wait else None)
        run_bulk(self.client, write, require_alias=True)

    def delete(self, entry_ids: Iterable[str]) -> None:
        self._ensure_once()
        run_bulk(self.client, delete_actions(entry_ids, self.aliases), require_alias=True)

    def revisions(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for hit in es_helpers.scan(
            self.client,
            index=",".join(self.aliases),
            query={"query": {"bool": {"must_not": [{"term": {TOMBSTONE_FIELD: True}}]}}},
            _source=["revision"],
            ignore_unavailable=True,
        ):
            revision = int(hit["_source"]["revision"])
            # One entry in two level indices would be drift; report the newest.
            found[hit["_id"]] = max(revision, found.get(hit["_id"], revision))
        return found

    def clear(self) -> None:
        """Empty every level index by swapping in a new, empty generation."""
        self.rebuild([])

    def rebuild(self, documents: Iterable[Mapping[str, Any]]) -> int:
        """Replace every level index with ``documents``; searches keep being
        answered by the old generation until the atomic alias swap."""
        return self.rebuild_with_report(documents).indexed

    def rebuild_with_report(
        self,
        documents: Iterable[Mapping[str, Any]],
        *,
        catch_up: Callable[[], Iterable[Mapping[str, Any]]] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> RebuildReport:
        """The rebuild of :func:`search.elasticsearch.reindex.rebuild`, with its
        catch-up pass (entries changed while filling) and progress callback."""
        report = rebuild(
            self.client,
            self.names,
            self.levels,
            documents,
            settings=self.settings,
            catch_up=catch_up,
            progress=progress,
        )
        self._ensured = True
        return report

    def refresh(self) -> None:
        self.client.indices.refresh(index=",".join(self.aliases), ignore_unavailable=True)

    # -- operations -------------------------------------------------------------------
    def ready(self) -> bool:
        """The cluster answers, is at least yellow, and every level alias exists."""
        try:
            self._ensure_once()
            health = self.client.cluster.health(timeout="2s")
            if health.body.get("status") not in ("green", "yellow"):
                return False
            return all(bool(self.client.indices.exists_alias(name=alias)) for alias in self.aliases)
        except (ApiError, TransportError) as exc:
            log.warning("Elasticsearch is not ready: %s", exc)
            return False

    def close(self) -> None:
        self.client.close()
