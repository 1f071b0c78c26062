"""Access requests: one agency asks another for an entry, with the law on its side;
the provider's security officers assess and decide (docs/access.md).

Composed over an ``EntryService``, as reviews are: an entry is found only through
``load_visible``, so asking about a hidden entry answers the very 404 of one that
does not exist, by the same path. A request is shown to the requesting agency's
data owners, officers and auditors with an entry they may list, and to the
providing agency's with an entry they may read whole (``policy.can_follow_access``);
to anyone else it does not exist. Each change of state is a step on the request
(who, when, why) and an event in the audit chain, committed together; the other
side hears of it through a notification written in the same transaction.

A decision to grant makes a ``Grant`` (``catalogue.services.grants``): it names one
of the entry's disclosure bases, a rationale, a validity and any narrowing. The
rules a decision must keep, and the flags an officer is shown, are in
``catalogue.access``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import selectinload

from catalogue import access
from catalogue.db import begin_write
from catalogue.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from catalogue.models import Agency, DataElement, Entry, Notification, OAuthClient, utcnow
from catalogue.models_access import AccessRequest, Grant
from catalogue.models_auth import User
from catalogue.services.common import MAX_PER_PAGE, Page
from catalogue.services.entries import EntryService
from catalogue.sharing import DISCLOSURE, sharing_status
from catalogue.visibility import visible_clause
from security import policy
from security.identity import Identity

NO_REQUEST = "No access request with that id."
#: The longest period a request may ask for, and a grant may run.
MAX_PERIOD = timedelta(days=5 * 366)
OFFICER_ROLE = "security_officer"


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


def same_basis(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two legal bases cite the same provision of the same statute."""
    return all(a.get(k) == b.get(k) for k in ("jurisdiction", "reference", "provision"))


