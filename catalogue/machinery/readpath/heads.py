"""Entry heads kept in memory for the read path, and the shared word that says when
they may be trusted.

Reading one entry (``EntryService.get``) needs its head: id, type, revision,
status, classification, listing level and publisher. Everything else comes from the
rendering cache. The head is the read path's only database statement, and on
SQLite it costs far more under a threaded server than its few microseconds: Python's
sqlite3 lets go of the GIL for each statement, and taking it back behind the other
request threads is what costs (bench/README.md: one such statement per request took
a bare Flask endpoint from 2,300 to 1,600 requests/s).

A cached head must never outlive a change to its entry, made in this process or
in any other (gunicorn workers, ``tillit`` commands, the review jobs). So every
process that writes the ``entries`` table says so in a small file in the instance
folder (``entry-writes``; with SQLite, beside the database file), mapped into each
process's memory:

* The first statement of a transaction that writes ``entries`` *begins* a write: the
  word's pending count and its generation go up (under a file lock that each process,
  forked ones too, opens for itself). When the
  connection goes back to the pool, after its commit or rollback, the write *ends*:
  the pending count goes down and the generation up again.
* A reader takes the word *before* it reads a head from the database. It keeps the
  head only if no write was pending then, and uses a kept head only while the word
  is still exactly the same. Any write that began after the word was taken changes
  it; any write that ended before it was committed before the head was read.
* A process that dies between its commit and its end leaves its write pending, and
  caching stops everywhere (every read goes to the database: slower, never stale)
  until a reader notices that the writer's process is gone (looked at no more than
  once a second; never for a process in another pid namespace) and ends the write for it.
* Writes that bypass Tillit's engines (SQL by hand, a migration) do not touch the
  word. A head is therefore also kept no longer than ``HEAD_CACHE_SECONDS``.

The file is shared memory: it works for processes on one machine (the SQLite
default, where every process shares the instance folder). With a database on
another machine and servers on several, ``HEAD_CACHE_SECONDS`` defaults to 0 (off).
"""

from __future__ import annotations

import fcntl
import mmap
import os
import re
import struct
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from catalogue.machinery.readpath.lru import LRUCache

WRITES_FILE = "entry-writes"

_WORD = struct.Struct("<Q")  # generation << 16 | pending writes
_SLOT = struct.Struct("<IIQ")  # pid, pending writes of that process, its pid namespace
_SLOTS_AT = 64
SLOTS = 256
_SIZE = _SLOTS_AT + SLOTS * _SLOT.size
_SLOT_OFFSETS = range(_SLOTS_AT, _SIZE, _SLOT.size)
_PENDING = 0xFFFF

#: Statements that cannot change a table: anything else that names ``entries`` counts.
_READ_ONLY = frozenset(
    {"SELECT", "PRAGMA", "EXPLAIN", "SHOW", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}
)
_NAMES_ENTRIES = re.compile(r"\bentries\b", re.IGNORECASE)


def writes_entries(statement: str, context: Any = None) -> bool:
    """Whether ``statement`` may write the ``entries`` table. SQLAlchemy's own INSERT,
    UPDATE and DELETE say which table they write; for SQL text the rule fails closed:
    any statement naming ``entries`` that is not a plain read counts."""
    compiled = getattr(context, "compiled", None)
    if compiled is not None and (context.isinsert or context.isupdate or context.isdelete):
        name = getattr(getattr(compiled.statement, "table", None), "name", None)
        if name is not None:
            return bool(name == "entries")
    words = statement.split(None, 1)
    if not words or words[0].upper() in _READ_ONLY:
        return False
    return _NAMES_ENTRIES.search(statement) is not None


def _pid_namespace() -> int:
    """This process's pid namespace (Linux), so that a pid is never taken for another's."""
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def _alive(pid: int, namespace: int, ours: int) -> bool:
    """Whether the writer may still be alive: unless it is in our pid namespace
    (``ours``) and gone, yes (a process we cannot see is never taken for dead)."""
    if namespace != ours:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def _close(shared: mmap.mmap, fd: int) -> None:
    shared.close()
    os.close(fd)


