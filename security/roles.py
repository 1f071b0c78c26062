"""People's roles and the scopes each grants (besides reading up to their clearance)."""

from __future__ import annotations

from collections.abc import Iterable

from security.identity import ADMIN, AUDIT, REQUEST, REVIEW, WRITE

ROLE_SCOPES: dict[str, str] = {
    "data_owner": WRITE,
    "security_officer": REVIEW,
    "auditor": AUDIT,
    "admin": ADMIN,
    "developer": REQUEST,
}
ROLES = tuple(ROLE_SCOPES)


def scopes_for_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """Unknown roles grant nothing."""
    return tuple(dict.fromkeys(ROLE_SCOPES[r] for r in roles if r in ROLE_SCOPES))
