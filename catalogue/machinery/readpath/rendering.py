"""Entries as JSON: the whole entry or the redacted summary, cached per revision.

An entry's revision changes with every change to it (or to its legal bases,
distributions and links), so a rendering keyed by (id, revision, view) can never
be stale. What depends on the caller (which of an API's served datasets it may
see) is added per request, never cached.

The whole entry's ``sharing_status`` (catalogue.sharing) depends on the scheme's lowest
level as well as on the entry, so a renderer is made for one lowest level
(:func:`renderer_for`) and the cache key holds it: two schemes in one process (tests)
never share a rendering.

Each rendering is kept both as a dict and as its JSON text, so that reading an
entry, or a page of them, serialises nothing that was serialised before.

Statute names. A rendering also holds the register's names of the statutes the entry
cites (``Rendering.statutes``), read in the same transaction as the entry or after it,
and its JSON text with those names per reader language (``Rendering.named``, made by
the HTTP edge when first asked for). This is never stale because a change to the
register moves on the revision of every entry citing a changed statute, in the
register's own transaction
(``StatuteService._citing``): names read no earlier than revision *r* are the names
of revision *r* or newer, and a newer register is a newer revision (docs/statutes.md).
"""

from __future__ import annotations

import json
from typing import Any

from catalogue.machinery.readpath.lru import LRUCache
from catalogue.models import Entry
from catalogue.ports import Rendering
from catalogue.schemas import EntrySchema, EntrySummarySchema
from catalogue.sharing import sharing_status
from catalogue.statutes import Register

_full = EntrySchema()
_summary = EntrySummarySchema()
CacheKey = tuple[str, int, bool, str]
CACHE: LRUCache[CacheKey, Rendering] = LRUCache(20_000)


#: One encoder: ``json.dumps`` with arguments builds a new one for every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def to_json(document: Any) -> str:
    """``document`` as compact JSON text (UTF-8 kept as is)."""
    return _ENCODER.encode(document)


def cached_rendering(entry_id: str, revision: int, full: bool, lowest: str) -> Rendering | None:
    """The rendering of that revision in that view, if one is cached."""
    return CACHE.get((entry_id, revision, full, lowest))


def render(entry: Entry, full: bool, lowest: str, statutes: Register) -> Rendering:
    """The rendering of ``entry`` (loaded whole) in the given view, cached; ``lowest``
    is the scheme's lowest level, which the sharing status is computed against;
    ``statutes`` the register's names of the statutes it cites, read after the entry."""
    key = (entry.id, entry.revision, full, lowest)
    rendering = CACHE.get(key)
    if rendering is None:
        document = dict((_full if full else _summary).dump(entry))
        if full:
            # Declared in catalogue.fields (output "full"); computed here, where the
            # scheme's lowest level is known. The summary never has it (docs/security.md).
            roles = (basis.role for basis in entry.legal_bases)
            document["sharing_status"] = sharing_status(entry.classification, lowest, roles)
        served = tuple(entry.served_dataset_ids) if full and entry.type == "api" else ()
        cited = {key: statutes[key] for key in _cited(document) if key in statutes}
        rendering = Rendering(document, to_json(document), served, cited)
        CACHE.put(key, rendering)
    return rendering


def _cited(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [(basis["jurisdiction"], basis["reference"]) for basis in document.get("legal_basis") or ()]


class CachedRenderer:
    """The process's rendering cache behind the ``catalogue.ports.Renderer`` port,
    for a scheme whose lowest level is ``lowest``."""

    def __init__(self, lowest: str) -> None:
        self.lowest = lowest

    def cached(self, entry_id: str, revision: int, full: bool) -> Rendering | None:
        """The rendering of that revision in that view, if one is cached."""
        return cached_rendering(entry_id, revision, full, self.lowest)

    def render(self, entry: Entry, full: bool, statutes: Register) -> Rendering:
        """The rendering of ``entry`` (loaded whole) in the given view, cached."""
        return render(entry, full, self.lowest, statutes)


def renderer_for(lowest: str) -> CachedRenderer:
    """The renderer for a scheme whose lowest level is ``lowest`` (one cache per process)."""
    return CachedRenderer(lowest)
