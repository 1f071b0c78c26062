"""Reading entries: one by id, a page of them, views of several; and the audit
events and refusals reads leave behind.

Every read decides visibility on the entry's head (``catalogue.visibility``) and
then serves the caller a cached rendering (``Renderer``). Heads of single reads may
be kept in memory (``KeptHeads``, docs/kept-heads.md); reads are audited before they
are answered (``ReadAudit``, or in this session); refusals are noted and written
after the answer (``RefusalNotes``). Each machine is reached only through its port.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalogue.db import begin_write
from catalogue.errors import Conflict, NotFound, PermissionDenied
from catalogue.fields import SINGLE_FIELDS
from catalogue.models import ApiOperation, Entry, ServedDataset
from catalogue.ports import AuditedEntry, AuditTrail, EntryMachines, Rendering
from catalogue.services.common import MAX_PER_PAGE, Page
from catalogue.services.entry_views import NOT_FOUND, EntryRef, EntryView, R
from catalogue.services.statutes import register_of
from catalogue.shapes import OperationSchema
from catalogue.visibility import (
    CATALOGUE_VERSION,
    HEAD_BY_ID,
    EntryHead,
    counts_for,
    head_of,
    head_rows_by_ids,
    heads_by_ids,
    list_query,
    page_heads,
    visible_clause,
)
from security import policy
from security.identity import Identity
from security.levels import ClassificationScheme

#: The ``single`` fields the reader adds (``EntryReader.single``): a new one needs code there.
if SINGLE_FIELDS != ("operations",):
    raise RuntimeError(f"EntryReader.single adds operations only, not {SINGLE_FIELDS}.")
OPERATIONS = OperationSchema(many=True)


def _with_operations(view: EntryView, operations: list[dict[str, Any]]) -> EntryView:
    """``view`` with the API's operations; its JSON text is then made per request."""
    return replace(view, document={**view.document, "operations": operations}, text=None, named=None)


