"""The flat document both engines index, built from a catalogue entry.

Field groups (see :mod:`search.backend`): the *summary* fields (title_*,
description_*, publisher, publisher_name, type, classification, listing_level,
status) may match for every caller who may list the entry; the *full* fields
(keywords_*, themes, legal_basis, legal_text, sharing_status, personal_data, formats,
openapi)
only for callers who may read the whole entry. ``legal_text`` carries the cited
statutes' names from the register (:func:`legal_text`), so the register's
changes reindex the entries that cite the statute (``StatuteService``). The access labels
(classification, listing_level, status, publisher) are stored on every
document so the clearance filter runs inside the engine.

Which fields a document has, and of which kind, is derived from the entry
fields' ``index`` declarations (:mod:`catalogue.fields`): a field indexed as its
column's value is built here without code of its own; the ``computed`` ones
(publisher_name, legal_basis, legal_text, sharing_status, formats, openapi, auth,
operation_elements, title_sort) are built by ``_document``. ``sharing_status`` (catalogue.sharing) needs the
scheme's lowest level, so every builder takes it (``lowest``): the indexer is given it
once, by the app.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import fields as entry_fields
from catalogue import shapes
from catalogue.entry_field import Indexed
from catalogue.models import Agency, Distribution, Entry, LegalBasis, OperationDataElement, Statute
from catalogue.sharing import sharing_status
from catalogue.statutes import search_words

#: Languages with their own analysed fields (the catalogue's). nn shares Norwegian analysis.
LANGUAGES = shapes.LANGUAGES
#: Order in which a title is picked for sorting and suggestions.
TITLE_ORDER = ("sv", "nb", "nn", "en")

# The document's fields, derived from the entry fields' ``index`` declarations
# (catalogue.fields); both engines' schemas are derived from these.
_INDEXED = entry_fields.indexed()


def _names(kind: str, group: str | None = None, many: bool | None = None) -> tuple[str, ...]:
    return tuple(
        name
        for _field, spec in _INDEXED
        if spec.kind == kind and group in (None, spec.group) and many in (None, spec.many)
        for name in spec.names()
    )


#: Analysed text per language, ``<name>_<lang>``: their names without the language.
LANGUAGE_TEXT_GROUPS = tuple(spec.name for _f, spec in _INDEXED if spec.kind == "language_text")
#: Analysed text of no particular language.
PLAIN_TEXT_FIELDS = _names("text")
SUMMARY_TEXT_FIELDS = (*_names("language_text", "summary"), *_names("text", "summary"))
FULL_TEXT_FIELDS = (*_names("language_text", "full"), *_names("text", "full"))
#: Exact values: filters, facets and the access labels. personal_data is a boolean,
#: not a keyword (BOOLEAN_FIELDS): Elasticsearch maps it so and always did.
KEYWORD_FIELDS = _names("keyword")
#: Keywords of one value, and of a list of values.
SINGLE_KEYWORD_FIELDS = _names("keyword", many=False)
MULTI_KEYWORD_FIELDS = _names("keyword", many=True)
BOOLEAN_FIELDS = _names("boolean")
LONG_FIELDS = _names("long")
DATE_FIELDS = _names("date")
SORT_FIELDS = _names("sort")
#: Who a field may match for ("summary": every lister; "full": readers of the whole
#: entry), by document field name and by language text group name.
MATCH_GROUP: Mapping[str, str] = {
    name: spec.group for _f, spec in _INDEXED for name in {spec.name, *spec.names()}
}
#: Every field of a document.
DOCUMENT_FIELDS = tuple(name for _f, spec in _INDEXED for name in spec.names())
#: The largest OpenAPI text we index: enough for every operation of a big API.
MAX_OPENAPI_TEXT = 200_000
#: Entries read per query when building documents in bulk (reindex, outbox drain).
READ_CHUNK = 1000
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


#: (jurisdiction, reference) → the words a statute is found by (its names and short
#: names in every language, :func:`catalogue.statutes.search_words`).
StatuteWords = Mapping[tuple[str, str], Sequence[str]]


def build_document(
    entry: Entry,
    lowest: str,
    publisher_name: Mapping[str, str] | None = None,
    statutes: StatuteWords | None = None,
) -> dict[str, Any]:
    """The document for ``entry`` under a scheme whose lowest level is ``lowest``. Every
    field is present (empty string or list when the entry has nothing), so both
    engines see the same shape."""
    return _document(
        {name: getattr(entry, name) for name in _ENTRY_COLUMNS},
        [(b.role, b.jurisdiction, b.reference, b.provision) for b in entry.legal_bases],
        [(d.format, d.media_type) for d in entry.distributions],
        [r.element for r in entry.operation_element_rows],
        publisher_name,
        lowest,
        statutes or {},
    )


def statute_words(session: Session) -> dict[tuple[str, str], list[str]]:
    """The search words of every statute in the register (a small table, read whole)."""
    return {
        (jurisdiction, reference): search_words(names or {}, short_names or {})
        for jurisdiction, reference, names, short_names in session.execute(
            select(Statute.jurisdiction, Statute.reference, Statute.names, Statute.short_names)
        )
    }


def documents_for(session: Session, ids: Sequence[str], lowest: str) -> list[dict[str, Any]]:
    """The documents of the entries among ``ids`` (those that still exist), read
    with one query per table instead of loading ORM objects and their relations."""
    if not ids:
        return []
    rows = session.execute(select(*_entry_columns()).where(Entry.id.in_(list(ids)))).mappings().all()
    return _documents(session, rows, agency_names(session), lowest, statute_words(session))


def iter_documents(session: Session, lowest: str, chunk: int = READ_CHUNK) -> Iterator[list[dict[str, Any]]]:
    """Every entry's document, ``chunk`` entries at a time (keyset paging by id)."""
    names = agency_names(session)
    statutes = statute_words(session)
    last = ""
    while True:
        rows = (
            session.execute(select(*_entry_columns()).where(Entry.id > last).order_by(Entry.id).limit(chunk))
            .mappings()
            .all()
        )
        if not rows:
            return
        yield _documents(session, rows, names, lowest, statutes)
        last = rows[-1]["id"]


