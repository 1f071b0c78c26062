"""A request's history, shared by both sides of ``AccessRequestService``: each change of
state is a step on the request (who, when, why), and each refusal of a step an event of
its own in the audit chain (``EntryService.audit_now``), kept although the step is not."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from catalogue.models import Entry, utcnow
from catalogue.models_access import AccessRequest
from catalogue.services.entries import EntryService
from security.identity import Identity


def step(state: str, identity: Identity, at: datetime, why: str) -> dict[str, Any]:
    """One step of a request's history, as ``AccessRequest.steps`` keeps it."""
    return {
        "state": state,
        "by": identity.person or identity.subject,
        "agency": identity.agency,
        "at": at.isoformat(),
        "why": why,
    }


def advance(identity: Identity, request: AccessRequest, state: str, why: str) -> None:
    """Move ``request`` to ``state``, with the step that says who did and why."""
    request.state = state
    request.steps = [*request.steps, step(state, identity, utcnow(), why)]


def refused(
    entries: EntryService,
    identity: Identity,
    entry: Entry,
    request: AccessRequest,
    action: str,
    rule: str | None = None,
) -> None:
    """Record that ``identity`` was refused ``action`` on ``request`` (answered 403)."""
    details: dict[str, Any] = {"request": request.id, "answered": 403}
    if rule:
        details["rule"] = rule
    entries.audit_now(identity, action, entry, decision="deny", details=details)


def request_why(renews: str | None) -> str:
    """Why a request was submitted, as its first step records it."""
    return f"Renewal of grant {renews}." if renews else "Submitted."
