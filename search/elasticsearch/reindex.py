"""Templates, level indices and the zero-downtime rebuild.

Each enabled classification level has one alias, ``<prefix>-<level>``, that
points at exactly one physical index ``<prefix>-<level>-<UTC timestamp>``. A
rebuild creates a new generation of every level index, fills it from the
catalogue, catches up with what changed meanwhile, moves all aliases in ONE
``_aliases`` request (atomic: searches see either every old index or every new
one) and then drops the old generation. If anything fails before the swap, the
new indices are deleted and the old ones keep serving.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from elasticsearch import BadRequestError, Elasticsearch, NotFoundError
from elasticsearch import helpers as es_helpers

from search.elasticsearch.mapping import (
    TEMPLATE_VERSION,
    IndexNames,
    component_templates,
    index_template,
)

log = logging.getLogger(__name__)

#: ``external_gte``: a document replaces the stored one when its revision is
#: equal or higher. Higher: the normal case. Equal: an idempotent re-delivery
#: (the contract in search/backend.py) and, importantly, a re-index of the
#: same revision whose *derived* fields changed (an agency renamed changes
#: ``publisher_name`` without touching the entry's revision; a new Tillit
#: version may build richer documents). Lower: rejected with 409, which is
#: expected and ignored, so a late or duplicated event never overwrites newer data.
VERSION_TYPE = "external_gte"
#: The first generation has a fixed name, so two processes starting at once
#: create the same index (one gets "already exists") instead of two indices
#: behind one alias.
FIRST_GENERATION = datetime(1970, 1, 1, tzinfo=UTC)

TemplateState = Literal["installed", "upgraded", "current", "newer"]


@dataclass(frozen=True)
class IndexSettings:
    shards: int = 1
    replicas: str = "0-1"
    refresh_interval: str = "1s"


DEFAULT_INDEX_SETTINGS = IndexSettings()


@dataclass
class RebuildReport:
    indexed: int = 0
    caught_up: int = 0
    new_indices: dict[str, str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)


class IndexingError(RuntimeError):
    """Elasticsearch refused documents for another reason than a newer revision."""

    def __init__(self, errors: Sequence[Mapping[str, Any]]) -> None:
        self.errors = list(errors)
        first = self.errors[0] if self.errors else {}
        super().__init__(f"{len(self.errors)} document(s) were not indexed; first: {first}")


# -- templates --------------------------------------------------------------------
def ensure_templates(
    client: Elasticsearch, names: IndexNames, settings: IndexSettings = DEFAULT_INDEX_SETTINGS
) -> TemplateState:
    """Install the component and index templates, or upgrade older ones.

    "upgraded" means existing indices still have the old mapping: run a rebuild.
    A template newer than this code is left alone ("newer"): an older Tillit
    must not downgrade what a newer one installed.
    """
    installed = _installed_version(client, names)
    if installed is not None and installed > TEMPLATE_VERSION:
        log.warning(
            "Index template %s is version %s, newer than this Tillit's %s: left alone.",
            names.index_template,
            installed,
            TEMPLATE_VERSION,
        )
        return "newer"
    if installed == TEMPLATE_VERSION:
        return "current"
    components = component_templates(
        names, shards=settings.shards, replicas=settings.replicas, refresh_interval=settings.refresh_interval
    )
    for name, body in components.items():
        client.cluster.put_component_template(name=name, body=body)
    client.indices.put_index_template(name=names.index_template, body=index_template(names))
    return "installed" if installed is None else "upgraded"


def _installed_version(client: Elasticsearch, names: IndexNames) -> int | None:
    try:
        found = client.indices.get_index_template(name=names.index_template)
    except NotFoundError:
        return None
    templates = found.body.get("index_templates", [])
    if not templates:
        return None
    version = templates[0].get("index_template", {}).get("version")
    return int(version) if version is not None else 0


# -- aliases and generations --------------------------------------------------------
def alias_targets(client: Elasticsearch, names: IndexNames, level: str) -> list[str]:
    """The physical indices behind the level's alias (normally exactly one)."""
    try:
        found = client.indices.get_alias(name=names.alias(level))
    except NotFoundError:
        return []
    return sorted(found.body)