class WriteGeneration:
    """The shared word: ``generation << 16 | pending``, and one slot per writing process
    (pid and its pending writes), so that a dead writer's pending writes can be ended."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._open()
        with self._locked():
            if os.fstat(self._fd).st_size < _SIZE:
                os.ftruncate(self._fd, _SIZE)
        self._map = mmap.mmap(self._fd, _SIZE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        self._closed = weakref.finalize(self, _close, self._map, self._fd)
        _OPEN.add(self)

    def _open(self) -> None:
        # A file of its own per process: flock locks belong to the open file, so
        # processes forked with an inherited one (gunicorn workers of an app built in
        # the master) would all hold "the" lock at once. See _reopen_after_fork.
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self._lock = threading.Lock()  # flock does not exclude this process's own threads
        self._namespace = _pid_namespace()

    def _reopen(self) -> None:
        """In a forked child (one thread): its own open file and lock; the shared
        mapping stays, it is the same memory."""
        inherited = self._fd
        self._open()
        self._closed.detach()
        self._closed = weakref.finalize(self, _close, self._map, self._fd)
        os.close(inherited)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    @classmethod
    def for_database(cls, database_url: str, instance: str | Path) -> WriteGeneration:
        """Beside a SQLite file (as its -wal and -shm files are: every process using the
        file finds it), else in the instance folder."""
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            database = Path(url.database).resolve()
            return cls(database.with_name(f"{database.name}-{WRITES_FILE}"))
        return cls(Path(instance) / WRITES_FILE)

    def word(self) -> int:
        """The current word: one aligned 8-byte read of shared memory (no system call)."""
        return int(_WORD.unpack_from(self._map, 0)[0])

    @staticmethod
    def pending(word: int) -> int:
        """The writes pending in ``word``."""
        return word & _PENDING

    def _set(self, pending_change: int) -> None:
        word = self.word()
        pending = (word & _PENDING) + pending_change
        if pending > _PENDING:  # unreachable with any real pool; refuse rather than wrap
            raise RuntimeError(f"{self.path}: more than {_PENDING} writes of entries pending")
        _WORD.pack_into(self._map, 0, (((word >> 16) + 1) << 16) | max(0, pending))

    def _slot(self, pid: int, *, claim: bool) -> int | None:
        """The offset of ``pid``'s slot (or, with ``claim``, of a free one)."""
        free = None
        for at in _SLOT_OFFSETS:
            owner, count, namespace = _SLOT.unpack_from(self._map, at)
            if owner == pid and namespace == self._namespace and count:
                return at
            if free is None and not count:
                free = at
        return free if claim else None

    def begin(self) -> None:
        """A transaction of this process is about to write entries."""
        pid = os.getpid()
        with self._locked():
            at = self._slot(pid, claim=True)
            if at is None:
                self._reap()
                at = self._slot(pid, claim=True)
            if at is None:
                raise RuntimeError(f"{self.path}: {SLOTS} processes are writing entries at once")
            _, count, _ = _SLOT.unpack_from(self._map, at)
            self._set(+1)
            _SLOT.pack_into(self._map, at, pid, count + 1, self._namespace)

    def end(self) -> None:
        """That transaction is over (committed or rolled back)."""
        pid = os.getpid()
        with self._locked():
            at = self._slot(pid, claim=False)
            if at is not None:
                _, count, _ = _SLOT.unpack_from(self._map, at)
                if count > 1:
                    _SLOT.pack_into(self._map, at, pid, count - 1, self._namespace)
                else:
                    _SLOT.pack_into(self._map, at, 0, 0, 0)
                self._set(-1)
            else:  # ended for it already (taken for dead): still a change
                self._set(0)

    def reap(self) -> int:
        """End the pending writes of processes that no longer exist; how many."""
        with self._locked():
            return self._reap()

    def _reap(self) -> int:
        ended = 0
        for at in _SLOT_OFFSETS:
            owner, count, namespace = _SLOT.unpack_from(self._map, at)
            if count and not _alive(owner, namespace, self._namespace):
                _SLOT.pack_into(self._map, at, 0, 0, 0)
                self._set(-count)
                ended += count
        return ended

    def close(self) -> None:
        """Unmap the word and close the file."""
        _OPEN.discard(self)
        self._closed()


