"""Kept-alive connections spread evenly over ``tillit serve``'s worker processes.

gunicorn's workers share one listening socket and each takes a connection as soon as
it sees one, whatever it already holds; a kept-alive connection then stays with the
worker that took it. A client that opens its connections at once (a load balancer's
pool, a bench's eight) can find every one of them on the same worker, which answers
all the traffic on one core while the others idle (gunicorn issues #2817, #3071,
#3433; measured in bench/README.md, "Round 9": two workers searched at one worker's
rate in two runs of four, with all eight connections on one worker).

The rule here is "least connections": a worker takes a new connection only while it
holds no more connections than any other live worker. Each worker publishes how many
it holds, and when, in a table of shared memory the master makes before it forks
(:class:`AcceptTable`); a worker whose entry is older than :data:`STALE_SECONDS` (it
died, or its loop has stalled) is left out, so a stopped worker never keeps the
others from accepting. Ties accept, so some worker always does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from multiprocessing.sharedctypes import RawArray
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

#: A worker's entry older than this is not counted: its loop wakes at least every second.
STALE_SECONDS = 2.0

#: Table entries (workers beyond this many accept as gunicorn's own worker does).
SLOTS = 64

#: How often a worker that holds more than its share looks again (seconds).
RECHECK_SECONDS = 0.05


def may_accept(mine: int, others: Iterable[int]) -> bool:
    """Whether a worker holding ``mine`` connections takes one more, given what the
    other live workers hold: only while it holds no more than the fewest of them."""
    return all(mine <= theirs for theirs in others)


class AcceptTable:
    """Per worker: the connections it holds (or -1: it takes none now, as it stops or is
    full) and when it said so (``time.monotonic``, one clock for every process of the
    machine). Made in the master, shared with every worker forked after; a worker
    writes only its own entry."""

    def __init__(self, slots: int = SLOTS) -> None:
        self.slots = slots
        self._cells = RawArray("d", 2 * slots)  # [held, said at] per slot; said at 0: empty
        self._owners: list[Any] = [None] * slots  # the master's worker objects, by slot

    def assign(self, worker: Any, alive: Callable[[Any], bool]) -> int | None:
        """In the master, before ``worker`` is forked: a slot no live worker holds, or
        None when every slot is taken. ``alive(other)`` says whether an earlier
        worker still runs."""
        for slot, owner in enumerate(self._owners):
            if owner is None or not alive(owner):
                self._owners[slot] = worker
                self._cells[2 * slot] = self._cells[2 * slot + 1] = 0.0
                return slot
        return None

    def offer(self, slot: int, held: int | None, now: float | None = None) -> bool:
        """Say what ``slot``'s worker holds (None: it takes no connection now) and
        whether it may take one more."""
        now = time.monotonic() if now is None else now
        self._cells[2 * slot] = -1.0 if held is None else float(held)
        self._cells[2 * slot + 1] = now
        return held is not None and may_accept(held, self.others(slot, now))

    def others(self, slot: int, now: float) -> list[int]:
        """What every other worker that takes connections holds (said within
        STALE_SECONDS of ``now``; a worker that took none, or said nothing, is not counted)."""
        cells = self._cells
        return [
            int(cells[2 * other])
            for other in range(self.slots)
            if other != slot and cells[2 * other] >= 0 and now - cells[2 * other + 1] < STALE_SECONDS
        ]


def _alive(worker: Any) -> bool:
    """Whether a worker the master forked still runs (its pid is set once forked)."""
    if not isinstance(worker.pid, int):
        return True  # not forked yet: its slot stays taken
    try:
        os.kill(worker.pid, 0)  # PermissionError: it runs, as another user
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


class BalancedThreadWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn ships no types: its base is Any
    """gunicorn's threaded worker, taking a connection only while it holds no more
    than any other live worker (:func:`may_accept`)."""

    #: One table per master: made by the first worker object it builds (in the master,
    #: before any fork), inherited by every worker it forks.
    table: AcceptTable | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if BalancedThreadWorker.table is None:
            BalancedThreadWorker.table = AcceptTable()
        self.slot = BalancedThreadWorker.table.assign(self, _alive)

    def _fair(self) -> bool:
        """Whether to take connections now; says so in the table."""
        wanted = bool(self.alive) and self.nr_conns < self.worker_connections
        if self.slot is None or self.table is None:
            return wanted
        return self.table.offer(self.slot, self.nr_conns if wanted else None)

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled and self._fair())

    def accept(self, listener: Any) -> None:
        super().accept(listener)
        ThreadWorker.set_accept_enabled(self, self._fair())  # the new count said at once

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        # gunicorn's loop switches accepting only when its own limit is crossed: look every turn.
        fair = self._fair()
        ThreadWorker.set_accept_enabled(self, fair)
        if not fair and self.alive:  # another worker holds fewer: look again soon
            timeout = min(timeout, RECHECK_SECONDS)
        super().wait_for_and_dispatch_events(timeout)