def ensure_level_indices(client: Elasticsearch, names: IndexNames, levels: Sequence[str]) -> list[str]:
    """Give every level without an alias its first index; returns the levels created."""
    created = []
    for level in levels:
        if alias_targets(client, names, level):
            continue
        index = names.new_index(level, FIRST_GENERATION)
        try:
            client.indices.create(index=index, aliases={names.alias(level): {}})
            created.append(level)
        except BadRequestError as exc:  # another process won the race: same name, same alias
            if exc.error != "resource_already_exists_exception":
                raise
    return created


def create_generation(
    client: Elasticsearch, names: IndexNames, levels: Sequence[str], now: datetime | None = None
) -> dict[str, str]:
    """New, empty, alias-less indices for ``levels``, tuned for a bulk fill
    (no refreshes until the fill is done)."""
    now = now or datetime.now(UTC)
    created: dict[str, str] = {}
    try:
        for level in levels:
            index = names.new_index(level, now)
            client.indices.create(index=index, settings={"index": {"refresh_interval": "-1"}})
            created[level] = index
    except Exception:
        drop_indices(client, created.values())
        raise
    return created


def finish_fill(client: Elasticsearch, indices: Iterable[str], settings: IndexSettings) -> None:
    targets = list(indices)
    if not targets:
        return
    client.indices.put_settings(
        index=",".join(targets), settings={"index": {"refresh_interval": settings.refresh_interval}}
    )
    client.indices.refresh(index=",".join(targets))


def swap_actions(
    names: IndexNames, old: Mapping[str, Sequence[str]], new: Mapping[str, str]
) -> list[dict[str, Any]]:
    """One atomic ``_aliases`` request: every level's alias leaves its old
    indices and points at its new one. Pure, for testing."""
    actions: list[dict[str, Any]] = []
    for level, index in new.items():
        alias = names.alias(level)
        for previous in old.get(level, ()):
            actions.append({"remove": {"index": previous, "alias": alias}})
        actions.append({"add": {"index": index, "alias": alias}})
    return actions


def swap_aliases(client: Elasticsearch, names: IndexNames, new: Mapping[str, str]) -> dict[str, list[str]]:
    old = {level: alias_targets(client, names, level) for level in new}
    client.indices.update_aliases(actions=swap_actions(names, old, new))
    return old


def drop_indices(client: Elasticsearch, indices: Iterable[str]) -> list[str]:
    dropped = []
    for index in indices:
        try:
            client.indices.delete(index=index)
            dropped.append(index)
        except NotFoundError:
            pass
    return dropped


# -- writing ----------------------------------------------------------------------
def tombstone(entry_id: str, revision: int) -> dict[str, Any]:
    """A document that says "this entry is not at this level as of ``revision``".

    It has no listing level, status or text, so no clearance filter matches it
    (and searches exclude ``tombstone: true`` explicitly too). Unlike a delete,
    whose version Elasticsearch forgets after ``index.gc_deletes`` (60 s), it
    keeps the revision for good: a late write of an older revision to the level
    the entry left is refused with 409 however late it comes.
    """
    return {"id": entry_id, "revision": revision, "tombstone": True}