class EntryReader:
    """Reads entries for callers, audits the reads and notes the refusals."""

    def __init__(
        self, session: Session, scheme: ClassificationScheme, machines: EntryMachines, audit: AuditTrail
    ) -> None:
        self.session = session
        self.scheme = scheme
        self.audit = audit
        self.renderer = machines.renderer
        #: Where reads are audited: group-committed (the app) or in this session.
        self.read_log = machines.read_log
        #: Heads kept in memory for reads of one entry (docs/kept-heads.md); None: always read.
        self.heads = machines.heads
        #: Where 404s of entries by id are noted (None: a hidden one is audited at once).
        self.refusals = machines.refusals

    # A hidden entry and an id that never existed answer the same 404 by the same path:
    # one read of a head (found or not), one note of the refusal (written to the audit
    # log after the answer, ``RefusalNotes``), never a kept head and never a
    # whole entry loaded. Their times differ by a row decoded (docs/security.md).
    def load_visible(self, identity: Identity, entry_id: str, entry_type: str | None) -> Entry:
        """The whole entry (to change it), or NotFound: the same for hidden and missing ids.
        Its head is decided first, so that a refusal never loads the whole entry."""
        self._head_visible(identity, entry_id, entry_type)
        # Decided again on the whole entry: on PostgreSQL each statement reads its own snapshot.
        return self._listable(identity, entry_id, self.session.get(Entry, entry_id), entry_type)

    def _head_visible(
        self, identity: Identity, entry_id: str, entry_type: str | None, *, alone: bool = False
    ) -> EntryHead:
        """The head of an entry the caller may list (to read it), or NotFound.
        ``alone``: read it in a statement of its own (see ``Prepared.first``)."""
        row = None
        if _looks_like_uuid(entry_id):
            if alone and self.heads is not None and not self.session.in_transaction():
                row = self.heads.row(
                    entry_id,
                    lambda: HEAD_BY_ID.first(self.session, {"id": entry_id}, alone=True),
                    # A kept head answers only a caller it is shown to: a refusal reads
                    # the database, as it must for an id that was never kept.
                    lambda kept: self._answered(identity, head_of(kept), entry_type),
                )
            else:
                row = HEAD_BY_ID.first(self.session, {"id": entry_id}, alone=alone)
        return self._listable(identity, entry_id, head_of(row) if row is not None else None, entry_type)

    @staticmethod
    def _answered(identity: Identity, entry: EntryRef, entry_type: str | None) -> bool:
        return (entry_type is None or entry.type == entry_type) and policy.can_list(identity, entry.facts)

    def _listable(self, identity: Identity, entry_id: str, entry: R | None, entry_type: str | None) -> R:
        if entry is not None and self._answered(identity, entry, entry_type):
            return entry
        hidden = entry is not None and not policy.can_list(identity, entry.facts)
        self._refused(identity, entry_id, entry if hidden else None)
        raise NotFound(NOT_FOUND)

    def _refused(self, identity: Identity, entry_id: str, hidden: AuditedEntry | None) -> None:
        """Note a 404 of ``entry_id`` (``hidden``: the entry it names, which the caller
        may not see). The caller gets the very same 404 either way."""
        if self.refusals is not None:
            self.refusals.note(identity, "entry.read", entry_id, hidden)
        elif hidden is not None:  # no refusal log (a command, not a server): at once
            self.audit_now(identity, "entry.read", hidden, decision="deny", details={"answered": 404})

    def view(self, identity: Identity, entry: Entry, pending_review: str | None = None) -> EntryView:
        """The view of a whole entry just loaded or changed, read alone (with its
        ``single`` fields: the answer to a write is the entry as GET shows it)."""
        full = policy.can_read(identity, entry.facts)
        rendering = self.renderer.render(entry, full, register_of(self.session, _cites([entry])))
        view = self._dress(identity, entry, full, rendering, pending_review if full else None)
        if not (full and entry.type == "api"):
            return view
        return _with_operations(view, OPERATIONS.dump(entry.operation_rows))

    def views(self, identity: Identity, heads: Sequence[EntryHead]) -> list[EntryView]:
        """Views of entries the caller may list: renderings from the cache, and whole
        entries loaded (in one query per relation) only for those not cached yet.

        A whole entry loaded here is decided again on its own facts: its head may
        have been read in an earlier transaction (``get``), and the entry may have
        changed since. One no longer listable is left out."""
        found: dict[str, tuple[EntryRef, bool, Rendering]] = {}
        missing = []
        for head in heads:
            full = policy.can_read(identity, head.facts)
            rendering = self.renderer.cached(head.id, head.revision, full)
            if rendering is None:
                missing.append(head.id)
            else:
                found[head.id] = (head, full, rendering)
        if missing:
            loaded = list(
                self.session.scalars(
                    select(Entry)
                    .where(Entry.id.in_(missing))
                    .options(
                        selectinload(Entry.legal_bases),
                        selectinload(Entry.distributions),
                        selectinload(Entry.theme_rows),
                        selectinload(Entry.served),
                        selectinload(Entry.operation_rows),
                    )
                )
            )
            # The names of the statutes they cite, read after the entries (never before:
            # docs/statutes.md), in one query for all of them.
            statutes = register_of(self.session, _cites(loaded))
            for entry in loaded:
                if policy.can_list(identity, entry.facts):
                    full = policy.can_read(identity, entry.facts)
                    found[entry.id] = (entry, full, self.renderer.render(entry, full, statutes))
        return [self._dress(identity, *found[h.id], None) for h in heads if h.id in found]

    def _dress(
        self,
        identity: Identity,
        entry: EntryRef,
        full: bool,
        rendering: Rendering,
        pending_review: str | None,
    ) -> EntryView:
        """Add what depends on the caller: which of an API's served datasets it may see."""
        if full and entry.type == "api":
            served = self.visible_ids(identity, rendering.served)
            document = {**rendering.document, "serves_datasets": served}
            return EntryView(entry, full, document, None, pending_review, rendering.statutes)
        document, text = rendering.document, rendering.text
        return EntryView(entry, full, document, text, pending_review, rendering.statutes, rendering.named)

    def visible_ids(self, identity: Identity, ids: Sequence[str]) -> list[str]:
        """Those of ``ids`` the caller may read (list), in their order."""
        if not ids:
            return []
        rows = self.session.scalars(
            select(Entry.id).where(Entry.id.in_(list(ids)), visible_clause(policy.read_filter(identity)))
        ).all()
        visible = set(rows)
        return [i for i in ids if i in visible]

    def get(self, identity: Identity, entry_id: str, entry_type: str | None = None) -> EntryView:
        """One entry as the caller may see it (its read audited), or NotFound; read
        alone, so with its ``single`` fields when whole (an API's operations)."""
        # The head alone: a cached rendering needs nothing more from the database.
        view = self._read(identity, self._head_visible(identity, entry_id, entry_type, alone=True))
        return self.single(identity, view)

    def single(self, identity: Identity, view: EntryView) -> EntryView:
        """``view`` with the fields of an entry read alone (catalogue.fields, output
        "single"): an API's operations, for a caller who sees it whole. They are read
        per request, never kept in the rendering cache (a list or a search hit never
        shows them), in one statement with the entry's revision: if the entry moved
        on since its view was decided, the view is read again."""
        for _attempt in range(3):
            if not (view.full and view.entry.type == "api"):
                return view
            rows = self.session.execute(
                select(Entry.revision, ApiOperation)
                .select_from(Entry)
                .outerjoin(ApiOperation, ApiOperation.entry_id == Entry.id)
                .where(Entry.id == view.entry.id)
                .order_by(ApiOperation.position)
            ).all()
            if rows and rows[0][0] == view.entry.revision:
                return _with_operations(view, OPERATIONS.dump([op for _r, op in rows if op is not None]))
            # Changed (or gone) since: decide and render again, as a new read would.
            view = self._read(identity, self._head_visible(identity, view.entry.id, view.entry.type))
        raise Conflict("The entry changed while it was read; read it again.")

    def _read(self, identity: Identity, head: EntryHead) -> EntryView:
        views = self.views(identity, [head])
        if not views:  # changed between its head and its loading: as if never found
            raise NotFound(NOT_FOUND)
        self.audit_reads(identity, views)
        return views[0]

    def openapi_document(
        self, identity: Identity, entry_id: str, *, summary_as_missing: bool = False
    ) -> dict[str, Any]:
        """An API's OpenAPI document, for a caller who may read the API whole (``openapi_view``)."""
        # Head, decision and document in one transaction.
        view = self.openapi_view(identity, entry_id, summary_as_missing=summary_as_missing)
        document: dict[str, Any] | None = self.session.scalar(
            select(Entry.openapi).where(Entry.id == view.entry.id)
        )
        if document is None:
            raise NotFound("This API has no OpenAPI document.")
        return document

    def openapi_view(
        self, identity: Identity, entry_id: str, *, summary_as_missing: bool = False
    ) -> EntryView:
        """The whole API, for a caller who may read its OpenAPI document (one audited read):
        what the pages' viewer shows around the document it fetches.

        A summary reader is refused with PermissionDenied (the API's 403), or, with
        ``summary_as_missing`` (the pages, whose viewer answers as ``operations`` does), with
        the NotFound of a missing id. Either way the audit record states the answer given."""
        view = self._read(identity, self._head_visible(identity, entry_id, "api"))
        if not view.full:
            answered = 404 if summary_as_missing else 403
            self.audit_now(
                identity, "entry.openapi", view.entry, decision="deny", details={"answered": answered}
            )
            if summary_as_missing:
                raise NotFound(NOT_FOUND)
            raise PermissionDenied("Your clearance lets you see that this API exists, not its specification.")
        return view

    def operations(self, identity: Identity, entry_id: str) -> list[dict[str, Any]]:
        """An API's operations, for a caller who may read the API whole.

        A caller who sees the API only as a summary gets the very answer of a missing
        or hidden id (NotFound, "No entry with that id."), not an empty list: an empty
        list would state that the API has no operations, a fact a client may act on;
        and not 403, so that this path tells nothing the entry's own GET does not
        (docs/operations.md). The refusal is audited."""
        view = self._read(identity, self._head_visible(identity, entry_id, "api"))
        if not view.full:
            self.audit_now(
                identity, "entry.operations", view.entry, decision="deny", details={"answered": 404}
            )
            raise NotFound(NOT_FOUND)
        return list(self.single(identity, view).document["operations"])

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
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        page = max(1, page)
        query = list_query(
            policy.read_filter(identity),
            entry_type=entry_type,
            publisher=publisher,
            status=status,
            # Retired entries are history: listed only when asked for.
            exclude_status=None if status else policy.RETIRED,
            theme=theme,
            limit=per_page,
            offset=(page - 1) * per_page,
        )
        if query is None:
            return Page([], 0, page, per_page)
        version, heads = page_heads(self.session, query)
        # The total, counted once per catalogue version (version and count read in
        # one snapshot; the page above may be one change older or newer).
        counts = counts_for(self.session.get_bind().engine)
        total = counts.get((version, query.count_key))
        if total is None:
            version = self.session.execute(CATALOGUE_VERSION).scalar_one()
            total = int(self.session.execute(query.count, query.params).scalar_one())
            counts.put((version, query.count_key), total)
        views = self.views(identity, heads)
        self.audit_reads(identity, views)
        return Page(views, int(total), page, per_page)

    def views_of(self, identity: Identity, ids: Sequence[str], *, audit: bool) -> dict[str, EntryView]:
        """Views of the entries among ``ids`` that the caller may see, checked against
        the database in one query (a search index may lag behind)."""
        if not ids:
            return {}
        listable = policy.read_filter(identity).matches  # can_list, decided once per caller
        if self.heads is not None and not self.session.in_transaction():
            # Kept heads, as a read of one entry uses them (docs/kept-heads.md): the
            # same answer the database gives, without asking it for each page of hits.
            rows = self.heads.rows(
                ids,
                lambda missing: head_rows_by_ids(self.session, missing),
                lambda kept: listable(head_of(kept).facts),
            )
            heads = [head_of(row) for row in rows]
        else:
            heads = heads_by_ids(self.session, ids)
        visible = [h for h in heads if listable(h.facts)]
        views = {v.entry.id: v for v in self.views(identity, visible)}
        if audit:
            self.audit_reads(identity, list(views.values()))
        return views

    def serving_apis(self, identity: Identity, dataset_id: str) -> list[EntryView]:
        """The APIs that serve a dataset, among those the caller may read whole: which
        datasets an API serves is part of the whole API (``serves_datasets`` is a full
        field), so an API seen only as a summary never says it serves this one. Not
        audited as reads: the page shows their titles, as a summary does."""
        ids = list(
            self.session.scalars(
                select(ServedDataset.api_id)
                .where(ServedDataset.dataset_id == dataset_id)
                .order_by(ServedDataset.api_id)
                .limit(MAX_PER_PAGE)
            )
        )
        views = self.views_of(identity, ids, audit=False)
        return [views[i] for i in ids if i in views and views[i].full]

    # -- auditing reads and refusals --------------------------------------
    def audit_reads(self, identity: Identity, views: Sequence[EntryView]) -> None:
        """Every read of an entry above the lowest level, whole or as a summary, is
        an event: who, which agency and client, when, which entry at which level,
        from where. It is durable before the caller sees the entry."""
        audited = [v for v in views if v.entry.classification != self.scheme.lowest]
        if not audited:
            return
        items: list[tuple[AuditedEntry | None, dict[str, Any] | None]] = [
            (v.entry, {"view": "full" if v.full else "summary"}) for v in audited
        ]
        if self.read_log is not None:
            self.read_log.append(identity, "entry.read", items)
            return
        begin_write(self.session)
        self.audit.record_many(identity, "entry.read", items)
        self.session.commit()

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
        self.session.rollback()
        begin_write(self.session)
        self.audit.record(identity, action, entry=entry, decision=decision, details=details)
        self.session.commit()


def _cites(entries: Sequence[Entry]) -> list[tuple[str, str]]:
    return [(basis.jurisdiction, basis.reference) for entry in entries for basis in entry.legal_bases]


def _looks_like_uuid(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4
