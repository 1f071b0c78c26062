"""The flat document both engines index, built from a catalogue entry.

Field groups (see :mod:`search.backend`): the *summary* fields (title_*,
description_*, publisher, publisher_name, type, classification, listing_level,
status) may match for every caller who may list the entry; the *full* fields
(keywords_*, themes, legal_basis, legal_text, personal_data, formats, openapi)
only for callers who may read the whole entry. The access labels
(classification, listing_level, status, publisher) are stored on every
document so the clearance filter runs inside the engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from catalogue.models import Entry

#: Languages with their own analysed fields. nn shares Norwegian analysis.
LANGUAGES = ("sv", "nb", "nn", "en")
#: Order in which a title is picked for sorting and suggestions.
TITLE_ORDER = ("sv", "nb", "nn", "en")

SUMMARY_TEXT_FIELDS = (
    *(f"title_{lang}" for lang in LANGUAGES),
    *(f"description_{lang}" for lang in LANGUAGES),
    "publisher_name",
)
FULL_TEXT_FIELDS = (
    *(f"keywords_{lang}" for lang in LANGUAGES),
    "legal_text",
    "openapi",
)
KEYWORD_FIELDS = (
    "id",
    "type",
    "publisher",
    "classification",
    "listing_level",
    "status",
    "themes",
    "legal_basis",
    "personal_data",
    "formats",
)
#: The largest OpenAPI text we index: enough for every operation of a big API.
MAX_OPENAPI_TEXT = 200_000
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def build_document(entry: Entry, publisher_name: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The document for ``entry``. Every field is present (empty string or list
    when the entry has nothing), so both engines see the same shape."""
    doc: dict[str, Any] = {
        "id": entry.id,
        "type": entry.type,
        "publisher": entry.publisher,
        "publisher_name": " ".join(v for v in (publisher_name or {}).values() if v),
        "classification": entry.classification,
        "listing_level": entry.listing_level,
        "status": entry.status,
        "revision": int(entry.revision),
        "modified": _iso(entry.modified),
    }
    title = entry.title or {}
    description = entry.description or {}
    keywords = entry.keywords or {}
    for lang in LANGUAGES:
        doc[f"title_{lang}"] = title.get(lang, "") or ""
        doc[f"description_{lang}"] = description.get(lang, "") or ""
        doc[f"keywords_{lang}"] = " ; ".join(keywords.get(lang, []) or [])
    doc["themes"] = sorted(set(entry.themes or []))
    doc["legal_basis"] = sorted({b.reference for b in entry.legal_bases})
    doc["legal_text"] = " ; ".join(
        " ".join(p for p in (b.jurisdiction, b.reference, b.provision or "") if p) for b in entry.legal_bases
    )
    doc["personal_data"] = bool(entry.contains_personal_data)
    doc["formats"] = sorted(
        {f for f in (_format(d.format, d.media_type) for d in entry.distributions) if f}
        if entry.type == "dataset"
        else set()
    )
    doc["openapi"] = openapi_text(entry.openapi) if entry.type == "api" else ""
    doc["title_sort"] = title_sort(title)
    return doc


def title_sort(title: Mapping[str, str]) -> str:
    """The sort key: the first title in TITLE_ORDER, lower-cased (code-point order)."""
    return preferred_title(title).strip().lower()[:200]


def preferred_title(title: Mapping[str, str], lang: str | None = None) -> str:
    order = ((lang,) if lang else ()) + TITLE_ORDER
    for key in order:
        value = title.get(key) if key else None
        if value:
            return value
    return next((v for v in title.values() if v), "")


def openapi_text(document: Mapping[str, Any] | None) -> str:
    """Paths, summaries, descriptions, operationIds and tags of an OpenAPI document."""
    if not document:
        return ""
    parts = list(_openapi_parts(document))
    return "\n".join(p for p in parts if p)[:MAX_OPENAPI_TEXT]


def _openapi_parts(document: Mapping[str, Any]) -> Iterator[str]:
    info = document.get("info")
    if isinstance(info, Mapping):
        yield _str(info.get("title"))
        yield _str(info.get("description"))
    for tag in document.get("tags") or []:
        if isinstance(tag, Mapping):
            yield _str(tag.get("name"))
            yield _str(tag.get("description"))
    paths = document.get("paths")
    if not isinstance(paths, Mapping):
        return
    for path, item in paths.items():
        yield _str(path)
        if not isinstance(item, Mapping):
            continue
        yield _str(item.get("summary"))
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, Mapping):
                continue
            yield _str(op.get("operationId"))
            yield _str(op.get("summary"))
            yield _str(op.get("description"))
            for tag in op.get("tags") or []:
                yield _str(tag)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _format(fmt: str | None, media_type: str | None) -> str | None:
    if fmt:
        return fmt.strip().upper() or None
    if media_type and "/" in media_type:
        return media_type.split("/", 1)[1].split("+")[0].upper() or None
    return None


def _iso(value: datetime | None) -> str:
    if value is None:
        value = datetime.now(UTC)
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they are UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()
