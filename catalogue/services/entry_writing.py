"""Writing entries: registration (one by one, and many at once for a harvest), editing,
deprecation and retirement, and the commit that carries each change's outbox row and
audit event. The rules a change must keep, checked on the entry as it will be, are
``entry_rules``'s (``EntryRules``, ``merged``); ``apply`` checks them, then changes the entry.

Input that costs more than a lookup (an OpenAPI document) is checked by
``prepare`` through the ``OpenAPIValidator`` port before the write transaction
opens; ``prepare`` also reads the document's operations (``catalogue.operations``),
which the write step checks against the entry (an operation is never classified above
its API) and stores in ``api_operations``, replacing the old ones. A change to the
reviewed fields of a published entry is not applied: it is opened as a review by ``PendingReviews``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from catalogue import fields as entry_fields
from catalogue.db import begin_write
from catalogue.errors import CatalogueError, Conflict, PermissionDenied, ValidationFailed
from catalogue.models import (
    Agency,
    ApiOperation,
    Distribution,
    Entry,
    EntryDataElement,
    EntryTheme,
    LegalBasis,
    OperationDataElement,
    OutboxEvent,
    ServedDataset,
    utcnow,
)
from catalogue.new_rows import insert_new, update_versioned
from catalogue.operations import Operation
from catalogue.ports import Indexer, OpenAPISource, OpenAPIValidator
from catalogue.services import entry_rules
from catalogue.services.common import check_etag
from catalogue.services.entry_reading import EntryReader
from catalogue.services.entry_rules import EntryRules
from catalogue.services.entry_views import EntryView, PreparedInput, entry_etag, operations_in
from catalogue.services.pending_reviews import PendingReviews
from catalogue.services.statutes import hold_cited
from security import policy
from security.identity import Identity


class EntryWriter:
    """Changes entries for callers, composed over the ``EntryReader`` that finds them."""

    def __init__(
        self,
        reader: EntryReader,
        openapi: OpenAPIValidator,
        indexer: Indexer,
        pending_reviews: PendingReviews,
        openapi_source: OpenAPISource | None = None,
    ) -> None:
        self.reader = reader
        self.session = reader.session
        self.scheme = reader.scheme
        self.audit = reader.audit
        #: The rules every change keeps (``apply`` checks them on the entry as it will be).
        self.rules = EntryRules(self.session, self.scheme)
        self.openapi = openapi
        #: Fetches a document given by URL (None: an openapi_url is refused).
        self.openapi_source = openapi_source
        self.indexer = indexer
        #: Opens the review a change to a published entry's reviewed fields waits for.
        self.pending_reviews = pending_reviews

    def prepare(self, data: dict[str, Any]) -> PreparedInput:
        """Check what needs no database and takes time, before a write begins."""
        if not self._fetch_openapi(data) and data.get("openapi") is not None:
            self.openapi.check(data["openapi"])
        return PreparedInput(data, operations=operations_in(data))

    def _fetch_openapi(self, data: dict[str, Any]) -> bool:
        """A document given by URL is fetched now, before any transaction, and then checked
        as an uploaded one. Input that gives the document or its URL says where the
        document comes from: ``openapi_url`` and ``openapi_fetched`` are set (a fetched
        document) or cleared (an uploaded one, or none). True if a document was fetched
        (and checked)."""
        if "openapi" not in data and "openapi_url" not in data:
            return False
        url = data.get("openapi_url")
        if url is None:
            data["openapi_url"] = data["openapi_fetched"] = None
            return False
        if data.get("openapi") is not None:
            raise ValidationFailed({"openapi_url": ["Give the OpenAPI document or its URL, not both."]})
        if self.openapi_source is None:
            raise ValidationFailed({"openapi_url": ["This catalogue does not fetch OpenAPI documents."]})
        document = self.openapi_source.fetch(url)
        if document is None:  # left for the refresh (a harvest): the URL, no copy yet
            data["openapi"] = data["openapi_fetched"] = None
            return False
        try:
            self.openapi.check(document)
        except ValidationFailed as exc:  # TooLarge too: the caller sent the URL, not the text
            raise type(exc)({"openapi_url": exc.errors.get("openapi", [])}, str(exc)) from None
        data["openapi"] = document
        data["openapi_fetched"] = utcnow()
        return True

    def create(self, identity: Identity, entry_type: str, data: dict[str, Any]) -> EntryView:
        """Register a draft entry for the caller's agency."""
        publisher = data.pop("publisher")
        prepared = self.prepare(data)
        begin_write(self.session)
        self._may_create(identity, publisher)
        entry = self._new_entry(identity, entry_type, publisher, prepared)
        self.session.add(entry)
        self.commit_change(identity, entry, "entry.create")
        return self.reader.view(identity, entry)

    def create_many(
        self,
        identity: Identity,
        entry_type: str,
        items: Sequence[dict[str, Any]],
        companions: Callable[[int, Entry], Iterable[object]] | None = None,
    ) -> list[Entry | CatalogueError]:
        """``create`` for many drafts at once (a harvest's new records): each item is
        checked by the very steps ``create`` takes (``prepare``, ``_may_create``,
        ``_new_entry``: the same rules and the same audited refusal); an item that fails
        is its error in the answer and is not written. The others are written in one
        flush and committed together, each with its outbox row and its ``entry.create``
        event, as ``create`` writes them one by one (tests/unit/catalogue/test_bulk_writes.py
        compares the two). ``companions(i, entry)`` gives rows to commit with the i-th
        entry (a harvest record). The answer is in the order of ``items``; no rendering."""
        answers: list[Entry | CatalogueError | None] = [None] * len(items)
        ready: list[tuple[int, str, PreparedInput]] = []
        for i, item in enumerate(items):
            data = dict(item)
            publisher = data.pop("publisher")
            try:
                ready.append((i, publisher, self.prepare(data)))
            except CatalogueError as exc:
                answers[i] = exc
        begin_write(self.session)
        # Every permission first: a refusal is audited in a transaction of its own,
        # which must not roll back what the items before it have built.
        # A publisher allowed once is allowed for the group (the same identity, the same
        # transaction); each refused item is refused, and audited, on its own.
        allowed: list[tuple[int, str, PreparedInput]] = []
        may: set[str] = set()
        for i, publisher, prepared in ready:
            try:
                if publisher not in may:
                    self._may_create(identity, publisher)
                    may.add(publisher)
                allowed.append((i, publisher, prepared))
            except CatalogueError as exc:
                answers[i] = exc
        built: list[tuple[int, Entry]] = []
        for i, publisher, prepared in allowed:
            try:
                built.append((i, self._new_entry(identity, entry_type, publisher, prepared)))
            except CatalogueError as exc:
                answers[i] = exc
        new: list[object] = []
        for i, entry in built:
            new.append(entry)
            if companions is not None:
                new.extend(companions(i, entry))
            answers[i] = entry
        # Written by Core inserts, one per table for the group (``catalogue.new_rows``),
        # not by the unit of work: the rows are those the session would write.
        self.commit_changes(identity, "entry.create", [(entry, None) for _i, entry in built], new)
        return [a for a in answers if a is not None]

    def _may_create(self, identity: Identity, publisher: str) -> None:
        """PermissionDenied (audited) or ValidationFailed unless the caller may register
        an entry for ``publisher``."""
        if not policy.can_create(identity, publisher):
            self.reader.audit_now(
                identity, "entry.create", None, decision="deny", details={"publisher": publisher}
            )
            raise PermissionDenied(
                "You may register entries only for your own agency, with the catalogue:write scope."
            )
        if self.session.get(Agency, publisher) is None:
            raise ValidationFailed({"publisher": ["No agency with that organisation number."]})

    def _new_entry(
        self, identity: Identity, entry_type: str, publisher: str, prepared: PreparedInput
    ) -> Entry:
        """A draft with the rules checked and the input applied (not added, not committed)."""
        entry = Entry(type=entry_type, publisher=publisher, status=policy.DRAFT)
        self.apply(identity, entry, prepared, creating=True)
        return entry

    def update(
        self,
        identity: Identity,
        entry_id: str,
        data: dict[str, Any],
        if_match: str | None,
        entry_type: str | None = None,
    ) -> EntryView:
        """Replace (PUT) or change (PATCH: ``data`` holds only what changes).

        On a published entry, a change that touches the classification, listing
        level, legal basis or personal-data flags is not applied: it becomes a
        pending revision for a security officer (``PendingReviews.propose_revision``;
        ``ReviewService.decide`` applies it)."""
        prepared = self.prepare(data)
        begin_write(self.session)
        entry = self.reader.load_visible(identity, entry_id, entry_type)
        self.require_write(identity, entry, "entry.update")
        check_etag(entry_etag(entry), if_match)
        if entry.status == policy.RETIRED:
            raise Conflict("A retired entry cannot be edited.")
        if entry.status == policy.IN_REVIEW:
            raise Conflict("The entry is frozen while it is in review.")
        if entry.status in (policy.PUBLISHED, policy.DEPRECATED):
            # Compare the entry as it would be after the change, not the input: an
            # omitted or null listing_level defaults to the classification, and
            # that is a reclassification too.
            after = entry_rules.merged_input(entry, prepared, creating=False)
            changed = entry_rules.reviewed_changes(entry, after)
            if changed:
                # Check the whole proposal now, so the officer never gets an invalid one.
                self.rules.check(identity, entry, after, entry_rules.supplied_links(data))
                review = self.pending_reviews.propose_revision(identity, entry, data, changed)
                return self.reader.view(identity, entry, pending_review=review.id)
        self.apply(identity, entry, prepared, creating=False)
        entry.modified = utcnow()
        self.commit_change(identity, entry, "entry.update", {"fields": sorted(data)})
        return self.reader.view(identity, entry)

    def reviewed_changes(
        self, identity: Identity, entry_id: str, data: dict[str, Any], entry_type: str | None = None
    ) -> list[str]:
        """The reviewed fields ``data`` would change, where ``update`` would send the change to
        a security officer instead of applying it (a published or deprecated entry); nothing
        elsewhere. Changes nothing; for the caller who may change the entry (else as ``update``)."""
        prepared = self.prepare(data)  # as ``update``: a document is checked first, outside a transaction
        entry = self.reader.load_visible(identity, entry_id, entry_type)
        self.require_write(identity, entry, "entry.update")
        if entry.status not in (policy.PUBLISHED, policy.DEPRECATED):
            return []
        return entry_rules.reviewed_changes(entry, entry_rules.merged_input(entry, prepared, creating=False))

    def retire(
        self, identity: Identity, entry_id: str, if_match: str | None, entry_type: str | None = None
    ) -> EntryView:
        """DELETE never erases: the entry is kept, retired."""
        begin_write(self.session)
        entry = self.reader.load_visible(identity, entry_id, entry_type)
        self.require_write(identity, entry, "entry.retire")
        check_etag(entry_etag(entry), if_match)
        if entry.status != policy.RETIRED:
            entry.status = policy.RETIRED
            entry.modified = utcnow()
            self.commit_change(identity, entry, "entry.retire")
        return self.reader.view(identity, entry)

    def deprecate(
        self, identity: Identity, entry_id: str, if_match: str | None, entry_type: str | None = None
    ) -> EntryView:
        """A published entry that should no longer be used, but still exists."""
        begin_write(self.session)
        entry = self.reader.load_visible(identity, entry_id, entry_type)
        self.require_write(identity, entry, "entry.deprecate")
        check_etag(entry_etag(entry), if_match)
        if entry.status != policy.PUBLISHED:
            raise Conflict(f"Only a published entry can be deprecated; this entry is {entry.status}.")
        entry.status = policy.DEPRECATED
        entry.modified = utcnow()
        self.commit_change(identity, entry, "entry.deprecate")
        return self.reader.view(identity, entry)

    # -- building blocks (also used by ReviewService) ----------------------
    def require_write(self, identity: Identity, entry: Entry, action: str) -> None:
        """PermissionDenied (audited) unless the caller may change ``entry``."""
        if not policy.can_write(identity, entry.facts):
            self.reader.audit_now(identity, action, entry, decision="deny", details={"answered": 403})
            raise PermissionDenied("Only the publishing agency's data owners may change this entry.")

    def apply(self, identity: Identity, entry: Entry, prepared: PreparedInput, *, creating: bool) -> None:
        """Check the rules on the entry as it will be, then change it (not committed)."""
        data = prepared.data
        merged = entry_rules.merged_input(entry, prepared, creating)
        links = [] if prepared.links_checked else entry_rules.supplied_links(data)
        self.rules.check(identity, entry, merged, links)
        # The fields stored as a column of their own name, as they are; the others
        # ("special" in catalogue.fields) below.
        for field in entry_fields.column_fields(entry.type):
            setattr(entry, field.name, merged[field.name])
        if "openapi_fetched" in data:  # set by ``_fetch_openapi`` only
            entry.openapi_fetched = data["openapi_fetched"]
        temporal = merged["temporal"] or {}
        entry.temporal_start = temporal.get("start")
        entry.temporal_end = temporal.get("end")
        if "legal_basis" in data or creating:
            # Until this commits, a register change of a cited statute waits for it.
            hold_cited(self.session, ((b["jurisdiction"], b["reference"]) for b in merged["legal_basis"]))
            entry.legal_bases = [
                LegalBasis(position=i, **basis) for i, basis in enumerate(merged["legal_basis"])
            ]
        if "themes" in data or creating:
            entry.theme_rows = [EntryTheme(theme=t) for t in merged["themes"]]
        if "data_elements" in data or "authoritative_for" in data or creating:
            authoritative = set(merged["authoritative_for"])
            entry.element_rows = [
                EntryDataElement(element=key, authoritative=key in authoritative)
                for key in merged["data_elements"]
            ]
        if prepared.operations is not None:
            entry.operation_rows = [_operation_row(i, o) for i, o in enumerate(prepared.operations)]
            carried = sorted({key for o in prepared.operations for key in o.data_elements})
            entry.operation_element_rows = [OperationDataElement(element=key) for key in carried]
        if entry.type == "dataset":
            if "distributions" in data or creating:
                entry.distributions = [
                    Distribution(position=i, **d) for i, d in enumerate(merged["distributions"])
                ]
        else:
            if "serves_datasets" in data or creating:
                links = list(merged["serves_datasets"])
                if not creating:  # keep the links the caller cannot see (and so cannot remove)
                    visible = set(self.reader.visible_ids(identity, entry.served_dataset_ids))
                    links += [d for d in entry.served_dataset_ids if d not in visible and d not in links]
                entry.served = [ServedDataset(dataset_id=d, position=i) for i, d in enumerate(links)]

    def commit_change(
        self, identity: Identity, entry: Entry, action: str, details: dict[str, Any] | None = None
    ) -> None:
        """The change, its outbox row and its audit event commit together."""
        self.commit_changes(identity, action, [(entry, details)])

    def commit_changes(
        self,
        identity: Identity,
        action: str,
        changes: Sequence[tuple[Entry, dict[str, Any] | None]],
        new: Sequence[object] = (),
        updates: Sequence[tuple[Entry, dict[str, Any]]] = (),
    ) -> None:
        """Several entries' changes of one action, each with its outbox row and audit
        event, flushed and committed together (``commit_change`` is this for one).
        ``new``: brand-new objects outside the session (``create_many``'s entries and
        their companions), written by Core inserts (``catalogue.new_rows.insert_new``).
        ``updates``: column values of entries the session holds (``submit_many``'s status
        change), written by one version-checked Core UPDATE
        (``catalogue.new_rows.update_versioned``); those entries are changed ones."""
        if not changes:
            return
        try:
            written = {id(obj) for obj in new} | {id(entry) for entry, _values in updates}
            changed = [
                id(entry) in written or entry in self.session.new or self.session.is_modified(entry)
                for entry, _ in changes
            ]
            insert_new(self.session, new)
            update_versioned(self.session, updates)
            self.session.flush()
            # Outbox rows by Core too, in the order of the changes (their ids as ever).
            insert_new(
                self.session,
                [
                    OutboxEvent(entry_id=entry.id, revision=entry.revision)
                    for (entry, _details), was_changed in zip(changes, changed, strict=True)
                    if was_changed  # a decision that changes nothing needs no re-indexing
                ],
            )
            self.audit.record_many(
                identity,
                action,
                [(entry, {"revision": entry.revision, **(details or {})}) for entry, details in changes],
            )
            self.session.commit()
        except StaleDataError as exc:
            self.session.rollback()
            raise Conflict("The entry was changed by someone else at the same time; retry.") from exc
        except Exception:
            self.session.rollback()
            raise
        self.indexer.changed([entry.id for entry, _ in changes])


def _operation_row(position: int, operation: Operation) -> ApiOperation:
    return ApiOperation(
        position=position,
        method=operation.method,
        path=operation.path,
        operation_id=operation.operation_id,
        summary=operation.summary,
        tags=list(operation.tags),
        data_elements=list(operation.data_elements),
        classification=operation.classification,
    )
