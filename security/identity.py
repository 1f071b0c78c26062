"""Who is calling: the subject, its agency, its scopes and what they grant."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from security.levels import ClassificationScheme

WRITE = "catalogue:write"
REVIEW = "catalogue:review"
AUDIT = "catalogue:audit"
ADMIN = "catalogue:admin"
#: Ask other agencies for access on the caller's own agency's behalf, and follow its
#: requests and grants (an agency's developers), without registering or editing entries.
REQUEST = "catalogue:request"
ACTION_SCOPES = (WRITE, REVIEW, AUDIT, ADMIN, REQUEST)
#: Scopes only a person may hold: a client acting on its own (client_credentials)
#: never gets them, so one holder of two client secrets cannot be both pairs of eyes.
PERSON_SCOPES = frozenset({REVIEW})

Kind = Literal["anonymous", "client", "user", "system"]


@dataclass(frozen=True)
class Identity:
    """The caller, as established by a verified token (or its absence).

    ``readable_levels`` is derived once from the scopes and the scheme, so the
    policy never re-parses scopes.
    """

    kind: Kind
    subject: str
    agency: str | None
    scopes: frozenset[str]
    clearance: str | None
    readable_levels: frozenset[str]
    client_id: str | None = None
    #: The network address the request came from, for the audit log.
    address: str | None = None
    #: The person behind the token (their user id), or None when no person is: a
    #: client acting on its own, a federated system, the anonymous reader, the system.
    person: str | None = None

    def has_scope(self, scope: str) -> bool:
        """Whether the token granted ``scope``."""
        return scope in self.scopes

    @property
    def is_system(self) -> bool:
        """Whether this is the explicit identity of an internal job (:func:`system_identity`)."""
        return self.kind == "system"


def build_identity(
    scheme: ClassificationScheme,
    *,
    kind: Kind,
    subject: str,
    agency: str | None,
    scopes: Iterable[str],
    client_id: str | None = None,
    person: str | None = None,
) -> Identity:
    """An identity whose clearance and readable levels are derived from its scopes by ``scheme``."""
    scope_set = frozenset(scopes)
    clearance = scheme.clearance_from_scopes(scope_set)
    return Identity(
        kind=kind,
        subject=subject,
        agency=agency,
        scopes=scope_set,
        clearance=clearance,
        readable_levels=scheme.at_or_below(clearance),
        client_id=client_id,
        person=person,
    )


def anonymous_identity(scheme: ClassificationScheme) -> Identity:
    """A request without a token: a read-only reader at the lowest level."""
    return build_identity(
        scheme,
        kind="anonymous",
        subject="anonymous",
        agency=None,
        scopes=[scheme.levels[0].scope],
    )


def system_identity(scheme: ClassificationScheme) -> Identity:
    """For internal jobs (indexing, demo loading, migrations): every enabled level.

    It is an explicit identity, never a flag that skips the rules.
    """
    return build_identity(
        scheme,
        kind="system",
        subject="system",
        agency=None,
        scopes=[*scheme.read_scopes, *ACTION_SCOPES],
    )


def identity_from_claims(scheme: ClassificationScheme, claims: Mapping[str, Any]) -> Identity:
    """Turn the claims of a verified access token into an identity.

    A person's token (authorization_code, RFC 9068) has ``sub`` = the user id and
    ``client_id`` = the app they signed in through; a client's own token
    (client_credentials) has ``sub`` = ``client_id``."""
    scope = claims.get("scope", "")
    scopes = scope.split() if isinstance(scope, str) else []
    agency = claims.get("agency")
    client_id = claims.get("client_id")
    subject = claims.get("sub") or client_id or "unknown"
    kind: Kind = "client" if subject == client_id else "user"
    return build_identity(
        scheme,
        kind=kind,
        subject=str(subject),
        agency=str(agency) if agency else None,
        scopes=scopes,
        client_id=str(client_id) if client_id else None,
        person=str(subject) if kind == "user" else None,
    )
