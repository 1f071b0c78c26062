"""The resource side: a verified bearer token becomes the caller's identity.

No token means the anonymous reader at the lowest level. A token that is
present but not valid is refused with 401; there is no other way in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g, request

from catalogue.models import Agency
from catalogue.services.clients import allowed_scopes
from security.federation import Federation, TrustedIssuer, parse_trusted_issuers
from security.identity import Identity, anonymous_identity, build_identity, identity_from_claims
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


#: Identities built from tokens of this server, by (token, address): the token is
#: verified on every request all the same (time, key, revocation); only turning
#: its claims into an identity is kept. Bounded like the verifier's own cache.
IDENTITY_CACHE_SIZE = 10_000


def current_identity() -> Identity:
    identity = g.get("identity")
    if identity is None:
        identity = g.identity = _identify()
    return cast(Identity, identity)


def _identify() -> Identity:
    ext = current_app.extensions["tillit"]
    address = request.remote_addr
    header = request.headers.get("Authorization")
    if header is None:
        return replace(anonymous_identity(ext.scheme), address=address)
    scheme_name, _, token = header.partition(" ")
    if scheme_name.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use an OAuth 2 bearer token: Authorization: Bearer <token>.")
    token = token.strip()
    federation: Federation | None = current_app.extensions.get("tillit_federation")
    trusted = federation.find(token) if federation else None
    try:
        if federation is not None and trusted is not None:
            # Not kept: it depends on the agency's row as well as the token.
            return replace(_federated_identity(trusted, federation.verify(trusted, token)), address=address)
        claims = ext.verifier.verify(token)
    except InvalidToken as exc:
        raise Unauthorized(str(exc)) from exc
    known: dict[tuple[str, str | None], Identity] = ext.identities
    identity = known.get((token, address))
    if identity is None:
        identity = replace(identity_from_claims(ext.scheme, claims), address=address)
        if len(known) >= IDENTITY_CACHE_SIZE:
            known.clear()
        known[(token, address)] = identity
    return identity


def _federated_identity(trusted: TrustedIssuer, claims: dict[str, Any]) -> Identity:
    """An external issuer's token: its scopes mapped onto ours, capped by what the
    organisation's agency is allowed here. An unknown organisation gets nothing."""
    ext = current_app.extensions["tillit"]
    orgnr = trusted.agency_of(claims)
    agency = g.db.get(Agency, orgnr) if orgnr else None
    if agency is None or agency.retired:
        raise InvalidToken("The token's organisation is not an agency registered in Tillit.")
    allowance = set(allowed_scopes(ext.scheme, agency))
    return build_identity(
        ext.scheme,
        kind="client",
        subject=f"{trusted.issuer}#{claims['sub']}",
        agency=agency.orgnr,
        scopes=[s for s in trusted.scopes_of(claims) if s in allowance],
        client_id=f"{trusted.issuer}#{claims['client_id']}",
    )


def init_federation(app: Flask) -> None:
    """Trust the issuers named in TILLIT_TRUSTED_ISSUERS (validated at start)."""
    issuers = parse_trusted_issuers(app.config.get("TRUSTED_ISSUERS"), app.config["ISSUER"])
    outbound = app.extensions["tillit"].outbound
    app.extensions["tillit_federation"] = Federation(issuers, outbound) if issuers else None


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
