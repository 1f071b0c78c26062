"""The wiring: what the app builds once (``Tillit``) and what each request builds
once (``Services``), and the one place that reads them.

- ``tillit()`` is the only reader of ``app.extensions["tillit"]`` in ``api``, the
  HTTP layer and the CLI alike (``authserver`` may not import ``api``: it reads the
  same object through ``authserver/context.py``).
- ``db()`` is the request's session. It is kept on ``flask.g`` as ``g.db``, opened
  by ``open_request_session`` before the request and closed after it: the
  authorization server's modules read ``g.db`` directly until they move; everything
  else asks ``db()``. ``g`` carries no business state: what a service must do after
  its commit (deliver notifications, index) it arranges on the session or its port.
- ``services()`` builds each service at most once per request, on the request's
  session, composed as the catalogue composes them (``ReviewService`` over the
  request's ``EntryService``). A command builds ``Services(tillit(app), session)``
  on a session of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

from flask import Flask, current_app, g
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from authserver.context import AppContext
from authserver.services.people import PeopleService
from catalogue.compose import audit_service, audit_trail, entry_machines, statute_service
from catalogue.db import forget_listeners
from catalogue.machinery.audit.chain import HeadAnchor, ReadLog
from catalogue.machinery.audit.refusals import RefusalLog
from catalogue.machinery.children.openapi import OpenAPILimits
from catalogue.machinery.readpath.heads import HeadCache
from catalogue.ports import EntryMachines, Indexer, NullIndexer
from catalogue.services.access_requests import AccessRequestService
from catalogue.services.agencies import AgencyService
from catalogue.services.audit import AuditService
from catalogue.services.data_elements import DataElementService
from catalogue.services.entries import EntryService
from catalogue.services.grants import GrantService
from catalogue.services.notifications import NotificationService
from catalogue.services.openapi_refresh import OpenAPIRefresh
from catalogue.services.reviews import ReviewService
from catalogue.services.sharing import SharingService
from catalogue.services.statutes import StatuteService
from dcat.export import DcatExport, ExportSettings
from dcat.harvest.register import HarvestSourceService
from dcat.vocabulary import AccessRights
from search.service import SearchService
from security.authority import Authority, Standing
from security.federation import Federation
from security.keys import KeyStore
from security.levels import ClassificationScheme
from security.outbound import OutboundPolicy
from security.tokens import DenyList, TokenVerifier


@dataclass
class Tillit:
    """Everything the request handlers need, built once per app."""

    scheme: ClassificationScheme
    engine: Engine
    sessions: sessionmaker[Session]
    keys: KeyStore
    verifier: TokenVerifier
    anchor: HeadAnchor
    read_log: ReadLog
    #: 404s of entries by id, written to the audit log after the answer.
    refusals: RefusalLog
    review_intervals: dict[str, int]
    openapi_limits: OpenAPILimits
    #: Entry heads kept for reads of one entry; None when HEAD_CACHE_SECONDS is 0.
    heads: HeadCache | None = None
    indexer: Indexer = field(default_factory=NullIndexer)
    oauth: Any = None
    search: Any = None  # search.backend.SearchBackend
    search_ready: Callable[[], bool] = lambda: True
    #: Revoked access tokens (api.oauth wires it to the database; until then it refuses).
    deny_list: DenyList = field(default_factory=lambda: DenyList(_not_wired, 0))
    #: Where each token's client, agency and person stand now (api.auth wires it).
    authority: Authority = field(default_factory=lambda: Authority(_authority_not_wired, 0))
    #: Identities built from verified tokens, with the standing they were bounded by (api.auth).
    identities: dict[tuple[str, str | None], Any] = field(default_factory=dict)
    #: The rules of requests made on someone's behalf (security/outbound.py).
    outbound: OutboundPolicy = field(default_factory=OutboundPolicy)
    #: The external issuers whose tokens are trusted (api.auth); None: only our own.
    federation: Federation | None = None
    #: The assessor of an access request does not decide it (TILLIT_ACCESS_FOUR_EYES).
    access_four_eyes: bool = True
    #: What the DCAT-AP export needs of the configuration (dcat/export.py).
    dcat: ExportSettings = field(default_factory=lambda: ExportSettings("", AccessRights(("public",))))

    #: The entry machines and the parts they were built of (``machines``).
    _machines: tuple[tuple[Any, ...], EntryMachines] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def machines(self) -> EntryMachines:
        """The machines of every request's ``EntryService`` (``catalogue.compose``), built
        once for the parts they are made of (none holds anything of a request or a
        session), and anew when a part is replaced (a test turning the kept heads off)."""
        parts: tuple[Any, ...] = (self.scheme, self.anchor, self.read_log, self.heads)
        parts += (self.openapi_limits, self.refusals, self.outbound)
        kept = self._machines
        if kept is None or any(a is not b for a, b in zip(kept[0], parts, strict=True)):
            built = entry_machines(
                self.scheme,
                self.anchor,
                self.read_log,
                self.heads,
                openapi_limits=self.openapi_limits,
                refusals=self.refusals,
                outbound=self.outbound,
            )
            kept = self._machines = (parts, built)
        return kept[1]

    def close(self) -> None:
        """Release what ``create_app`` opened: the search index, the refusals still noted
        (written now), the audit writer process, the session listeners (else the app is
        never freed: ``catalogue.db.listen``) and the database connections. For a process
        that builds apps one after another (the tests, the benches); a server runs one."""
        if self.search is not None:
            self.search.close()
        self.refusals.close()
        if self.read_log.writer is not None:
            self.read_log.writer.close()
        forget_listeners(self.sessions)
        self.engine.dispose()


def _is_authserver_context(bundle: Tillit) -> AppContext:
    """Never called: mypy checks here that ``Tillit`` is what ``authserver`` reads of it."""
    return bundle


def _not_wired() -> dict[str, int]:
    raise RuntimeError("The revoked-token list is not connected to the database.")


def _authority_not_wired() -> Standing:
    raise RuntimeError("The standing of clients, agencies and people is not connected to the database.")


def tillit(app: Flask | None = None) -> Tillit:
    """The app's ``Tillit`` (the current app's, unless ``app`` is given)."""
    return cast(Tillit, (app or current_app).extensions["tillit"])


def open_request_session() -> Session:
    session = g.db = tillit().sessions()
    return session


def db() -> Session:
    """The request's session."""
    return cast(Session, g.db)


