"""Reading the audit log, which obeys the same read rule as everything else.

An event about an entry is shown only to a reader who may read that entry *now*
(``policy.read_filter`` and the entry's current classification, in SQL) and who
was cleared for the level the entry had when the event happened. Ids of other
entries inside an event's details are shown only as far as the reader may list
those entries: a hidden one is dropped from a list, a single one becomes null,
and the event is marked ``redacted`` (its hash then covers details not shown).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, TypedDict, Unpack

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from catalogue.db import begin_write
from catalogue.errors import NotFound, PermissionDenied
from catalogue.models import AuditEvent, Entry
from catalogue.ports import AuditChain, RefusalNotes, Verification
from catalogue.services.common import MAX_PER_PAGE, Page
from catalogue.services.reader_visits import READ_ACTIONS, Visit, page_of, visits_of
from catalogue.visibility import visible_clause
from security import policy
from security.identity import Identity

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
EXPORT_BATCH = 2000


@dataclass(frozen=True)
class ShownEvent:
    """An event as one reader is shown it."""

    event: AuditEvent
    #: The event's details without ids of entries the reader may not list.
    details: dict[str, Any]
    #: True when something was left out of ``details`` (the hash covers the original).
    redacted: bool
    #: What the event's hash covers, and the hash (``AuditChain.exported``).
    covered: dict[str, Any]

    def exported(self) -> dict[str, Any]:
        """What the hash covers and the hash, with the details as shown."""
        out = {**self.covered, "details": self.details}
        if self.redacted:
            out["redacted"] = True
        return out


def as_json_lines(events: Iterable[ShownEvent]) -> Iterator[str]:
    """The events as JSON Lines, one exported event per line."""
    for shown in events:
        yield json.dumps(shown.exported(), ensure_ascii=False) + "\n"


def _ids_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if _UUID.fullmatch(value):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _ids_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ids_in(item)


def _without(value: Any, hidden: set[str]) -> Any:
    """``value`` with every id in ``hidden`` taken out of lists, and null in its place elsewhere."""
    if isinstance(value, str):
        return None if value in hidden else value
    if isinstance(value, dict):
        return {k: _without(v, hidden) for k, v in value.items()}
    if isinstance(value, list):
        return [_without(v, hidden) for v in value if not (isinstance(v, str) and v in hidden)]
    return value


class AuditFilters(TypedDict, total=False):
    """What a listing or an export of the audit log may be narrowed by (None: not)."""

    entry: str | None
    actor: str | None
    agency: str | None
    action: str | None
    since: datetime | None
    until: datetime | None


class AuditService:
    """Reading and verifying the audit log, within the reader's clearance; each read is logged too."""

    def __init__(self, session: Session, chain: AuditChain, refusals: RefusalNotes | None = None) -> None:
        self.session = session
        #: The hash chain (catalogue.machinery.audit), reached through its port.
        self.chain = chain
        #: Refusals noted but not yet written: written before the log is read.
        self.refusals = refusals

    def _written(self) -> None:
        """Write the refusals this process has answered but not yet recorded, so that
        the log read next shows them."""
        if self.refusals is not None:
            self.refusals.flush()

    def _conditions(self, identity: Identity, **filters: Unpack[AuditFilters]) -> list[ColumnElement[bool]]:
        # An event about an entry follows the entry: the reader may read it now (one
        # rule with every other read: visible_clause(policy.read_filter) and its current
        # classification), and was cleared for the level it had then.
        readable = sorted(identity.readable_levels)
        conditions: list[ColumnElement[bool]] = [
            or_(
                AuditEvent.entry_id.is_(None),
                and_(
                    AuditEvent.entry_id.in_(
                        select(Entry.id).where(
                            visible_clause(policy.read_filter(identity)), Entry.classification.in_(readable)
                        )
                    ),
                    AuditEvent.entry_level.in_(readable),
                ),
            )
        ]
        if entry := filters.get("entry"):
            conditions.append(AuditEvent.entry_id == entry)
        if actor := filters.get("actor"):
            conditions.append(AuditEvent.actor == actor)
        if agency := filters.get("agency"):
            conditions.append(or_(AuditEvent.actor_agency == agency, AuditEvent.entry_agency == agency))
        if action := filters.get("action"):
            conditions.append(AuditEvent.action == action)
        if since := filters.get("since"):
            conditions.append(AuditEvent.at >= since)
        if until := filters.get("until"):
            conditions.append(AuditEvent.at < until)
        return conditions

    def list_events(
        self, identity: Identity, *, page: int = 1, per_page: int = 50, **filters: Unpack[AuditFilters]
    ) -> Page[ShownEvent]:
        """A page of the events the auditor may see, newest first; PermissionDenied without the scope."""
        if not policy.can_audit(identity):
            raise PermissionDenied("Reading the audit log needs the catalogue:audit scope.")
        self._written()
        conditions = self._conditions(identity, **filters)
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        total = self.session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions))
        rows = self.session.scalars(
            select(AuditEvent)
            .where(*conditions)
            .order_by(AuditEvent.seq.desc())
            .limit(per_page)
            .offset((max(page, 1) - 1) * per_page)
        ).all()
        shown = self._shown(identity, rows)
        self._record(identity, "audit.read", filters)
        return Page(shown, int(total or 0), page, per_page)

    def export(self, identity: Identity, **filters: Unpack[AuditFilters]) -> Iterator[ShownEvent]:
        """Every matching event, oldest first (for JSON Lines)."""
        if not policy.can_audit(identity):
            raise PermissionDenied("Exporting the audit log needs the catalogue:audit scope.")
        self._written()
        conditions = self._conditions(identity, **filters)
        self._record(identity, "audit.export", filters)
        query = select(AuditEvent).where(*conditions).order_by(AuditEvent.seq)
        events = self.session.scalars(query.execution_options(yield_per=EXPORT_BATCH))
        while batch := list(islice(events, EXPORT_BATCH)):
            yield from self._shown(identity, batch)

    def _shown(self, identity: Identity, events: Sequence[AuditEvent]) -> list[ShownEvent]:
        """The events with their details redacted for ``identity`` (one query)."""
        named = {i for event in events for i in _ids_in(event.details)}
        hidden: set[str] = set()
        if named and not identity.is_system:
            rows = self.session.execute(
                select(Entry.id, visible_clause(policy.read_filter(identity))).where(Entry.id.in_(named))
            ).all()
            hidden = {entry_id for entry_id, visible in rows if not visible}
        shown = []
        for event in events:
            details = event.details or {}
            redacted = bool(hidden) and any(i in hidden for i in _ids_in(details))
            shown_details = _without(details, hidden) if redacted else details
            shown.append(ShownEvent(event, shown_details, redacted, self.chain.exported(event)))
        return shown

    def readers(
        self, identity: Identity, entry_id: str, *, page: int = 1, per_page: int = 50
    ) -> Page[AuditEvent]:
        """Who has seen this entry: for the publishing agency (and auditors)."""
        conditions = self._reads_of(identity, entry_id)
        total = self.session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions))
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        rows = self.session.scalars(
            select(AuditEvent)
            .where(*conditions)
            .order_by(AuditEvent.seq.desc())
            .limit(per_page)
            .offset((max(page, 1) - 1) * per_page)
        ).all()
        return Page(list(rows), int(total or 0), page, per_page)

    def reader_visits(
        self, identity: Identity, entry_id: str, *, page: int = 1, per_page: int = 50
    ) -> Page[tuple[Visit, AuditEvent]]:
        """Who has seen this entry, one item per visit (``catalogue.services.reader_visits``),
        newest first, each with its first event (the reader); for whom ``readers`` allows.
        Groups every read of the entry in memory: one row of five columns per read."""
        conditions = self._reads_of(identity, entry_id)
        rows = self.session.execute(
            select(
                AuditEvent.seq,
                AuditEvent.at,
                AuditEvent.actor,
                AuditEvent.actor_agency,
                AuditEvent.client_id,
                AuditEvent.action,
                AuditEvent.decision,
                AuditEvent.details,
            )
            .where(*conditions)
            .order_by(AuditEvent.seq)
        ).all()
        visits = visits_of(tuple(row) for row in rows)
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        shown = page_of(visits, page, per_page)
        firsts = {
            e.seq: e
            for e in self.session.scalars(
                select(AuditEvent).where(AuditEvent.seq.in_([v.first_seq for v in shown]))
            )
        }
        return Page([(v, firsts[v.first_seq]) for v in shown], len(visits), page, per_page)

    def _reads_of(self, identity: Identity, entry_id: str) -> list[ColumnElement[bool]]:
        """The conditions selecting the reads of an entry, for the publishing agency (and
        auditors cleared for the entry); NotFound or PermissionDenied for anyone else."""
        self._written()  # before this session's first read: its snapshot then includes them
        entry = self.session.get(Entry, entry_id) if len(entry_id) == 36 else None
        if entry is None or not policy.can_list(identity, entry.facts):
            raise NotFound("No entry with that id.")
        # An auditor, too, needs clearance for the entry itself: events about an entry
        # above its clearance are never shown to it.
        auditor = policy.can_audit(identity) and policy.can_read(identity, entry.facts)
        if not (policy.can_see_reviews(identity, entry.facts) or auditor):
            raise PermissionDenied("Only the publishing agency sees who has read its entries.")
        return [AuditEvent.entry_id == entry.id, AuditEvent.action.in_(READ_ACTIONS)]

    def verify(self, identity: Identity) -> Verification:
        """Check the hash chain (and its anchor); PermissionDenied without the audit scope."""
        if not policy.can_audit(identity):
            raise PermissionDenied("Verifying the audit log needs the catalogue:audit scope.")
        return self.chain.verify(self.session)

    def _record(self, identity: Identity, action: str, filters: AuditFilters) -> None:
        details = {k: str(v) for k, v in filters.items() if v is not None}
        begin_write(self.session)
        self.chain.trail(self.session).record(identity, action, details=details)
        self.session.commit()
