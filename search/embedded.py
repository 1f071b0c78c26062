"""The embedded search engine (tantivy), kept in the instance folder.

Analysis, per text group (title, description, keywords):

- ``<group>_<lang>``       language stemmer (Swedish, Norwegian for nb/nn, English)
- ``<group>_<lang>_fold``  the same, ascii-folded: ``lantmateriet`` finds "Lantmäteriet"
- ``<group>_exact``        unstemmed, all languages: exact words rank first (the Swedish
                           stemmer maps ``fastighet`` to ``fast``)
- ``<group>_compound``     folded and split into known parts ("fastighetsregistret" →
                           fastighets + registret), so a part finds the compound

Each clause is a dis-max over the fields of its group, weighted so that exact
spelling > stemmed > folded > compound, and titles and keywords > descriptions.
A field that matches contributes its weight and nothing else (a constant score,
not BM25): BM25 weighs a word by how many documents in the whole index hold it
and normalises by the index's average field length, so entries a caller may not
see could move the order of those it does see. A rank here depends only on the
query and the document itself (docs/security.md, "Ranking and hidden entries").
Prefix clauses bypass tantivy's analysers, so they are lower-cased and folded
here; a single-word prefix is a term-range query in tantivy, which is not capped,
so no hit is lost to an expansion limit.

One writer per index: the writer is guarded by a lock shared by every thread of
the process, and the instance folder's ``search.lock`` (flock, taken when the
process first writes) makes a second Tillit process that tries to write fail at once
with a clear message instead of waiting on, or corrupting, the index. Under
``tillit serve`` the writer is a process of its own (search/writer.py) and the web
workers only read; every reader reloads when the writer's commit word says so
(search/freshness.py), so any number of processes may search one index.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import tantivy
from tantivy import Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from catalogue.machinery.readpath.lru import LRUCache
from search.backend import (
    FACET_FIELDS,
    FACETS,
    FULL_EXTENSIONS,
    FULL_FACETS,
    SUMMARY_FACETS,
    FacetValue,
    Hit,
    SearchQuery,
    SearchResult,
    Suggestion,
    sort_facet_values,
)
from search.documents import (
    BOOLEAN_FIELDS,
    LANGUAGE_TEXT_GROUPS,
    LANGUAGES,
    MATCH_GROUP,
    MULTI_KEYWORD_FIELDS,
    PLAIN_TEXT_FIELDS,
    SINGLE_KEYWORD_FIELDS,
    preferred_title,
)
from search.freshness import CommitWord, Freshness
from search.query import Clause, ParsedQuery, Prefix, Term, parse
from search.result_cache import DEFAULT_SIZE, ViewCache
from search.snippets import SUMMARY_GROUPS, Highlighter
from security.policy import RETIRED, STATUSES, ReadFilter

T = TypeVar("T")

# 3: the linking "s" is a compound part of its own; 4: sharing_status; 5: data_elements; 6: auth;
# 7: legal_text also ascii-folded; 8: operation_elements (and its combination field).
SCHEMA_VERSION = "8"
REBUILD_MARKER = "tillit-needs-rebuild"
INDEX_DIR = "search-index"
LOCK_FILE = "search.lock"
STEMMER = {"sv": "swedish", "nb": "norwegian", "nn": "norwegian", "en": "english"}
#: The per-language text of the documents (search.documents, from catalogue.fields).
TEXT_GROUPS = LANGUAGE_TEXT_GROUPS
#: How much a match in each counts; a group or text field declared in catalogue.fields
#: and missing here fails the import (tests/unit/catalogue/test_fields.py says so too).
GROUP_WEIGHT = {"title": 3.0, "keywords": 2.5, "description": 1.0}
#: Text of no particular language: (name suffix, analyser, weight) of each form.
PLAIN_TEXT_FORMS: Mapping[str, tuple[tuple[str, str, float], ...]] = {
    "publisher_name": (("", "t_exact", 2.0), ("_fold", "t_fold", 1.2)),
    # Folded too, as Elasticsearch does: "folkbokforing" finds folkbokföringslagen's entries.
    "legal_text": (("", "t_exact", 1.5), ("_fold", "t_fold", 0.9)),
    "openapi": (("", "t_fold", 1.0),),
}
VARIANT_WEIGHT = {"exact": 6.0, "stem": 1.0, "fold": 0.5, "compound": 0.4}
DISMAX_TIE = 0.2
MAX_WORD = 60
#: Suggestions never show retired entries.
SUGGEST_STATUSES = tuple(s for s in STATUSES if s != RETIRED)
FACET_SIZE = 1000
#: Buckets asked of a combination facet; more distinct combinations than this
#: (sum_other_doc_count > 0) falls back to exact counting on the plain fields.
COMBO_FACET_SIZE = 10_000
WRITER_HEAP = 64_000_000
#: Seconds a reader may go on without a commit another process made (TILLIT_INDEX_REFRESH).
DEFAULT_REFRESH = 0.5
#: Threads that run a request's top-hits pass beside its facet pass (``search``).
SEARCH_HELPERS = 4
#: The rebuild's own writer: a large heap means few, large segments and few merges.
REBUILD_HEAP = 1_000_000_000
REBUILD_THREADS = 2
#: Separates the parts of access tokens and facet combinations (never in a value).
SEP = "\x1f"
VALUE_SEP = "\x1e"

#: Common parts of Swedish and Norwegian administrative compounds, folded. The
#: linking "s" (fastighet-s-registret) is a part of its own, so the word a person
#: types ("fastighet") is what the compound is split into.
COMPOUND_PARTS = sorted(
    {
        "s", "fastighet", "registret", "register", "registre", "registeret",
        "inkomst", "inkomster", "uppgift", "uppgifter", "skatte", "skatt",
        "melding", "meldinger", "folkbokforing", "folkeregister", "folkeregisteret",
        "adress", "adresser", "person", "personer", "foretag", "bedrift",
        "arbets", "arbeids", "giver", "givare", "lon", "lone", "lonn",
        "data", "tjanst", "tjenste", "karta", "kart", "grans", "grense", "fordon",
        "kjoretoy", "trafik", "trafikk", "halsa", "helse", "vard", "omsorg", "miljo",
        "byggnad", "bygning", "bygg", "plan", "planer", "mark", "vatten", "vann",
        "statistik", "statistikk", "moms", "avgift", "avgifter", "deklaration",
        "deklarasjon", "ekonomi", "okonomi", "belopp", "bank", "konto", "kontroll",
        "overvakning", "overvaking", "tillstand", "tillatelse", "ansokan", "soknad",
        "beslut", "vedtak", "forsakring", "forsikring", "sjuk", "penning", "pension",
        "pensjon", "tull", "import", "export", "eksport", "bolag", "selskap", "handel",
        "kommun", "kommune", "region", "befolkning", "utbildning", "utdanning", "skola",
        "skole", "ersattning", "bidrag", "identitet", "nummer", "rapport", "rapportering",
        "arende", "handling", "handlingar", "matning", "maling", "gransen", "grensen",
    }
)  # fmt: skip


class SearchIndexLocked(RuntimeError):
    """Another process holds the embedded index."""


def _analyzers() -> dict[str, tantivy.TextAnalyzer]:
    def base() -> TextAnalyzerBuilder:
        return TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(MAX_WORD))

    out = {
        "t_exact": base().filter(Filter.lowercase()).build(),
        "t_fold": base().filter(Filter.lowercase()).filter(Filter.ascii_fold()).build(),
        "t_compound": base()
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .filter(Filter.split_compound(COMPOUND_PARTS))
        .build(),
    }
    for lang, stemmer in STEMMER.items():
        out[f"t_stem_{lang}"] = base().filter(Filter.lowercase()).filter(Filter.stemmer(stemmer)).build()
        out[f"t_foldstem_{lang}"] = (
            base()
            .filter(Filter.lowercase())
            .filter(Filter.ascii_fold())
            .filter(Filter.stemmer(stemmer))
            .build()
        )
    return out


def _text_fields() -> dict[str, tuple[str, str, float]]:
    """field → (analyser, group kind "summary"/"full", weight)."""
    fields: dict[str, tuple[str, str, float]] = {}
    for group in TEXT_GROUPS:
        kind = MATCH_GROUP[group]
        w = GROUP_WEIGHT[group]
        for lang in LANGUAGES:
            fields[f"{group}_{lang}"] = (f"t_stem_{lang}", kind, w * VARIANT_WEIGHT["stem"])
            fields[f"{group}_{lang}_fold"] = (f"t_foldstem_{lang}", kind, w * VARIANT_WEIGHT["fold"])
        fields[f"{group}_exact"] = ("t_exact", kind, w * VARIANT_WEIGHT["exact"])
        fields[f"{group}_compound"] = ("t_compound", kind, w * VARIANT_WEIGHT["compound"])
    for name in PLAIN_TEXT_FIELDS:
        for suffix, analyser, weight in PLAIN_TEXT_FORMS[name]:
            fields[name + suffix] = (analyser, MATCH_GROUP[name], weight)
    return fields


TEXT_FIELDS = _text_fields()
#: The text fields a clause matches in, by whom they may be matched: "summary" fields for
#: everyone who may list the entry, "full" ones where the whole entry may be read.
FIELDS_BY_VIEW = {
    view: {name: spec for name, spec in TEXT_FIELDS.items() if spec[1] == view}
    for view in ("summary", "full")
}
#: Clause queries kept per backend: a word's ~35 field queries depend on the word alone.
CLAUSES_KEPT = 4096
#: Fields where a prefix clause looks (unstemmed ones; the value is lower-cased or folded).
PREFIX_FIELDS = {
    name: ("fold" if analyser in ("t_fold", "t_compound") or name.endswith("_fold") else "exact")
    for name, (analyser, _kind, _w) in TEXT_FIELDS.items()
    if not analyser.startswith("t_stem_")
}
KEYWORDS = SINGLE_KEYWORD_FIELDS
#: Raw text columns of several values; a boolean is one of "true"/"false".
MULTI_KEYWORDS = (*MULTI_KEYWORD_FIELDS, *BOOLEAN_FIELDS)
#: Single-valued ``<classification>SEP<values>`` per full facet: a terms aggregation
#: on a single-valued column costs a fraction of one on a multi-valued column, and
#: the classification prefix lets the caller's levels be applied to the buckets.
COMBO_FACETS = {name: f"facet_{FACET_FIELDS[name]}" for name in FULL_FACETS}
#: The same for the full half of a filter that reads both groups (FULL_EXTENSIONS),
#: by document field.
COMBO_EXTENSIONS = {field: f"facet_{field}" for field in FULL_EXTENSIONS.values()}
STORED_TEXT = tuple(f"{g}_{lang}" for g in SUMMARY_GROUPS for lang in LANGUAGES)


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for name in (*KEYWORDS, *MULTI_KEYWORDS, *COMBO_FACETS.values(), *COMBO_EXTENSIONS.values()):
        sb.add_text_field(name, stored=name == "id", tokenizer_name="raw", fast=True)
    # The access labels in the two shapes the read filter asks for (see _visible).
    sb.add_text_field("access", tokenizer_name="raw")
    sb.add_integer_field("revision", stored=True, indexed=True, fast=True)
    sb.add_date_field("modified", stored=False, indexed=True, fast=True)
    sb.add_text_field("title_sort", tokenizer_name="raw", fast=True)
    for name, (analyser, _kind, _w) in TEXT_FIELDS.items():
        sb.add_text_field(name, stored=name in STORED_TEXT, tokenizer_name=analyser)
    return sb.build()


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
        self.schema = _schema()
        self.analyzers = _analyzers()
        self.index = self._open_index()
        self.commits = CommitWord(self.folder)
        #: Moves after every reload: the view of the index a searcher reads.
        self._view = 0
        self.answers: ViewCache[tuple[ReadFilter, SearchQuery], SearchResult] = ViewCache(cache_size)
        self._clauses: LRUCache[tuple[Clause, str], Query] = LRUCache(CLAUSES_KEPT)
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
                writer.add_document(self._to_tantivy(doc))
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
                    writer.add_document(self._to_tantivy(doc))
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

    def _to_tantivy(self, doc: Mapping[str, Any]) -> tantivy.Document:
        out = tantivy.Document()
        for name in KEYWORDS:
            if doc[name] is not None:  # an optional keyword left empty, as Elasticsearch does
                out.add_text(name, str(doc[name]))
        for name in MULTI_KEYWORD_FIELDS:
            for value in doc[name]:
                out.add_text(name, str(value))
        for name in BOOLEAN_FIELDS:
            out.add_text(name, "true" if doc[name] else "false")
        for token in access_tokens(doc):
            out.add_text("access", token)
        for name, field in COMBO_FACETS.items():
            out.add_text(field, _combo(doc, FACET_FIELDS[name]))
        for source, field in COMBO_EXTENSIONS.items():
            out.add_text(field, _combo(doc, source))
        out.add_integer("revision", int(doc["revision"]))
        out.add_date("modified", datetime.fromisoformat(doc["modified"]))
        out.add_text("title_sort", doc["title_sort"])
        for group in TEXT_GROUPS:
            texts = [doc.get(f"{group}_{lang}") or "" for lang in LANGUAGES]
            for lang, text in zip(LANGUAGES, texts, strict=True):
                if text:
                    out.add_text(f"{group}_{lang}", text)
                    out.add_text(f"{group}_{lang}_fold", text)
            joined = "\n".join(t for t in texts if t)
            if joined:
                out.add_text(f"{group}_exact", joined)
                out.add_text(f"{group}_compound", joined)
        for name in PLAIN_TEXT_FIELDS:
            if doc.get(name):
                for suffix, _analyser, _weight in PLAIN_TEXT_FORMS[name]:
                    out.add_text(name + suffix, doc[name])
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
        readable_only = self._readable_only(searcher, read_filter.levels)
        filters = query.filters.terms()
        # The status filter is folded into the clearance filter's access terms.
        base = self._build(read_filter, parsed, readable_only, filters.pop("status", None))
        musts: list[tuple[Occur, Query]] = [(Occur.Must, base)]
        needs_full = False
        for name, values in filters.items():
            selected = _any_of(self.schema, FACET_FIELDS[name], values)
            if name in FULL_EXTENSIONS:  # or the full field, where readable whole
                extension = _any_of(self.schema, FULL_EXTENSIONS[name], values)
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
                facets = self._facets(searcher, final, read_filter.levels, readable_only, names)
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
        musts = [(Occur.Must, self._clause(c, title_fields)) for c in clauses]
        musts.append((Occur.Must, self._visible(read_filter, SUGGEST_STATUSES)))
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

    def _facets(
        self,
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
        spec.update(
            {field: _terms(COMBO_EXTENSIONS[field], COMBO_FACET_SIZE) for field in extensions.values()}
        )
        if not spec:
            return {}
        try:
            raw = searcher.aggregate(query, spec)
        except ValueError:  # too many buckets for tantivy: count exactly below
            raw = {}
        out = {name: _bucket_counts(raw[name]) for name in summary if name in raw}
        if len(out) < len(summary):
            out = self._plain_facets(searcher, query, summary)
        counted_whole = (*full, *extensions.values())
        if any(name not in raw or raw[name].get("sum_other_doc_count") for name in counted_whole):
            # More combinations than asked for: the slower, exact way.
            restricted = Query.boolean_query([(Occur.Must, query), *readable_only])
            out.update(self._plain_facets(searcher, restricted, full))
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

    def _plain_facets(
        self, searcher: tantivy.Searcher, query: Query, names: Sequence[str]
    ) -> dict[str, list[FacetValue]]:
        raw = searcher.aggregate(query, {name: _terms(FACET_FIELDS[name], FACET_SIZE) for name in names})
        return {name: _bucket_counts(raw.get(name, {})) for name in names}

    # -- query building ----------------------------------------------------------
    def _readable_only(self, searcher: tantivy.Searcher, levels: frozenset[str]) -> list[tuple[Occur, Query]]:
        """Clauses that keep only entries whose classification is in ``levels``
        (those the caller may read whole): classification ∉ the levels present in
        *this searcher's* term dictionary that are not readable. Read from the same
        searcher the query runs on, the list is complete, so excluding it is exact;
        it is smaller than the readable set, and nothing at all when the caller may
        read every level present (a filter over the readable set costs a full pass)."""
        present = {str(term) for term, _count in searcher.terms_with_prefix("classification", "")}
        hidden = sorted(present - levels)
        if not hidden:
            return []
        return [(Occur.MustNot, _any_of(self.schema, "classification", hidden))]

    def _visible(self, rf: ReadFilter, statuses: Iterable[str] | None = None) -> Query:
        """The policy's read filter, inside the main query (never a post-filter):
        one term set over the ``access`` tokens (see :func:`access_tokens`),
        optionally narrowed to ``statuses`` (the status filter)."""
        terms = visible_access_terms(rf, statuses)
        if not terms:
            return Query.empty_query()
        return _any_of(self.schema, "access", terms)

    def _build(
        self,
        rf: ReadFilter,
        parsed: ParsedQuery,
        readable_only: Sequence[tuple[Occur, Query]],
        statuses: Iterable[str] | None = None,
    ) -> Query:
        def clause_query(clause: Clause) -> Query:
            # Full fields match only where the caller may read the whole entry.
            return Query.boolean_query(
                [
                    (Occur.Should, self._clause_in(clause, "summary")),
                    (
                        Occur.Should,
                        Query.boolean_query([(Occur.Must, self._clause_in(clause, "full")), *readable_only]),
                    ),
                ]
            )

        parts: list[tuple[Occur, Query]] = [(Occur.Must, self._visible(rf, statuses))]
        for clause in parsed.must:
            parts.append((Occur.Must, clause_query(clause)))
        for clause in parsed.must_not:
            parts.append((Occur.MustNot, clause_query(clause)))
        return Query.boolean_query(parts)

    @staticmethod
    def _weighted(match: Query, weight: float) -> Query:
        """A matching field scores its weight alone: no term statistics of other
        documents, so hidden entries cannot move a rank (see the module docstring)."""
        return Query.const_score_query(match, weight)

    def _clause_in(self, clause: Clause, view: str) -> Query:
        """``_clause`` over the fields of ``view`` (FIELDS_BY_VIEW), built once per word:
        it depends on the clause and the analysers alone, never on the index."""
        key = (clause, view)
        query = self._clauses.get(key)
        if query is None:
            query = self._clause(clause, FIELDS_BY_VIEW[view])
            self._clauses.put(key, query)
        return query

    def _clause(self, clause: Clause, fields: Mapping[str, tuple[str, str, float]]) -> Query:
        subqueries: list[Query] = []
        analysed: dict[str, list[str]] = {}  # many fields share an analyser
        for name, (analyser, _kind, weight) in fields.items():
            q: Query | None
            if isinstance(clause, Prefix):
                variant = PREFIX_FIELDS.get(name)
                if variant is None:
                    continue
                value = clause.folded if variant == "fold" else clause.text
                q = Query.phrase_prefix_query(self.schema, name, [value])
            else:
                text = clause.text if isinstance(clause, Term) else " ".join(clause.words)
                tokens = analysed.get(analyser)
                if tokens is None:
                    tokens = analysed[analyser] = self.analyzers[analyser].analyze(text)
                if not tokens:
                    continue
                if len(tokens) == 1:
                    q = Query.term_query(self.schema, name, tokens[0])
                else:
                    words: list[str | tuple[int, str]] = list(tokens)
                    q = Query.phrase_query(self.schema, name, words)
            subqueries.append(self._weighted(q, weight))
        if not subqueries:
            return Query.empty_query()
        return Query.disjunction_max_query(subqueries, tie_breaker=DISMAX_TIE)


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


def access_tokens(doc: Mapping[str, Any]) -> list[str]:
    """The access labels of a document as the tokens :func:`visible_access_terms` asks for:
    ``o`` (open to every reader of the listing level, by status), ``p`` (the
    publisher's own, any status) and ``q`` (the publisher's own, by status)."""
    level, status, publisher = (_clean(str(doc[k])) for k in ("listing_level", "status", "publisher"))
    return [
        SEP.join(("o", level, status)),
        SEP.join(("p", level, publisher)),
        SEP.join(("q", level, status, publisher)),
    ]


def visible_access_terms(rf: ReadFilter, statuses: Iterable[str] | None = None) -> list[str]:
    """The read filter as access tokens: visible ⇔ listing level ∈ levels AND (status
    open OR own agency's entry), AND status ∈ ``statuses`` when given."""
    if rf.matches_nothing:
        return []
    levels = [_clean(level) for level in rf.levels]
    wanted = None if statuses is None else {_clean(status) for status in statuses}
    open_statuses = {_clean(status) for status in rf.open_statuses}
    if wanted is not None:
        open_statuses &= wanted
    terms = [SEP.join(("o", level, status)) for level in levels for status in open_statuses]
    if rf.own_agency is not None:
        own = _clean(rf.own_agency)
        if wanted is None:
            terms += [SEP.join(("p", level, own)) for level in levels]
        else:
            terms += [SEP.join(("q", level, status, own)) for level in levels for status in wanted]
    return sorted(terms)


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


def _combo(doc: Mapping[str, Any], field: str) -> str:
    """``<classification>SEP<values>`` of the document field ``field``."""
    value = doc[field]
    if field == "personal_data":
        values = ["true" if value else "false"]
    elif isinstance(value, str):  # a keyword of one value (sharing_status)
        values = [value]
    else:
        values = [str(v) for v in value]
    # Each value once per document, as a terms aggregation over the plain field counts it.
    return _clean(str(doc["classification"])) + SEP + VALUE_SEP.join(sorted({_clean(v) for v in values}))


def _clean(value: str) -> str:
    return value.replace(SEP, " ").replace(VALUE_SEP, " ")


def _terms(field: str, size: int) -> dict[str, Any]:
    return {"terms": {"field": field, "size": size}}


def _bucket_counts(raw: Mapping[str, Any]) -> list[FacetValue]:
    return sort_facet_values({str(b["key"]): int(b["doc_count"]) for b in raw.get("buckets", [])})


def _any_of(schema: tantivy.Schema, field: str, values: Sequence[str]) -> Query:
    """Documents with any of ``values`` in the raw field ``field``, scoring nothing.

    A boolean of term queries, not tantivy's term set query: that one builds a bitset
    over every document of the terms in each segment before the first match (a pass
    costing 0.4-0.9 ms at 10,000 entries, for a filter that holds most of them: the
    read filter's access terms, the hidden classifications), where term postings are
    skipped through from the query's rarest clause. Measured in docs/search.md."""
    terms = [Query.term_query(schema, field, value) for value in values]
    if len(terms) == 1:
        return Query.const_score_query(terms[0], 0.0)
    return Query.const_score_query(Query.boolean_query([(Occur.Should, t) for t in terms]), 0.0)


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