def close_request_session() -> None:
    session: Session | None = g.pop("db", None)
    g.pop("services", None)
    # A session that never began a transaction nor loaded anything holds
    # nothing to give back (a cached read borrows its connection past it).
    if session is not None and (session.in_transaction() or session.identity_map):
        session.close()


def services() -> Services:
    """The request's services, each built on first use."""
    found: Services | None = g.get("services")
    if found is None:
        found = g.services = Services(tillit(), db())
    return found


class Services:
    """The services of one unit of work, on one session, each built at most once."""

    def __init__(self, app: Tillit, session: Session) -> None:
        self.tillit = app
        self.session = session

    @cached_property
    def entries(self) -> EntryService:
        t = self.tillit
        return EntryService(self.session, t.scheme, t.machines(), t.indexer, t.review_intervals)

    @cached_property
    def reviews(self) -> ReviewService:
        return ReviewService(self.entries)

    @cached_property
    def sharing(self) -> SharingService:
        return SharingService(self.entries)

    @cached_property
    def data_elements(self) -> DataElementService:
        return DataElementService(self.entries)

    @cached_property
    def search(self) -> SearchService:
        return SearchService(self.entries, self.tillit.search)

    @cached_property
    def audit(self) -> AuditService:
        return audit_service(self.session, self.tillit.anchor, self.tillit.refusals)

    @cached_property
    def agencies(self) -> AgencyService:
        return AgencyService(self.session, self.tillit.scheme)

    @cached_property
    def dcat(self) -> DcatExport:
        return DcatExport(self.entries, self.agencies, self.tillit.dcat)

    @cached_property
    def people(self) -> PeopleService:
        return PeopleService(self.session)

    @cached_property
    def statutes(self) -> StatuteService:
        return statute_service(self.session, self.tillit.indexer, self.tillit.anchor)

    @cached_property
    def access_requests(self) -> AccessRequestService:
        return AccessRequestService(self.entries, self.tillit.access_four_eyes)

    @cached_property
    def grants(self) -> GrantService:
        return GrantService(self.entries, self.tillit.deny_list.add)

    @cached_property
    def harvest_sources(self) -> HarvestSourceService:
        return HarvestSourceService(
            self.session, self.tillit.outbound, audit_trail(self.session, self.tillit.anchor)
        )

    @cached_property
    def openapi_refresh(self) -> OpenAPIRefresh:
        return OpenAPIRefresh(self.entries)

    @cached_property
    def notifications(self) -> NotificationService:
        return NotificationService(self.session, self.tillit.outbound)
