"""The tamper-evident audit log: append-only, hash-chained, anchored outside the database.

Each event's hash covers its fields and the previous event's hash. ``prev_hash``
is unique in the table, so two appends can never share a predecessor (no fork).
Appends are serialised: PostgreSQL takes a transaction-level advisory lock,
SQLite writers hold the database write lock from BEGIN IMMEDIATE.
The newest (seq, hash) is also written to a file outside the database, so cutting
off the newest events is detected as well.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from catalogue.models import AuditEvent, Entry, utcnow
from security.identity import Identity

GENESIS = "0" * 64
ADVISORY_LOCK_KEY = 7_405_522_011  # arbitrary, constant: "the audit chain"
ANCHOR_FILE = "audit-head.json"
# Threads of one process take turns (processes may only make the anchor lag, which
# verification tolerates; it never runs ahead of the committed chain).
_ANCHOR_LOCK = threading.Lock()


def _timestamp(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite gives back naive UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hashed_fields(event: AuditEvent) -> dict[str, Any]:
    """Everything the event's hash covers (all but the hash itself)."""
    return {
        "seq": event.seq,
        "at": _timestamp(event.at),
        "action": event.action,
        "decision": event.decision,
        "actor": event.actor,
        "actor_agency": event.actor_agency,
        "client_id": event.client_id,
        "address": event.address,
        "entry_id": event.entry_id,
        "entry_agency": event.entry_agency,
        "entry_level": event.entry_level,
        "details": event.details or {},
        "prev_hash": event.prev_hash,
    }


def event_hash(event: AuditEvent) -> str:
    canonical = json.dumps(hashed_fields(event), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class HeadAnchor:
    """The chain's newest (seq, hash), kept in a file beside the database."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def in_folder(cls, folder: str | Path) -> HeadAnchor:
        return cls(Path(folder) / ANCHOR_FILE)

    def read(self) -> tuple[int, str] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return int(data["seq"]), str(data["hash"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            return (-1, "unreadable")

    def advance(self, seq: int, digest: str) -> None:
        """Move the anchor forward (never back), atomically."""
        with _ANCHOR_LOCK:
            current = self.read()
            if current is not None and current[0] >= seq:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps({"seq": seq, "hash": digest}), encoding="utf-8")
            os.replace(tmp, self.path)


class AuditLog:
    """Appends events inside the caller's transaction: an action and its event
    commit together or not at all."""

    def __init__(self, session: Session, anchor: HeadAnchor | None = None) -> None:
        self.session = session
        self.anchor = anchor

    def record(
        self,
        identity: Identity,
        action: str,
        *,
        decision: str = "allow",
        entry: Entry | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEvent:
        return self.record_many(identity, action, [(entry, details)], decision=decision)[0]

    def record_many(
        self,
        identity: Identity,
        action: str,
        items: Sequence[tuple[Entry | None, dict[str, Any] | None]],
        *,
        decision: str = "allow",
    ) -> list[AuditEvent]:
        """Append one event per (entry, details), chained in order, in one flush."""
        self._lock()
        head = self.session.execute(
            select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        ).first()
        seq, prev = (head[0], head[1]) if head else (0, GENESIS)
        now = utcnow()
        events = []
        for entry, details in items:
            seq += 1
            event = AuditEvent(
                seq=seq,
                at=now,
                action=action,
                decision=decision,
                actor=identity.subject,
                actor_agency=identity.agency,
                client_id=identity.client_id,
                address=identity.address,
                entry_id=entry.id if entry is not None else None,
                entry_agency=entry.publisher if entry is not None else None,
                entry_level=entry.classification if entry is not None else None,
                details=details or {},
                prev_hash=prev,
            )
            event.hash = prev = event_hash(event)
            events.append(event)
        self.session.add_all(events)
        self.session.flush()
        if self.anchor is not None and events:
            # The anchor moves only once the events are durable (after commit).
            self.session.info.setdefault("audit_heads", []).append((seq, prev, self.anchor))
        return events

    def _lock(self) -> None:
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK_KEY})


def advance_anchors(session: Session) -> None:
    """After a commit: move the external anchor to the newest committed event."""
    heads = session.info.pop("audit_heads", [])
    if heads:
        seq, digest, anchor = max(heads, key=lambda h: h[0])
        anchor.advance(seq, digest)


def discard_anchors(session: Session) -> None:
    session.info.pop("audit_heads", None)


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify_chain(session: Session, anchor: HeadAnchor | None = None) -> Verification:
    """Walk the whole chain; report the first broken link."""
    result = session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000))
    with result:
        outcome = _walk(result.scalars(), anchor)
    return outcome


def _walk(events: Iterable[AuditEvent], anchor: HeadAnchor | None) -> Verification:
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    last: tuple[int, str] | None = None
    for event in events:
        if event.seq != expected_seq:
            return Verification(
                False, checked, event.seq, f"event {expected_seq} is missing (next is {event.seq})"
            )
        if event.prev_hash != expected_prev:
            return Verification(False, checked, event.seq, "its prev_hash does not match the event before it")
        if event_hash(event) != event.hash:
            return Verification(False, checked, event.seq, "its content does not match its hash")
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
        last = (event.seq, event.hash)
    if anchor is not None:
        head = anchor.read()
        if head is not None:
            if head[0] < 0:
                return Verification(False, checked, None, f"the anchor file {anchor.path} is unreadable")
            if last is None or head[0] > last[0]:
                return Verification(
                    False,
                    checked,
                    (last[0] + 1) if last else 1,
                    f"the newest events were cut off: the anchor names event {head[0]}",
                )
            if head[0] == last[0] and head[1] != last[1]:
                return Verification(False, checked, head[0], "it does not match the external anchor")
    return Verification(True, checked)


def as_json_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    for event in events:
        yield json.dumps(event_to_dict(event), ensure_ascii=False) + "\n"


def event_to_dict(event: AuditEvent) -> dict[str, Any]:
    """An exported event: what its hash covers, and the hash (so it can be re-checked)."""
    return {**hashed_fields(event), "hash": event.hash}
