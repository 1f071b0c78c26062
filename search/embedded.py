"""The embedded search engine (tantivy), kept in the instance folder.

The index's shape (analysers, fields, documents) is in search/tantivy_shape.py, its
queries in search/tantivy_query.py and its facet counts in search/tantivy_facets.py;
this module opens, writes and searches it.

A matching field contributes its weight alone (a constant score, not BM25): BM25 weighs
a word by how many documents in the whole index hold it and normalises by the index's
average field length, so entries a caller may not see could move the order of those it
does see. A rank here depends only on the query and the document itself
(docs/security.md, "Ranking and hidden entries"). A single-word prefix is a term-range
query in tantivy, which is not capped, so no hit is lost to an expansion limit.

One writer per index: the writer is guarded by a lock shared by every thread of
the process, and the instance folder's ``search.lock`` (flock, taken when the
process first writes) makes a second Tillit process that tries to write fail at once
with a clear message instead of waiting on, or corrupting, the index. Under
``tillit serve`` the writer is a process of its own (search/writer.py) and the web
workers only read; every reader reloads when the writer's commit word says so
(search/freshness.py), so any number of processes may search one index. What a search
found is kept for the view of the index it read (search/result_cache.py).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import tantivy
from tantivy import Occur, Query

from search.backend import (
    FACET_FIELDS,
    FACETS,
    FULL_EXTENSIONS,
    FULL_FACETS,
    FacetValue,
    Hit,
    SearchQuery,
    SearchResult,
    Suggestion,
)
from search.documents import LANGUAGES, preferred_title
from search.freshness import CommitWord, Freshness
from search.query import Clause, Prefix, Term, parse
from search.result_cache import DEFAULT_SIZE, ViewCache
from search.snippets import Highlighter
from search.tantivy_facets import count_facets
from search.tantivy_query import QueryBuilder, any_of
from search.tantivy_shape import SCHEMA_VERSION, TEXT_FIELDS, analyzers, schema, to_tantivy
from security.policy import RETIRED, STATUSES, ReadFilter

T = TypeVar("T")

REBUILD_MARKER = "tillit-needs-rebuild"
INDEX_DIR = "search-index"
LOCK_FILE = "search.lock"
#: Suggestions never show retired entries.
SUGGEST_STATUSES = tuple(s for s in STATUSES if s != RETIRED)
WRITER_HEAP = 64_000_000
#: Seconds a reader may go on without a commit another process made (TILLIT_INDEX_REFRESH).
DEFAULT_REFRESH = 0.5
#: Threads that run a request's top-hits pass beside its facet pass (``search``).
SEARCH_HELPERS = 4
#: The rebuild's own writer: a large heap means few, large segments and few merges.
REBUILD_HEAP = 1_000_000_000
REBUILD_THREADS = 2


class SearchIndexLocked(RuntimeError):
    """Another process holds the embedded index."""


class EmbeddedBackend:
    """tantivy in ``<instance>/search-index``; see the module docstring."""

    name = "embedded"

    def __init__(
        self,
        instance_path: str | os.PathLike[str],
        *,
        writer_heap: int = WRITER_HEAP,
        refresh: float = DEFAULT_REFRESH,
        cache_size: int = DEFAULT_SIZE,
    ) -> None:
        """``refresh``: seconds a reader may go on with its view of the index after
        another process committed documents (never after one removed some);
        ``cache_size``: answers kept for the current view (search/result_cache.py)."""
        self.folder = Path(instance_path)
        self.path = self.folder / INDEX_DIR
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock_fh: Any = None
        self._writer_heap = writer_heap
        self._write_lock = threading.RLock()
        self._writer: tantivy.IndexWriter | None = None
        self._writer_pid: int | None = None
        #: (pid, pool) of the threads that run a search pass beside its facet pass.
        self._pool: tuple[int, ThreadPoolExecutor] | None = None
        self._pool_lock = threading.Lock()
        self._closed = False
        self.schema = schema()
        self.analyzers = analyzers()
        self.queries = QueryBuilder(self.schema, self.analyzers)
        self.index = self._open_index()
        self.commits = CommitWord(self.folder)
        #: Moves after every reload: the view of the index a searcher reads.
        self._view = 0
        self.answers: ViewCache[tuple[ReadFilter, SearchQuery], SearchResult] = ViewCache(cache_size)
        self._fresh = Freshness(self.commits, self._reload, refresh)

    # -- lifecycle --------------------------------------------------------------
    def _open_index(self) -> tantivy.Index:
        version_file = self.path / "tillit-schema-version"
        if self.path.exists() and (
            not version_file.exists() or version_file.read_text().strip() != SCHEMA_VERSION
        ):
            # An index from another schema version cannot be read: start over, and
            # let `tillit serve` (or `tillit reindex`) fill it from the database.
            shutil.rmtree(self.path)
            self.path.mkdir(parents=True)
            (self.path / REBUILD_MARKER).touch()
        self.path.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        # Reloaded by Freshness when the writer's commit word moves, not by a watcher
        # thread of tantivy's own (which polls the files, and does not survive a fork).
        index.config_reader("Manual")
        version_file.write_text(SCHEMA_VERSION)
        for name, analyzer in self.analyzers.items():
            index.register_tokenizer(name, analyzer)
        return index

    @property
    def needs_rebuild(self) -> bool:
        """An index of an older format was started over: it holds only what was
        indexed since, until the next rebuild (which `tillit serve` starts)."""
        return (self.path / REBUILD_MARKER).exists()

    def acquire(self) -> None:
        """Take the instance folder's lock now (``tillit serve`` does, so a second
        server on the same folder stops at once); writers take it anyway."""
        with self._write_lock:
            if self._lock_fh is None:
                self._lock_fh = _take_lock(self.folder / LOCK_FILE)

    def _get_writer(self) -> tantivy.IndexWriter:
        if self._writer is None or self._writer_pid != os.getpid():
            self.acquire()
            try:
                self._writer = self.index.writer(self._writer_heap, 1)
            except ValueError as exc:
                raise SearchIndexLocked(
                    f"The search index in {self.path} is being written by another process. "
                    "Run one Tillit process (with threads) per instance folder."
                ) from exc
            self._writer_pid = os.getpid()
        return self._writer

    def ready(self) -> bool:
        try:
            self.index.searcher()
        except Exception:
            return False
        return True

    def _helper(self) -> ThreadPoolExecutor | None:
        """The helper pool of this process (never the writer's lock: a search must not
        wait for a commit), or None once the backend is closed."""
        pool = self._pool
        if pool is not None and pool[0] == os.getpid():
            return pool[1]
        with self._pool_lock:
            if self._closed:
                return None
            if self._pool is None or self._pool[0] != os.getpid():  # none yet, or forked
                helpers = ThreadPoolExecutor(SEARCH_HELPERS, thread_name_prefix="tillit-search")
                self._pool = (os.getpid(), helpers)
            return self._pool[1]

    def close(self) -> None:
        with self._pool_lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None and pool[0] == os.getpid():
            pool[1].shutdown(wait=False)  # searches in flight finish
        with self._write_lock:
            self._drop_writer()
        if self._lock_fh is not None:
            self._lock_fh.close()
            self._lock_fh = None

    def _reload(self) -> None:
        self.index.reload()
        self._view += 1  # after the reload: a view number never names older documents

    def refresh(self) -> None:
        """See every commit made so far, at once."""
        self._fresh.reload_now()

    def _committed(self, *, narrowed: bool) -> None:
        self.commits.committed(narrowed=narrowed)
        self._fresh.reload_now()

    # -- writing ---------------------------------------------------------------
    def upsert(self, documents: Sequence[Mapping[str, Any]], *, check_revisions: bool = True) -> None:
        if not documents:
            return
        latest: dict[str, Mapping[str, Any]] = {}
        for doc in documents:  # within a batch, the highest revision wins
            seen = latest.get(doc["id"])
            if seen is None or doc["revision"] >= seen["revision"]:
                latest[doc["id"]] = doc
        with self._write_lock:
            stored = self._stored_revisions(list(latest)) if check_revisions else {}
            writer = self._get_writer()
            for entry_id, doc in latest.items():
                if stored.get(entry_id, -1) > doc["revision"]:
                    continue  # a late or duplicated event never overwrites a newer revision
                writer.delete_documents_by_term("id", entry_id)
                writer.add_document(to_tantivy(doc))
            writer.commit()
            self._committed(narrowed=False)

    def delete(self, entry_ids: Iterable[str]) -> None:
        ids = list(entry_ids)
        if not ids:
            return
        with self._write_lock:
            writer = self._get_writer()
            for entry_id in ids:
                writer.delete_documents_by_term("id", entry_id)
            writer.commit()
            self._committed(narrowed=True)

    def rebuild(self, documents: Iterable[Mapping[str, Any]]) -> int:
        """Replace every document in one commit: searches see the old index until then.

        Written by a writer of its own with a large heap and two indexing threads
        (Python builds documents while tantivy analyses them); the merges it starts
        are awaited, so searches afterwards see few segments."""
        count = 0
        with self._write_lock:
            self._drop_writer()
            self.acquire()
            writer = self.index.writer(REBUILD_HEAP, REBUILD_THREADS)
            try:
                writer.delete_all_documents()
                for doc in documents:
                    writer.add_document(to_tantivy(doc))
                    count += 1
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
            (self.path / REBUILD_MARKER).unlink(missing_ok=True)
            self._committed(narrowed=True)
        return count

    def _drop_writer(self) -> None:
        """Release tantivy's writer lock (the next write opens the usual writer)."""
        if self._writer is not None and self._writer_pid == os.getpid():
            self._writer.wait_merging_threads()
        self._writer = None

    def clear(self) -> None:
        with self._write_lock:
            writer = self._get_writer()
            writer.delete_all_documents()
            writer.commit()
            self._committed(narrowed=True)

    def _stored_revisions(self, ids: list[str]) -> dict[str, int]:
        searcher = self.index.searcher()
        out: dict[str, int] = {}
        for i in range(0, len(ids), 1000):
            chunk = ids[i : i + 1000]
            result = searcher.search(
                Query.term_set_query(self.schema, "id", chunk), len(chunk) * 2, count=False
            )
            for _score, address in result.hits:
                doc = searcher.doc(address)
                entry_id, revision = _stored(doc, "id"), _stored(doc, "revision")
                out[entry_id] = max(out.get(entry_id, -1), int(revision))
        return out

    def revisions(self) -> dict[str, int]:
        self._fresh.check()
        searcher = self.index.searcher()
        total = searcher.num_docs
        if not total:
            return {}
        result = searcher.search(Query.all_query(), total, count=False)
        out: dict[str, int] = {}
        for _score, address in result.hits:
            doc = searcher.doc(address)
            out[_stored(doc, "id")] = int(_stored(doc, "revision"))
        return out

    # -- reading ---------------------------------------------------------------
    def search(self, read_filter: ReadFilter, query: SearchQuery) -> SearchResult:
        if read_filter.matches_nothing:
            return SearchResult.empty()
        self._fresh.check()
        view = self._view  # before the searcher opens (search/result_cache.py)
        return self.answers.get_or_compute(
            view, (read_filter, query), lambda: self._search(self.index.searcher(), read_filter, query)
        )

    def _search(
        self, searcher: tantivy.Searcher, read_filter: ReadFilter, query: SearchQuery
    ) -> SearchResult:
        parsed = parse(query.text)
        readable_only = self.queries.readable_only(searcher, read_filter.levels)
        filters = query.filters.terms()
        # The status filter is folded into the clearance filter's access terms.
        base = self.queries.build(read_filter, parsed, readable_only, filters.pop("status", None))
        musts: list[tuple[Occur, Query]] = [(Occur.Must, base)]
        needs_full = False
        for name, values in filters.items():
            selected = any_of(self.schema, FACET_FIELDS[name], values)
            if name in FULL_EXTENSIONS:  # or the full field, where readable whole
                extension = any_of(self.schema, FULL_EXTENSIONS[name], values)
                selected = Query.boolean_query(
                    [
                        (Occur.Should, selected),
                        (Occur.Should, Query.boolean_query([(Occur.Must, extension), *readable_only])),
                    ]
                )
            musts.append((Occur.Must, selected))
            needs_full = needs_full or name in FULL_FACETS
        if needs_full:
            musts.extend(readable_only)
        final = Query.boolean_query(musts)

        def top() -> tantivy.SearchResult:
            if query.sort == "title":
                return searcher.search(
                    final,
                    query.per_page,
                    offset=query.offset,
                    order_by_field="title_sort",
                    order=tantivy.Order.Asc,
                )
            if query.sort == "modified" or not parsed.must:
                return searcher.search(final, query.per_page, offset=query.offset, order_by_field="modified")
            return searcher.search(final, query.per_page, offset=query.offset)

        facets: dict[str, list[FacetValue]] = {}
        if query.facets:
            # The top hits and the facets are two passes over the same matches: the
            # first runs beside the second (tantivy lets go of the GIL while it
            # searches; its aggregations hold it), so a request waits for the
            # longer of the two rather than their sum.
            pending = _submit(self._helper(), top)
            try:
                names = query.facet_names if query.facet_names is not None else FACETS
                facets = count_facets(searcher, final, read_filter.levels, readable_only, names)
            finally:
                result = pending.result() if pending is not None else top()
            if not _count(result):
                facets = {}
        else:
            result = top()
        highlighter = Highlighter(searcher, self.schema, base, query.lang) if parsed.must else None
        hits = []
        for _key, address in result.hits:
            doc = searcher.doc(address)
            hits.append(Hit(_stored(doc, "id"), highlighter.highlights(doc) if highlighter else {}))
        return SearchResult(_count(result), tuple(hits), {k: v for k, v in facets.items() if v})

    def suggest(self, read_filter: ReadFilter, prefix: str, limit: int = 10) -> list[Suggestion]:
        if read_filter.matches_nothing:
            return []
        parsed = parse(prefix)
        if not parsed.must:
            return []
        clauses: list[Clause] = list(parsed.must)
        last = clauses[-1]
        if isinstance(last, Term) and len(last.text) >= 1:
            clauses[-1] = Prefix(last.text)
        title_fields = {f: v for f, v in TEXT_FIELDS.items() if f.startswith("title_")}
        musts = [(Occur.Must, self.queries.clause(c, title_fields)) for c in clauses]
        musts.append((Occur.Must, self.queries.visible(read_filter, SUGGEST_STATUSES)))
        self._fresh.check()
        searcher = self.index.searcher()
        result = searcher.search(Query.boolean_query(musts), limit, count=False)
        out = []
        for _score, address in result.hits:
            doc = searcher.doc(address)
            titles = {lang: doc.get_first(f"title_{lang}") or "" for lang in LANGUAGES}
            lang = next((lg for lg in LANGUAGES if titles[lg]), "sv")
            out.append(Suggestion(_stored(doc, "id"), preferred_title(titles) or titles[lang], lang))
        return out


