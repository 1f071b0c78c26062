"""The index template: settings, analysers and the strict mapping of the flat
document built by :func:`search.documents.build_document`, whose fields and
kinds come from the entry fields' declarations (:mod:`catalogue.fields`).

Pure data. Three pieces, so operators can override one without copying the
others (Elasticsearch merges them in ``composed_of`` order):

- ``<prefix>-settings``  component template: shards, replicas, refresh, analysis
- ``<prefix>-mappings``  component template: the fields
- ``<prefix>``           index template for ``<prefix>-*``, composed of both

Every text field is indexed three ways:

- the field itself, with Elasticsearch's built-in language analyser
  (``swedish``, ``norwegian`` for nb and nn, ``english``; ``standard`` for
  text of no particular language): stemmed, so ``inkomstuppgift`` finds
  "Inkomstuppgifter";
- ``.exact``: lower-cased words, unstemmed, so exact words rank first (the
  Swedish stemmer makes ``fastighet`` and ``fast`` one stem);
- ``.folded``: lower-cased and ASCII-folded (``lantmateriet`` finds
  "Lantmäteriet", ``saeravgift`` "Særavgift"), ranked below exact spelling.

A change here bumps :data:`TEMPLATE_VERSION`. Templates only apply when an
index is created, so existing indices keep their mapping until ``tillit
reindex`` builds new ones (see docs/elasticsearch.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from elasticsearch.dsl import Boolean, Date, Index, Keyword, Long, Text, analyzer, normalizer
from elasticsearch.dsl import Mapping as DslMapping

from search import documents
from search.documents import LANGUAGE_TEXT_GROUPS, LANGUAGES

#: Bump on every change to the settings or the mapping; ``ensure_templates``
#: installs a newer template and says that a rebuild is due.
# 2: boolean similarity on every text field; 3: sharing_status; 4: data_elements; 5: auth;
# 6: operation_elements
TEMPLATE_VERSION = 6
DEFAULT_PREFIX = "tillit-entries"

#: Built-in language analyser per document language. Nynorsk shares Norwegian.
LANGUAGE_ANALYSERS: Mapping[str, str] = {
    "sv": "swedish",
    "nb": "norwegian",
    "nn": "norwegian",
    "en": "english",
}

EXACT = analyzer("tillit_exact", tokenizer="standard", filter=["lowercase"])
FOLDED = analyzer("tillit_folded", tokenizer="standard", filter=["lowercase", "asciifolding"])
#: title_sort is lower-cased by build_document already; the normaliser makes the
#: keyword safe for any writer. No asciifolding: the contract sorts by code
#: point, which keeps å, ä, ö and æ, ø after z as Swedish and Norwegian expect
#: (folding would sort "Ödemark" among the O's), and both engines must agree.
SORT_NORMALIZER = normalizer("tillit_sort", filter=["lowercase"])

#: Per-language text fields (name → analyser).
LANGUAGE_TEXT_FIELDS: Mapping[str, str] = {
    f"{group}_{lang}": LANGUAGE_ANALYSERS[lang] for group in LANGUAGE_TEXT_GROUPS for lang in LANGUAGES
}
#: Text fields of no particular language.
PLAIN_TEXT_FIELDS: tuple[str, ...] = documents.PLAIN_TEXT_FIELDS
KEYWORD_FIELDS: tuple[str, ...] = documents.KEYWORD_FIELDS
#: Stored on tombstones only (see backend.py): a document that says "not here".
TOMBSTONE_FIELD = "tombstone"

_LEVEL_KEY = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


#: Every text field scores a match with its query boost alone (Lucene's
#: BooleanSimilarity), not BM25: BM25's word weights and length norms come from
#: every document in the level index, including other agencies' drafts and the
#: keywords of entries classified above the level, so those could move the order
#: of what a caller sees (docs/security.md, "Ranking and hidden entries").
SIMILARITY = "boolean"


def _text(analyser: str) -> Text:
    return Text(
        analyzer=analyser,
        similarity=SIMILARITY,
        fields={
            "exact": Text(analyzer=EXACT, similarity=SIMILARITY),
            "folded": Text(analyzer=FOLDED, similarity=SIMILARITY),
        },
    )


def entry_mapping() -> DslMapping:
    m = DslMapping()
    m.meta("dynamic", "strict")
    m.meta("_meta", {"template_version": TEMPLATE_VERSION})
    for name in KEYWORD_FIELDS:
        m.field(name, Keyword())
    for name, analyser in LANGUAGE_TEXT_FIELDS.items():
        m.field(name, _text(analyser))
    for name in PLAIN_TEXT_FIELDS:
        m.field(name, _text("standard"))
    for name in documents.BOOLEAN_FIELDS:
        m.field(name, Boolean())
    for name in documents.LONG_FIELDS:
        m.field(name, Long())
    for name in documents.DATE_FIELDS:
        m.field(name, Date())
    for name in documents.SORT_FIELDS:
        m.field(name, Keyword(normalizer=SORT_NORMALIZER, ignore_above=256))
    m.field(TOMBSTONE_FIELD, Boolean())
    return m


def index_body(*, shards: int = 1, replicas: str = "0-1", refresh_interval: str = "1s") -> dict[str, Any]:
    """``{"settings": ..., "mappings": ...}`` of one level index.

    One primary shard: a catalogue of a million entries is a few GB, and one
    shard gives exact facet counts and scores. ``auto_expand_replicas`` keeps a
    single node green and gives a cluster one replica.
    """
    index = Index("tillit-template")
    index.settings(
        number_of_shards=shards,
        auto_expand_replicas=replicas,
        refresh_interval=refresh_interval,
        max_result_window=10_000,
    )
    index.mapping(entry_mapping())
    body = index.to_dict()
    return {"settings": body["settings"], "mappings": body["mappings"]}


@dataclass(frozen=True)
class IndexNames:
    """Every name the backend uses, derived from one prefix (tests use their own)."""

    prefix: str = DEFAULT_PREFIX

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,100}", self.prefix):
            raise ValueError(f"Index prefix {self.prefix!r}: lower-case letters, digits, '-' and '_'.")

    @property
    def pattern(self) -> str:
        return f"{self.prefix}-*"

    @property
    def index_template(self) -> str:
        return self.prefix

    @property
    def settings_component(self) -> str:
        return f"{self.prefix}-settings"

    @property
    def mappings_component(self) -> str:
        return f"{self.prefix}-mappings"

    def alias(self, level: str) -> str:
        """``tillit-entries-<level>``: what searches and writes address."""
        if not _LEVEL_KEY.match(level):
            raise ValueError(f"Not a level key: {level!r}")
        return f"{self.prefix}-{level}"

    def new_index(self, level: str, now: datetime | None = None) -> str:
        """``tillit-entries-<level>-<UTC timestamp>``: one physical generation."""
        stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
        return f"{self.alias(level)}-{stamp}"

    def index_pattern(self, level: str) -> str:
        """Every physical generation of ``level`` (and nothing of another level,
        since a level key never ends in '-' followed by 20 digits)."""
        return f"{self.alias(level)}-" + "[0-9]" * 20

    def is_generation_of(self, index: str, level: str) -> bool:
        return re.fullmatch(re.escape(self.alias(level)) + r"-[0-9]{20}", index) is not None


def component_templates(
    names: IndexNames, *, shards: int = 1, replicas: str = "0-1", refresh_interval: str = "1s"
) -> dict[str, dict[str, Any]]:
    """Component template name → body of ``PUT _component_template/<name>``."""
    body = index_body(shards=shards, replicas=replicas, refresh_interval=refresh_interval)
    meta = {"template_version": TEMPLATE_VERSION, "managed_by": "tillit"}
    return {
        names.settings_component: {
            "template": {"settings": body["settings"]},
            "version": TEMPLATE_VERSION,
            "_meta": meta,
        },
        names.mappings_component: {
            "template": {"mappings": body["mappings"]},
            "version": TEMPLATE_VERSION,
            "_meta": meta,
        },
    }


def index_template(names: IndexNames, *, priority: int = 200) -> dict[str, Any]:
    """Body of ``PUT _index_template/<prefix>``.

    ``allow_auto_create: false``: a write to a missing alias must fail, never
    auto-create a physical index named like the alias (writes also send
    ``require_alias``).
    """
    return {
        "index_patterns": [names.pattern],
        "composed_of": [names.settings_component, names.mappings_component],
        "priority": priority,
        "allow_auto_create": False,
        "version": TEMPLATE_VERSION,
        "_meta": {"template_version": TEMPLATE_VERSION, "managed_by": "tillit"},
    }


def mapped_fields() -> frozenset[str]:
    """Top-level fields the strict mapping accepts."""
    return frozenset(entry_mapping().to_dict()["properties"])


def text_fields() -> tuple[str, ...]:
    return (*LANGUAGE_TEXT_FIELDS, *PLAIN_TEXT_FIELDS)


def levels_in_order(levels: Iterable[str], enabled: Iterable[str]) -> tuple[str, ...]:
    """``levels`` that are enabled, in the scheme's order (unknown keys dropped)."""
    wanted = set(levels)
    return tuple(level for level in enabled if level in wanted)
