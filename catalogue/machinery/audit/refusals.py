"""Refusals of entries asked for by id, recorded in the audit log after the answer.

A caller who asks for an entry it may not know exists gets the same 404 as for an
id that never existed. The answer must not take longer either: committing the
refusal to the audit log before answering (an fsync) made a hidden id measurably
slower, which told the caller the entry exists. So every 404 of an entry by id,
hidden or missing alike, is only *noted* here (a few dictionary operations under a
lock, the same for both), and written to the audit chain afterwards, off the
request path, by a thread of this process.

Notes are aggregated per window (``window`` seconds): one event per caller and
entry refused (an ``entry.read`` event with ``decision: deny`` about that entry, as
before, with ``count``), and one per caller for ids that name no entry it may see
and no entry at all (``entry_id`` empty, ``count`` and the first few ids asked for).
A flood of probes grows the chain by at most one event per caller per window for
unknown ids, and one per caller and hidden entry (entries are finite).

What this gives up: a refusal is durable up to ``window`` seconds after its 404
(reads of the audit log write what is pending first, so an auditor always sees the
refusals this process has answered), and those noted when a process is killed are
lost. A read that is *answered* is still never answered before its event is
durable (``ReadLog``).
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from catalogue.machinery.audit.chain import AuditedRef, Record
from catalogue.ports import AuditedEntry
from catalogue.timestamps import format_timestamp
from security.identity import Identity

log = logging.getLogger(__name__)

#: Seconds refusals are gathered before they are written.
WINDOW = 1.0
#: Ids kept per event as evidence of what was asked for (and their length).
SAMPLE = 20
ID_LENGTH = 64
#: Distinct (caller, entry) keys kept between writes; past it, refusals of further
#: entries are counted in the caller's event for unknown ids (never dropped).
MAX_KEYS = 10_000
#: Times a group is tried before it is given up (and logged as lost).
ATTEMPTS = 3

_Key = tuple[str, str | None, str | None, str | None, str, str | None]


@dataclass
class _Tally:
    identity: Identity
    action: str
    entry: AuditedRef | None
    first: datetime
    last: datetime
    count: int = 0
    ids: list[str] = field(default_factory=list)
    attempts: int = 0

    @property
    def key(self) -> _Key:
        i, entry = self.identity, self.entry
        return (i.subject, i.agency, i.client_id, i.address, self.action, entry.id if entry else None)

    def record(self) -> Record:
        details: dict[str, Any] = {
            "answered": 404,
            "count": self.count,
            "first": format_timestamp(self.first),
            "last": format_timestamp(self.last),
        }
        if self.entry is None:
            details["ids"] = self.ids
        return Record(self.identity, self.action, [(self.entry, details)], "deny")


class RefusalLog:
    """Refusals noted on the request path, written to the audit chain by a thread."""

    def __init__(
        self,
        write: Callable[[Sequence[Record]], None],
        window: float = WINDOW,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        #: Appends records durably to the chain, or raises (``ReadLog.append_records``).
        self.write = write
        self.window = window
        self.clock = clock
        self._pending: dict[_Key, _Tally] = {}
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._timer: threading.Thread | None = None
        self._closed = threading.Event()
        _OPEN.add(self)

    def note(self, identity: Identity, action: str, requested: str, entry: AuditedEntry | None) -> None:
        """A 404 for ``requested``: ``entry`` is the entry it names if there is one the
        caller may not see, else None. The same work either way (see the module)."""
        ref = AuditedRef(entry.id, entry.publisher, entry.classification) if entry is not None else None
        actor = (identity.subject, identity.agency, identity.client_id, identity.address, action)
        now = self.clock()
        with self._lock:
            key: _Key = (*actor, ref.id if ref is not None else None)
            tally = self._pending.get(key)
            if tally is None and len(self._pending) >= MAX_KEYS:
                key, ref = (*actor, None), None  # counted with the caller's unknown ids
                tally = self._pending.get(key)
            if tally is None:
                tally = self._pending[key] = _Tally(identity, action, ref, now, now)
            tally.count += 1
            tally.last = now
            if len(tally.ids) < SAMPLE and requested[:ID_LENGTH] not in tally.ids:
                tally.ids.append(requested[:ID_LENGTH])
            if self._timer is None and not self._closed.is_set():
                self._timer = threading.Thread(target=self._run, name="tillit-refusals", daemon=True)
                self._timer.start()

    def flush(self) -> int:
        """Write every refusal noted so far, now; how many events were written."""
        with self._flushing:  # one group at a time: the events keep the order noted
            with self._lock:
                tallies, self._pending = list(self._pending.values()), {}
            if not tallies:
                return 0
            try:
                self.write([t.record() for t in tallies])
            except Exception:
                self._retry(tallies)
                return 0
            return len(tallies)

    def _retry(self, tallies: list[_Tally]) -> None:
        kept = [t for t in tallies if t.attempts + 1 < ATTEMPTS]
        if len(kept) < len(tallies):
            log.exception("%d refusal events could not be written to the audit log", len(tallies) - len(kept))
        else:
            log.warning("Refusal events could not be written to the audit log; trying again", exc_info=True)
        with self._lock:
            for tally in kept:
                tally.attempts += 1
                key = tally.key
                newer = self._pending.get(key)
                if newer is not None:  # noted again meanwhile: one event for both
                    tally.count += newer.count
                    tally.last = newer.last
                    tally.ids = (tally.ids + [i for i in newer.ids if i not in tally.ids])[:SAMPLE]
                self._pending[key] = tally

    def close(self) -> None:
        """Write what is pending and stop the clock (the app is going away: nothing may
        be written after its engine is disposed). Notes made later wait for ``flush``."""
        self._closed.set()
        timer = self._timer
        if timer is not None:
            timer.join()
        self.flush()

    def _run(self) -> None:
        """Every window while there is something to write; then the thread ends."""
        while True:
            self._closed.wait(self.window)
            self.flush()
            with self._lock:
                if not self._pending or self._closed.is_set():
                    self._timer = None
                    return


_OPEN: weakref.WeakSet[RefusalLog] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    """A process that stops normally (a gunicorn worker's graceful exit) writes what
    it noted in its last window."""
    for refusals in list(_OPEN):
        try:
            refusals.flush()
        except Exception:  # the database may be gone by now: nothing more to do
            log.exception("Refusal events lost at exit")
