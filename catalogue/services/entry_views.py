"""What the entry services hand back and take in: the view of an entry one caller
may see (``EntryView``) and input checked before a write begins (``PreparedInput``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from catalogue.models import Entry
from catalogue.operations import Operation, parse_operations
from catalogue.services.common import make_etag
from catalogue.statutes import Register
from catalogue.visibility import EntryHead

NOT_FOUND = "No entry with that id."


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
    #: The register's names of the statutes the document cites (catalogue.statutes.named_document).
    statutes: Register = field(default_factory=dict)
    #: The cached rendering's JSON text with those names, per reader language (filled by
    #: whoever makes one); None where the document depends on the caller.
    named: dict[str | None, str] | None = None

    @property
    def etag(self) -> str | None:
        """The entry's ETag, for a caller who sees it whole."""
        return entry_etag(self.entry) if self.full else None


def entry_etag(entry: EntryRef) -> str:
    """The ETag of this revision of the entry."""
    return make_etag("entry", entry.id, entry.revision)


@dataclass(frozen=True)
class PreparedInput:
    """Input to a write, checked before the write transaction opens.

    Whatever costs more than a lookup (validating an OpenAPI document takes seconds
    on a large one) is done by ``EntryService.prepare`` (``EntryWriter``), with no transaction open,
    so that a write holds the database's write lock for milliseconds: SQLite has one
    such lock for everyone (issue 13). The write step takes only this."""

    data: dict[str, Any]
    #: The dataset links were checked against whoever proposed them. Approving a
    #: proposal must not check them again against the officer: a link hidden from the
    #: officer would be refused by an error naming it.
    links_checked: bool = False
    #: The operations of ``data["openapi"]`` when the input sends a document (None: the
    #: document does not change), read by ``catalogue.operations.parse_operations``.
    operations: tuple[Operation, ...] | None = None

    @classmethod
    def proposed(cls, data: dict[str, Any]) -> PreparedInput:
        """A change stored in a pending review: it was prepared, and its links checked,
        when it was proposed. Its document was checked then too; its operations are
        read again here (one walk over at most ``max_operations`` operations of a
        document already validated: no validator runs)."""
        return cls(data, links_checked=True, operations=operations_in(data))


def operations_in(data: Mapping[str, Any]) -> tuple[Operation, ...] | None:
    """The operations of the document ``data`` sends; None if it sends none."""
    return parse_operations(data["openapi"]) if "openapi" in data else None