def upsert_actions(
    documents: Iterable[Mapping[str, Any]],
    target: Callable[[str], str],
    levels: Sequence[str],
    *,
    tombstones: bool = True,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Bulk actions for ``documents``: ``(tighten, write)``. Pure, for testing.

    ``write`` indexes each document into the index of its ``listing_level``.
    ``tighten`` puts a tombstone of the same revision into every other level
    index, so wherever an older revision of the entry lives it is replaced.
    Writing to every other level (rather than looking up where the entry is
    now) needs no read and is correct under any interleaving of writers: each
    level index converges to the highest revision, which is a document in one
    level and tombstones in all others. A document whose level is not enabled
    is written nowhere: tombstones only (unknown levels match nothing).
    """
    latest: dict[str, Mapping[str, Any]] = {}
    for doc in documents:
        entry_id = str(doc["id"])
        seen = latest.get(entry_id)
        if seen is None or int(doc["revision"]) >= int(seen["revision"]):
            latest[entry_id] = doc
    tighten: list[dict[str, Any]] = []
    write: list[dict[str, Any]] = []
    for entry_id, doc in latest.items():
        revision = int(doc["revision"])
        level = str(doc["listing_level"])
        if tombstones:
            for other in levels:
                if other != level:
                    tighten.append(
                        _index_action(target(other), entry_id, revision, tombstone(entry_id, revision))
                    )
        if level in levels:
            write.append(_index_action(target(level), entry_id, revision, dict(doc)))
    return tighten, write


def _index_action(index: str, entry_id: str, revision: int, source: dict[str, Any]) -> dict[str, Any]:
    return {
        "_op_type": "index",
        "_index": index,
        "_id": entry_id,
        "version": revision,
        "version_type": VERSION_TYPE,
        "_source": source,
    }


def delete_actions(entry_ids: Iterable[str], targets: Iterable[str]) -> list[dict[str, Any]]:
    indices = list(targets)
    return [
        {"_op_type": "delete", "_index": index, "_id": entry_id}
        for entry_id in entry_ids
        for index in indices
    ]


def run_bulk(
    client: Elasticsearch,
    actions: Sequence[Mapping[str, Any]],
    *,
    require_alias: bool,
    refresh: Literal["wait_for"] | bool | None = None,
    chunk_size: int = 500,
) -> tuple[int, int]:
    """Send ``actions``; returns ``(written, stale)``. 409 (a newer revision is
    stored) and 404 on delete (nothing to delete) are expected; anything else
    raises :class:`IndexingError` after the whole batch was tried."""
    if not actions:
        return 0, 0
    written = stale = 0
    errors: list[Mapping[str, Any]] = []
    extra: dict[str, Any] = {"require_alias": True} if require_alias else {}
    if refresh is not None:
        extra["refresh"] = refresh
    for ok, item in es_helpers.streaming_bulk(
        client,
        [dict(action) for action in actions],
        chunk_size=chunk_size,
        raise_on_error=False,
        max_retries=3,
        initial_backoff=1,
        **extra,
    ):
        op, result = next(iter(item.items()))
        status = int(result.get("status", 500))
        if ok:
            written += 1
        elif status == 409 or (op == "delete" and status == 404):
            stale += 1
        else:
            errors.append(item)
    if errors:
        raise IndexingError(errors)
    return written, stale


# -- rebuild ----------------------------------------------------------------------
def rebuild(
    client: Elasticsearch,
    names: IndexNames,
    levels: Sequence[str],
    documents: Iterable[Mapping[str, Any]],
    *,
    settings: IndexSettings = DEFAULT_INDEX_SETTINGS,
    catch_up: Callable[[], Iterable[Mapping[str, Any]]] | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = 500,
) -> RebuildReport:
    """Zero-downtime rebuild: new indices, fill, catch up, swap aliases, drop old.

    ``documents`` is every entry of the catalogue (built by
    ``search.documents.build_document``). ``catch_up`` returns documents of the
    entries that changed since the rebuild started; it is called before the
    swap (into the new indices) and again after it (through the aliases, which
    then point at the new indices). Revisions make both calls idempotent.
    """
    ensure_templates(client, names, settings)
    report = RebuildReport()
    new = create_generation(client, names, levels)
    report.new_indices = dict(new)
    try:
        batch: list[Mapping[str, Any]] = []
        for doc in documents:
            batch.append(doc)
            if len(batch) >= chunk_size:
                report.indexed += _fill(client, new, levels, batch, chunk_size)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            report.indexed += _fill(client, new, levels, batch, chunk_size)
            if progress:
                progress(len(batch))
        finish_fill(client, new.values(), settings)
        if catch_up is not None:
            report.caught_up += _write(client, lambda level: new[level], levels, list(catch_up()), False)
            client.indices.refresh(index=",".join(new.values()))
        old = swap_aliases(client, names, new)
    except BaseException:
        drop_indices(client, new.values())
        raise
    if catch_up is not None:
        report.caught_up += _write(client, names.alias, levels, list(catch_up()), True)
    report.dropped = drop_indices(client, [index for indices in old.values() for index in indices])
    return report


def _fill(
    client: Elasticsearch,
    new: Mapping[str, str],
    levels: Sequence[str],
    docs: list[Mapping[str, Any]],
    chunk: int,
) -> int:
    # A fresh generation holds each entry once, at its level: no tombstones needed.
    _, write = upsert_actions(docs, lambda level: new[level], levels, tombstones=False)
    written, _ = run_bulk(client, write, require_alias=False, chunk_size=chunk)
    return written


def _write(
    client: Elasticsearch,
    target: Callable[[str], str],
    levels: Sequence[str],
    docs: list[Mapping[str, Any]],
    through_aliases: bool,
) -> int:
    tighten, write = upsert_actions(docs, target, levels)
    run_bulk(client, tighten, require_alias=through_aliases, refresh="wait_for" if through_aliases else None)
    written, _ = run_bulk(client, write, require_alias=through_aliases)
    return written
