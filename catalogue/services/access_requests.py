"""Access requests: one agency asks another for an entry, with the law on its side;
the provider's security officers assess and decide (docs/access.md).

``AccessRequestService`` is the one door to requests, for callers with identities. Here
is the requesting agency's side (asking, renewing a grant, withdrawing); it composes
the reading of requests (``catalogue.services.access_request_views``: who sees a
request, and what) and the providing agency's side (``catalogue.services.access_decisions``:
assessment and decision), whose building blocks have public names there.

Composed over an ``EntryService``, as reviews are: an entry is found only through
``load_visible``, so asking about a hidden entry answers the very 404 of one that
does not exist, by the same path. Each change of state is a step on the request
(who, when, why) and an event in the audit chain, committed together
(``catalogue.services.access_steps``); the other side hears of it through a
notification written in the same transaction.

A decision to grant makes a ``Grant`` (``catalogue.services.grants``): it names one
of the entry's disclosure bases, a rationale, a validity and any narrowing. The
rules a decision must keep, and the flags an officer is shown, are in
``catalogue.access``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from catalogue import access
from catalogue.db import begin_write
from catalogue.errors import Conflict, PermissionDenied, ValidationFailed
from catalogue.models import DataElement, Entry, Notification, OAuthClient, utcnow
from catalogue.models_access import AccessRequest, Grant
from catalogue.services.access_decisions import MAX_PERIOD, AccessDecisions
from catalogue.services.access_request_views import RequestView, RequestViews, operations_of
from catalogue.services.access_steps import advance, refused, request_why, step
from catalogue.services.entries import EntryService
from security import policy
from security.identity import Identity


class AccessRequestService:
    """Requests, their assessment and their decision, for callers with identities."""

    def __init__(self, entries: EntryService, four_eyes: bool = True) -> None:
        self.entries = entries
        self.session = entries.session
        self.audit = entries.audit
        self.views = RequestViews(entries.session, entries.scheme)
        self.decisions = AccessDecisions(entries, self.views, four_eyes)
        # The providing side and the reading, bound as they are declared there (as
        # ``EntryService`` binds its parts): each signature and default stands once.
        self.assess = self.decisions.assess
        self.decide = self.decisions.decide
        self.get = self.views.get
        self.list_requests = self.views.list_requests

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
            steps=[step(access.SUBMITTED, identity, now, request_why(renews))],
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
        return self.views.view(identity, request, entry)

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
            known = {k for k, _ in operations_of(entry)}
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
        old = self.views.get(identity, request_id)
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
        view = self.views.get(identity, request_id)
        request, entry = view.request, view.entry
        if identity.agency != request.requester_agency or not policy.can_request_access(identity):
            refused(self.entries, identity, entry, request, "access.withdraw")
            raise PermissionDenied("Only the requesting agency's data owners withdraw its request.")
        if request.state not in access.OPEN_STATES:
            raise Conflict(f"This request is {request.state} already.")
        advance(identity, request, access.WITHDRAWN, reason.strip() or "Withdrawn.")
        request.reason = reason.strip() or None
        self.audit.record(identity, "access.withdraw", entry=entry, details={"request": request.id})
        self.session.commit()
        return self.views.view(identity, request, entry)
