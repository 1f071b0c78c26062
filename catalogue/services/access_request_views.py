"""How an access request is shown, and to whom (docs/access.md): the reading half of
``AccessRequestService``, which changes requests (``catalogue.services.access_requests``)
and composes this.

A request is shown to the requesting agency's data owners, officers and auditors with
an entry they may list, and to the providing agency's with an entry they may read whole
(``policy.can_follow_access``); to anyone else it does not exist, and asking for it
answers the very 404 of an id that never existed (``side``). The providing side also
sees the assessment: the entry's disclosure bases, its sharing status, each operation's
classification and the flags of the one rule (``catalogue.access.flags_of``).

A page of requests costs a constant number of queries: the entries' legal bases and
operations come with the page, and what the views read besides (data elements, grants,
requesters' clearances) is loaded for the whole page at once (``PageFacts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from catalogue import access
from catalogue.errors import NotFound, PermissionDenied
from catalogue.models import Agency, DataElement, Entry
from catalogue.models_access import AccessRequest, Grant
from catalogue.services.common import MAX_PER_PAGE, Page
from catalogue.sharing import DISCLOSURE, sharing_status
from catalogue.visibility import visible_clause
from security import policy
from security.identity import Identity
from security.levels import ClassificationScheme

NO_REQUEST = "No access request with that id."


@dataclass(frozen=True)
class RequestView:
    """A request as one reader is shown it: the provider's officers see the assessment."""

    request: AccessRequest
    entry: Entry
    #: The reader is on the providing side (sees the entry's law and the flags).
    provider: bool
    flags: list[access.Flag]
    #: The entry's disclosure bases and sharing status (provider side only).
    disclosure_bases: list[dict[str, Any]] | None
    sharing_status: str | None
    #: Each operation asked for with its classification (None: the API's own, or unknown).
    operations: list[dict[str, Any]]
    #: Each data element asked for, and whether it is a special category.
    data_elements: list[dict[str, Any]]
    #: The grant the request ended in, if any.
    grant_id: str | None


@dataclass(frozen=True)
class PageFacts:
    """What the views of a page of requests read besides the requests and their entries,
    loaded for the whole page at once (a constant number of queries per page)."""

    #: Data-element key → whether it is a special category (keys the vocabulary lacks are absent).
    special: dict[str, bool]
    #: Request id → the grant it ended in.
    grants: dict[str, str]
    #: Requesting agency → its clearance.
    clearances: dict[str, str]


def disclosure_bases(entry: Entry) -> list[dict[str, Any]]:
    """The entry's legal bases of role ``disclosure``, as a decision names them."""
    return [
        {
            "jurisdiction": b.jurisdiction,
            "reference": b.reference,
            "provision": b.provision,
            "url": b.url,
            "role": b.role,
            "note": b.note,
        }
        for b in entry.legal_bases
        if b.role == DISCLOSURE
    ]


def operations_of(entry: Entry) -> list[tuple[str, str | None]]:
    """The entry's operations by the key a request names them with, and their classification."""
    return [
        (access.operation_key(o.operation_id, o.method, o.path), o.classification)
        for o in entry.operation_rows
    ]


def side(identity: Identity, request: AccessRequest, entry: Entry) -> str | None:
    """``provider``, ``requester`` or None (the request does not exist for the caller)."""
    if identity.is_system:
        return "provider"
    if identity.agency == request.provider_agency and policy.can_follow_access(identity, identity.agency):
        return "provider" if policy.can_read(identity, entry.facts) else None
    if identity.agency == request.requester_agency and policy.can_follow_access(identity, identity.agency):
        return "requester" if policy.can_list(identity, entry.facts) else None
    return None


