"""The vocabulary and the pure rules of access requests and grants (docs/access.md).

No I/O: the services (``catalogue.services.access_requests``, ``.grants``) load what
these rules read and act on what they answer.

- **Purposes** are concepts of the W3C Data Privacy Vocabulary (DPV,
  https://w3id.org/dpv, namespace ``https://w3id.org/dpv#``), given as ``dpv:Name``.
  Only concepts of DPV's purpose taxonomy that a public agency asks for are offered;
  ``dpv:ServiceProvision`` is left out on purpose, since DPV 2.3 changed its meaning.
- **States** run ``submitted`` → ``in_assessment`` → ``granted`` | ``refused``, and
  ``withdrawn`` from either of the first two.
- **Flags** say what a security officer must know of a request, and which of it
  cannot be granted as it stands (``blocking``), with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from security.authority import GRANT_SCOPE_PREFIX as GRANT_SCOPE_PREFIX

#: DPV purpose concepts (https://w3id.org/dpv#...): prefixed name → English label.
PURPOSES: Final[dict[str, str]] = {
    "dpv:LegalCompliance": "Legal compliance: fulfilling a legal or statutory obligation",
    "dpv:FulfilmentOfObligation": "Fulfilment of an obligation",
    "dpv:FraudPreventionAndDetection": "Fraud prevention and detection",
    "dpv:IdentityVerification": "Identity verification",
    "dpv:ImprovePublicServices": "Improving public services",
    "dpv:EnforceSecurity": "Enforcing security",
    "dpv:ResearchAndDevelopment": "Research and development",
    "dpv:AcademicResearch": "Academic research",
}
DPV_NAMESPACE: Final = "https://w3id.org/dpv#"

SUBMITTED: Final = "submitted"
IN_ASSESSMENT: Final = "in_assessment"
GRANTED: Final = "granted"
REFUSED: Final = "refused"
WITHDRAWN: Final = "withdrawn"
STATES: Final = (SUBMITTED, IN_ASSESSMENT, GRANTED, REFUSED, WITHDRAWN)
OPEN_STATES: Final = frozenset({SUBMITTED, IN_ASSESSMENT})

#: An X-Road subsystem id: INSTANCE/MEMBERCLASS/MEMBERCODE/SUBSYSTEM (X-Road's own
#: identifier parts; no slash inside a part). ``$(?!\n)``: see ``catalogue.shapes``.
XROAD_SUBSYSTEM = r"^[A-Za-z0-9._:-]{1,100}(/[A-Za-z0-9._:-]{1,100}){3}$(?!\n)"
_XROAD = re.compile(XROAD_SUBSYSTEM)
#: An operation named in a request: an operationId, or "METHOD /path".
OPERATION_NAME = r"^([A-Za-z0-9_.-]{1,200}|(GET|PUT|POST|DELETE|PATCH|HEAD|OPTIONS|TRACE) /\S{0,400})$(?!\n)"

#: The scope a grant becomes on Tillit's authorization server is GRANT_SCOPE_PREFIX + its id
#: (declared with the rule that bounds it, security.authority).
#: Expiry is told to both sides this many days ahead.
EXPIRY_NOTICE_DAYS: Final = 30


def grant_scope(grant_id: str) -> str:
    """The OAuth scope of the grant ``grant_id``."""
    return f"{GRANT_SCOPE_PREFIX}{grant_id}"


def is_xroad_subsystem(value: str) -> bool:
    """Whether ``value`` has the form INSTANCE/MEMBERCLASS/MEMBERCODE/SUBSYSTEM."""
    return _XROAD.fullmatch(value) is not None


def operation_key(operation_id: str | None, method: str, path: str) -> str:
    """How a request names an operation: its operationId, else "METHOD /path"."""
    return operation_id or f"{method.upper()} {path}"


def grant_state(valid_from: date, valid_until: date, revoked: bool, today: date) -> str:
    """``revoked``, ``expired`` (after its last day), ``pending`` (before its first) or ``active``."""
    if revoked:
        return "revoked"
    if today > valid_until:
        return "expired"
    if today < valid_from:
        return "pending"
    return "active"


@dataclass(frozen=True)
class Flag:
    """Something an officer must know of a request; ``blocking``: it cannot be granted as it stands."""

    code: str
    blocking: bool
    reason: str


@dataclass(frozen=True)
class RequestFacts:
    """What the flags are computed from: the entry as its officer reads it, and the request."""

    sharing_status: str
    personal_data: bool
    entry_special_categories: bool
    processing_basis: Sequence[dict[str, object]]
    special_elements: Sequence[str]
    unknown_operations: Sequence[str]
    operations_above_requester: Sequence[str]


def flags_of(facts: RequestFacts) -> list[Flag]:
    """The flags of a request, blocking ones first."""
    flags: list[Flag] = []
    if facts.sharing_status == "no_disclosure_basis":
        flags.append(
            Flag(
                "no_disclosure_basis",
                True,
                "The entry cites no disclosure basis: nothing in the catalogue lets its data be given "
                "to another agency. Granting needs a new legal basis (then recorded on the entry, "
                "through review), or a consent or decision outside the catalogue.",
            )
        )
    if facts.personal_data and not facts.processing_basis:
        flags.append(
            Flag(
                "no_processing_basis",
                True,
                "The data is personal data and the request cites no processing basis of the requesting "
                "agency: the receiver needs its own legal basis to process it (GDPR Art. 6(1), 6(3)).",
            )
        )
    if facts.unknown_operations:
        flags.append(
            Flag(
                "unknown_operations",
                False,
                "The API has no operation named "
                + ", ".join(sorted(facts.unknown_operations))
                + ": a grant can name only operations the API has.",
            )
        )
    if facts.special_elements or facts.entry_special_categories:
        named = ", ".join(facts.special_elements) or "the entry's data"
        flags.append(
            Flag(
                "special_category",
                False,
                f"Special categories of personal data (GDPR Art. 9(1)) are asked for: {named}. "
                "Processing them needs an exception under Art. 9(2) as well.",
            )
        )
    if facts.operations_above_requester:
        flags.append(
            Flag(
                "above_requester_clearance",
                False,
                "Operations classified above the requesting agency's clearance: "
                + ", ".join(facts.operations_above_requester)
                + ".",
            )
        )
    return sorted(flags, key=lambda f: not f.blocking)


def blocking(flags: Iterable[Flag]) -> list[Flag]:
    """The flags that stop a grant."""
    return [f for f in flags if f.blocking]
