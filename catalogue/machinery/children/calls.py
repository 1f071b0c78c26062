"""One pure function called in a child process of its own, one call at a time, each
within a deadline after which the child is killed.

Why: some input costs CPU out of proportion to its size (an OpenAPI document of
thousands of chained schemas takes seconds to tens of seconds to validate). Run in a
request thread, that holds the web process's GIL against every other request for as
long as it runs, and nothing can stop a Python thread. In a child, the work runs on
an interpreter of its own; the request thread only waits on a pipe (waiting lets go
of the GIL), and at the deadline the child is killed (SIGKILL), not abandoned.

- **One child, started on first use with ``spawn``** (never ``fork``: the web process
  has threads), kept for the next call. Starting costs a second or more (a fresh
  interpreter imports the function's module), so it is not counted in the deadline.
  A child that was killed, died or stopped answering is replaced on the next call.
- **One call at a time.** A call waits for the child at most its own deadline, then
  ``ChildBusy``: concurrent callers cannot start more processes, and a caller is not
  kept waiting behind a queue of slow inputs.
- **Two guards.** The wall-clock deadline, enforced by the caller; and in the child,
  ``RLIMIT_CPU`` set to the deadline (plus a second) above the CPU it has used, so the
  kernel stops it (SIGXCPU) even if the web process died or hung while it ran.
- **After a fork** (gunicorn forks its workers) the forked process forgets the child
  it inherited, which belongs to its parent, and starts its own when first used.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import resource
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

#: Seconds a new child may take to start (import its modules) before it is given up.
START_TIMEOUT = 60.0
#: Seconds given to a killed child to be reaped.
REAP_TIMEOUT = 5.0
_READY = "ready"


class ChildBusy(Exception):
    """Another call held the child for the whole deadline."""


class CallTooSlow(Exception):
    """The call did not answer within its deadline; the child was killed."""


class ChildLost(Exception):
    """The child could not be started, or ended before it answered (not by our deadline)."""


class ChildFailed(RuntimeError):
    """The function raised in the child; the message names the exception."""


class ChildCaller:
    """Calls ``function(argument)`` in a child process, within ``seconds`` each time."""

    def __init__(self, function: Callable[[Any], Any], name: str) -> None:
        self.function = function
        self.name = name
        self._forget()
        os.register_at_fork(after_in_child=self._forget)

    @property
    def pid(self) -> int | None:
        """The child's process id while it lives (tests, monitoring)."""
        process = self._process
        return int(process.pid) if process is not None and process.is_alive() else None

    @property
    def busy(self) -> bool:
        """A call is in progress."""
        return self._lock.locked()

    def call(self, argument: Any, seconds: float) -> Any:
        """``function(argument)`` in the child, within ``seconds``; see the module for what it raises."""
        if not self._lock.acquire(timeout=seconds):
            raise ChildBusy
        try:
            conn = self._connection()
            try:
                conn.send((argument, seconds))
                if not conn.poll(seconds):
                    self._stop()
                    raise CallTooSlow
                ok, value = conn.recv()
            except (EOFError, OSError) as exc:
                process = self._process
                self._stop()
                if process is not None and process.exitcode == -signal.SIGXCPU:
                    raise CallTooSlow from exc  # the second guard stopped it
                raise ChildLost from exc
        finally:
            self._lock.release()
        if not ok:
            raise ChildFailed(value)
        return value

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Connection | None = None

    def _connection(self) -> Connection:
        if self._conn is not None and self._process is not None and self._process.is_alive():
            return self._conn
        self._stop()
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=serve, args=(child, self.function), name=self.name, daemon=True)
        process.start()
        child.close()
        self._process, self._conn = process, parent
        try:
            started = parent.poll(START_TIMEOUT) and parent.recv() == _READY
        except (EOFError, OSError):
            started = False
        if not started:
            self._stop()
            raise ChildLost
        return parent

    def _stop(self) -> None:
        conn, process = self._conn, self._process
        self._conn = self._process = None
        if conn is not None:
            conn.close()
        if process is not None:
            process.kill()  # a no-op on a child that has ended
            process.join(REAP_TIMEOUT)


def serve(conn: Connection, function: Callable[[Any], Any]) -> None:
    """The child: answer each (argument, seconds) with (True, result) or (False, error)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU would otherwise dump core
    conn.send(_READY)
    while True:
        try:
            argument, seconds = conn.recv()
        except (EOFError, OSError):  # the web process closed the pipe or ended
            return
        _limit_cpu(seconds)
        try:
            answer = (True, function(argument))
        except Exception as exc:
            answer = (False, f"{type(exc).__name__}: {exc}")
        try:
            conn.send(answer)
        except OSError:
            return


def _limit_cpu(seconds: float) -> None:
    """Let this call use ``seconds`` (and one more) of CPU beyond what was used before it."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    limit = math.ceil(usage.ru_utime + usage.ru_stime + seconds) + 1
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