def _stored(doc: tantivy.Document, name: str) -> str:
    """A stored field every document has (``id``, ``revision``); tantivy's stub says
    Optional, and a document without one is a broken index, not an empty value."""
    value = doc.get_first(name)
    if value is None:
        raise LookupError(f"An index document has no {name}; rebuild the index (tillit reindex).")
    return str(value)


def _count(result: tantivy.SearchResult) -> int:
    """The number of matches of a search run with ``count=True``."""
    return int(result.count or 0)  # type: ignore[attr-defined]  # tantivy's stub omits SearchResult.count


def _submit(pool: ThreadPoolExecutor | None, work: Callable[[], T]) -> Future[T] | None:
    """``work`` on the pool, or None (to be run by the caller) when there is no pool
    or it has just been shut down."""
    if pool is None:
        return None
    try:
        return pool.submit(work)
    except RuntimeError:  # shut down in between
        return None


def _take_lock(path: Path) -> Any:
    fh = open(path, "a+")  # noqa: SIM115 - held for the backend's lifetime
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        fh.close()
        raise SearchIndexLocked(
            f"Another Tillit process is using the search index in {path.parent}. "
            "Stop it first, or give this process its own TILLIT_INSTANCE_PATH."
        ) from exc
    return fh


__all__ = ["EmbeddedBackend", "SearchIndexLocked"]
