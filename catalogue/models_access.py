"""Tables of access requests and the grants they end in (docs/access.md).

An ``AccessRequest`` is one agency's "may we?" about another agency's entry; a
``Grant`` is the provider's decision to let it, with the law on both sides. A grant
becomes the OAuth scope ``grant:<id>`` on Tillit's authorization server while it is
active; ``GrantToken`` remembers each access token issued with that scope, so that
revoking the grant can deny those tokens by their ``jti`` (the existing deny-list).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ColumnElement, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from catalogue.db import Base
from catalogue.models import new_id, utcnow
from catalogue.timestamps import UtcDateTime


class AccessRequest(Base):
    """A request for access to an entry, or to named operations of an API.

    ``steps`` is the request's own record of each change of state (who, when, why);
    the same steps are events in the audit chain, committed with the change."""

    __tablename__ = "access_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    requester_agency: Mapped[str] = mapped_column(ForeignKey("agencies.orgnr"), index=True)
    #: The subject that asked: a person's user id, or a client id (automated renewals).
    requested_by: Mapped[str] = mapped_column(String(200))
    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id"), index=True)
    #: The entry's publisher when the request was made: whose officers decide.
    provider_agency: Mapped[str] = mapped_column(String(20), index=True)
    #: Operations asked for (operationId, or "METHOD /path"); empty: the whole entry.
    operations: Mapped[list[str]] = mapped_column(JSON, default=list)
    purpose: Mapped[str] = mapped_column(Text)
    #: A purpose concept of the Data Privacy Vocabulary (``catalogue.access.PURPOSES``).
    purpose_code: Mapped[str] = mapped_column(String(100))
    #: The requester's own processing bases (legal bases of role ``processing``).
    processing_basis: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    data_elements: Mapped[list[str]] = mapped_column(JSON, default=list)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    #: The consuming system: a Tillit client of the requester, or an X-Road subsystem.
    consumer_client_id: Mapped[str | None] = mapped_column(String(64))
    consumer_xroad: Mapped[str | None] = mapped_column(String(400))
    contact: Mapped[dict[str, str]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    #: The grant this request renews, if it was made by ``renew``.
    renews: Mapped[str | None] = mapped_column(String(36))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    assessed_by: Mapped[str | None] = mapped_column(String(200))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: The reason the requester reads: a refusal's reason, a grant's rationale, a withdrawal's.
    reason: Mapped[str | None] = mapped_column(Text)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012
    __table_args__ = (Index("ix_access_requests_provider_state", "provider_agency", "state"),)


class Grant(Base):
    """A decision to give an agency access, with both legal bases; a final record
    except for its revocation."""

    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("access_requests.id"), index=True)
    provider_agency: Mapped[str] = mapped_column(String(20), index=True)
    subject_agency: Mapped[str] = mapped_column(String(20), index=True)
    subject_client_id: Mapped[str | None] = mapped_column(String(64), index=True)
    subject_xroad: Mapped[str | None] = mapped_column(String(400))
    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id"), index=True)
    #: Operations granted; empty: the whole entry.
    operations: Mapped[list[str]] = mapped_column(JSON, default=list)
    data_elements: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_from: Mapped[date] = mapped_column(Date)
    #: The last day the grant is valid (inclusive, UTC).
    valid_until: Mapped[date] = mapped_column(Date, index=True)
    processing_basis: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: The entry's disclosure basis the decision relies on (None: the entry is open).
    disclosure_basis: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    rationale: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    #: When both sides were told that the grant expires within 30 days.
    expiry_notified: Mapped[bool] = mapped_column(Boolean, default=False)


class GrantToken(Base):
    """An access token issued with a grant's scope: denied by its jti when the grant is revoked."""

    __tablename__ = "grant_tokens"

    jti: Mapped[str] = mapped_column(String(128), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), primary_key=True, index=True)
    expires: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


def active_now(today: date) -> tuple[ColumnElement[bool], ...]:
    """A grant is active on ``today`` (UTC): not revoked, and today within its validity."""
    return (Grant.revoked_at.is_(None), Grant.valid_from <= today, Grant.valid_until >= today)
