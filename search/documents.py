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

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import Agency, Distribution, Entry, LegalBasis

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
#: Entries read per query when building documents in bulk (reindex, outbox drain).
READ_CHUNK = 1000
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def build_document(entry: Entry, publisher_name: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The document for ``entry``. Every field is present (empty string or list
    when the entry has nothing), so both engines see the same shape."""
    return _document(
        {name: getattr(entry, name) for name in _ENTRY_COLUMNS},
        [(b.jurisdiction, b.reference, b.provision) for b in entry.legal_bases],
        [(d.format, d.media_type) for d in entry.distributions],
        publisher_name,
    )


def documents_for(session: Session, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The documents of the entries among ``ids`` (those that still exist), read
    with one query per table instead of loading ORM objects and their relations."""
    if not ids:
        return []
    rows = session.execute(select(*_entry_columns()).where(Entry.id.in_(list(ids)))).mappings().all()
    return _documents(session, rows, agency_names(session))


def iter_documents(session: Session, chunk: int = READ_CHUNK) -> Iterator[list[dict[str, Any]]]:
    """Every entry's document, ``chunk`` entries at a time (keyset paging by id)."""
    names = agency_names(session)
    last = ""
    while True:
        rows = (
            session.execute(select(*_entry_columns()).where(Entry.id > last).order_by(Entry.id).limit(chunk))
            .mappings()
            .all()
        )
        if not rows:
            return
        yield _documents(session, rows, names)
        last = rows[-1]["id"]


def agency_names(session: Session) -> dict[str, dict[str, str]]:
    return {orgnr: name for orgnr, name in session.execute(select(Agency.orgnr, Agency.name))}


_ENTRY_COLUMNS = (
    "id",
    "type",
    "publisher",
    "title",
    "description",
    "keywords",
    "themes",
    "classification",
    "listing_level",
    "status",
    "revision",
    "modified",
    "contains_personal_data",
    "openapi",
)


def _entry_columns() -> list[Any]:
    return [getattr(Entry, name) for name in _ENTRY_COLUMNS]


def _documents(
    session: Session, rows: Sequence[Mapping[Any, Any]], names: Mapping[str, Mapping[str, str]]
) -> list[dict[str, Any]]:
    ids = [row["id"] for row in rows]
    bases: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
    for entry_id, jurisdiction, reference, provision in session.execute(
        select(LegalBasis.entry_id, LegalBasis.jurisdiction, LegalBasis.reference, LegalBasis.provision)
        .where(LegalBasis.entry_id.in_(ids))
        .order_by(LegalBasis.entry_id, LegalBasis.position)
    ):
        bases[entry_id].append((jurisdiction, reference, provision))
    formats: dict[str, list[tuple[str | None, str | None]]] = defaultdict(list)
    for entry_id, fmt, media_type in session.execute(
        select(Distribution.entry_id, Distribution.format, Distribution.media_type).where(
            Distribution.entry_id.in_(ids)
        )
    ):
        formats[entry_id].append((fmt, media_type))
    return [
        _document(row, bases.get(row["id"], ()), formats.get(row["id"], ()), names.get(row["publisher"]))
        for row in rows
    ]


def _document(
    entry: Mapping[str, Any],
    legal_bases: Sequence[tuple[str, str, str | None]],
    distributions: Sequence[tuple[str | None, str | None]],
    publisher_name: Mapping[str, str] | None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": entry["id"],
        "type": entry["type"],
        "publisher": entry["publisher"],
        "publisher_name": " ".join(v for v in (publisher_name or {}).values() if v),
        "classification": entry["classification"],
        "listing_level": entry["listing_level"],
        "status": entry["status"],
        "revision": int(entry["revision"]),
        "modified": _iso(entry["modified"]),
    }
    title = entry["title"] or {}
    description = entry["description"] or {}
    keywords = entry["keywords"] or {}
    for lang in LANGUAGES:
        doc[f"title_{lang}"] = title.get(lang, "") or ""
        doc[f"description_{lang}"] = description.get(lang, "") or ""
        doc[f"keywords_{lang}"] = " ; ".join(keywords.get(lang, []) or [])
    doc["themes"] = sorted(set(entry["themes"] or []))
    doc["legal_basis"] = sorted({reference for _j, reference, _p in legal_bases})
    doc["legal_text"] = " ; ".join(
        " ".join(p for p in (jurisdiction, reference, provision or "") if p)
        for jurisdiction, reference, provision in legal_bases
    )
    doc["personal_data"] = bool(entry["contains_personal_data"])
    doc["formats"] = sorted(
        {f for f in (_format(fmt, media_type) for fmt, media_type in distributions) if f}
        if entry["type"] == "dataset"
        else set()
    )
    doc["openapi"] = openapi_text(entry["openapi"]) if entry["type"] == "api" else ""
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
