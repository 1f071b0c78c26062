"""Entries as JSON: the whole entry or the redacted summary, cached per revision.

An entry's revision changes with every change to it (or to its legal bases,
distributions and links), so a rendering keyed by (id, revision, view) can never
be stale. What depends on the caller (which served datasets it may see) is added
per request, never cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from catalogue.models import Entry
from catalogue.schemas import EntrySchema, EntrySummarySchema

_full = EntrySchema()
_summary = EntrySummarySchema()


class RenderCache:
    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, int, bool], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int, bool]) -> dict[str, Any] | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[str, int, bool], value: dict[str, Any]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __contains__(self, key: tuple[str, int, bool]) -> bool:
        with self._lock:
            return key in self._items


CACHE = RenderCache()


def cache_key(entry: Entry, full: bool) -> tuple[str, int, bool]:
    return (entry.id, entry.revision, full)


def is_rendered(entry: Entry, full: bool) -> bool:
    return cache_key(entry, full) in CACHE


def render_entry(entry: Entry, full: bool, served_ids: tuple[str, ...] = ()) -> dict[str, Any]:
    """A fresh dict the caller may change."""
    key = cache_key(entry, full)
    cached = CACHE.get(key)
    if cached is None:
        cached = dict((_full if full else _summary).dump(entry))
        CACHE.put(key, cached)
    data = dict(cached)
    if full and entry.type == "api":
        data["serves_datasets"] = list(served_ids)
    return data
