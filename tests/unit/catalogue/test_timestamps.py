"""One column type and one written form for every date-time (catalogue/timestamps.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import postgresql, sqlite

import catalogue.models_auth  # noqa: F401  (its tables join the metadata)
from catalogue.db import Base
from catalogue.timestamps import Timestamp, UtcDateTime, format_timestamp

KOLKATA = timezone(timedelta(hours=5, minutes=30))
MOMENT = datetime(2026, 12, 4, 16, 52, 29, 212622, tzinfo=UTC)


def test_every_date_time_column_is_utc():
    date_times = [
        column
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, DateTime) or isinstance(getattr(column.type, "impl", None), DateTime)
    ]
    assert len(date_times) > 15
    assert [str(c) for c in date_times if not isinstance(c.type, UtcDateTime)] == []


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_values_come_back_aware_in_utc(dialect):
    column = UtcDateTime()
    assert column.process_result_value(MOMENT.replace(tzinfo=None), dialect) == MOMENT  # SQLite: naive UTC
    back = column.process_result_value(MOMENT.astimezone(KOLKATA), dialect)  # PostgreSQL: the session's zone
    assert back == MOMENT and back.utcoffset() == timedelta(0)
    assert column.process_result_value(None, dialect) is None


def test_values_go_in_as_utc_and_naive_ones_are_refused():
    column = UtcDateTime()
    stored = column.process_bind_param(MOMENT.astimezone(KOLKATA), sqlite.dialect())
    assert stored is not None and stored.utcoffset() == timedelta(0) and stored == MOMENT
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(datetime(2026, 1, 1), sqlite.dialect())


def test_one_written_form():
    assert format_timestamp(MOMENT) == "2026-12-04T16:52:29.212622Z"
    assert format_timestamp(MOMENT.astimezone(KOLKATA)) == "2026-12-04T16:52:29.212622Z"
    assert format_timestamp(MOMENT.replace(microsecond=0)) == "2026-12-04T16:52:29.000000Z"
    assert datetime.fromisoformat(format_timestamp(MOMENT)) == MOMENT
    with pytest.raises(ValueError, match="naive"):
        format_timestamp(datetime(2026, 1, 1))


def test_the_field_dumps_the_one_form():
    field = Timestamp(allow_none=True)
    assert field.serialize("at", {"at": MOMENT.astimezone(KOLKATA)}) == "2026-12-04T16:52:29.212622Z"
    assert field.serialize("at", {"at": None}) is None
