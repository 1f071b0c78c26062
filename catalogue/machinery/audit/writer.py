"""The read log's groups written by a process of its own (``TILLIT_AUDIT_WRITER=process``,
what ``tillit serve`` uses).

Why: under a threaded server, the thread that writes a group (hashing each event,
inserting, committing) competes for the web process's GIL with every request
thread, and each of its database calls waits to get the GIL back. Measured with
bench/api.py, listing 20 entries with ~8 audited reads per page reached 18 % of a
bare endpoint that way; with the group write replaced by a 2 ms wait that holds no
GIL it reached 33 % (bench/README.md). In a child process, the hashing and the
database work run on an interpreter of their own; the web process only sends the
group and waits for the answer (waiting lets go of the GIL).

The child is started on first use with the ``spawn`` method (never ``fork``: the web
process has threads), talks over a pipe, writes with ``write_records`` exactly as the
in-process writer does, answers, then has the audit anchor moved (on a thread of its own,
``_Anchoring``, so the next group need not wait for the file). It fails closed: when
the child is gone or answers an error, the group's reads are refused
(``AuditUnavailable``, 503 at the API) and the next group starts a new child.

Each web worker has a child of its own; on SQLite they take turns through a file lock
(``Turns``) before each group, instead of through SQLite's retries.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from catalogue.db import make_engine, make_session_factory
from catalogue.machinery.audit.chain import HeadAnchor, Record, write_records

#: Seconds a stopping child is given to finish before it is killed.
STOP_TIMEOUT = 5.0
#: Seconds a group may wait for the child's answer (a database lock waits 10 s at
#: most, busy_timeout); past it the child is stopped and the group's reads refused.
ANSWER_TIMEOUT = 60.0
#: The file in the instance folder through which the audit writers take turns (SQLite).
TURNS_FILE = "audit-writer.lock"


class AuditWriterFailed(RuntimeError):
    """The audit writer process is gone or could not write the group."""


class ProcessGroupWriter:
    """Sends each group to a child process and waits until it is durable."""

    def __init__(self, database_url: str, instance_path: str) -> None:
        self.database_url = database_url
        self.instance_path = instance_path
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Connection | None = None
        self._owner: int | None = None  # the pid that started the child

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (tests, monitoring)."""
        process = self._process
        return int(process.pid) if process is not None and process.is_alive() else None

    def send(self, records: Sequence[Record]) -> None:
        """Send a group to the child (started if need be); raise if it could not be sent,
        and then the child did not get it."""
        with self._lock:  # one group at a time: ReadLog sends the next only once answered
            conn = self._connection()
            try:
                conn.send(list(records))
            except (EOFError, OSError) as exc:
                self._stop()
                raise AuditWriterFailed("The audit writer process stopped.") from exc

    def receive(self) -> None:
        """Return once the group sent last is committed; else raise (its reads are refused)."""
        with self._lock:
            conn = self._conn
            if conn is None or self._owner != os.getpid():
                raise AuditWriterFailed("No group was sent to this audit writer.")
            try:
                if not conn.poll(ANSWER_TIMEOUT):
                    self._stop()  # a child that does not answer is stopped
                    raise AuditWriterFailed(f"The audit writer did not answer in {ANSWER_TIMEOUT:.0f} s.")
                error = conn.recv()
            except (EOFError, OSError) as exc:
                self._stop()
                raise AuditWriterFailed("The audit writer process stopped.") from exc
        if error is not None:
            raise AuditWriterFailed(f"The audit writer could not write the group: {error}")

    def write(self, records: Sequence[Record]) -> None:
        """Send a group and wait until it is committed (``send``, then ``receive``)."""
        self.send(records)
        self.receive()

    def close(self) -> None:
        """Stop the child."""
        with self._lock:
            self._stop()

    def _connection(self) -> Connection:
        alive = self._process is not None and self._owner == os.getpid() and self._process.is_alive()
        if not alive or self._conn is None:
            self._stop()
            context = multiprocessing.get_context("spawn")
            parent, child = context.Pipe()
            process = context.Process(
                target=serve,
                args=(child, self.database_url, self.instance_path),
                name="tillit-audit-writer",
                daemon=True,  # goes with the web process
            )
            process.start()
            child.close()
            self._process, self._conn, self._owner = process, parent, os.getpid()
        return self._conn

    def _stop(self) -> None:
        conn, process, owner = self._conn, self._process, self._owner
        self._conn = self._process = self._owner = None
        if conn is not None:
            conn.close()  # the child reads EOF and ends
        if process is not None and owner == os.getpid():
            process.join(STOP_TIMEOUT)
            if process.is_alive():
                process.kill()
                process.join()


