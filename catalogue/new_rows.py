"""New ORM objects written by Core: one ``INSERT`` (executemany) per table for a group;
and changes to loaded, versioned objects: one version-checked ``UPDATE`` (executemany).

Why: a harvest's group of new entries is about eleven rows an entry (the entry, its
legal bases, distributions, themes, harvest record, outbox row, ...). The ORM's unit of
work spends most of a bulk create's CPU on them (identity map, attribute history, the
dependency sort, a state per row: docs/harvest.md, "Speed"), and none of it is needed:
the objects were just built, by the services' own steps (``EntryWriter._new_entry``:
``apply`` checks every rule and builds the rows, as for one entry), and nothing else
refers to them yet.

:func:`insert_new` walks each object and its one-to-many children (the relationships
that cascade ``save-update``), fills the foreign keys the ORM's flush would fill (a
child's key from its parent, a many-to-one's from the object it names), gives each
column not set its Python default (the ORM's flush leaves out a ``None`` so the default
applies: the same), and writes the tables in dependency order, each table's rows in the
order the objects were given, so autoincrement ids come out as one-by-one writes give
them (tests/unit/catalogue/test_bulk_writes.py compares every table). The objects are
not attached to the session: afterwards they are records of what was written, their
ids and defaults set on them. Only for brand-new objects without many-to-many
relationships (TypeError otherwise, rather than a silent loss).

:func:`update_versioned` is the same for a group's change of the same columns of objects
the session holds (a harvest's new entries submitted for review: status and time). The
unit of work's flush would write one ``UPDATE … WHERE id = ? AND revision = ?`` per
object after comparing every attribute's history; this writes the same statement as one
executemany, checks that every row matched (``StaleDataError`` as the flush raises, else),
and sets the values, the new version included, on the objects as committed values: the
session then holds them as written, not as changed, so the caller says itself which
objects changed (``EntryWriter.commit_changes``'s ``updates``).

Beside ``catalogue.db.PreparedInsert`` (the audit chain's insert): that one takes rows
already made, a value for every column of one table, and sends them straight to the
driver; this one makes the rows of several tables from ORM objects (children, foreign
keys, defaults, serial keys left to the database) and sends them through SQLAlchemy.
Sending these rows through ``PreparedInsert`` would save at most SQLAlchemy's share of
the inserts (docs/harvest.md, "Round 8": about 2.5 % of a harvest) and needs every
column given: not done.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm import Mapper, RelationshipDirection, Session, class_mapper
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from catalogue.db import Base


def insert_new(session: Session, objects: Iterable[object]) -> None:
    """Insert ``objects`` (new, with their one-to-many children) in ``session``'s transaction."""
    rows: dict[Table, list[dict[str, Any]]] = {}
    for obj in objects:
        _collect(obj, rows)
    for table in Base.metadata.sorted_tables:  # parents before children
        if rows.get(table):
            session.execute(insert(table), rows[table])


@dataclass(frozen=True)
class _Plan:
    """How one mapped class's objects become rows (read from its mapper once)."""

    table: Table
    #: (attribute, column key, the column's Python default or None, numbered by the database)
    columns: tuple[tuple[str, str, Any, bool], ...]
    #: Many-to-one: (attribute, [(this row's attribute, the target's attribute)]).
    parents: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    #: One-to-many saved with it: (attribute, [(the child's attribute, this row's attribute)]).
    children: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    #: Many-to-many attributes (refused).
    secondary: tuple[str, ...]


#: Each class's plan, read once.
_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _read_plan(cls)
    return plan


