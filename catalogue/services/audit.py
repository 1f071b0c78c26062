"""Reading the audit log, which obeys clearance like everything else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from catalogue.audit import AuditLog, HeadAnchor, Verification, verify_chain
from catalogue.audit_refusals import RefusalLog
from catalogue.db import begin_write
from catalogue.errors import NotFound, PermissionDenied
from catalogue.models import AuditEvent, Entry
from catalogue.services.common import MAX_PER_PAGE, Page
from security import policy
from security.identity import Identity


class AuditService:
    def __init__(
        self, session: Session, anchor: HeadAnchor | None = None, refusals: RefusalLog | None = None
    ) -> None:
        self.session = session
        self.anchor = anchor
        #: Refusals noted but not yet written: written before the log is read.
        self.refusals = refusals

    def _written(self) -> None:
        """Write the refusals this process has answered but not yet recorded, so that
        the log read next shows them."""
        if self.refusals is not None:
            self.refusals.flush()

    def _conditions(
        self,
        identity: Identity,
        *,
        entry: str | None = None,
        actor: str | None = None,
        agency: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ColumnElement[bool]]:
        # An auditor never sees events about entries above its own clearance.
        conditions: list[ColumnElement[bool]] = [
            or_(
                AuditEvent.entry_level.is_(None), AuditEvent.entry_level.in_(sorted(identity.readable_levels))
            )
        ]
        if entry:
            conditions.append(AuditEvent.entry_id == entry)
        if actor:
            conditions.append(AuditEvent.actor == actor)
        if agency:
            conditions.append(or_(AuditEvent.actor_agency == agency, AuditEvent.entry_agency == agency))
        if action:
            conditions.append(AuditEvent.action == action)
        if since:
            conditions.append(AuditEvent.at >= since)
        if until:
            conditions.append(AuditEvent.at < until)
        return conditions

    def list_events(
        self, identity: Identity, *, page: int = 1, per_page: int = 50, **filters: object
    ) -> Page[AuditEvent]:
        if not policy.can_audit(identity):
            raise PermissionDenied("Reading the audit log needs the catalogue:audit scope.")
        self._written()
        conditions = self._conditions(identity, **filters)  # type: ignore[arg-type]
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        total = self.session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions))
        rows = self.session.scalars(
            select(AuditEvent)
            .where(*conditions)
            .order_by(AuditEvent.seq.desc())
            .limit(per_page)
            .offset((max(page, 1) - 1) * per_page)
        ).all()
        self._record(identity, "audit.read", filters)
        return Page(list(rows), int(total or 0), page, per_page)

    def export(self, identity: Identity, **filters: object) -> Iterator[AuditEvent]:
        """Every matching event, oldest first (for JSON Lines)."""
        if not policy.can_audit(identity):
            raise PermissionDenied("Exporting the audit log needs the catalogue:audit scope.")
        self._written()
        conditions = self._conditions(identity, **filters)  # type: ignore[arg-type]
        self._record(identity, "audit.export", filters)
        result = self.session.execute(
            select(AuditEvent).where(*conditions).order_by(AuditEvent.seq).execution_options(yield_per=2000)
        )
        yield from result.scalars()

    def readers(
        self, identity: Identity, entry_id: str, *, page: int = 1, per_page: int = 50
    ) -> Page[AuditEvent]:
        """Who has seen this entry: for the publishing agency (and auditors)."""
        self._written()  # before this session's first read: its snapshot then includes them
        entry = self.session.get(Entry, entry_id) if len(entry_id) == 36 else None
        if entry is None or not policy.can_list(identity, entry.facts):
            raise NotFound("No entry with that id.")
        # An auditor, too, needs clearance for the entry itself: events about an entry
        # above its clearance are never shown to it.
        auditor = policy.can_audit(identity) and policy.can_read(identity, entry.facts)
        if not (policy.can_see_reviews(identity, entry.facts) or auditor):
            raise PermissionDenied("Only the publishing agency sees who has read its entries.")
        conditions = [AuditEvent.entry_id == entry.id, AuditEvent.action.in_(["entry.read", "entry.openapi"])]
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

    def verify(self, identity: Identity) -> Verification:
        if not policy.can_audit(identity):
            raise PermissionDenied("Verifying the audit log needs the catalogue:audit scope.")
        return verify_chain(self.session, self.anchor)

    def _record(self, identity: Identity, action: str, filters: dict[str, object]) -> None:
        details = {k: str(v) for k, v in filters.items() if v is not None}
        begin_write(self.session)
        AuditLog(self.session, self.anchor).record(identity, action, details=details)
        self.session.commit()
