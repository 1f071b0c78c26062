"""The resource side: a verified bearer token becomes the caller's identity.

No token means the anonymous reader at the lowest level. A token that is
present but not valid is refused with 401; there is no other way in. A valid
token counts only as far as its client, agency and person still stand
(:mod:`security.authority`): withdrawn, it is refused; lowered, it is capped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, g, request

from api.wiring import tillit
from catalogue.authority import expire_on_change, load_standing
from security.authority import Authority, Standing, bound_federated, bound_identity
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
    """403: a valid token that lacks the scope (or every one of the scopes, any of which
    would do); ``scope`` is them space-separated, as ``WWW-Authenticate`` names them."""

    def __init__(self, *scopes: str) -> None:
        super().__init__(*scopes)
        self.scope = " ".join(scopes)
        if len(scopes) == 1:
            self.detail = f"This operation needs the {scopes[0]} scope."
        else:
            self.detail = f"This operation needs one of the scopes {', '.join(scopes)}."


#: Identities built from tokens of this server, by (token, address), with the
#: standing they were bounded by: the token is verified on every request all the
#: same (time, key, revocation), and an identity is used again only while the
#: standing is the same object (a reload that changed something makes a new one).
#: The anonymous reader's, by ("", address), with no standing (it depends on none).
IDENTITY_CACHE_SIZE = 10_000
#: Set on a view by :func:`require_scope`: the scope, for the OpenAPI document (api/openapi.py).
REQUIRED_SCOPE = "_tillit_required_scope"


def current_identity() -> Identity:
    identity = g.get("identity")
    if identity is None:
        identity = g.identity = _identify()
    return cast(Identity, identity)


def _identify() -> Identity:
    ext = tillit()
    environ = request.environ  # (what request.remote_addr and request.headers read, asked once)
    address = environ.get("REMOTE_ADDR")
    header = environ.get("HTTP_AUTHORIZATION")
    known: dict[tuple[str, str | None], tuple[Standing | None, Identity]] = ext.identities
    if header is None:
        # The anonymous reader depends on nothing but the address: kept by ("", address)
        # (no token is the empty string: an empty bearer token is refused below).
        kept = known.get(("", address))
        if kept is None:
            kept = (None, replace(anonymous_identity(ext.scheme), address=address))
            _keep(known, ("", address), kept)
        return kept[1]
    scheme_name, _, token = header.partition(" ")
    if scheme_name.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use an OAuth 2 bearer token: Authorization: Bearer <token>.")
    token = token.strip()
    federation = ext.federation
    trusted = federation.find(token) if federation else None
    try:
        if federation is not None and trusted is not None:
            claims = federation.verify(trusted, token)
            standing: Standing = ext.authority.current()  # fails closed: raises if unreadable
            identity = _federated_identity(trusted, claims, standing)
            return replace(identity, address=address)
        claims = ext.verifier.verify(token)
        standing = ext.authority.current()
        kept = known.get((token, address))
        if kept is not None and kept[0] is standing:
            return kept[1]
        identity = bound_identity(
            ext.scheme, standing, replace(identity_from_claims(ext.scheme, claims), address=address)
        )
    except InvalidToken as exc:
        raise Unauthorized(str(exc)) from exc
    _keep(known, (token, address), (standing, identity))
    return identity


def _keep(known: dict[tuple[str, str | None], Any], key: tuple[str, str | None], value: Any) -> None:
    if len(known) >= IDENTITY_CACHE_SIZE:
        known.clear()
    known[key] = value


def _federated_identity(trusted: TrustedIssuer, claims: dict[str, Any], standing: Standing) -> Identity:
    """An external issuer's token: its scopes mapped onto ours, capped by what the
    organisation's agency is allowed here now. An unknown or retired organisation
    gets nothing."""
    ext = tillit()
    orgnr = trusted.agency_of(claims)
    if not orgnr:
        raise InvalidToken("The token's organisation is not an agency registered in Tillit.")
    identity = build_identity(
        ext.scheme,
        kind="client",
        subject=f"{trusted.issuer}#{claims['sub']}",
        agency=orgnr,
        scopes=trusted.scopes_of(claims),
        client_id=f"{trusted.issuer}#{claims['client_id']}",
    )
    return bound_federated(ext.scheme, standing, identity)


def init_authority(app: Flask) -> None:
    """Measure tokens against the standing of clients, agencies and people, reloaded
    at most every TILLIT_REVOCATION_SYNC_SECONDS and after any commit of this process
    that changed one of them."""
    ext = tillit(app)
    sessions = ext.sessions

    def load() -> Standing:
        with sessions() as session:
            return load_standing(session)

    ext.authority = Authority(load, float(app.config["REVOCATION_SYNC_SECONDS"]))
    expire_on_change(sessions, ext.authority.expire)


def init_federation(app: Flask) -> None:
    """Trust the issuers named in TILLIT_TRUSTED_ISSUERS (validated at start)."""
    issuers = parse_trusted_issuers(app.config.get("TRUSTED_ISSUERS"), app.config["ISSUER"])
    outbound = tillit(app).outbound
    tillit(app).federation = Federation(issuers, outbound) if issuers else None


def require_scope(*scopes: str) -> Callable[[F], F]:
    """The HTTP edge's only rule: the scope is present (one of ``scopes``, any of which
    will do). The services decide the rest."""
    if not scopes:
        raise ValueError("require_scope needs a scope.")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            identity = current_identity()
            if identity.kind == "anonymous":
                raise Unauthorized("This operation needs an access token.", error=None)
            if not any(identity.has_scope(s) for s in scopes):
                raise InsufficientScope(*scopes)
            return view(*args, **kwargs)

        setattr(wrapper, REQUIRED_SCOPE, scopes)
        return cast(F, wrapper)

    return decorator
