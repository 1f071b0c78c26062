"""The providing agency's side of an access request: its security officers take it into
assessment and decide it (docs/access.md), through ``AccessRequestService``, which
composes this.

Only an officer of the providing agency who may read the entry whole decides
(``policy.can_decide_access``); anyone else is refused, and the refusal is an event in
the audit chain. With four eyes on (``TILLIT_ACCESS_FOUR_EYES``), the officer who
assessed a request does not decide it while the agency has another officer.

A decision to grant makes a ``Grant`` (``catalogue.services.grants``): it names one of
the entry's disclosure bases (unless the entry is open), a rationale, a validity of at
most ``MAX_PERIOD`` and any narrowing of the operations and data elements asked for. It
is refused while a blocking flag stands (``catalogue.access.blocking``). Either decision
is a step on the request and an event in the audit chain, committed together with the
notification that tells the requesting agency.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from catalogue import access
from catalogue.db import begin_write
from catalogue.errors import Conflict, PermissionDenied, ValidationFailed
from catalogue.models import Entry, Notification, utcnow
from catalogue.models_access import AccessRequest, Grant
from catalogue.models_auth import User
from catalogue.services.access_request_views import RequestView, RequestViews, disclosure_bases, operations_of
from catalogue.services.access_steps import advance, refused
from catalogue.services.entries import EntryService
from security import policy
from security.identity import Identity

#: The longest period a request may ask for, and a grant may run.
MAX_PERIOD = timedelta(days=5 * 366)
OFFICER_ROLE = "security_officer"


def same_basis(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two legal bases cite the same provision of the same statute."""
    return all(a.get(k) == b.get(k) for k in ("jurisdiction", "reference", "provision"))


class AccessDecisions:
    """Assessment and decision of requests, for officers with identities."""

    def __init__(self, entries: EntryService, views: RequestViews, four_eyes: bool = True) -> None:
        self.entries = entries
        self.views = views
        self.session = entries.session
        self.audit = entries.audit
        #: The assessor does not decide when the agency has more than one officer.
        self.four_eyes = four_eyes

    def assess(self, identity: Identity, request_id: str) -> RequestView:
        """An officer of the providing agency takes the request into assessment."""
        begin_write(self.session)
        request, entry = self._decidable(identity, request_id, "access.assess")
        if request.state != access.SUBMITTED:
            raise Conflict(f"Only a submitted request is taken into assessment; this one is {request.state}.")
        request.assessed_by = identity.person or identity.subject
        advance(identity, request, access.IN_ASSESSMENT, "Taken into assessment.")
        self.audit.record(identity, "access.assess", entry=entry, details={"request": request.id})
        self.session.commit()
        return self.views.view(identity, request, entry)

    def decide(self, identity: Identity, request_id: str, decision: dict[str, Any]) -> RequestView:
        """Grant (naming a disclosure basis of the entry, a rationale, a validity and any
        narrowing) or refuse (with a reason the requester reads)."""
        begin_write(self.session)
        request, entry = self._decidable(identity, request_id, "access.decide")
        if request.state != access.IN_ASSESSMENT:
            raise Conflict(f"Only a request in assessment is decided; this one is {request.state}.")
        decider = identity.person or identity.subject
        if self.four_eyes and request.assessed_by == decider and self._officers(entry.publisher) > 1:
            refused(self.entries, identity, entry, request, "access.decide", rule="four eyes")
            raise PermissionDenied("Four eyes: you assessed this request, so another officer decides it.")
        reason = (decision.get("reason") or "").strip()
        if not reason:
            raise ValidationFailed({"reason": ["Give the reason for the decision."]})
        if decision["decision"] == "refuse":
            request.reason = reason
            request.decided_by, request.decided_at = decider, utcnow()
            advance(identity, request, access.REFUSED, reason)
            self.audit.record(identity, "access.refuse", entry=entry, details={"request": request.id})
            self._tell_requester(request, "access.refused")
            self.session.commit()
            return self.views.view(identity, request, entry)
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
        return self.views.view(identity, request, entry)

    def _grant(
        self, identity: Identity, request: AccessRequest, entry: Entry, decision: dict[str, Any], reason: str
    ) -> Grant:
        errors: dict[str, list[str]] = {}
        stops = access.blocking(self.views.flags(request, entry, self.views.page_facts([request])))
        if stops:
            errors["decision"] = [f.reason for f in stops]
        operations = list(decision.get("operations") or request.operations)
        asked = set(request.operations) or {k for k, _ in operations_of(entry)}
        known = {k for k, _ in operations_of(entry)}
        if any(o not in asked or o not in known for o in operations):
            errors["operations"] = ["Grant only operations the API has and the request asked for."]
        elements = list(decision.get("data_elements") or request.data_elements)
        if any(e not in request.data_elements for e in elements):
            errors["data_elements"] = ["Grant only data elements the request asked for."]
        basis = decision.get("disclosure_basis")
        if self.views.status(entry) != "open":
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
        advance(identity, request, access.GRANTED, reason)
        return grant

    def _decidable(self, identity: Identity, request_id: str, action: str) -> tuple[AccessRequest, Entry]:
        view = self.views.get(identity, request_id)
        if not view.provider or not policy.can_decide_access(identity, view.entry.facts):
            refused(self.entries, identity, view.entry, view.request, action)
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