class AccessRequestService:
    """Requests, their assessment and their decision, for callers with identities."""

    def __init__(self, entries: EntryService, four_eyes: bool = True) -> None:
        self.entries = entries
        self.session = entries.session
        self.scheme = entries.scheme
        self.audit = entries.audit
        #: The assessor does not decide when the agency has more than one officer.
        self.four_eyes = four_eyes

    # -- asking ----------------------------------------------------------------
    def create(self, identity: Identity, data: dict[str, Any], renews: str | None = None) -> RequestView:
        """Ask for access to an entry the caller may list (a hidden one is NotFound)."""
        if not policy.can_request_access(identity) or identity.agency is None:
            raise PermissionDenied("Requesting access needs catalogue:write in an agency.")
        begin_write(self.session)
        entry = self.entries.load_visible(identity, str(data["entry"]), None)
        errors = self._check(identity, entry, data)
        if errors:
            raise ValidationFailed(errors)
        now = utcnow()
        request = AccessRequest(
            requester_agency=identity.agency,
            requested_by=identity.person or identity.subject,
            entry_id=entry.id,
            provider_agency=entry.publisher,
            operations=list(data.get("operations") or []),
            purpose=data["purpose"].strip(),
            purpose_code=data["purpose_code"],
            processing_basis=[dict(b) for b in data.get("processing_basis") or []],
            data_elements=list(data.get("data_elements") or []),
            period_start=data["period_start"],
            period_end=data["period_end"],
            consumer_client_id=data.get("consumer_client_id"),
            consumer_xroad=data.get("consumer_xroad"),
            contact=dict(data["contact"]),
            state=access.SUBMITTED,
            renews=renews,
            submitted_at=now,
            steps=[_step(access.SUBMITTED, identity, now, request_why(renews))],
        )
        self.session.add(request)
        self.session.flush()
        self.session.add(
            Notification(
                agency=entry.publisher,
                audience="security_officer",
                kind="access.submitted",
                entry_id=entry.id,
                message=f"Access request {request.id} from {identity.agency} waits for assessment.",
            )
        )
        self.audit.record(
            identity,
            "access.request",
            entry=entry,
            details={"request": request.id, "operations": request.operations, "renews": renews},
        )
        self.session.commit()
        return self._view(identity, request, entry)

    def _check(self, identity: Identity, entry: Entry, data: dict[str, Any]) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        if entry.publisher == identity.agency:
            errors["entry"] = ["Your own agency's entry needs no access request."]
        operations = list(data.get("operations") or [])
        if operations and entry.type != "api":
            errors["operations"] = ["Only an API has operations; ask for the dataset as a whole."]
        elif operations and policy.can_read(identity, entry.facts):
            # A reader of the whole API knows its operations; a summary reader does not,
            # and is never told which exist (the officer sees unknown ones as a flag).
            known = {k for k, _ in self._operations(entry)}
            unknown = [o for o in operations if o not in known]
            if unknown:
                errors["operations"] = ["The API has no operation named " + ", ".join(unknown) + "."]
        elements = list(data.get("data_elements") or [])
        if elements:
            found = set(self.session.scalars(select(DataElement.key).where(DataElement.key.in_(elements))))
            missing = [k for k in elements if k not in found]
            if missing:
                errors["data_elements"] = ["Not in the data-element vocabulary: " + ", ".join(missing) + "."]
        if any(b.get("role") != "processing" for b in data.get("processing_basis") or []):
            errors["processing_basis"] = ["Cite your agency's own processing bases (role 'processing')."]
        start, end = data["period_start"], data["period_end"]
        if end < start:
            errors["period_end"] = ["The period ends before it starts."]
        elif end - start > MAX_PERIOD:
            errors["period_end"] = ["A period of at most five years."]
        client_id, xroad = data.get("consumer_client_id"), data.get("consumer_xroad")
        if bool(client_id) == bool(xroad):
            errors["consumer_client_id"] = [
                "Name the consuming system: a client of yours, or an X-Road subsystem."
            ]
        elif client_id:
            row = self.session.get(OAuthClient, client_id)
            # The same answer for another agency's client as for none: no oracle.
            if row is None or row.disabled or row.agency != identity.agency:
                errors["consumer_client_id"] = ["No enabled client of your agency with that id."]
        return errors

    def renew(self, identity: Identity, request_id: str) -> RequestView:
        """A new request pre-filled from a granted one: the next period of the same length."""
        old = self._visible(identity, request_id)
        if not (identity.agency == old.request.requester_agency):
            raise PermissionDenied("Only the requesting agency renews its access.")
        if old.grant_id is None:
            raise Conflict("Only a granted request is renewed; ask again instead.")
        grant = self.session.get(Grant, old.grant_id)
        assert grant is not None  # the view found it
        length = grant.valid_until - grant.valid_from
        start = max(grant.valid_until + timedelta(days=1), date.today())
        request = old.request
        data = {
            "entry": request.entry_id,
            "operations": list(grant.operations),
            "purpose": request.purpose,
            "purpose_code": request.purpose_code,
            "processing_basis": list(request.processing_basis),
            "data_elements": list(grant.data_elements),
            "period_start": start,
            "period_end": start + length,
            "consumer_client_id": request.consumer_client_id,
            "consumer_xroad": request.consumer_xroad,
            "contact": dict(request.contact),
        }
        self.session.rollback()  # the read above; create opens its own write
        return self.create(identity, data, renews=grant.id)

    def withdraw(self, identity: Identity, request_id: str, reason: str) -> RequestView:
        """The requesting agency takes back a request not yet decided."""
        begin_write(self.session)
        view = self._visible(identity, request_id)
        request, entry = view.request, view.entry
        if identity.agency != request.requester_agency or not policy.can_request_access(identity):
            self._refused(identity, entry, request, "access.withdraw")
            raise PermissionDenied("Only the requesting agency's data owners withdraw its request.")
        if request.state not in access.OPEN_STATES:
            raise Conflict(f"This request is {request.state} already.")
        self._step(identity, request, access.WITHDRAWN, reason.strip() or "Withdrawn.")
        request.reason = reason.strip() or None
        self.audit.record(identity, "access.withdraw", entry=entry, details={"request": request.id})
        self.session.commit()
        return self._view(identity, request, entry)

    # -- deciding --------------------------------------------------------------
    def assess(self, identity: Identity, request_id: str) -> RequestView:
        """An officer of the providing agency takes the request into assessment."""
        begin_write(self.session)
        request, entry = self._decidable(identity, request_id, "access.assess")
        if request.state != access.SUBMITTED:
            raise Conflict(f"Only a submitted request is taken into assessment; this one is {request.state}.")
        request.assessed_by = identity.person or identity.subject
        self._step(identity, request, access.IN_ASSESSMENT, "Taken into assessment.")
        self.audit.record(identity, "access.assess", entry=entry, details={"request": request.id})
        self.session.commit()
        return self._view(identity, request, entry)

    def decide(self, identity: Identity, request_id: str, decision: dict[str, Any]) -> RequestView:
        """Grant (naming a disclosure basis of the entry, a rationale, a validity and any
        narrowing) or refuse (with a reason the requester reads)."""
        begin_write(self.session)
        request, entry = self._decidable(identity, request_id, "access.decide")
        if request.state != access.IN_ASSESSMENT:
            raise Conflict(f"Only a request in assessment is decided; this one is {request.state}.")
        decider = identity.person or identity.subject
        if self.four_eyes and request.assessed_by == decider and self._officers(entry.publisher) > 1:
            self._refused(identity, entry, request, "access.decide", rule="four eyes")
            raise PermissionDenied("Four eyes: you assessed this request, so another officer decides it.")
        reason = (decision.get("reason") or "").strip()
        if not reason:
            raise ValidationFailed({"reason": ["Give the reason for the decision."]})
        if decision["decision"] == "refuse":
            request.reason = reason
            request.decided_by, request.decided_at = decider, utcnow()
            self._step(identity, request, access.REFUSED, reason)
            self.audit.record(identity, "access.refuse", entry=entry, details={"request": request.id})
            self._tell_requester(request, "access.refused")
            self.session.commit()
            return self._view(identity, request, entry)
        grant = self._grant(identity, request, entry, decision, reason)
        self.audit.record(
            identity,
            "access.grant",
            entry=entry,
            details={
                "request": request.id,
                "grant": grant.id,
                "operations": grant.operations,
                "disclosure_basis": grant.disclosure_basis,
                "valid_until": grant.valid_until.isoformat(),
            },
        )
        self._tell_requester(request, "access.granted")
        self.session.commit()
        return self._view(identity, request, entry)

    def _grant(
        self, identity: Identity, request: AccessRequest, entry: Entry, decision: dict[str, Any], reason: str
    ) -> Grant:
        errors: dict[str, list[str]] = {}
        stops = access.blocking(self._flags(request, entry, self._page_facts([request])))
        if stops:
            errors["decision"] = [f.reason for f in stops]
        operations = list(decision.get("operations") or request.operations)
        asked = set(request.operations) or {k for k, _ in self._operations(entry)}
        known = {k for k, _ in self._operations(entry)}
        if any(o not in asked or o not in known for o in operations):
            errors["operations"] = ["Grant only operations the API has and the request asked for."]
        elements = list(decision.get("data_elements") or request.data_elements)
        if any(e not in request.data_elements for e in elements):
            errors["data_elements"] = ["Grant only data elements the request asked for."]
        basis = decision.get("disclosure_basis")
        status = sharing_status(entry.classification, self.scheme.lowest, [b.role for b in entry.legal_bases])
        if status != "open":
            matching = [b for b in disclosure_bases(entry) if basis and same_basis(b, basis)]
            if not matching:
                errors["disclosure_basis"] = ["Name one of the entry's disclosure bases."]
            basis = matching[0] if matching else None
        valid_from = decision.get("valid_from") or date.today()
        valid_until = decision["valid_until"]
        if valid_until < valid_from or valid_until < date.today():
            errors["valid_until"] = ["The validity ends before it starts, or has ended already."]
        elif valid_until - valid_from > MAX_PERIOD:
            errors["valid_until"] = ["A grant runs at most five years; it can be renewed."]
        if errors:
            raise ValidationFailed(errors)
        decider = identity.person or identity.subject
        now = utcnow()
        grant = Grant(
            request_id=request.id,
            provider_agency=entry.publisher,
            subject_agency=request.requester_agency,
            subject_client_id=request.consumer_client_id,
            subject_xroad=request.consumer_xroad,
            entry_id=entry.id,
            operations=operations,
            data_elements=elements,
            valid_from=valid_from,
            valid_until=valid_until,
            processing_basis=list(request.processing_basis),
            disclosure_basis=basis,
            rationale=reason,
            decided_by=decider,
            decided_at=now,
        )
        self.session.add(grant)
        self.session.flush()
        request.reason = reason
        request.decided_by, request.decided_at = decider, now
        self._step(identity, request, access.GRANTED, reason)
        return grant

    def _decidable(self, identity: Identity, request_id: str, action: str) -> tuple[AccessRequest, Entry]:
        view = self._visible(identity, request_id)
        if not view.provider or not policy.can_decide_access(identity, view.entry.facts):
            self._refused(identity, view.entry, view.request, action)
            raise PermissionDenied(
                "Deciding access needs a person (signed in) with catalogue:review in the providing "
                "agency, cleared for the entry."
            )
        return view.request, view.entry

    def _officers(self, agency: str) -> int:
        roles = self.session.scalars(
            select(User.roles).where(User.agency == agency, User.disabled.is_(False))
        )
        return sum(1 for r in roles if OFFICER_ROLE in (r or ()))

    # -- reading ---------------------------------------------------------------
    def get(self, identity: Identity, request_id: str) -> RequestView:
        """One request as the caller may see it, or NotFound (also for one of another agency)."""
        return self._visible(identity, request_id)

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
            raise PermissionDenied("Access requests are for an agency's data owners, officers and auditors.")
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
        return Page(self._views(identity, [(r, e) for r, e in rows]), total, page, per_page)

    def _visible(self, identity: Identity, request_id: str) -> RequestView:
        request = self.session.get(AccessRequest, request_id) if len(request_id) == 36 else None
        entry = self.session.get(Entry, request.entry_id) if request is not None else None
        if request is None or entry is None:
            raise NotFound(NO_REQUEST)
        if self._side(identity, request, entry) is None:
            raise NotFound(NO_REQUEST)
        return self._view(identity, request, entry)

    @staticmethod
    def _side(identity: Identity, request: AccessRequest, entry: Entry) -> str | None:
        """``provider``, ``requester`` or None (the request does not exist for the caller)."""
        if identity.is_system:
            return "provider"
        if identity.agency == request.provider_agency and policy.can_follow_access(identity, identity.agency):
            return "provider" if policy.can_read(identity, entry.facts) else None
        if identity.agency == request.requester_agency and policy.can_follow_access(
            identity, identity.agency
        ):
            return "requester" if policy.can_list(identity, entry.facts) else None
        return None

    def _view(self, identity: Identity, request: AccessRequest, entry: Entry) -> RequestView:
        return self._views(identity, [(request, entry)])[0]

    def _views(self, identity: Identity, rows: list[tuple[AccessRequest, Entry]]) -> list[RequestView]:
        """The views of a page of requests, from what ``_page_facts`` loads for it at once."""
        facts = self._page_facts([r for r, _ in rows])
        return [self._shown(identity, request, entry, facts) for request, entry in rows]

    def _page_facts(self, requests: list[AccessRequest]) -> PageFacts:
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
        provider = self._side(identity, request, entry) == "provider"
        operations: list[dict[str, Any]] = []
        if provider:
            levels = dict(self._operations(entry))
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
            flags=self._flags(request, entry, facts) if provider else [],
            disclosure_bases=disclosure_bases(entry) if provider else None,
            sharing_status=self._status(entry) if provider else None,
            operations=operations,
            data_elements=[
                {"key": k, "special_category": facts.special.get(k, False)} for k in request.data_elements
            ],
            grant_id=facts.grants.get(request.id),
        )

    def _status(self, entry: Entry) -> str:
        return sharing_status(entry.classification, self.scheme.lowest, [b.role for b in entry.legal_bases])

    @staticmethod
    def _operations(entry: Entry) -> list[tuple[str, str | None]]:
        return [
            (access.operation_key(o.operation_id, o.method, o.path), o.classification)
            for o in entry.operation_rows
        ]

    def _flags(self, request: AccessRequest, entry: Entry, facts: PageFacts) -> list[access.Flag]:
        """The one rule (``catalogue.access.flags_of``) over what ``facts`` loaded."""
        levels = dict(self._operations(entry))
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
                sharing_status=self._status(entry),
                personal_data=entry.contains_personal_data,
                entry_special_categories=entry.special_categories,
                processing_basis=request.processing_basis,
                special_elements=[k for k in request.data_elements if facts.special.get(k)],
                unknown_operations=[o for o in request.operations if o not in levels],
                operations_above_requester=above,
            )
        )

    # -- steps -----------------------------------------------------------------
    def _step(self, identity: Identity, request: AccessRequest, state: str, why: str) -> None:
        request.state = state
        request.steps = [*request.steps, _step(state, identity, utcnow(), why)]

    def _refused(
        self, identity: Identity, entry: Entry, request: AccessRequest, action: str, rule: str | None = None
    ) -> None:
        details: dict[str, Any] = {"request": request.id, "answered": 403}
        if rule:
            details["rule"] = rule
        self.entries.audit_now(identity, action, entry, decision="deny", details=details)

    def _tell_requester(self, request: AccessRequest, kind: str) -> None:
        # No entry id and no title: the requester may see the entry only as a summary.
        self.session.add(
            Notification(
                agency=request.requester_agency,
                audience="data_owner",
                kind=kind,
                message=f"Access request {request.id} was {request.state}: {request.reason or ''}".strip(),
            )
        )


def _step(state: str, identity: Identity, at: Any, why: str) -> dict[str, Any]:
    return {
        "state": state,
        "by": identity.person or identity.subject,
        "agency": identity.agency,
        "at": at.isoformat(),
        "why": why,
    }


def request_why(renews: str | None) -> str:
    """Why a request was submitted, as its first step records it."""
    return f"Renewal of grant {renews}." if renews else "Submitted."
