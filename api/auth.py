"""The resource side: a verified bearer token becomes the caller's identity.

No token means the anonymous reader at the lowest level. A token that is
present but not valid is refused with 401; there is no other way in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, g, request

from security.identity import Identity, anonymous_identity, identity_from_claims
from security.tokens import InvalidToken

F = TypeVar("F", bound=Callable[..., Any])


class Unauthorized(Exception):
    """401: no valid token where one is needed."""

    def __init__(self, detail: str, error: str | None = "invalid_token") -> None:
        super().__init__(detail)
        self.detail = detail
        self.error = error


class InsufficientScope(Exception):
    """403: a valid token that lacks the scope."""

    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope
        self.detail = f"This operation needs the {scope} scope."


def current_identity() -> Identity:
    identity = g.get("identity")
    if identity is None:
        identity = replace(_identify(), address=request.remote_addr)
        g.identity = identity
    return cast(Identity, identity)


def _identify() -> Identity:
    ext = current_app.extensions["tillit"]
    header = request.headers.get("Authorization")
    if header is None:
        return anonymous_identity(ext.scheme)
    scheme_name, _, token = header.partition(" ")
    if scheme_name.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use an OAuth 2 bearer token: Authorization: Bearer <token>.")
    try:
        claims = ext.verifier.verify(token.strip())
    except InvalidToken as exc:
        raise Unauthorized(str(exc)) from exc
    return identity_from_claims(ext.scheme, claims)


def require_scope(scope: str) -> Callable[[F], F]:
    """The HTTP edge's only rule: the scope is present. The services decide the rest."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            identity = current_identity()
            if identity.kind == "anonymous":
                raise Unauthorized("This operation needs an access token.", error=None)
            if not identity.has_scope(scope):
                raise InsufficientScope(scope)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator
