"""The demo's access requests and grants (demo_data/access.json), one in each state.

Loaded through ``AccessRequestService`` and ``GrantService`` like any request, with
explicit identities: the system identity acting for the requesting agency, and two
system subjects of the providing agency, one assessing and another deciding (four
eyes), so every rule that guards a real request guards these.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from catalogue import access
from catalogue.services.access_requests import AccessRequestService
from catalogue.services.entries import EntryService
from catalogue.services.grants import GrantService
from catalogue.shapes import LegalBasisSchema
from security.identity import Identity, system_identity

_basis = LegalBasisSchema()


def load_access_demo(entries: EntryService, ids: dict[str, str], items: list[dict[str, Any]]) -> int:
    """Make each request of ``items`` (entries by demo key in ``ids``) and take it to
    its state; the number made."""
    system = system_identity(entries.scheme)
    requests = AccessRequestService(entries)
    grants = GrantService(entries)
    today = date.today()
    for item in items:
        requester = _acting(system, item["requester"], "developer")
        view = requests.create(
            requester,
            {
                "entry": ids[item["entry"]],
                "operations": item["operations"],
                "purpose": item["purpose"],
                "purpose_code": item["purpose_code"],
                "processing_basis": [_basis.load(b) for b in item["processing_basis"]],
                "data_elements": item["data_elements"],
                "period_start": today,
                "period_end": today + timedelta(days=item["days"]),
                "consumer_client_id": None,
                "consumer_xroad": item["consumer_xroad"],
                "contact": item["contact"],
            },
        )
        request_id = view.request.id
        provider = view.request.provider_agency
        state = item["state"]
        if state == access.WITHDRAWN:
            requests.withdraw(requester, request_id, item["reason"])
        if state in (access.SUBMITTED, access.WITHDRAWN):
            continue
        requests.assess(_acting(system, provider, "assessor"), request_id)
        if state == access.IN_ASSESSMENT:
            continue
        decider = _acting(system, provider, "decider")
        if state == access.REFUSED:
            requests.decide(decider, request_id, {"decision": "refuse", "reason": item["reason"]})
            continue
        decided = requests.decide(
            decider,
            request_id,
            {
                "decision": "grant",
                "reason": item["reason"],
                "disclosure_basis": item["disclosure_basis"],
                "valid_until": today + timedelta(days=item["days"]),
            },
        )
        if state == "revoked" and decided.grant_id:
            grants.revoke(decider, decided.grant_id, item["revoke_reason"])
    return len(items)


def _acting(system: Identity, agency: str, role: str) -> Identity:
    """The system identity acting for ``agency``, as a named subject of it."""
    return replace(system, agency=agency, subject=f"system:demo-{role}-{agency}")
