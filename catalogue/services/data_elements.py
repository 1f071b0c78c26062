"""Data elements and their holders: "who already holds this data?" (once-only).

The vocabulary (``DataElement``: key, URI, labels) is a table, seeded by migration
0008 and extended by administrators (``add``; ``tillit data-elements add`` and
``POST /api/v1/data-elements``). Reading it is public: a vocabulary says nothing
about any entry.

``holders`` answers "who holds X?": the entries tagged with the element that the
caller may list, and the APIs one of whose operations carries it that the caller
may read whole (an operation's elements are part of the whole view only:
docs/operations.md, "Operations' data elements"), authoritative sources first.
Visibility is the one rule of the catalogue: ``policy.read_filter`` compiled to
SQL by ``catalogue.visibility``, in the same statement that counts and pages, so
a hidden entry is neither shown nor counted. Each holder is then read through
``EntryService.views_of`` (decided again on its current head, rendered from the
cache, its read audited like any list), and shows its legal bases of role
``disclosure`` only to a caller who may read the whole entry: a redacted summary
never shows its legal bases anywhere else either. docs/data-elements.md explains the choices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, func, or_, select

from catalogue.db import begin_write
from catalogue.errors import Conflict, NotFound, PermissionDenied
from catalogue.models import DataElement, Entry, EntryDataElement, OperationDataElement
from catalogue.services.common import MAX_PER_PAGE, Page
from catalogue.services.entries import EntryService
from catalogue.services.entry_views import EntryView
from catalogue.visibility import HEAD_COLUMNS, head_of, visible_clause
from security import policy
from security.identity import Identity

NO_ELEMENT = "No data element with that key."


@dataclass(frozen=True)
class Holder:
    """One entry that holds a data element, as the caller may see it."""

    view: EntryView
    #: The entry is the authoritative source (base register) for the element.
    authoritative: bool
    #: Its legal bases of role ``disclosure``; None when the caller sees only the
    #: summary (legal bases are not part of it).
    disclosure_bases: list[dict[str, Any]] | None
    #: The entry's computed sharing status, when the entry's document carries one
    #: (issue 16's ``sharing_status``); None otherwise.
    sharing_status: str | None


class DataElementService:
    """The data-element vocabulary, and the entries that hold each element."""

    def __init__(self, entries: EntryService) -> None:
        self.entries = entries
        self.session = entries.session

    def list_elements(self, identity: Identity) -> list[DataElement]:
        """Every data element, by key (public)."""
        return list(self.session.scalars(select(DataElement).order_by(DataElement.key)))

    def labels_of(self, identity: Identity, keys: Iterable[str]) -> dict[str, dict[str, str]]:
        """The labels of the elements among ``keys`` (public), in one query of two columns."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        rows = self.session.execute(
            select(DataElement.key, DataElement.labels).where(DataElement.key.in_(wanted))
        )
        return {key: dict(labels or {}) for key, labels in rows}

    def get(self, identity: Identity, key: str) -> DataElement:
        """The data element ``key`` (public), or NotFound."""
        element = self.session.get(DataElement, key)
        if element is None:
            raise NotFound(NO_ELEMENT)
        return element

    def add(self, identity: Identity, data: dict[str, Any]) -> DataElement:
        """Add an element to the vocabulary (administrators); Conflict if its key or URI is taken."""
        if not policy.can_admin(identity):
            raise PermissionDenied("Only administrators extend the data-element vocabulary.")
        begin_write(self.session)
        taken = self.session.scalar(
            select(func.count())
            .select_from(DataElement)
            .where((DataElement.key == data["key"]) | (DataElement.uri == data["uri"]))
        )
        if taken:
            raise Conflict("A data element with that key or URI exists already.")
        element = DataElement(
            key=data["key"],
            uri=data["uri"],
            vocabulary=data["vocabulary"],
            labels=dict(data["labels"]),
            note=data.get("note"),
            special_category=bool(data.get("special_category")),
        )
        self.session.add(element)
        self.session.flush()
        # A change of the vocabulary every agency relies on: in the audit chain, in its transaction.
        self.entries.audit.record(identity, "data_element.add", details={"key": element.key})
        self.session.commit()
        return element

    def holders(self, identity: Identity, key: str, *, page: int = 1, per_page: int = 20) -> Page[Holder]:
        """The entries the caller may list that hold ``key``: authoritative sources
        first, then the most recently changed; retired entries left out. NotFound
        for an element not in the vocabulary (the vocabulary is public)."""
        self.get(identity, key)
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        page = max(1, page)
        rf = policy.read_filter(identity)
        if rf.matches_nothing:
            return Page([], 0, page, per_page)
        own = select(EntryDataElement.authoritative).where(
            EntryDataElement.entry_id == Entry.id, EntryDataElement.element == key
        )
        carried = select(OperationDataElement.entry_id).where(
            OperationDataElement.entry_id == Entry.id, OperationDataElement.element == key
        )
        conditions = (
            visible_clause(rf),
            Entry.status != policy.RETIRED,  # retired entries are history
            # Its own tag, for every caller who may list it; an element only its
            # operations carry, only for a caller who may read it whole (then every
            # operation is readable too): docs/operations.md.
            or_(own.exists(), and_(carried.exists(), Entry.classification.in_(sorted(rf.levels)))),
        )
        authoritative = func.coalesce(own.scalar_subquery(), false())
        total = int(self.session.scalar(select(func.count()).select_from(Entry).where(*conditions)) or 0)
        rows = self.session.execute(
            select(*HEAD_COLUMNS, own.exists(), authoritative)
            .where(*conditions)
            .order_by(authoritative.desc(), Entry.modified.desc(), Entry.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        tagged = {row[0]: bool(row[-2]) for row in rows}
        flags = {row[0]: bool(row[-1]) for row in rows}
        heads = [head_of(row[: len(HEAD_COLUMNS)]) for row in rows]
        # Decided again on each entry's current head, and audited as any list is. An
        # API found only by its operations stays only if still read whole (a change
        # between the two statements must not show it as a summary).
        views = self.entries.views_of(identity, [h.id for h in heads], audit=True)
        items = [
            _holder(views[h.id], flags[h.id])
            for h in heads
            if h.id in views and (tagged[h.id] or views[h.id].full)
        ]
        return Page(items, total, page, per_page)


def _holder(view: EntryView, authoritative: bool) -> Holder:
    document = view.document
    bases = None
    if view.full:
        bases = [dict(b) for b in document.get("legal_basis") or () if b.get("role") == "disclosure"]
    status = document.get("sharing_status")
    return Holder(view, authoritative, bases, status if isinstance(status, str) else None)