def agency_names(session: Session) -> dict[str, dict[str, str]]:
    return {orgnr: name for orgnr, name in session.execute(select(Agency.orgnr, Agency.name))}


#: The entry's columns a document is made of: those of every indexed field that
#: is a column (relations are read by ``_documents`` with a query of their own).
_ENTRY_COLUMNS = tuple(
    f.name for f in entry_fields.ENTRY_FIELDS if f.index and f.storage in ("column", "system")
)


def _entry_columns() -> list[Any]:
    return [getattr(Entry, name) for name in _ENTRY_COLUMNS]


def _documents(
    session: Session,
    rows: Sequence[Mapping[Any, Any]],
    names: Mapping[str, Mapping[str, str]],
    lowest: str,
    statutes: StatuteWords,
) -> list[dict[str, Any]]:
    ids = [row["id"] for row in rows]
    bases: dict[str, list[tuple[str, str, str, str | None]]] = defaultdict(list)
    for entry_id, role, jurisdiction, reference, provision in session.execute(
        select(
            LegalBasis.entry_id,
            LegalBasis.role,
            LegalBasis.jurisdiction,
            LegalBasis.reference,
            LegalBasis.provision,
        )
        .where(LegalBasis.entry_id.in_(ids))
        .order_by(LegalBasis.entry_id, LegalBasis.position)
    ):
        bases[entry_id].append((role, jurisdiction, reference, provision))
    formats: dict[str, list[tuple[str | None, str | None]]] = defaultdict(list)
    for entry_id, fmt, media_type in session.execute(
        select(Distribution.entry_id, Distribution.format, Distribution.media_type).where(
            Distribution.entry_id.in_(ids)
        )
    ):
        formats[entry_id].append((fmt, media_type))
    carried: dict[str, list[str]] = defaultdict(list)
    for entry_id, element in session.execute(
        select(OperationDataElement.entry_id, OperationDataElement.element).where(
            OperationDataElement.entry_id.in_(ids)
        )
    ):
        carried[entry_id].append(element)
    return [
        _document(
            row,
            bases.get(row["id"], ()),
            formats.get(row["id"], ()),
            carried.get(row["id"], ()),
            names.get(row["publisher"]),
            lowest,
            statutes,
        )
        for row in rows
    ]


