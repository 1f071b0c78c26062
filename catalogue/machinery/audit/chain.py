"""The tamper-evident audit log: append-only, hash-chained, anchored outside the database.

Each event's hash covers its fields and the previous event's hash. An append reads
the head (its ``seq`` and hash) and writes ``seq`` + 1: ``seq`` is the primary key,
so two appends can never share a predecessor (no fork). Appends are serialised:
PostgreSQL takes a transaction-level advisory lock, SQLite writers hold the database
write lock from BEGIN IMMEDIATE. (Unique indexes on the hashes guarded nothing more
and cost half of a group's write: migration 0014.)
The newest (seq, hash) is also written to a file outside the database, so cutting
off the newest events is detected as well.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol, cast

from sqlalchemy import Table, select, text
from sqlalchemy.orm import Session

from catalogue.db import Prepared, PreparedInsert, begin_write
from catalogue.models import AuditEvent, utcnow
from catalogue.ports import AuditedEntry, AuditItems, Verification
from catalogue.timestamps import format_timestamp
from security.identity import Identity

GENESIS = "0" * 64
ADVISORY_LOCK_KEY = 7_405_522_011  # arbitrary, constant: "the audit chain"
ANCHOR_FILE = "audit-head.json"
# Threads of one process take turns (processes may only make the anchor lag, which
# verification tolerates; it never runs ahead of the committed chain).
_ANCHOR_LOCK = threading.Lock()


#: Everything an event's hash covers (all its columns but the hash itself).
HASHED = (
    "seq", "at", "action", "decision", "actor", "actor_agency", "client_id", "address",
    "entry_id", "entry_agency", "entry_level", "details", "prev_hash",
)  # fmt: skip


def _canonical(values: Mapping[str, Any]) -> dict[str, Any]:
    fields = {name: values[name] for name in HASHED}
    fields["at"] = format_timestamp(fields["at"])
    fields["details"] = fields["details"] or {}
    return fields


def hashed_fields(event: AuditEvent) -> dict[str, Any]:
    """Everything the event's hash covers, as hashed."""
    return _canonical({name: getattr(event, name) for name in HASHED})


def event_hash(event: AuditEvent) -> str:
    """The hash an event should carry, computed from the fields it covers."""
    return _digest(hashed_fields(event))


#: What ``json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
#: writes, with the encoder made once (the audit writer hashes every event it appends).
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(fields: dict[str, Any]) -> str:
    return hashlib.sha256(_CANONICAL_JSON.encode(fields).encode("utf-8")).hexdigest()


class HeadAnchor:
    """The chain's newest (seq, hash), kept in a file beside the database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        #: The newest seq in the file as far as this object knows (it read it once, then
        #: wrote every later one): the anchor never moves back, and costs one write.
        self._written = 0

    @classmethod
    def in_folder(cls, folder: str | Path) -> HeadAnchor:
        """The anchor file in ``folder`` (the instance folder)."""
        return cls(Path(folder) / ANCHOR_FILE)

    def read(self) -> tuple[int, str] | None:
        """The anchored (seq, hash); None if there is none, (-1, "unreadable") if damaged."""
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
            if self._written == 0:  # the file is read once; then this object's own mark
                current = self.read()
                self._written = max(current[0], 0) if current is not None else 0
            if seq <= self._written:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps({"seq": seq, "hash": digest}), encoding="utf-8")
            os.replace(tmp, self.path)
            self._written = seq


_EVENTS = cast(Table, AuditEvent.__table__)
_HEAD = Prepared(select(_EVENTS.c.seq, _EVENTS.c.hash).order_by(_EVENTS.c.seq.desc()).limit(1))
_APPEND = PreparedInsert(_EVENTS)


class Record(NamedTuple):
    """What one caller did: an action on some entries (or none), allowed or denied."""

    identity: Identity
    action: str
    items: AuditItems
    decision: str = "allow"


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
        entry: AuditedEntry | None = None,
        details: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append one event (about ``entry``, or none) and return the row written."""
        return self.record_many(identity, action, [(entry, details)], decision=decision)[0]

    def record_many(
        self,
        identity: Identity,
        action: str,
        items: AuditItems,
        *,
        decision: str = "allow",
    ) -> list[dict[str, Any]]:
        """Append one event per (entry, details), chained in order, in one statement;
        return the rows written."""
        return self.record_batch([Record(identity, action, items, decision)])

    def record_batch(self, records: Sequence[Record]) -> list[dict[str, Any]]:
        """Append the events of several records (each its caller, action and items),
        chained in order: one read of the chain's head and one statement for all."""
        self._lock()
        head = _HEAD.first(self.session, {})
        seq, prev = (head[0], head[1]) if head else (0, GENESIS)
        now = utcnow()
        stamp = format_timestamp(now)  # as _canonical writes it, once for the batch
        rows = []
        for identity, action, items, decision in records:
            for entry, details in items:
                seq += 1
                row: dict[str, Any] = {
                    "seq": seq,
                    "at": now,
                    "action": action,
                    "decision": decision,
                    "actor": identity.subject,
                    "actor_agency": identity.agency,
                    "client_id": identity.client_id,
                    "address": identity.address,
                    "entry_id": entry.id if entry is not None else None,
                    "entry_agency": entry.publisher if entry is not None else None,
                    "entry_level": entry.classification if entry is not None else None,
                    "details": details or {},
                    "prev_hash": prev,
                }
                # The row holds exactly the HASHED fields here: _canonical(row), made cheaper.
                row["hash"] = prev = _digest({**row, "at": stamp})
                rows.append(row)
        _APPEND.many(self.session, rows)
        if self.anchor is not None and rows:
            # The anchor moves only once the events are durable (after commit).
            self.session.info.setdefault("audit_heads", []).append((seq, prev, self.anchor))
        return rows

    def _lock(self) -> None:
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK_KEY})


