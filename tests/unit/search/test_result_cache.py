"""The engine's answers kept per view of the index (search/result_cache.py): the cache's
rules on their own, then the embedded engine with two backends on one folder standing for
two processes (a reader, and the writer whose commits move the shared word)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.config import load_settings
from search.backend import SearchQuery
from search.embedded import EmbeddedBackend
from search.result_cache import ViewCache
from security.policy import OPEN_STATUSES, ReadFilter
from tests.contract.docs import make_doc

PUBLIC = ReadFilter(frozenset({"public"}), OPEN_STATUSES, None)
INTERNAL = ReadFilter(frozenset({"public", "internal"}), OPEN_STATUSES, None)


class Computes:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> int:
        self.count += 1
        return self.count


def test_an_answer_is_kept_for_its_view_only():
    cache: ViewCache[str, int] = ViewCache(8)
    compute = Computes()
    assert cache.get_or_compute(1, "q", compute) == 1
    assert cache.get_or_compute(1, "q", compute) == 1
    assert cache.get_or_compute(2, "q", compute) == 2  # a new view: computed again
    assert cache.get_or_compute(2, "q", compute) == 2
    assert (cache.hits, cache.misses) == (2, 2)


def test_an_answer_from_an_older_view_is_never_kept_nor_served():
    cache: ViewCache[str, int] = ViewCache(8)
    cache.put(5, "q", 50)
    cache.put(4, "q", 40)  # computed by a search that began before the reload
    assert cache.get(5, "q") == 50
    assert cache.get(4, "q") is None  # nor is the newer answer served under an older view
    cache.put(6, "other", 60)  # the first answer of a newer view drops the older ones
    assert cache.get(6, "q") is None and cache.get(6, "other") == 60


def test_the_least_recently_used_answer_goes_first():
    cache: ViewCache[str, int] = ViewCache(2)
    cache.put(1, "a", 1)
    cache.put(1, "b", 2)
    assert cache.get(1, "a") == 1  # "b" is now the least recently used
    cache.put(1, "c", 3)
    assert cache.get(1, "b") is None
    assert (cache.get(1, "a"), cache.get(1, "c")) == (1, 3)


def test_size_zero_keeps_nothing():
    cache: ViewCache[str, int] = ViewCache(0)
    compute = Computes()
    cache.get_or_compute(1, "q", compute)
    cache.get_or_compute(1, "q", compute)
    assert compute.count == 2
    with pytest.raises(ValueError):
        ViewCache(-1)


@pytest.fixture
def pair(tmp_path: Path):
    """The writer (holds the index's lock) and a reader that never reloads on its own
    for added documents (a long refresh interval), as two processes would be."""
    writer = EmbeddedBackend(tmp_path / "instance")
    writer.upsert([make_doc(f"e{i}", f"Fastighetsregister {i}") for i in range(3)])
    reader = EmbeddedBackend(tmp_path / "instance", refresh=3600)
    yield writer, reader
    reader.close()
    writer.close()


def _ids(result) -> set[str]:
    return {hit.id for hit in result.hits}


def test_the_same_question_in_the_same_view_is_answered_once(pair):
    _writer, reader = pair
    query = SearchQuery(text="fastighetsregister")
    first = reader.search(PUBLIC, query)
    assert reader.search(PUBLIC, query) is first
    assert _ids(first) == {"e0", "e1", "e2"} and first.total == 3
    # Another caller's clearance, another question: answered on their own.
    assert reader.search(INTERNAL, query) is not first
    assert reader.search(PUBLIC, SearchQuery(text="fastighetsregister", page=2)) is not first


def test_a_document_removed_by_the_writer_is_gone_from_the_next_answer(pair):
    """A removal moves the word's narrowing count: every reader reloads before its next
    search, and the reload starts a new view, so the kept answer is not served."""
    writer, reader = pair
    query = SearchQuery(text="fastighetsregister")
    assert _ids(reader.search(PUBLIC, query)) == {"e0", "e1", "e2"}
    writer.delete(["e1"])
    after = reader.search(PUBLIC, query)
    assert _ids(after) == {"e0", "e2"} and after.total == 2
    assert {f.value: f.count for f in after.facets["classification"]} == {"public": 2}


def test_an_added_document_is_found_once_the_reader_reloads(pair):
    writer, reader = pair
    query = SearchQuery(text="fastighetsregister")
    assert reader.search(PUBLIC, query).total == 3
    writer.upsert([make_doc("e9", "Fastighetsregister 9")])
    assert reader.search(PUBLIC, query).total == 3  # within the refresh interval, as before
    reader.refresh()
    assert reader.search(PUBLIC, query).total == 4
    # The writer itself reads its writes at once.
    assert writer.search(PUBLIC, query).total == 4


def test_the_cache_can_be_turned_off(tmp_path):
    backend = EmbeddedBackend(tmp_path / "instance", cache_size=0)
    try:
        backend.upsert([make_doc("e1", "Fastighetsregister")])
        query = SearchQuery(text="fastighetsregister")
        assert backend.search(PUBLIC, query) is not backend.search(PUBLIC, query)
    finally:
        backend.close()


def test_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("TILLIT_INSTANCE_PATH", str(tmp_path))
    assert load_settings()["SEARCH_CACHE"] == 256
    monkeypatch.setenv("TILLIT_SEARCH_CACHE", "32")
    assert load_settings()["SEARCH_CACHE"] == 32
    for wrong in (-1, 100_001, "many", True, 2.5):
        with pytest.raises(ValueError, match="TILLIT_SEARCH_CACHE"):
            load_settings({"SEARCH_CACHE": wrong})
