"""Refreshing OpenAPI documents given by URL: on demand for an API's owners, and on a schedule.

A refresh is an update that gives the entry's ``openapi_url`` again: the writer fetches
and checks the document before its transaction opens (``EntryWriter.prepare``), and
stores it with its fetch time like any change (revision, outbox row, audit event
``entry.update``; the operations read again from the new document and their rules
checked). It is made against the version read first (its ETag): a data owner's change in
between (a new URL, say) wins, and the refresh is a 412 to try again.

The schedule (``refresh_due``, run by ``tillit harvest openapi-due`` from cron) refreshes
every API whose copy is older than ``every_hours``, as the system; a document that can
no longer be fetched or no longer passes is left as it was, its reason reported, and
the others go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from catalogue.errors import CatalogueError, Conflict
from catalogue.models import Entry
from catalogue.services.entries import EntryService, EntryView, entry_etag
from security import policy
from security.identity import Identity


@dataclass(frozen=True)
class RefreshOutcome:
    """One scheduled refresh: the API, and why it failed (None: refreshed)."""

    entry_id: str
    error: str | None = None


class OpenAPIRefresh:
    """Fetches APIs' OpenAPI documents again from their ``openapi_url``."""

    def __init__(self, entries: EntryService) -> None:
        self.entries = entries
        self.session = entries.session

    def refresh(self, identity: Identity, entry_id: str) -> EntryView:
        """Fetch the API's document again; for those who may change the API (else as an
        update: 404 if hidden, 403 if only readable). Conflict if it has no URL."""
        entry = self.entries.reading.load_visible(identity, entry_id, "api")
        self.entries.require_write(identity, entry, "entry.update")
        url, etag = entry.openapi_url, entry_etag(entry)
        if url is None:
            raise Conflict("This API's OpenAPI document was not given by URL: there is nothing to refresh.")
        # The read ends before the document is fetched: no transaction waits on the network.
        self.session.commit()
        return self.entries.update(identity, entry_id, {"openapi_url": url}, etag, "api")

    def due(self, now: datetime, every_hours: float) -> list[str]:
        """The APIs whose fetched copy is older than ``every_hours`` (oldest first)."""
        cutoff = now - timedelta(hours=every_hours)
        ids = self.session.scalars(
            select(Entry.id)
            .where(
                Entry.type == "api",
                Entry.openapi_url.is_not(None),
                Entry.status.in_((policy.DRAFT, policy.PUBLISHED, policy.DEPRECATED)),
                or_(Entry.openapi_fetched.is_(None), Entry.openapi_fetched < cutoff),
            )
            .order_by(Entry.openapi_fetched)
        ).all()
        self.session.commit()
        return list(ids)

    def refresh_due(self, identity: Identity, now: datetime, every_hours: float) -> list[RefreshOutcome]:
        """Refresh every API that is due, as ``identity`` (the system, from cron)."""
        outcomes = []
        for entry_id in self.due(now, every_hours):
            try:
                self.refresh(identity, entry_id)
            except CatalogueError as exc:
                self.session.rollback()
                outcomes.append(RefreshOutcome(entry_id, _reason(exc)))
            else:
                outcomes.append(RefreshOutcome(entry_id))
        return outcomes


def _reason(exc: CatalogueError) -> str:
    """The refusal in one line: its message, and its fields' messages (Tillit's own text)."""
    errors = getattr(exc, "errors", None)
    if isinstance(errors, dict) and errors:
        return "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in sorted(errors.items()))
    return str(exc)
