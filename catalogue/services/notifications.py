"""Work waiting for people: the in-app queue, and delivery by e-mail and webhook.

Notifications are written in the same transaction as the submission or decision
they announce; delivery happens after commit and is retried until it succeeds
(``tillit notifications send``), so a crash never loses one. Whichever service
writes one, ``on_notifications_committed`` hears of it from the session: after the
commit, never before, and never for a transaction that rolled back.

What leaves Tillit (an e-mail, a webhook) is a ``notice``: ids and kinds only,
never a title, a rationale or the message (nor a digest's count, level or source).
Whoever receives it reads the rest with their own token, under their own clearance
(``list_for``). An agency's channels are set by that agency's administrators only (or
the system, i.e. the operator's CLI): where an agency's notices go is the agency's own
decision.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from catalogue.db import begin_write, listens_for
from catalogue.errors import NotFound, PermissionDenied, ValidationFailed
from catalogue.models import Agency, AgencyChannel, Entry, Notification, utcnow
from catalogue.services.common import MAX_PER_PAGE, Page
from catalogue.timestamps import format_timestamp
from catalogue.visibility import visible_clause
from security import policy
from security.identity import REVIEW, WRITE, Identity
from security.outbound import OutboundPolicy, OutboundRefused, check_url

MAX_ATTEMPTS = 10
_WRITTEN = "tillit_notifications_written"


@dataclass(frozen=True)
class Delivery:
    """One notification and where it goes: its agency's email address for the audience, and webhook."""

    notification: Notification
    email_to: str | None
    webhook_url: str | None
    webhook_secret: str | None


class Deliverer(Protocol):
    """Sends one notification; raises on failure (it is then retried)."""

    def send_email(self, to: str, notice: dict[str, object]) -> None:
        """Email ``notice`` to ``to``; raise if it was not sent."""

    def send_webhook(self, url: str, secret: str, notice: dict[str, object]) -> None:
        """POST ``notice`` to ``url``, signed with ``secret``; raise if it was not accepted."""


def notice(note: Notification) -> dict[str, object]:
    """What may leave Tillit about a notification: ids and kinds, nothing an entry says."""
    sent: dict[str, object] = {
        "id": note.id,
        "kind": note.kind,
        "agency": note.agency,
        "audience": note.audience,
        "review": note.review_id,
        "entry": note.entry_id,
        "created": format_timestamp(note.created),
    }
    if note.digest is not None:  # a digest's (``reviews.requested``): where its reviews are listed
        sent["digest"] = note.digest
    return sent


