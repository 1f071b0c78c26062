"""Date-times: stored in UTC, read back aware in UTC, written out in one RFC 3339 form.

One column type and one output form, for every date-time Tillit keeps or answers with:

* :class:`UtcDateTime` is the type of every date-time column. It refuses a naive
  datetime on the way in (whose clock it is cannot be known), converts an aware one to
  UTC, and hands back an aware UTC datetime whatever the engine returns: SQLite keeps
  no offset and gives back naive values; PostgreSQL gives back ``timestamptz`` in the
  session's time zone. It also applies to values compared with a column
  (``AuditEvent.at >= since``), so SQLite compares UTC with UTC. The storage is that of
  ``DateTime(timezone=True)``, unchanged, so no migration was needed.
* :func:`format_timestamp` is the one written form: ``2026-12-04T16:52:29.212622Z``,
  UTC as ``Z`` and always six fractional digits, so equal instants are equal strings and
  strings sort as the instants do. It is the form the audit chain has always hashed
  (``catalogue.machinery.audit.chain``), so an exported event and a listed one agree.
* :class:`Timestamp` is the marshmallow field that dumps with it (documented in
  OpenAPI as ``format: date-time``, like any ``DateTime`` field).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import fields
from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["Timestamp", "UtcDateTime", "format_timestamp"]


def format_timestamp(moment: datetime) -> str:
    """``moment`` (aware) in UTC as RFC 3339: ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    if moment.tzinfo is None:
        raise ValueError("A naive datetime has no known offset; use an aware one")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class UtcDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that stores UTC and always returns aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """The value in UTC for the database; a naive datetime is refused (ValueError)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("A naive datetime has no known offset; use an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """The stored value as an aware UTC datetime, whatever the engine returned."""
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite keeps no offset; what it holds was stored as UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Timestamp(fields.DateTime):
    """A date-time written in Tillit's one form (:func:`format_timestamp`)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return format_timestamp(value)
