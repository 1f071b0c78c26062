"""The policy's read filter as a SQL clause: the same rule as ``can_list``."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_

from catalogue.models import Entry
from security.policy import ReadFilter


def visible_clause(rf: ReadFilter) -> ColumnElement[bool]:
    if rf.matches_nothing:
        return false()
    status_ok: ColumnElement[bool] = (
        Entry.status.in_(sorted(rf.open_statuses)) if rf.open_statuses else false()
    )
    if rf.own_agency is not None:
        status_ok = or_(status_ok, Entry.publisher == rf.own_agency)
    return and_(Entry.listing_level.in_(sorted(rf.levels)), status_ok)
