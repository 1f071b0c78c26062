"""New ORM objects written by Core: one ``INSERT`` (executemany) per table for a group.

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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Mapper, RelationshipDirection, Session, class_mapper
from sqlalchemy.orm.attributes import instance_state

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


__all__ = ["insert_new"]
