"""The services joined to their machines: the one place below ``api`` that knows both kinds.

The business (``catalogue.services``) depends only on the ports in
``catalogue.ports``; the machines that implement them live in
``catalogue.machinery``. These factories put the two together with the concrete
machines, so that the app's composition root (``api.wiring``), the commands, the
demo loader, the benchmarks and the tests all build a service the same way:

- the audit chain (``Chain``), anchored in the instance folder when given an anchor;
- the rendering cache of this process (``renderer_for`` the scheme's lowest level);
- the OpenAPI document checker with its child process (``OpenAPIDocumentChecker``), and
  the fetcher of documents given by URL (``OpenAPIFetcher``, under the outbound rules);
- and, in a server, the group-committed read log, the kept heads and the refusal log
  (None elsewhere: reads audited in the session, heads always read, refusals at once).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from catalogue.machinery.audit.chain import Chain, HeadAnchor
from catalogue.machinery.children.openapi import OpenAPIDocumentChecker, OpenAPILimits
from catalogue.machinery.openapi_source import FetchLater, OpenAPIFetcher
from catalogue.machinery.readpath.rendering import renderer_for
from catalogue.ports import AuditTrail, EntryMachines, Indexer, KeptHeads, ReadAudit, RefusalNotes
from catalogue.services.audit import AuditService
from catalogue.services.entries import EntryService
from catalogue.services.statutes import StatuteService
from security.levels import ClassificationScheme
from security.outbound import OutboundPolicy


def entry_machines(
    scheme: ClassificationScheme,
    anchor: HeadAnchor | None = None,
    read_log: ReadAudit | None = None,
    heads: KeptHeads | None = None,
    openapi_limits: OpenAPILimits | None = None,
    refusals: RefusalNotes | None = None,
    outbound: OutboundPolicy | None = None,
    openapi_later: bool = False,
) -> EntryMachines:
    """The concrete machines an ``EntryService`` runs on. OpenAPI documents by URL are
    fetched under ``outbound`` (the default rules when None) and the document limits;
    ``openapi_later``: not fetched at all, their URLs kept for the refresh (a harvest)."""
    return EntryMachines(
        chain=Chain(anchor),
        renderer=renderer_for(scheme.lowest),
        openapi=OpenAPIDocumentChecker(openapi_limits),
        read_log=read_log,
        heads=heads,
        refusals=refusals,
        openapi_source=FetchLater() if openapi_later else OpenAPIFetcher(outbound, openapi_limits),
    )


def entry_service(
    session: Session,
    scheme: ClassificationScheme,
    indexer: Indexer | None = None,
    anchor: HeadAnchor | None = None,
    review_intervals: Mapping[str, int] | None = None,
    read_log: ReadAudit | None = None,
    heads: KeptHeads | None = None,
    openapi_limits: OpenAPILimits | None = None,
    refusals: RefusalNotes | None = None,
    outbound: OutboundPolicy | None = None,
    openapi_later: bool = False,
) -> EntryService:
    """An ``EntryService`` on ``session`` with the concrete machines (see the module)."""
    machines = entry_machines(
        scheme, anchor, read_log, heads, openapi_limits, refusals, outbound, openapi_later
    )
    return EntryService(session, scheme, machines, indexer, review_intervals)


def audit_service(
    session: Session, anchor: HeadAnchor | None = None, refusals: RefusalNotes | None = None
) -> AuditService:
    """An ``AuditService`` on ``session`` over the audit chain anchored in ``anchor``."""
    return AuditService(session, Chain(anchor), refusals)


def audit_trail(session: Session, anchor: HeadAnchor | None = None) -> AuditTrail:
    """The audit chain's trail in ``session`` (anchored in ``anchor``), for a service
    outside ``catalogue`` whose changes are audited (the harvest-source register)."""
    return Chain(anchor).trail(session)


def statute_service(
    session: Session, indexer: Indexer | None = None, anchor: HeadAnchor | None = None
) -> StatuteService:
    """A ``StatuteService`` on ``session``, its changes recorded in the audit chain
    anchored in ``anchor``."""
    return StatuteService(session, Chain(anchor).trail(session), indexer)