def _document(
    entry: Mapping[str, Any],
    legal_bases: Sequence[tuple[str, str, str, str | None]],
    distributions: Sequence[tuple[str | None, str | None]],
    operation_elements: Sequence[str],
    publisher_name: Mapping[str, str] | None,
    lowest: str,
    statutes: StatuteWords,
) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for field, spec in _INDEXED:
        if not spec.computed:
            doc.update(_plain(spec, entry[field.name]))
    # The fields computed from more than their column (``computed`` in catalogue.fields).
    doc["publisher_name"] = " ".join(v for v in (publisher_name or {}).values() if v)
    doc["legal_basis"] = sorted({reference for _r, _j, reference, _p in legal_bases})
    doc["legal_text"] = legal_text([(j, ref, prov) for _r, j, ref, prov in legal_bases], statutes)
    doc["sharing_status"] = sharing_status(entry["classification"], lowest, (r for r, *_ in legal_bases))
    doc["formats"] = sorted(
        {f for f in (_format(fmt, media_type) for fmt, media_type in distributions) if f}
        if entry["type"] == "dataset"
        else set()
    )
    doc["openapi"] = openapi_text(entry["openapi"]) if entry["type"] == "api" else ""
    # Only those the entry's own ``data_elements`` lack: the two fields never share a
    # value, so an ``element`` facet count is the sum of both (search.backend).
    doc["operation_elements"] = sorted(set(operation_elements) - set(entry["data_elements"] or ()))
    doc["auth"] = sorted(
        {m["type"] for m in entry["auth_mechanisms"] or () if isinstance(m, Mapping) and m.get("type")}
        if entry["type"] == "api"
        else set()
    )
    doc["title_sort"] = title_sort(entry["title"] or {})
    return doc


def legal_text(legal_bases: Sequence[tuple[str, str, str | None]], statutes: StatuteWords) -> str:
    """The searchable text of an entry's legal bases, one basis after another: its
    jurisdiction, reference and provision, then the cited statute's names, short
    names and name stems from the register. So "OSL 21 kap" finds an entry citing
    2009:400 21 kap. 7 §, "folkbokföring" one citing Folkbokföringslag (1991:481),
    and "§ 10-2" one citing § 10-2: the words, not a parse of the query, so both
    engines match them alike. A statute cited twice is named once."""
    named: set[tuple[str, str]] = set()
    parts = []
    for jurisdiction, reference, provision in legal_bases:
        words = [jurisdiction, reference, provision or ""]
        if (jurisdiction, reference) not in named:
            named.add((jurisdiction, reference))
            words += statutes.get((jurisdiction, reference), ())
        parts.append(" ".join(w for w in words if w))
    return " ; ".join(parts)


def _plain(spec: Indexed, value: Any) -> dict[str, Any]:
    """A document field made from its column's value as it is, by its kind. Every
    field is present (an empty string or list when the entry has nothing)."""
    if spec.kind == "language_text":
        texts = value or {}
        return {f"{spec.name}_{lang}": _text(texts.get(lang)) for lang in LANGUAGES}
    if spec.kind == "keyword":
        return {spec.name: sorted(set(value or [])) if spec.many else value}
    if spec.kind == "boolean":
        return {spec.name: bool(value)}
    if spec.kind == "long":
        return {spec.name: int(value)}
    if spec.kind == "date":
        return {spec.name: _iso(value)}
    if spec.kind == "text":
        return {spec.name: _text(value)}
    raise ValueError(f"{spec.name}: a {spec.kind} field is computed, not copied")


def _text(value: str | list[str] | None) -> str:
    """Text as indexed: a list of words (keywords) joined by " ; "."""
    if isinstance(value, list):
        return " ; ".join(value)
    return value or ""


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
