"""How every process that searches the embedded index learns of the writer's commits.

The embedded index has one writer (the index writer process under ``tillit serve``,
search/writer.py; otherwise the one process that opened it). Every other process only
reads, and a tantivy reader sees a commit only after ``reload()``, which opens the new
segments and is not free. So the writer says after each commit that it committed, in
one 64-bit word of a small file in the instance folder (``search-commits``), mapped
into every process's memory: ``commits << 16 | narrowings``.

* A commit that only **adds or replaces** documents moves ``commits``. A reader that
  sees the word moved reloads at its next search once ``TILLIT_INDEX_REFRESH`` seconds
  have passed since its last reload: a write is searchable in every worker within that
  bound (the worker that asked for the write reloads at once), and reloads stay few
  under a stream of writes.
* A commit that **removes** documents (an entry whose access labels are about to
  change is taken out of the index before the database commits: "tighten first",
  search/indexer.py; a deleted entry; a rebuild) moves ``narrowings`` too, and a
  reader that sees that part move reloads before it answers, whatever the interval:
  no search anywhere shows a document the writer has already taken out.

Each hit is re-checked against the database anyway (search/service.py), so a reader
one interval behind may miss a hit or count one too many, never show one.

Reading the word is a memory read (no system call, no lock): the check costs a
search nothing. The word is written only by the process that holds the index's lock,
so it needs no lock of its own; an 8-byte aligned store is one store.
"""

from __future__ import annotations

import mmap
import os
import struct
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

COMMITS_FILE = "search-commits"
_WORD = struct.Struct("<Q")
_NARROWINGS = 0xFFFF


def _close(shared: mmap.mmap, fd: int) -> None:
    shared.close()
    os.close(fd)


class CommitWord:
    """The shared word (see the module docstring)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        path = Path(folder) / COMMITS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(fd).st_size < _WORD.size:
            os.ftruncate(fd, _WORD.size)  # grows only: a second opener never shrinks it
        self._map = mmap.mmap(fd, _WORD.size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        self._closed = weakref.finalize(self, _close, self._map, fd)

    def read(self) -> int:
        return int(_WORD.unpack_from(self._map, 0)[0])

    def committed(self, *, narrowed: bool) -> None:
        """Called by the writer after each commit (the index's lock makes it the only one)."""
        word = self.read()
        commits, narrowings = word >> 16, word & _NARROWINGS
        narrowings = (narrowings + 1) & _NARROWINGS if narrowed else narrowings
        _WORD.pack_into(self._map, 0, ((commits + 1) << 16 | narrowings) & 0xFFFF_FFFF_FFFF_FFFF)


class Freshness:
    """A reader's side: ``check()`` before each search reloads when the word says so."""

    def __init__(self, word: CommitWord, reload: Callable[[], None], interval: float) -> None:
        self.word = word
        self._reload = reload
        self.interval = interval
        self._seen = word.read()
        self._reloaded = time.monotonic()
        self._lock = threading.Lock()

    def check(self) -> None:
        word = self.word.read()
        if word == self._seen:
            return
        narrowed = (word ^ self._seen) & _NARROWINGS
        if not narrowed and time.monotonic() - self._reloaded < self.interval:
            return
        if not self._lock.acquire(blocking=bool(narrowed)):
            return  # another thread of this process is reloading for a widening commit
        try:
            if (self._seen >> 16) < (word >> 16):  # not reloaded past it meanwhile
                self._reload_at(word)
        finally:
            self._lock.release()

    def reload_now(self) -> None:
        """Reload at once (after a write this process asked for: read your writes)."""
        with self._lock:
            self._reload_at(self.word.read())

    def _reload_at(self, word: int) -> None:
        # The word is read before the reload: every commit it counts is seen.
        self._reload()
        self._seen, self._reloaded = word, time.monotonic()