class _Anchoring:
    """Moves the audit anchor on a thread of the child's own, to the newest group written.

    Writing the anchor file (a temporary file and a rename) took 0.2-1.7 ms a group under
    load, as long as the group's own insert; written in line, it held up the next group,
    which the web process sends as soon as the last one is answered. On this thread the
    next group is written meanwhile (the file calls let go of the GIL). The anchor moves
    only to committed events, never back, and lags the chain by at most the write in
    progress: what verification already tolerates (``HeadAnchor``, ``verify_chain``).
    If the file cannot be written, the next ``advance`` raises it and the child stops, as
    it did when the anchor was moved in line (its groups are then refused until a new
    child writes them): the anchor never silently stops.
    """

    def __init__(self, anchor: HeadAnchor) -> None:
        self.anchor = anchor
        self._newest: tuple[int, str] | None = None
        self._done = False
        #: Why the anchor could not be moved (raised by the next ``advance``).
        self.failed: BaseException | None = None
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="tillit-audit-anchor", daemon=True)
        self._thread.start()

    def advance(self, seq: int, digest: str) -> None:
        """Ask for the anchor to move to (seq, digest), committed already; raises what
        stopped the anchor's last move, if one failed."""
        if self.failed is not None:
            raise self.failed
        with self._changed:
            if self._newest is None or seq > self._newest[0]:
                self._newest = (seq, digest)
                self._changed.notify()

    def close(self) -> None:
        """Write the newest head asked for, then stop."""
        with self._changed:
            self._done = True
            self._changed.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._changed:
                while self._newest is None and not self._done:
                    self._changed.wait()
                newest, self._newest = self._newest, None
                done = self._done
            if newest is not None:
                try:
                    self.anchor.advance(*newest)
                except BaseException as exc:
                    self.failed = exc
                    return
            if done and newest is None:
                return


class Turns:
    """The audit writers of one instance (one child per web worker) take turns through a
    file lock before each group, on SQLite.

    Why: SQLite's write lock is taken by retrying after sleeps that grow (its busy handler:
    1, 2, 5, 10, 15, 20 ms ...), so a writer that finds another one writing for a
    millisecond sleeps well past it. With two workers, the audited scenarios' p95 was
    29-56 ms and their p99 65-113 ms for writes of about 1.5 ms; taking turns here, 8-15 ms
    and 10-18 ms, and the audited list 845-976 req/s instead of 765-842 (docs/reviews-and-audit.md,
    "Round 10"). A file lock wakes the next writer as soon as it is let go. PostgreSQL's
    advisory lock (``AuditLog``) already waits that way, so there are no turns to take.

    The lock goes with the process that holds it: a child that hangs while writing is
    stopped by its web process (``ANSWER_TIMEOUT``), and the others go on.
    """

    def __init__(self, database_url: str, instance_path: str | Path) -> None:
        self._fd: int | None = None
        if make_url(database_url).get_backend_name() == "sqlite":
            self._fd = os.open(Path(instance_path) / TURNS_FILE, os.O_RDWR | os.O_CREAT, 0o600)

    @contextmanager
    def taken(self) -> Iterator[None]:
        """Wait for this writer's turn, and hold it for the block."""
        if self._fd is None:
            yield
            return
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Let go of the file."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def serve(conn: Connection, database_url: str, instance_path: str) -> None:
    """The child: write each group received in its turn, answer None or the error,
    move the anchor."""
    engine = make_engine(database_url, pool_size=1)
    sessions = make_session_factory(engine)
    anchoring = _Anchoring(HeadAnchor.in_folder(instance_path))
    turns = Turns(database_url, instance_path)
    try:
        while True:
            try:
                records = conn.recv()
            except (EOFError, OSError):
                return
            head = None
            try:
                with turns.taken():
                    head = write_records(sessions, records)
                answer = None
            except Exception as exc:  # answered, and the next group tries again
                answer = f"{type(exc).__name__}: {exc}"
            try:
                conn.send(answer)
                answered = True
            except OSError:  # the web process gave up on this child (it answered too late)
                answered = False
            if head is not None:  # committed either way: the anchor follows
                anchoring.advance(head["seq"], head["hash"])
            if not answered:
                return
    finally:
        turns.close()
        anchoring.close()
        engine.dispose()
