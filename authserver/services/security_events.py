"""Audit events about access itself: tokens, logins, clients, people and keys.

Each is appended to the same hash chain as everything else, in its own write
transaction (or in the caller's, when the change it records is pending there).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from catalogue.db import begin_write
from catalogue.machinery.audit.chain import AuditLog, HeadAnchor
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


class RefusalTally:
    """Refusals from one address, aggregated per window so that a flood cannot grow
    the audit chain at will: the first refusal of an address's window is recorded at
    once; the rest are only counted, and recorded as one event carrying their count
    by the first refusal (from any address) after that window closed. What is lost
    when the process stops is at most the counts of the windows still open."""

    def __init__(self, window: float = 60.0, max_open: int = 10_000) -> None:
        self.window = window
        self.max_open = max_open
        #: address -> [window start, refusals after the first], oldest window first.
        self._open: dict[str | None, list[float]] = {}
        self._lock = threading.Lock()

    def note(self, address: str | None, now: float) -> tuple[bool, list[tuple[str | None, int, float]]]:
        """Whether this refusal opens its address's window (record it now), and the
        (address, count, window start) of the closed windows that counted more."""
        with self._lock:
            closed: list[tuple[str | None, int, float]] = []
            opening = address not in self._open
            # Windows open in time order, so the closed ones are at the front; when
            # too many are open, the oldest is closed early.
            for key, (start, count) in list(self._open.items()):
                if now - start < self.window and not (opening and len(self._open) >= self.max_open):
                    break
                del self._open[key]
                if count:
                    closed.append((key, int(count), start))
            current = self._open.get(address)
            if current is None:
                self._open[address] = [now, 0]
                return True, closed
            current[1] += 1
            return False, closed
