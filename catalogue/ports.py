"""Ports: what the catalogue calls but does not implement.

The business (models, schemas, services, rules) depends on these small protocols;
the machines that implement them live in ``catalogue.machinery`` (read path, audit
chain, child processes) or in ``search`` (the indexer), and are joined to the
services in one place: ``catalogue.compose`` (used by the app's composition root,
the commands and the tests). import-linter keeps the business from importing the
machinery directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from catalogue.models import AuditEvent, Entry
from catalogue.statutes import Register
from security.identity import Identity


class Indexer(Protocol):
    """Told after a commit that entries changed. The outbox rows written in the
    same transaction are the durable record; this call is only a nudge."""

    def changed(self, entry_ids: Sequence[str]) -> None:
        """Nudge the index: these entries changed in a transaction just committed."""


class NullIndexer:
    """An indexer that does nothing (no search index to nudge)."""

    def changed(self, entry_ids: Sequence[str]) -> None:
        """Do nothing: the outbox rows are the record."""
        return None


# -- the audit chain (catalogue.machinery.audit) ---------------------------------
class AuditedEntry(Protocol):
    """What an event records of the entry it is about (a whole entry or its head)."""

    @property
    def id(self) -> str:
        """The entry's id."""

    @property
    def publisher(self) -> str:
        """The publishing agency's organisation number."""

    @property
    def classification(self) -> str:
        """The entry's classification level."""


AuditItems = Sequence[tuple[AuditedEntry | None, dict[str, Any] | None]]


@dataclass(frozen=True)
class Verification:
    """The outcome of walking the audit chain: whole, or where it first breaks."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


class AuditTrail(Protocol):
    """Appends events to the chain inside the caller's transaction: an action and
    its event commit together or not at all."""

    def record(
        self,
        identity: Identity,
        action: str,
        *,
        decision: str = "allow",
        entry: AuditedEntry | None = None,
        details: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append one event to the chain in the caller's transaction; return it as stored."""

    def record_many(
        self, identity: Identity, action: str, items: AuditItems, *, decision: str = "allow"
    ) -> list[dict[str, Any]]:
        """Append one event per item, in order, in the caller's transaction."""


class AuditChain(Protocol):
    """The hash chain as the services reach it: a trail per session, a check, an export."""

    def trail(self, session: Session) -> AuditTrail:
        """The trail that appends to the chain inside this session's transaction."""

    def verify(self, session: Session) -> Verification:
        """Walk the chain (and its external anchor): whole, or where it first breaks."""

    def exported(self, event: AuditEvent) -> dict[str, Any]:
        """The event as exported: the fields its hash covers."""


class ReadAudit(Protocol):
    """Events of reads made durable in groups; ``append`` returns once they are."""

    def append(self, identity: Identity, action: str, items: AuditItems, *, decision: str = "allow") -> None:
        """Append read events; return once they are durable, or raise."""


class RefusalNotes(Protocol):
    """404s of entries by id, noted on the request path and written to the chain after."""

    def note(self, identity: Identity, action: str, requested: str, entry: AuditedEntry | None) -> None:
        """Note a refused read by id, written to the chain after the answer."""

    def flush(self) -> int:
        """Write every noted refusal now; return how many."""


# -- the read path (catalogue.machinery.readpath) ---------------------------------
HeadRow = tuple[Any, ...]


class KeptHeads(Protocol):
    """Entry heads kept in memory and never used once stale (docs/kept-heads.md)."""

    def row(
        self,
        entry_id: str,
        load: Callable[[], HeadRow | None],
        usable: Callable[[HeadRow], bool] = ...,
    ) -> HeadRow | None:
        """The entry's head, kept if still current and usable, else loaded; None if it does not exist."""

    def rows(
        self,
        entry_ids: Sequence[str],
        load: Callable[[Sequence[str]], Iterable[HeadRow]],
        usable: Callable[[HeadRow], bool] = ...,
    ) -> list[HeadRow]:
        """The heads of those of ``entry_ids`` that exist: kept ones if current and usable,
        the others in one ``load`` of their ids."""


@dataclass(frozen=True, slots=True)
class Rendering:
    """One view of one revision of an entry, as the schemas dump it, with the register's
    names of the statutes it cites, read no earlier than the entry (docs/statutes.md)."""

    document: dict[str, Any]  # shared: copy before changing
    text: str  # the same, as compact JSON
    served: tuple[str, ...]  # an API's served datasets (all of them: filter per caller)
    statutes: Register = field(default_factory=dict)  # the cited statutes the register knows
    #: The JSON text with the statutes' names, per reader language, made when first asked for.
    named: dict[str | None, str] = field(default_factory=dict)


class Renderer(Protocol):
    """Entries as JSON, kept per (id, revision, view): never stale, since a change
    to an entry changes its revision."""

    def cached(self, entry_id: str, revision: int, full: bool) -> Rendering | None:
        """The kept rendering of this revision and view, or None."""

    def render(self, entry: Entry, full: bool, statutes: Register) -> Rendering:
        """Render the entry in this view, with the register's names of the statutes it
        cites (read after the entry, never before), and keep it."""


# -- child processes (catalogue.machinery.children) -------------------------------
class OpenAPIValidator(Protocol):
    """Checks an uploaded OpenAPI document before any write begins: raises
    ``TooLarge``, ``ValidationFailed`` or ``Unavailable`` (catalogue.errors)."""

    def check(self, document: Mapping[str, Any]) -> None:
        """Return if the document may be stored; raise TooLarge, ValidationFailed or Unavailable."""


class OpenAPISource(Protocol):
    """Fetches an API's OpenAPI document by its URL (``catalogue.machinery.openapi_source``),
    before any write begins; raises ``ValidationFailed`` on ``openapi_url``. A source may
    leave the fetch for later (None: a harvest records the URL, the refresh fetches it)."""

    def fetch(self, url: str) -> dict[str, Any] | None:
        """The document at ``url`` as a JSON object (not yet checked as an OpenAPI
        document); None: not fetched now (the URL is kept, with no copy yet)."""


@dataclass(frozen=True)
class EntryMachines:
    """The machines an ``EntryService`` runs on, each behind its port."""

    chain: AuditChain
    renderer: Renderer
    openapi: OpenAPIValidator
    #: Where reads are audited: group-committed (a server) or None (in the service's session).
    read_log: ReadAudit | None = None
    #: Heads kept for reads of one entry; None: every read goes to the database.
    heads: KeptHeads | None = None
    #: Where 404s of entries by id are noted; None: a hidden one is audited at once.
    refusals: RefusalNotes | None = None
    #: Fetches OpenAPI documents given by URL; None: an ``openapi_url`` is refused.
    openapi_source: OpenAPISource | None = None
