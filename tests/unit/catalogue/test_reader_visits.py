"""Reads grouped into visits (catalogue.services.reader_visits): one line per reader per
half hour from their first read, with what was shown and how many reads it holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from catalogue.services.reader_visits import VISIT_SECONDS, visits_of

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def _read(seq, seconds, actor="kari", view="full", action="entry.read", decision="allow", client=None):
    details = {"view": view} if action == "entry.read" else {"answered": 404}
    return (seq, T0 + timedelta(seconds=seconds), actor, "974761076", client, action, decision, details)


def test_the_viewer_and_its_document_are_one_visit():
    visits = visits_of([_read(1, 0), _read(2, 1), _read(3, 2)])  # entry page, viewer, document
    assert [(v.first_seq, v.reads, v.shown) for v in visits] == [(1, 3, ["full"])]


def test_a_visit_ends_half_an_hour_after_its_first_read():
    events = [
        _read(1, 0),
        _read(2, VISIT_SECONDS - 1),
        _read(3, VISIT_SECONDS + 1),
        _read(4, VISIT_SECONDS + 2),
    ]
    visits = visits_of(events)
    assert [(v.first_seq, v.reads) for v in visits] == [(3, 2), (1, 2)]  # newest first


def test_readers_are_apart_and_what_was_shown_is_kept():
    events = [
        _read(1, 0, actor="ola", view="summary"),
        _read(2, 1, actor="kari"),
        _read(3, 2, actor="ola", action="entry.openapi", decision="deny"),
        _read(4, 3, actor="kari", client="app-1"),  # the same person through another client
    ]
    visits = visits_of(events)
    assert [(v.reader[0], v.reader[2], v.shown) for v in visits] == [
        ("kari", "app-1", ["full"]),
        ("kari", None, ["full"]),
        ("ola", None, ["summary", "openapi-refused"]),
    ]
