"""Entries as JSON: the whole entry or the redacted summary, cached per revision.

An entry's revision changes with every change to it (or to its legal bases,
distributions and links), so a rendering keyed by (id, revision, view) can never
be stale. What depends on the caller (which of an API's served datasets it may
see) is added per request, never cached.

Each rendering is kept both as a dict and as its JSON text, so that reading an
entry, or a page of them, serialises nothing that was serialised before.
"""

from __future__ import annotations

import json
from typing import Any

from catalogue.machinery.readpath.lru import LRUCache
from catalogue.models import Entry
from catalogue.ports import Rendering
from catalogue.schemas import EntrySchema, EntrySummarySchema

_full = EntrySchema()
_summary = EntrySummarySchema()
CacheKey = tuple[str, int, bool]
CACHE: LRUCache[CacheKey, Rendering] = LRUCache(20_000)


def to_json(document: Any) -> str:
    """``document`` as compact JSON text (UTF-8 kept as is)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def cached_rendering(entry_id: str, revision: int, full: bool) -> Rendering | None:
    """The rendering of that revision in that view, if one is cached."""
    return CACHE.get((entry_id, revision, full))


def render(entry: Entry, full: bool) -> Rendering:
    """The rendering of ``entry`` (loaded whole) in the given view, cached."""
    key = (entry.id, entry.revision, full)
    rendering = CACHE.get(key)
    if rendering is None:
        document = dict((_full if full else _summary).dump(entry))
        served = tuple(entry.served_dataset_ids) if full and entry.type == "api" else ()
        rendering = Rendering(document, to_json(document), served)
        CACHE.put(key, rendering)
    return rendering


class CachedRenderer:
    """The process's rendering cache behind the ``catalogue.ports.Renderer`` port."""

    def cached(self, entry_id: str, revision: int, full: bool) -> Rendering | None:
        """The rendering of that revision in that view, if one is cached."""
        return cached_rendering(entry_id, revision, full)

    def render(self, entry: Entry, full: bool) -> Rendering:
        """The rendering of ``entry`` (loaded whole) in the given view, cached."""
        return render(entry, full)


#: One per process, as the cache is.
RENDERER = CachedRenderer()
