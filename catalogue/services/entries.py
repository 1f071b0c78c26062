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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from catalogue import fields as entry_fields
from catalogue.audit import AuditedEntry, AuditLog, HeadAnchor, ReadLog
from catalogue.audit_refusals import RefusalLog
from catalogue.db import begin_write
from catalogue.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from catalogue.heads import HeadCache
from catalogue.models import (
    Agency,
    Distribution,
    Entry,
    EntryTheme,
    LegalBasis,
    OutboxEvent,
    ServedDataset,
    utcnow,
)
from catalogue.openapi_documents import OpenAPILimits, check_openapi_document
from catalogue.ports import Indexer, NullIndexer
from catalogue.rendering import Rendering, cached_rendering, render
from catalogue.services.common import MAX_PER_PAGE, Page, check_etag, make_etag
from catalogue.services.pending_reviews import PendingReviews
from catalogue.visibility import (
    CATALOGUE_VERSION,
    HEAD_BY_ID,
    EntryHead,
    counts_for,
    head_of,
    heads_by_ids,
    list_query,
    page_heads,
    visible_clause,
)
from security import policy
from security.identity import Identity
from security.levels import ClassificationScheme

#: Changing these on a published entry needs a security officer's review: the fields
#: declared ``reviewed`` (catalogue.fields), and nowhere else.
REVIEWED_FIELDS = entry_fields.REVIEWED_FIELDS
NOT_FOUND = "No entry with that id."
#: Days until an entry's classification must be reviewed again, per level.
DEFAULT_REVIEW_INTERVALS = {
    "internal": 730,
    "sensitive": 365,
    "restricted": 365,
    "confidential": 365,
    "secret": 365,
    "top-secret": 365,
}


#: What a view is about: a whole entry (after a write) or only its head (after a read).
EntryRef = Entry | EntryHead
R = TypeVar("R", Entry, EntryHead)


@dataclass(frozen=True)
class EntryView:
    """An entry as one caller may see it: whole, or as a redacted summary."""

    entry: EntryRef
    full: bool
    #: The rendering this caller may see (shared: copy before changing).
    document: Mapping[str, Any]
    #: The same as JSON text, or None where it depends on the caller (an API's links).
    text: str | None
    #: Set when the change was not applied but sent to review (HTTP 202).
    pending_review: str | None = None

    @property
    def etag(self) -> str | None:
        return entry_etag(self.entry) if self.full else None


def entry_etag(entry: EntryRef) -> str:
    return make_etag("entry", entry.id, entry.revision)


@dataclass(frozen=True)
class PreparedInput:
    """Input to a write, checked before the write transaction opens.

    Whatever costs more than a lookup (validating an OpenAPI document takes seconds
    on a large one) is done by ``EntryService.prepare``, with no transaction open,
    so that a write holds the database's write lock for milliseconds: SQLite has one
    such lock for everyone (issue 13). The write step takes only this."""

    data: dict[str, Any]
    #: The dataset links were checked against whoever proposed them. Approving a
    #: proposal must not check them again against the officer: a link hidden from the
    #: officer would be refused by an error naming it.
    links_checked: bool = False

    @classmethod
    def proposed(cls, data: dict[str, Any]) -> PreparedInput:
        """A change stored in a pending review: it was prepared, and its links checked,
        when it was proposed."""
        return cls(data, links_checked=True)


