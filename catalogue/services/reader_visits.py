"""Who has read an entry, one line per visit: the reads of one reader that belong together.

The audit log records every answer that served an entry (docs/reviews-and-audit.md): a
person opening an API's OpenAPI viewer is served the viewer page (a read of the entry) and,
a moment later, the document the viewer's script fetches (another read). Both stay in the
log, as served. The publisher asking "who has read this" wants people, not requests, so the
readers list groups them into **visits**:

    A visit is the reads of one entry by one reader (the same actor, of the same agency,
    through the same client) that begin no later than ``VISIT_SECONDS`` after that
    reader's first read of the visit. The next read after that begins a new visit.

A window from the visit's first read (not from the last one) keeps a visit bounded: a
program reading the entry every minute shows as one line per half hour, not one line
forever. Thirty minutes is the pages' idle time-out by default (TILLIT_WEB_SESSION_IDLE_SECONDS):
one sitting. Each visit says what was shown in it (the whole entry, the summary, the OpenAPI
document; a refusal of the document is shown as such) and how many reads it holds, so
nothing the log records is hidden from the list, only folded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

VISIT_SECONDS = 30 * 60
#: The audit actions that are reads of an entry (the readers list's events).
READ_ACTIONS = ("entry.read", "entry.openapi")


@dataclass
class Visit:
    """One reader's reads of one entry within one visit, oldest first."""

    #: The visit's first event (who, agency, client, address, level: the list shows its reader).
    first_seq: int
    reader: tuple[str, str | None, str | None]
    started: datetime
    ended: datetime
    #: What was shown: "full", "summary", "openapi" (the document refused: "openapi-refused").
    shown: list[str] = field(default_factory=list)
    reads: int = 0

    def add(self, at: datetime, what: str) -> None:
        """Count one more read of the visit, made at ``at``, that showed ``what``."""
        self.ended = max(self.ended, at)
        self.reads += 1
        if what and what not in self.shown:
            self.shown.append(what)


def what_was_shown(action: str, decision: str, details: dict[str, Any] | None) -> str:
    """The part of the entry one read event answered with (or was refused)."""
    if action == "entry.openapi":
        return "openapi" if decision == "allow" else "openapi-refused"
    return str((details or {}).get("view") or "")


def visits_of(
    events: Iterable[tuple[int, datetime, str, str | None, str | None, str, str, dict[str, Any] | None]],
    window_seconds: int = VISIT_SECONDS,
) -> list[Visit]:
    """Group read events (seq, at, actor, agency, client, action, decision, details), oldest
    first, into visits; newest visit first."""
    window = timedelta(seconds=window_seconds)
    open_visits: dict[tuple[str, str | None, str | None], Visit] = {}
    visits: list[Visit] = []
    for seq, at, actor, agency, client, action, decision, details in events:
        reader = (actor, agency, client)
        visit = open_visits.get(reader)
        if visit is None or at - visit.started > window:
            visit = open_visits[reader] = Visit(seq, reader, at, at)
            visits.append(visit)
        visit.add(at, what_was_shown(action, decision, details))
    visits.reverse()
    return visits


def page_of(visits: Sequence[Visit], page: int, per_page: int) -> list[Visit]:
    """Page ``page`` (from 1) of ``visits``, ``per_page`` to a page."""
    start = (max(page, 1) - 1) * per_page
    return list(visits[start : start + per_page])
