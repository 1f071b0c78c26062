"""The outbox drainer: keeps the search index in step with the database.

Guarantees
- Every entry change writes an ``OutboxEvent`` in the same transaction
  (``EntryService.commit_change``); this indexer drains those rows right after the
  commit (``changed``) and on ``tillit index sync``. A crash between the commit
  and the index write leaves the rows, and the next drain repairs the index.
- Drains are idempotent: a row only says "entry X changed", and the document is
  always built from the entry's *current* row in the database, with its
  revision; the backend never lets an older revision replace a newer one.
  Rows are taken in commit order, one index commit per batch, and deleted in
  the same database transaction that follows the index commit; a batch takes its
  entries' later rows too (their changes are in the rows the documents are read from).
- Tighten first: when a flush changes an entry's access labels (classification,
  listing level, status), its document is removed from the index *before* the
  database commits, so no search can show it under the old, looser labels; the
  drain after the commit puts it back with the new ones (and a rolled-back
  transaction puts the old document back). Search hits are in any case
  re-checked against the database (see :mod:`search.service`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from catalogue.db import listen
from catalogue.models import Entry, OutboxEvent
from search.backend import SearchBackend
from search.documents import READ_CHUNK, documents_for, iter_documents

log = logging.getLogger(__name__)
ACCESS_LABELS = ("classification", "listing_level", "status", "publisher")
TIGHTEN_KEY = "tillit_search_tightened"


@dataclass
class CheckReport:
    missing: list[str] = field(default_factory=list)  # in the database, not in the index
    stale: list[str] = field(default_factory=list)  # indexed with another revision
    extra: list[str] = field(default_factory=list)  # in the index, not in the database
    repaired: bool = False

    @property
    def in_step(self) -> bool:
        return not (self.missing or self.stale or self.extra)


class OutboxIndexer:
    """Implements the catalogue's ``Indexer`` port."""

    def __init__(
        self, sessions: sessionmaker[Session], backend: SearchBackend, lowest: str, batch_size: int = 500
    ):
        """``lowest``: the scheme's lowest level, which documents' sharing status needs."""
        self.sessions = sessions
        self.backend = backend
        self.lowest = lowest
        self.batch_size = batch_size
        self._drain_lock = threading.Lock()

    # -- the port ---------------------------------------------------------------
    def changed(self, entry_ids: Sequence[str]) -> None:
        """A nudge after a commit: drain now. Failures are logged, not raised: the
        change is committed and its outbox rows wait for the next drain."""
        try:
            self.drain()
        except Exception:
            log.exception("Search indexing failed; the outbox keeps the change for the next drain.")

    # -- draining ---------------------------------------------------------------
    def drain(self) -> int:
        """Index everything in the outbox; returns the number of rows drained."""
        drained = 0
        with self._drain_lock:
            while True:
                with self.sessions() as session:
                    rows = session.execute(
                        select(OutboxEvent.id, OutboxEvent.entry_id)
                        .order_by(OutboxEvent.id)
                        .limit(self.batch_size)
                    ).all()
                    if not rows:
                        return drained
                    ids = list(dict.fromkeys(r.entry_id for r in rows))
                    done = [r.id for r in rows] + self._later_rows(session, ids, rows[-1].id)
                    self._index_ids(session, ids)
                    session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(done)))
                    session.commit()
                    drained += len(done)

    def _later_rows(self, session: Session, ids: Sequence[str], after: int) -> list[int]:
        """The outbox rows after ``after`` of the entries ``ids``: drained with this batch.

        Each such row was committed before this read (it is visible), so the document read
        next, the entry's current row, holds its change already: indexing the entry again
        for it would write the same document twice. A harvest writes two rows an entry
        (created, then submitted), and a batch of rows by id held each entry's first row
        only: every entry was indexed twice (docs/harvest.md, "Speed")."""
        later: list[int] = []
        for start in range(0, len(ids), self.batch_size):
            later.extend(
                session.scalars(
                    select(OutboxEvent.id).where(
                        OutboxEvent.entry_id.in_(ids[start : start + self.batch_size]), OutboxEvent.id > after
                    )
                )
            )
        return later

    def pending(self) -> int:
        with self.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(OutboxEvent)) or 0)

    def _index_ids(self, session: Session, ids: Sequence[str]) -> None:
        documents = documents_for(session, ids, self.lowest)
        self.backend.upsert(documents)
        gone = set(ids) - {d["id"] for d in documents}
        if gone:
            self.backend.delete(sorted(gone))

    # -- rebuilding and checking -------------------------------------------------
    def count_entries(self) -> int:
        with self.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(Entry)) or 0)

    def reindex(self, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the whole index from the database, then drain what changed meanwhile."""
        with self.sessions() as session:

            def documents() -> Iterator[dict[str, Any]]:
                # Columns and relations read in bulk per chunk: no ORM objects.
                for chunk in iter_documents(session, self.lowest):
                    yield from chunk
                    if progress:
                        progress(len(chunk))

            count = self.backend.rebuild(documents())
        self.drain()
        return count

    def check(self, repair: bool = True) -> CheckReport:
        """Compare the database with the index (ids and revisions) and repair."""
        with self.sessions() as session:
            in_db = {row.id: row.revision for row in session.execute(select(Entry.id, Entry.revision))}
            indexed = self.backend.revisions()
            report = CheckReport(
                missing=sorted(set(in_db) - set(indexed)),
                stale=sorted(i for i in set(in_db) & set(indexed) if in_db[i] != indexed[i]),
                extra=sorted(set(indexed) - set(in_db)),
            )
            if repair and not report.in_step:
                todo = report.missing + report.stale
                for i in range(0, len(todo), READ_CHUNK):
                    self._index_upsert_current(session, todo[i : i + READ_CHUNK])
                self.backend.delete(report.extra)
                report.repaired = True
        return report

    def _index_upsert_current(self, session: Session, ids: Sequence[str]) -> None:
        # A stale document may carry a *higher* revision than the database (a
        # transaction that was indexed, then rolled back): replace it outright.
        self.backend.delete(ids)
        self._index_ids(session, ids)

    # -- tighten first ------------------------------------------------------------
    def install(self, sessions: sessionmaker[Session]) -> None:
        """Watch the catalogue's sessions for access-label changes (see module doc)."""
        listen(sessions, "after_flush", self._after_flush)
        listen(sessions, "after_commit", self._after_commit)
        listen(sessions, "after_soft_rollback", self._after_rollback)

    def _after_flush(self, session: Session, _context: Any) -> None:
        changed = [
            obj.id
            for obj in session.dirty
            if isinstance(obj, Entry)
            and any(inspect(obj).attrs[name].history.has_changes() for name in ACCESS_LABELS)
        ]
        if changed:
            self.tighten(changed)
            session.info.setdefault(TIGHTEN_KEY, set()).update(changed)

    def _after_commit(self, session: Session) -> None:
        session.info.pop(TIGHTEN_KEY, None)

    def _after_rollback(self, session: Session, _previous: Any) -> None:
        ids = session.info.pop(TIGHTEN_KEY, None)
        if not ids:
            return
        try:
            self.restore(sorted(ids))
        except Exception:
            log.exception("Could not restore search documents after a rollback; run `tillit index check`.")

    def tighten(self, entry_ids: Sequence[str]) -> None:
        """Take these entries' documents out of the index now (before the commit)."""
        self.backend.delete(entry_ids)

    def restore(self, entry_ids: Sequence[str]) -> None:
        """Index these entries again as the database has them now (after a rollback)."""
        with self.sessions() as fresh:
            self._index_upsert_current(fresh, entry_ids)