class EntryService:
    def __init__(
        self,
        session: Session,
        scheme: ClassificationScheme,
        indexer: Indexer | None = None,
        anchor: HeadAnchor | None = None,
        review_intervals: Mapping[str, int] | None = None,
        read_log: ReadLog | None = None,
        heads: HeadCache | None = None,
        openapi_limits: OpenAPILimits | None = None,
        refusals: RefusalLog | None = None,
    ) -> None:
        self.session = session
        self.scheme = scheme
        self.indexer = indexer or NullIndexer()
        self.anchor = anchor
        self.audit = AuditLog(session, anchor)
        self.review_intervals = dict(review_intervals or DEFAULT_REVIEW_INTERVALS)
        #: Where reads are audited: group-committed (the app) or in this session.
        self.read_log = read_log
        #: Heads kept in memory for reads of one entry (catalogue.heads); None: always read.
        self.heads = heads
        self.openapi_limits = openapi_limits or OpenAPILimits()
        #: Where 404s of entries by id are noted (None: a hidden one is audited at once).
        self.refusals = refusals
        #: Opens the review a change to a published entry's reviewed fields waits for.
        self.pending_reviews = PendingReviews(session, self.audit)

    # -- reading -----------------------------------------------------------
    # A hidden entry and an id that never existed answer the same 404 by the same path:
    # one read of a head (found or not), one note of the refusal (written to the audit
    # log after the answer, catalogue.audit_refusals), never a kept head and never a
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
        """The view of a whole entry just loaded or changed."""
        full = policy.can_read(identity, entry.facts)
        return self._dress(identity, entry, full, render(entry, full), pending_review if full else None)

    def _views(self, identity: Identity, heads: Sequence[EntryHead]) -> list[EntryView]:
        """Views of entries the caller may list: renderings from the cache, and whole
        entries loaded (in one query per relation) only for those not cached yet.

        A whole entry loaded here is decided again on its own facts: its head may
        have been read in an earlier transaction (``get``), and the entry may have
        changed since. One no longer listable is left out."""
        found: dict[str, tuple[EntryRef, bool, Rendering]] = {}
        missing = []
        for head in heads:
            full = policy.can_read(identity, head.facts)
            rendering = cached_rendering(head.id, head.revision, full)
            if rendering is None:
                missing.append(head.id)
            else:
                found[head.id] = (head, full, rendering)
        if missing:
            for entry in self.session.scalars(
                select(Entry)
                .where(Entry.id.in_(missing))
                .options(
                    selectinload(Entry.legal_bases),
                    selectinload(Entry.distributions),
                    selectinload(Entry.theme_rows),
                    selectinload(Entry.served),
                )
            ):
                if policy.can_list(identity, entry.facts):
                    full = policy.can_read(identity, entry.facts)
                    found[entry.id] = (entry, full, render(entry, full))
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
            return EntryView(entry, full, document, None, pending_review)
        return EntryView(entry, full, rendering.document, rendering.text, pending_review)

    def visible_ids(self, identity: Identity, ids: Sequence[str]) -> list[str]:
        if not ids:
            return []
        rows = self.session.scalars(
            select(Entry.id).where(Entry.id.in_(list(ids)), visible_clause(policy.read_filter(identity)))
        ).all()
        visible = set(rows)
        return [i for i in ids if i in visible]

    def get(self, identity: Identity, entry_id: str, entry_type: str | None = None) -> EntryView:
        # The head alone: a cached rendering needs nothing more from the database.
        return self._read(identity, self._head_visible(identity, entry_id, entry_type, alone=True))

    def _read(self, identity: Identity, head: EntryHead) -> EntryView:
        views = self._views(identity, [head])
        if not views:  # changed between its head and its loading: as if never found
            raise NotFound(NOT_FOUND)
        self.audit_reads(identity, views)
        return views[0]

    def openapi_document(self, identity: Identity, entry_id: str) -> dict[str, Any]:
        # Head, decision and document in one transaction.
        view = self._read(identity, self._head_visible(identity, entry_id, "api"))
        if not view.full:
            self.audit_now(identity, "entry.openapi", view.entry, decision="deny", details={"answered": 403})
            raise PermissionDenied("Your clearance lets you see that this API exists, not its specification.")
        document: dict[str, Any] | None = self.session.scalar(
            select(Entry.openapi).where(Entry.id == view.entry.id)
        )
        if document is None:
            raise NotFound("This API has no OpenAPI document.")
        return document

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
        views = self._views(identity, heads)
        self.audit_reads(identity, views)
        return Page(views, int(total), page, per_page)

    def views_of(self, identity: Identity, ids: Sequence[str], *, audit: bool) -> dict[str, EntryView]:
        """Views of the entries among ``ids`` that the caller may see, checked against
        the database in one query (a search index may lag behind)."""
        if not ids:
            return {}
        visible = [h for h in heads_by_ids(self.session, ids) if policy.can_list(identity, h.facts)]
        views = {v.entry.id: v for v in self._views(identity, visible)}
        if audit:
            self.audit_reads(identity, list(views.values()))
        return views

    # -- audit -------------------------------------------------------------
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

    # -- writing -----------------------------------------------------------
    def prepare(self, data: dict[str, Any]) -> PreparedInput:
        """Check what needs no database and takes time, before a write begins."""
        if data.get("openapi") is not None:
            check_openapi_document(data["openapi"], self.openapi_limits)
        return PreparedInput(data)

    def create(self, identity: Identity, entry_type: str, data: dict[str, Any]) -> EntryView:
        publisher = data.pop("publisher")
        prepared = self.prepare(data)
        begin_write(self.session)
        if not policy.can_create(identity, publisher):
            self.audit_now(identity, "entry.create", None, decision="deny", details={"publisher": publisher})
            raise PermissionDenied(
                "You may register entries only for your own agency, with the catalogue:write scope."
            )
        if self.session.get(Agency, publisher) is None:
            raise ValidationFailed({"publisher": ["No agency with that organisation number."]})
        entry = Entry(type=entry_type, publisher=publisher, status=policy.DRAFT)
        self.apply(identity, entry, prepared, creating=True)
        self.session.add(entry)
        self.commit_change(identity, entry, "entry.create")
        return self.view(identity, entry)

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
        entry = self.load_visible(identity, entry_id, entry_type)
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
            after = self.merged(entry, data, creating=False)
            changed = [f for f in REVIEWED_FIELDS if self._differs(entry, f, after[f])]
            if changed:
                # Check the whole proposal now, so the officer never gets an invalid one.
                self.check_rules(identity, entry, after, _supplied_links(data))
                review = self.pending_reviews.propose_revision(identity, entry, data, changed)
                return self.view(identity, entry, pending_review=review.id)
        self.apply(identity, entry, prepared, creating=False)
        entry.modified = utcnow()
        self.commit_change(identity, entry, "entry.update", {"fields": sorted(data)})
        return self.view(identity, entry)

    def retire(
        self, identity: Identity, entry_id: str, if_match: str | None, entry_type: str | None = None
    ) -> EntryView:
        """DELETE never erases: the entry is kept, retired."""
        begin_write(self.session)
        entry = self.load_visible(identity, entry_id, entry_type)
        self.require_write(identity, entry, "entry.retire")
        check_etag(entry_etag(entry), if_match)
        if entry.status != policy.RETIRED:
            entry.status = policy.RETIRED
            entry.modified = utcnow()
            self.commit_change(identity, entry, "entry.retire")
        return self.view(identity, entry)

    def deprecate(
        self, identity: Identity, entry_id: str, if_match: str | None, entry_type: str | None = None
    ) -> EntryView:
        """A published entry that should no longer be used, but still exists."""
        begin_write(self.session)
        entry = self.load_visible(identity, entry_id, entry_type)
        self.require_write(identity, entry, "entry.deprecate")
        check_etag(entry_etag(entry), if_match)
        if entry.status != policy.PUBLISHED:
            raise Conflict(f"Only a published entry can be deprecated; this entry is {entry.status}.")
        entry.status = policy.DEPRECATED
        entry.modified = utcnow()
        self.commit_change(identity, entry, "entry.deprecate")
        return self.view(identity, entry)

    # -- internals ---------------------------------------------------------
    def require_write(self, identity: Identity, entry: Entry, action: str) -> None:
        if not policy.can_write(identity, entry.facts):
            self.audit_now(identity, action, entry, decision="deny", details={"answered": 403})
            raise PermissionDenied("Only the publishing agency's data owners may change this entry.")

    def _differs(self, entry: Entry, field: str, value: Any) -> bool:
        if field == "legal_basis":
            current = [(b.role, b.jurisdiction, b.reference, b.provision) for b in entry.legal_bases]
            return current != [
                (b["role"], b["jurisdiction"], b["reference"], b.get("provision")) for b in value
            ]
        if field == "listing_level" and value is None:
            return False
        return bool(getattr(entry, field) != value)

    def apply(self, identity: Identity, entry: Entry, prepared: PreparedInput, *, creating: bool) -> None:
        data = prepared.data
        merged = self.merged(entry, data, creating)
        self.check_rules(identity, entry, merged, [] if prepared.links_checked else _supplied_links(data))
        # The fields stored as a column of their own name, as they are; the others
        # ("special" in catalogue.fields) below.
        for field in entry_fields.column_fields(entry.type):
            setattr(entry, field.name, merged[field.name])
        temporal = merged["temporal"] or {}
        entry.temporal_start = temporal.get("start")
        entry.temporal_end = temporal.get("end")
        if "legal_basis" in data or creating:
            entry.legal_bases = [
                LegalBasis(position=i, **basis) for i, basis in enumerate(merged["legal_basis"])
            ]
        if "themes" in data or creating:
            entry.theme_rows = [EntryTheme(theme=t) for t in merged["themes"]]
        if entry.type == "dataset":
            if "distributions" in data or creating:
                entry.distributions = [
                    Distribution(position=i, **d) for i, d in enumerate(merged["distributions"])
                ]
        else:
            if "serves_datasets" in data or creating:
                links = list(merged["serves_datasets"])
                if not creating:  # keep the links the caller cannot see (and so cannot remove)
                    visible = set(self.visible_ids(identity, entry.served_dataset_ids))
                    links += [d for d in entry.served_dataset_ids if d not in visible and d not in links]
                entry.served = [ServedDataset(dataset_id=d, position=i) for i, d in enumerate(links)]

    def merged(self, entry: Entry, data: dict[str, Any], creating: bool) -> dict[str, Any]:
        """The entry as it will be after the change, for checking the rules."""
        if creating:
            current: dict[str, Any] = {}
        else:
            current = {f.name: getattr(entry, f.name) for f in entry_fields.column_fields()}
            # The "special" fields (catalogue.fields): relations, and a pair of columns.
            current.update(
                legal_basis=[
                    {
                        "role": b.role,
                        "jurisdiction": b.jurisdiction,
                        "reference": b.reference,
                        "provision": b.provision,
                        "url": b.url,
                        "note": b.note,
                    }
                    for b in entry.legal_bases
                ],
                temporal={"start": entry.temporal_start, "end": entry.temporal_end},
                distributions=[],
                serves_datasets=entry.served_dataset_ids,
            )
        merged = {**current, **data}
        for key, value in entry_fields.input_defaults().items():
            merged.setdefault(key, value)
        if merged["listing_level"] is None:
            merged["listing_level"] = merged["classification"]
        merged["serves_datasets"] = [str(d) for d in merged["serves_datasets"]]
        return merged

    def check_rules(self, identity: Identity, entry: Entry, m: dict[str, Any], links: list[str]) -> None:
        errors: dict[str, list[str]] = {}
        enabled = ", ".join(self.scheme.enabled_keys)
        classification, listing = m["classification"], m["listing_level"]
        if not self.scheme.is_enabled(classification):
            errors.setdefault("classification", []).append(
                f"Unknown classification level {classification!r}; expected one of {enabled}."
            )
        if not self.scheme.is_enabled(listing):
            errors.setdefault("listing_level", []).append(
                f"Unknown classification level {listing!r}; expected one of {enabled}."
            )
        elif self.scheme.is_enabled(classification) and not self.scheme.not_above(listing, classification):
            errors.setdefault("listing_level", []).append(
                "The listing level may not be above the classification."
            )
        roles = {b["role"] for b in m["legal_basis"]}
        if (
            self.scheme.is_enabled(classification)
            and classification != self.scheme.lowest
            and "restriction" not in roles
        ):
            errors.setdefault("legal_basis", []).append(
                f"An entry classified {classification!r} must cite at least one legal basis "
                "with role 'restriction' (the provision that restricts access, such as a "
                "secrecy provision)."
            )
        if m["special_categories"] and not m["contains_personal_data"]:
            errors.setdefault("special_categories", []).append(
                "Special categories of personal data imply contains_personal_data."
            )
        if m["contains_personal_data"] and "processing" not in roles:
            errors.setdefault("legal_basis", []).append(
                "An entry with personal data must cite at least one legal basis with role "
                "'processing' (for example GDPR Art. 6(1)(e) and the national law)."
            )
        # An OpenAPI document was checked by ``prepare``, before the transaction.
        if entry.type == "api":
            missing = self._unknown_datasets(identity, links)
            if missing:
                errors.setdefault("serves_datasets", []).append(
                    "No dataset with id " + ", ".join(missing) + "."
                )
        if errors:
            raise ValidationFailed(errors)
        for level in {classification, listing}:
            if not policy.can_classify(identity, level):
                raise PermissionDenied(f"You may not classify an entry above your own clearance ({level!r}).")

    def _unknown_datasets(self, identity: Identity, ids: list[str]) -> list[str]:
        """Ids that are not datasets the caller may see (hidden ones look missing)."""
        if not ids:
            return []
        if len(set(ids)) != len(ids):
            return sorted({i for i in ids if ids.count(i) > 1})
        found = set(
            self.session.scalars(
                select(Entry.id).where(
                    Entry.id.in_(ids),
                    Entry.type == "dataset",
                    visible_clause(policy.read_filter(identity)),
                )
            ).all()
        )
        return [i for i in ids if i not in found]

    def commit_change(
        self, identity: Identity, entry: Entry, action: str, details: dict[str, Any] | None = None
    ) -> None:
        """The change, its outbox row and its audit event commit together."""
        try:
            changed = entry in self.session.new or self.session.is_modified(entry)
            self.session.flush()
            if changed:  # a decision that changes nothing needs no re-indexing
                self.session.add(OutboxEvent(entry_id=entry.id, revision=entry.revision))
            self.audit.record(
                identity, action, entry=entry, details={"revision": entry.revision, **(details or {})}
            )
            self.session.commit()
        except StaleDataError as exc:
            self.session.rollback()
            raise Conflict("The entry was changed by someone else at the same time; retry.") from exc
        except Exception:
            self.session.rollback()
            raise
        self.indexer.changed([entry.id])


def _supplied_links(data: dict[str, Any]) -> list[str]:
    """Only links the caller sends are checked: stored links may point at datasets
    above the caller's clearance, and an error must never name them."""
    return [str(d) for d in data["serves_datasets"]] if "serves_datasets" in data else []


def _looks_like_uuid(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4