@dataclass(eq=False)
class _Pending:
    identity: Identity
    action: str
    items: AuditItems
    decision: str
    wake: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    error: BaseException | None = None


class AuditUnavailable(Exception):
    """The events could not be made durable: the action they record must not happen."""


class AuditedRef(NamedTuple):
    """An entry as an audit event records it, in a form that can cross a process."""

    id: str
    publisher: str
    classification: str


def portable(record: Record) -> Record:
    """``record`` with its entries reduced to what the event records (see AuditedRef)."""
    items = [
        (AuditedRef(e.id, e.publisher, e.classification) if e is not None else None, details)
        for e, details in record.items
    ]
    return record._replace(items=items)


def write_records(sessions: Callable[[], Session], records: Sequence[Record]) -> dict[str, Any] | None:
    """Append ``records`` in one transaction (one commit, one fsync); the newest row
    written, or None. The anchor is for the caller to move, once readers are answered."""
    with sessions() as session:
        begin_write(session)
        rows = AuditLog(session).record_batch(records)
        session.commit()
    return rows[-1] if rows else None


class GroupWriter(Protocol):
    """Writes groups of records durably, one at a time, or raises; moves the anchor itself."""

    def send(self, records: Sequence[Record]) -> None:
        """Hand this group over to be committed; raise if it could not be (then it was not)."""

    def receive(self) -> None:
        """Return once the group sent last is committed, durably, or raise."""

    def close(self) -> None:
        """Stop (the app closes)."""