class RequestViews:
    """Requests as callers with identities may see them: one, a page, and the flags."""

    def __init__(self, session: Session, scheme: ClassificationScheme) -> None:
        self.session = session
        self.scheme = scheme

    def get(self, identity: Identity, request_id: str) -> RequestView:
        """One request as the caller may see it, or NotFound (also for one of another agency)."""
        request = self.session.get(AccessRequest, request_id) if len(request_id) == 36 else None
        entry = self.session.get(Entry, request.entry_id) if request is not None else None
        if request is None or entry is None:
            raise NotFound(NO_REQUEST)
        if side(identity, request, entry) is None:
            raise NotFound(NO_REQUEST)
        return self.view(identity, request, entry)

    def list_requests(
        self,
        identity: Identity,
        *,
        incoming: bool,
        state: str | None = None,
        page: int = 1,
        per_page: int = 20,
    ) -> Page[RequestView]:
        """The caller's agency's requests (``incoming``: those made to it, the officers' queue)."""
        if identity.agency is None or not policy.can_follow_access(identity, identity.agency):
            raise PermissionDenied(
                "Access requests are for an agency's data owners, developers, officers and auditors."
            )
        rf = policy.read_filter(identity)
        per_page, page = max(1, min(per_page, MAX_PER_PAGE)), max(1, page)
        if rf.matches_nothing:
            return Page([], 0, page, per_page)
        conditions: list[ColumnElement[bool]] = [visible_clause(rf)]
        if incoming:
            conditions += [
                AccessRequest.provider_agency == identity.agency,
                Entry.classification.in_(sorted(identity.readable_levels)),
            ]
        else:
            conditions.append(AccessRequest.requester_agency == identity.agency)
        if state:
            conditions.append(AccessRequest.state == state)
        query = (
            select(AccessRequest, Entry).join(Entry, Entry.id == AccessRequest.entry_id).where(*conditions)
        )
        total = int(self.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        # The entries' legal bases and operations come with the page (one query each),
        # not entry by entry as each view reads them.
        rows = self.session.execute(
            query.options(selectinload(Entry.legal_bases), selectinload(Entry.operation_rows))
            .order_by(AccessRequest.submitted_at.desc(), AccessRequest.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        return Page(self.views(identity, [(r, e) for r, e in rows]), total, page, per_page)

    def view(self, identity: Identity, request: AccessRequest, entry: Entry) -> RequestView:
        """One request as the caller is shown it (the caller's side is not checked here)."""
        return self.views(identity, [(request, entry)])[0]

    def views(self, identity: Identity, rows: list[tuple[AccessRequest, Entry]]) -> list[RequestView]:
        """The views of a page of requests, from what ``page_facts`` loads for it at once."""
        facts = self.page_facts([r for r, _ in rows])
        return [self._shown(identity, request, entry, facts) for request, entry in rows]

    def page_facts(self, requests: list[AccessRequest]) -> PageFacts:
        """The data elements, grants and requesters' clearances of ``requests``: three queries."""
        keys = sorted({k for r in requests for k in r.data_elements})
        ids = [r.id for r in requests]
        agencies = sorted({r.requester_agency for r in requests})
        special = {
            key: bool(flag)
            for key, flag in self._pairs(DataElement.key, DataElement.special_category, keys).items()
        }
        grants = self._pairs(Grant.request_id, Grant.id, ids)
        clearances = self._pairs(Agency.orgnr, Agency.clearance, agencies)
        return PageFacts(special, grants, clearances)

    def _pairs(self, key: Any, value: Any, among: list[str]) -> dict[Any, Any]:
        """``key`` → ``value`` of the rows whose key is ``among`` them: one query, none for none."""
        if not among:
            return {}
        return {k: v for k, v in self.session.execute(select(key, value).where(key.in_(among)))}

    def _shown(
        self, identity: Identity, request: AccessRequest, entry: Entry, facts: PageFacts
    ) -> RequestView:
        provider = side(identity, request, entry) == "provider"
        operations: list[dict[str, Any]] = []
        if provider:
            levels = dict(operations_of(entry))
            operations = [
                {"name": o, "known": o in levels, "classification": levels.get(o) or entry.classification}
                for o in request.operations
            ]
        else:
            operations = [{"name": o} for o in request.operations]
        return RequestView(
            request=request,
            entry=entry,
            provider=provider,
            flags=self.flags(request, entry, facts) if provider else [],
            disclosure_bases=disclosure_bases(entry) if provider else None,
            sharing_status=self.status(entry) if provider else None,
            operations=operations,
            data_elements=[
                {"key": k, "special_category": facts.special.get(k, False)} for k in request.data_elements
            ],
            grant_id=facts.grants.get(request.id),
        )

    def status(self, entry: Entry) -> str:
        """The entry's sharing status (``catalogue.sharing``)."""
        return sharing_status(entry.classification, self.scheme.lowest, [b.role for b in entry.legal_bases])

    def flags(self, request: AccessRequest, entry: Entry, facts: PageFacts) -> list[access.Flag]:
        """The one rule (``catalogue.access.flags_of``) over what ``facts`` loaded."""
        levels = dict(operations_of(entry))
        clearance = facts.clearances.get(request.requester_agency)
        above = [
            o
            for o in request.operations
            if o in levels
            and clearance is not None
            and not self.scheme.not_above(levels[o] or entry.classification, clearance)
        ]
        return access.flags_of(
            access.RequestFacts(
                sharing_status=self.status(entry),
                personal_data=entry.contains_personal_data,
                entry_special_categories=entry.special_categories,
                processing_basis=request.processing_basis,
                special_elements=[k for k in request.data_elements if facts.special.get(k)],
                unknown_operations=[o for o in request.operations if o not in levels],
                operations_above_requester=above,
            )
        )
