"""The policy's read filter in SQL, and the entry heads reads are decided on.

``visible_clause`` is the same rule as ``policy.can_list``. The read path does
not load whole entries to decide: it selects their *heads* (the few columns the
policy and the rendering cache need) with statements built once per shape and
reused, so SQLAlchemy compiles nothing and adapts nothing per request.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from catalogue.db import Prepared, json_values, statement_alone
from catalogue.machinery.readpath.lru import LRUCache
from catalogue.models import CatalogueVersion, Entry, EntryTheme, facts_of
from security.policy import EntryFacts, ReadFilter


def visible_clause(rf: ReadFilter) -> ColumnElement[bool]:
    """``read_filter`` in SQL: the twin of ``ReadFilter.matches``; false when it matches nothing."""
    if rf.matches_nothing:
        return false()
    return _visible(sorted(rf.levels), sorted(rf.open_statuses), rf.own_agency)


def _visible(
    levels: Sequence[Any], open_statuses: Sequence[Any], own_agency: Any | None
) -> ColumnElement[bool]:
    """``can_list`` in SQL: listed at a level the caller reads, and either in an open
    status or the caller's own agency's. Values or bound parameters alike."""
    status_ok: ColumnElement[bool] = Entry.status.in_(open_statuses) if open_statuses else false()
    if own_agency is not None:
        status_ok = or_(status_ok, Entry.publisher == own_agency)
    return and_(Entry.listing_level.in_(levels), status_ok)


@dataclass(frozen=True, slots=True)
class EntryHead:
    """What deciding and auditing a read needs of an entry, and nothing more."""

    id: str
    type: str
    revision: int
    status: str
    classification: str
    listing_level: str
    publisher: str

    @property
    def facts(self) -> EntryFacts:
        """What the policy needs of this entry (:func:`~catalogue.models.facts_of`)."""
        return facts_of(self)


_T = Entry.__table__
HEAD_COLUMNS = (
    _T.c.id,
    _T.c.type,
    _T.c.revision,
    _T.c.status,
    _T.c.classification,
    _T.c.listing_level,
    _T.c.publisher,
)
HEAD_BY_ID = Prepared(select(*HEAD_COLUMNS).where(_T.c.id == bindparam("id")))
HEADS_BY_IDS = select(*HEAD_COLUMNS).where(_T.c.id.in_(bindparam("ids", expanding=True)))
#: The same heads as one row, the ids given as one JSON array (SQLite; see ``heads_by_ids``).
HEADS_BY_IDS_JSON = Prepared(
    select(func.json_group_array(func.json_array(*HEAD_COLUMNS))).where(_T.c.id.in_(json_values("ids")))
)


def head_of(row: Sequence[Any]) -> EntryHead:
    """An entry head from a row of HEAD_COLUMNS."""
    return EntryHead(*row)


def heads_by_ids(session: Session, ids: Sequence[str]) -> list[EntryHead]:
    """The heads of the entries among ``ids`` (in no particular order); see ``head_rows_by_ids``."""
    return [head_of(row) for row in head_rows_by_ids(session, ids)]


def head_rows_by_ids(session: Session, ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """The head rows (HEAD_COLUMNS) of the entries among ``ids``, in no particular
    order, read as a statement of its own when the session has no transaction yet
    (one snapshot).

    On SQLite as one row, as in ``page_heads``, by a statement compiled once
    (``Prepared``: the ids are one JSON array, not an expanding IN that SQLAlchemy
    compiles again for each count of ids): a search re-checks each page of hits
    with it, and SQLAlchemy's own execution and the session's transaction cost
    several times the lookup."""
    if session.get_bind().dialect.name == "sqlite":
        row = HEADS_BY_IDS_JSON.first(session, {"ids": json.dumps(list(ids))}, alone=True)
        return [tuple(r) for r in json.loads(row[0])] if row is not None else []
    with statement_alone(session) as connection:
        return [tuple(r) for r in connection.execute(HEADS_BY_IDS, {"ids": list(ids)})]


def page_heads(session: Session, query: ListQuery) -> tuple[int, list[EntryHead]]:
    """The catalogue's version and the heads of one page of a list, in its order.

    On SQLite both come back in one statement (so one snapshot), run on its own
    (``Prepared.first(alone=True)``), as one row holding a JSON array of the
    heads: Python's sqlite3 lets go of the GIL for every row it steps to, and
    under a threaded server each of those hand-offs costs far more than the row
    itself (20 rows took ~1 ms of contended hand-offs, the query 0.05 ms). The
    array is sorted here, not trusted to keep the subquery's order.
    """
    if session.get_bind().dialect.name != "sqlite":
        with statement_alone(session) as connection:
            version = connection.execute(CATALOGUE_VERSION).scalar_one()
            return version, [head_of(row) for row in connection.execute(query.page, query.params)]
    row = query.page_json.first(session, query.params, alone=True)
    assert row is not None  # an aggregate always answers one row
    version, text = row
    rows = json.loads(text)
    rows.sort(key=itemgetter(0))  # then newest change first: the page's own order
    rows.sort(key=itemgetter(len(HEAD_COLUMNS)), reverse=True)
    return version, [head_of(r[: len(HEAD_COLUMNS)]) for r in rows]


@dataclass(frozen=True)
class ListQuery:
    """The two statements of one shape of list (count and page), and their parameters."""

    count: Select[Any]
    page: Select[Any]
    #: The catalogue's version and the page as a JSON array of [*head, modified], in
    #: one row (SQLite; see ``page_heads``).
    page_json: Prepared
    params: dict[str, Any]
    #: What the count depends on (everything but the page).
    count_key: Hashable


#: The catalogue's change counter, raised by a trigger on every change to entries.
CATALOGUE_VERSION = select(CatalogueVersion.__table__.c.version).where(CatalogueVersion.__table__.c.id == 1)


#: List totals by (catalogue version, filter): a list of an unchanged catalogue is
#: not counted again. One cache per database (engine).
CountCache = LRUCache[Hashable, int]
_COUNTS: weakref.WeakKeyDictionary[Engine, CountCache] = weakref.WeakKeyDictionary()
_COUNTS_LOCK = threading.Lock()


def counts_for(engine: Engine) -> CountCache:
    """The list-total cache of the database behind ``engine``, made on first use."""
    with _COUNTS_LOCK:
        cache_ = _COUNTS.get(engine)
        if cache_ is None:
            cache_ = _COUNTS[engine] = LRUCache(4096)
        return cache_


def list_query(
    rf: ReadFilter,
    *,
    entry_type: str | None,
    publisher: str | None,
    status: str | None,
    exclude_status: str | None,
    theme: str | None,
    limit: int,
    offset: int,
) -> ListQuery | None:
    """A page of visible entries, newest change first; None when nothing can match."""
    if rf.matches_nothing:
        return None
    levels, open_statuses = sorted(rf.levels), sorted(rf.open_statuses)
    params: dict[str, Any] = {
        **{f"level_{i}": level for i, level in enumerate(levels)},
        **{f"open_status_{i}": status for i, status in enumerate(open_statuses)},
        "own_agency": rf.own_agency,
        "entry_type": entry_type,
        "publisher": publisher,
        "status": status if status else exclude_status,
        "theme": theme,
        "limit": limit,
        "offset": offset,
    }
    shape = (
        len(levels),
        len(open_statuses),
        rf.own_agency is not None,
        entry_type is not None,
        publisher is not None,
        "eq" if status else ("ne" if exclude_status else None),
        theme is not None,
    )
    count, page, page_json = _list_statements(*shape)
    count_key = (
        shape,
        tuple(levels),
        tuple(open_statuses),
        rf.own_agency,
        entry_type,
        publisher,
        params["status"],
        theme,
    )
    return ListQuery(count, page, page_json, params, count_key)


@cache
def _list_statements(
    levels: int,
    open_statuses: int,
    own: bool,
    by_type: bool,
    by_publisher: bool,
    by_status: str | None,
    by_theme: bool,
) -> tuple[Select[Any], Select[Any], Prepared]:
    # One bound parameter per level and status (a handful), not expanding ones: the
    # statements then compile once, and the page runs as a ``Prepared`` statement.
    conditions: list[ColumnElement[bool]] = [
        _visible(
            [bindparam(f"level_{i}") for i in range(levels)],
            [bindparam(f"open_status_{i}") for i in range(open_statuses)],
            bindparam("own_agency") if own else None,
        )
    ]
    if by_type:
        conditions.append(_T.c.type == bindparam("entry_type"))
    if by_publisher:
        conditions.append(_T.c.publisher == bindparam("publisher"))
    if by_status == "eq":
        conditions.append(_T.c.status == bindparam("status"))
    elif by_status == "ne":
        conditions.append(_T.c.status != bindparam("status"))
    if by_theme:
        themes = EntryTheme.__table__
        conditions.append(_T.c.id.in_(select(themes.c.entry_id).where(themes.c.theme == bindparam("theme"))))
    count = select(func.count()).select_from(_T).where(*conditions)

    def ordered_page(*columns: Any) -> Select[Any]:
        return (
            select(*columns)
            .where(*conditions)
            .order_by(_T.c.modified.desc(), _T.c.id)
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
        )

    rows = ordered_page(*HEAD_COLUMNS, _T.c.modified).subquery()
    version = CATALOGUE_VERSION.scalar_subquery()
    page_json = Prepared(select(version, func.json_group_array(func.json_array(*rows.c))).select_from(rows))
    return count, ordered_page(*HEAD_COLUMNS), page_json