def _read_plan(cls: type) -> _Plan:
    mapper: Mapper[Any] = class_mapper(cls)
    table = mapper.local_table
    assert isinstance(table, Table)

    def key(target: Mapper[Any], column: Any) -> str:
        return target.get_property_by_column(column).key

    columns = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        numbered = bool(column.primary_key) and column.type.python_type is int and column.default is None
        columns.append((prop.key, column.key, column.default, numbered))
    parents, children, secondary = [], [], []
    for rel in mapper.relationships:
        if rel.secondary is not None:
            secondary.append(rel.key)
        elif rel.direction is RelationshipDirection.MANYTOONE:
            pairs = tuple(
                (key(mapper, local), key(rel.mapper, remote)) for local, remote in rel.local_remote_pairs
            )
            parents.append((rel.key, pairs))
        elif rel.direction is RelationshipDirection.ONETOMANY and rel.cascade.save_update:
            pairs = tuple(
                (key(rel.mapper, remote), key(mapper, local)) for local, remote in rel.local_remote_pairs
            )
            children.append((rel.key, pairs))
    return _Plan(table, tuple(columns), tuple(parents), tuple(children), tuple(secondary))


def _collect(obj: Any, rows: dict[Table, list[dict[str, Any]]]) -> None:
    state = instance_state(obj)
    if state.key is not None or state.session_id is not None:
        raise TypeError(f"{type(obj).__name__} is not a new object outside a session.")
    plan = _plan(type(obj))
    values = obj.__dict__
    for name in plan.secondary:
        if values.get(name):
            raise TypeError(f"{type(obj).__name__}.{name}: many-to-many rows are not written here.")
    for name, pairs in plan.parents:
        target = values.get(name)
        if target is not None:
            for mine, theirs in pairs:
                setattr(obj, mine, getattr(target, theirs))
    row: dict[str, Any] = {}
    for name, column, default, numbered in plan.columns:
        value = values.get(name)
        if value is None:
            if numbered:
                continue  # the database numbers it
            if default is not None:
                value = default.arg(None) if default.is_callable else default.arg
                setattr(obj, name, value)
        row[column] = value
    rows.setdefault(plan.table, []).append(row)
    for name, pairs in plan.children:
        for child in values.get(name) or ():
            for theirs, mine in pairs:
                setattr(child, theirs, getattr(obj, mine))
            _collect(child, rows)


def update_versioned(session: Session, changes: Sequence[tuple[Any, dict[str, Any]]]) -> None:
    """Write each object's ``values`` (the same columns for all, by attribute name) in
    ``session``'s transaction, version-checked, and set them on the objects as committed.

    The objects are persistent and of one mapped class with a ``version_id_col``; each
    row is updated only at the version the object holds, and its version goes up by one,
    as the unit of work's flush does. StaleDataError (nothing written) if a row was
    changed or deleted meanwhile."""
    if not changes:
        return
    mapper: Mapper[Any] = class_mapper(type(changes[0][0]))
    version = mapper.version_id_col
    table = mapper.local_table
    if version is None or not isinstance(table, Table):
        raise TypeError(f"{mapper.class_.__name__} has no version column.")
    version_key = mapper.get_property_by_column(version).key
    (key_column,) = mapper.primary_key
    key_attr = mapper.get_property_by_column(key_column).key
    names = sorted(changes[0][1])
    columns = {name: mapper.column_attrs[name].columns[0].key for name in names}
    statement = (
        update(table)
        .where(key_column == bindparam("_key"), version == bindparam("_version"))
        .values({columns[n]: bindparam(f"_v_{n}") for n in names} | {version.key: bindparam("_next")})
    )
    params = []
    for obj, values in changes:
        if sorted(values) != names:
            raise TypeError("update_versioned writes the same columns of every object.")
        current = getattr(obj, version_key)
        params.append(
            {"_key": getattr(obj, key_attr), "_version": current, "_next": current + 1}
            | {f"_v_{n}": values[n] for n in names}
        )
    connection = session.connection()
    if connection.dialect.supports_sane_multi_rowcount:
        matched = connection.execute(statement, params).rowcount
    else:
        matched = sum(connection.execute(statement, row).rowcount for row in params)
    if matched != len(params):
        raise StaleDataError(
            f"UPDATE of {table.name} expected to match {len(params)} rows; {matched} were matched."
        )
    for (obj, values), row in zip(changes, params, strict=True):
        for name in names:
            set_committed_value(obj, name, values[name])
        set_committed_value(obj, version_key, row["_next"])


__all__ = ["insert_new", "update_versioned"]
