"""Datasets and APIs: registration, editing, visibility and retirement.

``EntryService`` has two kinds of public methods. Its verbs (``get``,
``list_entries``, ``create``, ``update``, ``retire``, ``deprecate``, ...) serve the
HTTP edge and the commands. Its building blocks (``load_visible``,
``require_write``, ``apply``, ``merged``, ``check_rules``, ``view``,
``visible_ids``, ``commit_change``, ``audit_now``) serve the services composed over
it: ``ReviewService`` is given an ``EntryService`` and decides reviews with the
same rules, the same visibility and the same commit. A change to the reviewed
fields of a published entry is opened as a review by ``PendingReviews``, which
sits below both services: entries never imports reviews.

The work is done by two parts composed here, never inherited: ``EntryReader``
(``entry_reading``: reads, their audit events and refusals) and ``EntryWriter``
(``entry_writing``: changes, over the reader, checked by the rules of ``entry_rules``). ``EntryService``
builds both on one session and one audit trail and gives them one public face.
Its machines (audit chain, renderer, kept heads, OpenAPI validator) come in
through ``catalogue.ports.EntryMachines``; ``catalogue.compose.entry_service``
builds one with the concrete machines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from catalogue import fields as entry_fields
from catalogue.errors import CatalogueError
from catalogue.models import Entry
from catalogue.ports import AuditedEntry, EntryMachines, Indexer, NullIndexer
from catalogue.services import entry_rules
from catalogue.services.common import Page
from catalogue.services.entry_reading import EntryReader
from catalogue.services.entry_views import NOT_FOUND, EntryRef, EntryView, PreparedInput, entry_etag
from catalogue.services.entry_writing import EntryWriter
from catalogue.services.pending_reviews import PendingReviews
from security.identity import Identity
from security.levels import ClassificationScheme

__all__ = [
    "DEFAULT_REVIEW_INTERVALS",
    "NOT_FOUND",
    "REVIEWED_FIELDS",
    "EntryRef",
    "EntryService",
    "EntryView",
    "PreparedInput",
    "entry_etag",
]

#: Changing these on a published entry needs a security officer's review: the fields
#: declared ``reviewed`` (catalogue.fields), and nowhere else.
REVIEWED_FIELDS = entry_fields.REVIEWED_FIELDS
#: Days until an entry's classification must be reviewed again, per level.
DEFAULT_REVIEW_INTERVALS = {
    "internal": 730,
    "sensitive": 365,
    "restricted": 365,
    "confidential": 365,
    "secret": 365,
    "top-secret": 365,
}


class EntryService:
    """Datasets and APIs for callers with identities: the reader and the writer composed."""

    def __init__(
        self,
        session: Session,
        scheme: ClassificationScheme,
        machines: EntryMachines,
        indexer: Indexer | None = None,
        review_intervals: Mapping[str, int] | None = None,
    ) -> None:
        self.session = session
        self.scheme = scheme
        self.machines = machines
        self.indexer = indexer or NullIndexer()
        self.audit = machines.chain.trail(session)
        self.review_intervals = dict(review_intervals or DEFAULT_REVIEW_INTERVALS)
        #: Opens the review a change to a published entry's reviewed fields waits for.
        self.pending_reviews = PendingReviews(session, self.audit)
        self.reading = EntryReader(session, scheme, machines, self.audit)
        self.writing = EntryWriter(
            self.reading, machines.openapi, self.indexer, self.pending_reviews, machines.openapi_source
        )

    # -- reading (EntryReader) ---------------------------------------------
    def get(self, identity: Identity, entry_id: str, entry_type: str | None = None) -> EntryView:
        """One entry as the caller may see it (its read audited), or NotFound."""
        return self.reading.get(identity, entry_id, entry_type)

    def list_entries(
        self,
        identity: Identity,
        *,
        entry_type: str | None = None,
        publisher: str | None = None,
        status: str | None = None,
        theme: str | None = None,
        page: int = 1,
        per_page: int = 20,
    ) -> Page[EntryView]:
        """A page of the entries the caller may list, filtered; their reads audited."""
        return self.reading.list_entries(
            identity,
            entry_type=entry_type,
            publisher=publisher,
            status=status,
            theme=theme,
            page=page,
            per_page=per_page,
        )

    def openapi_document(
        self, identity: Identity, entry_id: str, *, summary_as_missing: bool = False
    ) -> dict[str, Any]:
        """An API's OpenAPI document, for a caller who may read the API whole."""
        return self.reading.openapi_document(identity, entry_id, summary_as_missing=summary_as_missing)

    def openapi_view(
        self, identity: Identity, entry_id: str, *, summary_as_missing: bool = False
    ) -> EntryView:
        """The whole API for a caller who may read its OpenAPI document (one audited read)."""
        return self.reading.openapi_view(identity, entry_id, summary_as_missing=summary_as_missing)

    def operations(self, identity: Identity, entry_id: str) -> list[dict[str, Any]]:
        """An API's operations, for a caller who may read the API whole (else NotFound)."""
        return self.reading.operations(identity, entry_id)

    def views_of(self, identity: Identity, ids: Sequence[str], *, audit: bool) -> dict[str, EntryView]:
        """Views of the entries among ``ids`` that the caller may see (checked in the database)."""
        return self.reading.views_of(identity, ids, audit=audit)

    def serving_apis(self, identity: Identity, dataset_id: str) -> list[EntryView]:
        """The APIs serving a dataset that the caller may read whole (their titles are shown)."""
        return self.reading.serving_apis(identity, dataset_id)

    def load_visible(self, identity: Identity, entry_id: str, entry_type: str | None) -> Entry:
        """The whole entry (to change it), or NotFound: the same for hidden and missing ids."""
        return self.reading.load_visible(identity, entry_id, entry_type)

    def view(self, identity: Identity, entry: Entry, pending_review: str | None = None) -> EntryView:
        """The view of a whole entry just loaded or changed."""
        return self.reading.view(identity, entry, pending_review)

    def visible_ids(self, identity: Identity, ids: Sequence[str]) -> list[str]:
        """Those of ``ids`` the caller may read (list), in their order."""
        return self.reading.visible_ids(identity, ids)

    def audit_now(
        self,
        identity: Identity,
        action: str,
        entry: AuditedEntry | None,
        *,
        decision: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Record an event in a transaction of its own (a refusal rolls back the rest)."""
        self.reading.audit_now(identity, action, entry, decision=decision, details=details)

    # -- writing (EntryWriter) ---------------------------------------------
    def prepare(self, data: dict[str, Any]) -> PreparedInput:
        """Check what needs no database and takes time, before a write begins."""
        return self.writing.prepare(data)

    def create(self, identity: Identity, entry_type: str, data: dict[str, Any]) -> EntryView:
        """Register a draft entry for the caller's agency."""
        return self.writing.create(identity, entry_type, data)

    def create_many(
        self,
        identity: Identity,
        entry_type: str,
        items: Sequence[dict[str, Any]],
        companions: Callable[[int, Entry], Iterable[object]] | None = None,
    ) -> list[Entry | CatalogueError]:
        """``create`` for many drafts, by the same checks, committed together (a harvest)."""
        return self.writing.create_many(identity, entry_type, items, companions)

    def update(
        self,
        identity: Identity,
        entry_id: str,
        data: dict[str, Any],
        if_match: str | None,
        entry_type: str | None = None,
    ) -> EntryView:
        """Replace (PUT) or change (PATCH); a reviewed field of a published entry goes to review."""
        return self.writing.update(identity, entry_id, data, if_match, entry_type)

    def reviewed_changes(
        self, identity: Identity, entry_id: str, data: dict[str, Any], entry_type: str | None = None
    ) -> list[str]:
        """The reviewed fields ``data`` would change on a published entry (what ``update``
        would send to review), without changing anything: the forms show it before saving."""
        return self.writing.reviewed_changes(identity, entry_id, data, entry_type)

    def retire(
        self, identity: Identity, entry_id: str, if_match: str | None, entry_type: str | None = None
    ) -> EntryView:
        """DELETE never erases: the entry is kept, retired."""
        return self.writing.retire(identity, entry_id, if_match, entry_type)

    def deprecate(
        self, identity: Identity, entry_id: str, if_match: str | None, entry_type: str | None = None
    ) -> EntryView:
        """A published entry that should no longer be used, but still exists."""
        return self.writing.deprecate(identity, entry_id, if_match, entry_type)

    def require_write(self, identity: Identity, entry: Entry, action: str) -> None:
        """PermissionDenied (audited) unless the caller may change ``entry``."""
        self.writing.require_write(identity, entry, action)

    def apply(self, identity: Identity, entry: Entry, prepared: PreparedInput, *, creating: bool) -> None:
        """Check the rules on the entry as it will be, then change it (not committed)."""
        self.writing.apply(identity, entry, prepared, creating=creating)

    def merged(self, entry: Entry, data: dict[str, Any], creating: bool) -> dict[str, Any]:
        """The entry as it will be after the change, for checking the rules."""
        return entry_rules.merged(entry, data, creating)

    def check_rules(self, identity: Identity, entry: Entry, m: dict[str, Any], links: list[str]) -> None:
        """ValidationFailed or PermissionDenied unless ``m`` (the merged entry) keeps every rule."""
        self.writing.rules.check(identity, entry, m, links)

    def commit_change(
        self, identity: Identity, entry: Entry, action: str, details: dict[str, Any] | None = None
    ) -> None:
        """The change, its outbox row and its audit event commit together."""
        self.writing.commit_change(identity, entry, action, details)

    def commit_changes(
        self,
        identity: Identity,
        action: str,
        changes: Sequence[tuple[Entry, dict[str, Any] | None]],
        new: Sequence[object] = (),
        updates: Sequence[tuple[Entry, dict[str, Any]]] = (),
    ) -> None:
        """Several entries' changes of one action, each with its outbox row and audit event;
        ``new``: new objects written with them by Core inserts, ``updates``: column values
        of entries written by a version-checked Core UPDATE (``catalogue.new_rows``)."""
        self.writing.commit_changes(identity, action, changes, new, updates)
