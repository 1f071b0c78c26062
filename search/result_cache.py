"""What the embedded engine answered, kept for the view of the index it was read from.

A search's engine work (the query built from some thirty fields per word, the top
hits, one aggregation over every match for the facets, a highlighted snippet per
hit) depends on three things only: the caller's read filter, the query, and the
view of the index the searcher reads. While the view stays the same, the same
question has the same answer, so the answer is kept and handed out again: this is
Solr's ``queryResultCache`` and Elasticsearch's shard request cache, both dropped
when a new searcher opens (a refresh). Here the view changes only by a reload,
which happens when the index writer's commit word moves (search/freshness.py);
every reload starts a new, empty cache, so nothing is ever answered from an older
view than a fresh search would read.

What is kept is the engine's answer only. The database's re-check of each hit,
the audit of each hit shown, and the rendering of the page happen on every request
(search/service.py), so an entry the database would now refuse is never shown, and
every read stays in the audit log.

Keys hold the whole read filter (levels, open statuses, own agency), so callers
share an answer only when the engine would compute the same one for both. Whether
an answer came from the cache tells a caller only that a caller with the same
clearance asked the same question since the last commit, never anything about an
entry it may not see (docs/security.md, "Ranking and hidden entries").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from catalogue.machinery.readpath.lru import LRUCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Answers kept per process (TILLIT_SEARCH_CACHE); 0 keeps none.
DEFAULT_SIZE = 256


class ViewCache(Generic[K, V]):
    """At most ``size`` answers (an LRU map) for one view at a time.

    ``view`` is read before the searcher is opened and passed to :meth:`get` and
    :meth:`put`: an answer is kept under the view that was current *before* it was
    computed, so a key never names an older view than the answer was read from, and
    an answer of an older view than the cache's is not kept.
    """

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 0:
            raise ValueError("A cache size is 0 or more.")
        self.size = size
        self._view = -1
        self._answers: LRUCache[K, V] = LRUCache(size)
        self._lock = threading.Lock()  # the view and the map it belongs to change together
        self.hits = self.misses = 0

    def get_or_compute(self, view: int, key: K, compute: Callable[[], V]) -> V:
        found = self.get(view, key)
        if found is not None:
            return found
        answer = compute()
        self.put(view, key, answer)
        return answer

    def get(self, view: int, key: K) -> V | None:
        if not self.size:
            return None
        with self._lock:
            found = self._answers.get(key) if view == self._view else None
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
            return found

    def put(self, view: int, key: K, answer: V) -> None:
        if not self.size:
            return
        with self._lock:
            if view < self._view:
                return  # read from a view the index has moved past
            if view > self._view:
                self._view, self._answers = view, LRUCache(self.size)
            self._answers.put(key, answer)