class NotificationService:
    """The queues of data owners and security officers, their agencies' channels, and delivery."""

    def __init__(self, session: Session, outbound: OutboundPolicy | None = None) -> None:
        self.session = session
        self.outbound = outbound if outbound is not None else OutboundPolicy()

    def _audiences(self, identity: Identity) -> list[str]:
        audiences = []
        if identity.has_scope(REVIEW):
            audiences.append("security_officer")
        if identity.has_scope(WRITE):
            audiences.append("data_owner")
        return audiences

    def list_for(self, identity: Identity, *, page: int = 1, per_page: int = 20) -> Page[Notification]:
        """The caller's queue: its agency's notifications for its roles, about entries
        it may see (a notification never names an entry above the caller's clearance,
        and a digest, which names none, counts entries of a level the caller may read:
        catalogue/services/pending_reviews.py)."""
        audiences = self._audiences(identity)
        if identity.agency is None or not audiences:
            raise PermissionDenied("Notifications are for data owners and security officers.")
        readable = sorted(identity.readable_levels)
        conditions: list[ColumnElement[bool]] = [
            Notification.agency == identity.agency,
            Notification.audience.in_(audiences),
            or_(
                and_(
                    Notification.entry_id.is_(None),
                    or_(Notification.level.is_(None), Notification.level.in_(readable)),
                ),
                Notification.entry_id.in_(
                    select(Entry.id)
                    .where(visible_clause(policy.read_filter(identity)))
                    .where(Entry.classification.in_(readable))
                ),
            ),
        ]
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        total = self.session.scalar(select(func.count()).select_from(Notification).where(*conditions))
        rows = self.session.scalars(
            select(Notification)
            .where(*conditions)
            .order_by(Notification.id.desc())
            .limit(per_page)
            .offset((max(page, 1) - 1) * per_page)
        ).all()
        return Page(list(rows), int(total or 0), page, per_page)

    def set_channels(
        self,
        identity: Identity,
        agency: str,
        *,
        officer_email: str | None,
        owner_email: str | None,
        webhook_url: str | None,
    ) -> tuple[AgencyChannel, str | None]:
        """Where an agency hears of waiting work. A new webhook secret is returned once.

        Only the agency's own administrators (and the system) set them: a
        catalogue:admin of another agency is refused with 403 like a caller without
        the scope (agencies are public, so 404 would hide nothing)."""
        if not policy.can_admin(identity):
            raise PermissionDenied("Setting an agency's channels needs the catalogue:admin scope.")
        if not policy.can_admin_agency(identity, agency):
            raise PermissionDenied("An agency's channels are set by its own administrators.")
        if webhook_url:
            try:
                check_url(webhook_url, self.outbound)
            except OutboundRefused as exc:
                raise ValidationFailed({"webhook_url": [str(exc)]}) from exc
        begin_write(self.session)
        if self.session.get(Agency, agency) is None:
            raise NotFound("No agency with that organisation number.")
        channel = self.session.get(AgencyChannel, agency) or AgencyChannel(agency=agency)
        new_secret = None
        if webhook_url and (channel.webhook_url != webhook_url or not channel.webhook_secret):
            new_secret = secrets.token_urlsafe(32)
            channel.webhook_secret = new_secret
        if not webhook_url:
            channel.webhook_secret = None
        channel.officer_email, channel.owner_email, channel.webhook_url = (
            officer_email,
            owner_email,
            webhook_url,
        )
        self.session.add(channel)
        self.session.commit()
        return channel, new_secret

    def deliver_pending(self, identity: Identity, deliverer: Deliverer, limit: int = 200) -> int:
        """Send what has not been sent yet; returns how many were delivered."""
        if not identity.is_system:
            raise PermissionDenied("Delivery runs as the system.")
        pending = self.session.scalars(
            select(Notification)
            .where(
                Notification.attempts < MAX_ATTEMPTS,
                or_(Notification.email_sent.is_(None), Notification.webhook_sent.is_(None)),
            )
            .order_by(Notification.id)
            .limit(limit)
        ).all()
        delivered = 0
        for item in self._deliveries(pending):
            note = item.notification
            ok = True
            try:
                if item.email_to and note.email_sent is None:
                    deliverer.send_email(item.email_to, notice(note))
                    note.email_sent = utcnow()
                if item.webhook_url and item.webhook_secret and note.webhook_sent is None:
                    deliverer.send_webhook(item.webhook_url, item.webhook_secret, notice(note))
                    note.webhook_sent = utcnow()
            except Exception:  # a failed channel is retried on the next run
                ok = False
                note.attempts += 1
            # A channel that is not configured counts as done.
            if not item.email_to and note.email_sent is None:
                note.email_sent = utcnow()
            if not item.webhook_url and note.webhook_sent is None:
                note.webhook_sent = utcnow()
            delivered += ok
        self.session.commit()
        return delivered

    def _deliveries(self, notes: Sequence[Notification]) -> list[Delivery]:
        channels = {
            c.agency: c
            for c in self.session.scalars(
                select(AgencyChannel).where(AgencyChannel.agency.in_({n.agency for n in notes}))
            ).all()
        }
        out = []
        for note in notes:
            channel = channels.get(note.agency)
            email = None
            if channel is not None:
                email = channel.officer_email if note.audience == "security_officer" else channel.owner_email
            out.append(
                Delivery(
                    note,
                    email,
                    channel.webhook_url if channel else None,
                    channel.webhook_secret if channel else None,
                )
            )
        return out


def on_notifications_committed(sessions: sessionmaker[Session], committed: Callable[[], None]) -> None:
    """Call ``committed`` after each commit of a transaction that wrote a notification.

    A rolled-back transaction calls nothing. The call is a nudge, not the data:
    delivery reads the committed rows (``deliver_pending``), so a nudge can never
    send a notification that does not exist, and one that is never nudged (a crash,
    a command) waits for ``tillit notifications send``. (After a savepoint rolled
    back, the nudge of the enclosing commit may find nothing to send.)"""

    @listens_for(sessions, "after_flush")
    def _note(session: Session, _context: Any) -> None:
        if not session.info.get(_WRITTEN) and any(isinstance(obj, Notification) for obj in session.new):
            session.info[_WRITTEN] = True

    # Notifications written by Core inserts (``catalogue.new_rows``: a bulk submission's).
    @listens_for(sessions, "do_orm_execute")
    def _inserted(state: ORMExecuteState) -> None:
        if state.is_insert and getattr(state.statement, "table", None) is Notification.__table__:
            state.session.info[_WRITTEN] = True

    @listens_for(sessions, "after_commit")
    def _committed(session: Session) -> None:
        if session.info.pop(_WRITTEN, False):
            committed()

    @listens_for(sessions, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(_WRITTEN, None)