_OPEN: weakref.WeakSet[WriteGeneration] = weakref.WeakSet()


def _reopen_after_fork() -> None:
    for generation in list(_OPEN):
        generation._reopen()


os.register_at_fork(after_in_child=_reopen_after_fork)


class HeadCache:
    """Heads by entry id, each kept under the word it was read under (see the module)."""

    REAP_EVERY = 1.0

    def __init__(
        self,
        generation: WriteGeneration,
        seconds: float,
        size: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.generation = generation
        self.seconds = seconds
        self.clock = clock
        self._heads: LRUCache[str, tuple[tuple[Any, ...], int, float]] = LRUCache(size)
        self._next_reap = 0.0

    def row(
        self,
        entry_id: str,
        load: Callable[[], tuple[Any, ...] | None],
        usable: Callable[[tuple[Any, ...]], bool] = lambda row: True,
    ) -> tuple[Any, ...] | None:
        """The head row of ``entry_id``: kept, or ``load()``-ed (and kept if it may be).

        A kept row is returned only if ``usable`` (the caller may be answered with it):
        otherwise it is loaded as for an id never kept. A refusal then costs the same
        database read for an entry kept here as for an id that names no entry at all,
        and its time cannot tell the two apart (docs/security.md)."""

        def load_one(_ids: Sequence[str]) -> list[tuple[Any, ...]]:
            row = load()
            return [] if row is None else [row]

        found = self.rows([entry_id], load_one, usable)
        return found[0] if found else None

    def rows(
        self,
        entry_ids: Sequence[str],
        load: Callable[[Sequence[str]], Iterable[tuple[Any, ...]]],
        usable: Callable[[tuple[Any, ...]], bool] = lambda row: True,
    ) -> list[tuple[Any, ...]]:
        """The head rows of those of ``entry_ids`` that name an entry, in no particular
        order: each kept one that is ``usable``, and the others in one ``load(ids)``
        (rows whose first column is the id), kept unless a write was pending when the
        word was taken (then a writer that died mid-write is looked for, at most once
        every ``REAP_EVERY`` seconds)."""
        word = self.generation.word()  # before the database is read: see the module
        now = self.clock()
        found: list[tuple[Any, ...]] = []
        missing: list[str] = []
        for entry_id in entry_ids:
            kept = None if word & _PENDING else self._heads.get(entry_id)
            if kept is not None and kept[1] == word and now < kept[2] and usable(kept[0]):
                found.append(kept[0])
            else:
                missing.append(entry_id)
        if not missing:
            return found
        loaded = list(load(missing))
        if word & _PENDING:
            if now >= self._next_reap:  # a writer may have died mid-write
                self._next_reap = now + self.REAP_EVERY
                self.generation.reap()
        else:
            for row in loaded:
                self._heads.put(row[0], (row, word, now + self.seconds))
        return found + loaded


_FLAG = "tillit.writes_entries"


def watch_engine(engine: Engine, generation: WriteGeneration) -> None:
    """Make every transaction on ``engine`` that writes entries begin a write at its
    first statement on ``entries``, and end it when its connection goes back to the
    pool (after its commit or rollback) or is invalidated."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        record = conn.connection.record_info
        if _FLAG not in record and writes_entries(statement, context):
            generation.begin()
            record[_FLAG] = True

    def _over(record: Any) -> None:
        if record is not None and record.record_info.pop(_FLAG, None):
            generation.end()

    @event.listens_for(engine, "checkin")
    def _checkin(dbapi_connection: Any, record: Any) -> None:
        _over(record)

    @event.listens_for(engine, "invalidate")
    def _invalidate(dbapi_connection: Any, record: Any, exception: Any) -> None:
        _over(record)
