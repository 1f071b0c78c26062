"""Audit events about access itself: tokens, logins, clients, people and keys.

Each is appended to the same hash chain as everything else, in its own write
transaction (or in the caller's, when the change it records is pending there).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from catalogue.audit import AuditLog, HeadAnchor
from catalogue.db import begin_write
from security.identity import Identity, build_identity
from security.levels import ClassificationScheme


def principal(
    scheme: ClassificationScheme,
    subject: str,
    agency: str | None,
    *,
    client_id: str | None = None,
    address: str | None = None,
) -> Identity:
    """An identity for the log only (no scopes): who a security event is about."""
    identity = build_identity(
        scheme,
        kind="user" if client_id is None else "client",
        subject=subject,
        agency=agency,
        scopes=(),
        client_id=client_id,
    )
    return identity if address is None else replace(identity, address=address)


def record_security_event(
    session: Session,
    identity: Identity,
    action: str,
    details: dict[str, Any],
    *,
    decision: str = "allow",
    anchor: HeadAnchor | None = None,
    own_transaction: bool = True,
) -> None:
    if own_transaction:
        begin_write(session)
    AuditLog(session, anchor).record(identity, action, decision=decision, details=details)
    if own_transaction:
        session.commit()