class ReadLog:
    """Audit events of reads, appended by many request threads and made durable
    together: one transaction (one fsync) per group instead of one per read.

    ``append`` returns only once its events are committed, so no read is ever
    answered without its event. The first caller to arrive while no group is
    being written writes one (a leader, on its own thread); callers arriving
    meanwhile queue, and the first of them leads the next group, which takes
    every event queued by then: the busier the server, the larger the groups.
    The chain stays one chain: each group appends under the same lock as any
    other writer (see ``AuditLog``).

    With a ``writer`` (``catalogue.machinery.audit.writer``: a process of its own), the
    leader sends its group and waits for the answer; the moment the answer comes, it
    sends the group queued meanwhile, before it wakes its own group's readers, and hands
    the wait for that answer on to the first of the next group. So the writer starts the
    next group as soon as it has answered one, instead of after two threads have woken
    and taken the interpreter lock in turn (about 1 ms each under load, measured: the
    writer sat idle 2.2-2.6 ms between groups, and 1.4 ms since; docs/reviews-and-audit.md,
    "Round 10"). Still one group at a time: the writer holds at most one unanswered group.
    """

    def __init__(
        self,
        sessions: Callable[[], Session],
        anchor: HeadAnchor | None = None,
        writer: GroupWriter | None = None,
    ) -> None:
        self.sessions = sessions
        self.anchor = anchor
        self.writer = writer
        self._pending: list[_Pending] = []
        #: The group sent to the writer and not yet answered (its first reader waits for it).
        self._sent: list[_Pending] = []
        self._leading = False
        self._lock = threading.Lock()
        #: Groups written and the events in them (tests and monitoring read these).
        self.groups = 0
        self.events = 0

    def append(self, identity: Identity, action: str, items: AuditItems, *, decision: str = "allow") -> None:
        """Append one caller's events; return once they are durable."""
        self.append_records([Record(identity, action, list(items), decision)])

    def append_records(self, records: Sequence[Record]) -> None:
        """Append ``records`` (one group or part of one); return once they are durable."""
        requests = [_Pending(r.identity, r.action, list(r.items), r.decision) for r in records]
        if not requests:
            return
        request = requests[0]  # queued together, so written in the same group
        with self._lock:
            self._pending.extend(requests)
            if not self._leading:
                self._leading = request.lead = True
        if not request.lead:
            request.wake.wait()  # written by another leader, or made leader
        if request.lead:
            self._lead()
        if request.error is not None:
            raise AuditUnavailable("The audit log could not record this read.") from request.error

    def _lead(self) -> None:
        """Write the group queued (or wait for the one sent already), then hand on."""
        with self._lock:
            group, sent = (self._sent, True) if self._sent else (self._pending, False)
            self._sent = []
            if not sent:
                self._pending = []
        error, head = self._write(group, sent)
        following = self._send_following() if error is None else []
        with self._lock:
            for request in group:
                request.error = error
                request.lead = False
                request.wake.set()
            self._sent = following
            successor = following[0] if following else (self._pending[0] if self._pending else None)
            if successor is not None:
                successor.lead = True
                successor.wake.set()
            else:
                self._leading = False
        if head is not None and self.anchor is not None:
            self.anchor.advance(head["seq"], head["hash"])

    def _write(self, group: list[_Pending], sent: bool) -> tuple[BaseException | None, dict[str, Any] | None]:
        """Commit ``group`` (or wait for it, ``sent`` already): (what failed, the newest row
        written in this process)."""
        head: dict[str, Any] | None = None
        try:
            if self.writer is None:
                head = write_records(self.sessions, _records(group))
            else:
                if not sent:
                    self.writer.send(_portable(group))
                self.writer.receive()
        except BaseException as exc:
            return exc, None
        self.groups += 1
        self.events += sum(len(r.items) for r in group)
        return None, head

    def _send_following(self) -> list[_Pending]:
        """Send the group queued while the last one was written; the readers in it, or none.
        A group that could not be sent (the writer is gone, so it did not get it) goes back
        to the queue, for the next leader to send to a new writer."""
        if self.writer is None:
            return []
        with self._lock:
            following, self._pending = self._pending, []
        if not following:
            return []
        try:
            self.writer.send(_portable(following))
        except BaseException:
            with self._lock:
                self._pending[:0] = following
            return []
        return following


def _records(group: Sequence[_Pending]) -> list[Record]:
    return [Record(r.identity, r.action, r.items, r.decision) for r in group]


def _portable(group: Sequence[_Pending]) -> list[Record]:
    return [portable(r) for r in _records(group)]


def advance_anchors(session: Session) -> None:
    """After a commit: move the external anchor to the newest committed event."""
    heads = session.info.pop("audit_heads", [])
    if heads:
        seq, digest, anchor = max(heads, key=lambda h: h[0])
        anchor.advance(seq, digest)


def discard_anchors(session: Session) -> None:
    """After a rollback: forget the anchor moves the transaction had asked for."""
    session.info.pop("audit_heads", None)


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


def event_to_dict(event: AuditEvent) -> dict[str, Any]:
    """An exported event: what its hash covers, and the hash (so it can be re-checked)."""
    return {**hashed_fields(event), "hash": event.hash}


class Chain:
    """The chain as the services reach it (``catalogue.ports.AuditChain``), anchored
    in ``anchor`` (None: no external anchor, as in tests of the chain alone)."""

    def __init__(self, anchor: HeadAnchor | None = None) -> None:
        self.anchor = anchor

    def trail(self, session: Session) -> AuditLog:
        """Appends events inside ``session``'s transaction."""
        return AuditLog(session, self.anchor)

    def verify(self, session: Session) -> Verification:
        """Walk the whole chain and check it against the anchor."""
        return verify_chain(session, self.anchor)

    def exported(self, event: AuditEvent) -> dict[str, Any]:
        """What the event's hash covers, and the hash."""
        return event_to_dict(event)
