"""Introspection (RFC 7662), for registered resource servers only: an access token
is active only as far as its client, agency and person still stand."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from authserver.adapters import TOKEN_AUTH_METHODS, AccessRecord, Client, looks_like_jwt
from authserver.context import tillit
from authserver.errors import UnknownHintRefused
from security.authority import bound_identity
from security.identity import Identity, identity_from_claims
from security.tokens import InvalidToken

INTROSPECTED = ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "agency")


def standing_identity(claims: dict[str, Any]) -> Identity:
    """The identity of verified claims of this server as its authority stands now;
    raises InvalidToken when it was withdrawn. The same bound as ``api.auth`` puts
    on a bearer token (``security.authority.bound_identity``)."""
    ext = tillit()
    return bound_identity(ext.scheme, ext.authority.current(), identity_from_claims(ext.scheme, claims))


class Introspection(UnknownHintRefused, IntrospectionEndpoint):  # type: ignore[misc]  # Authlib ships no types
    CLIENT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> AccessRecord | None:
        if not looks_like_jwt(token_string):
            return None  # refresh tokens are nobody's business but their client's
        try:
            claims = tillit().verifier.verify(token_string)
            # Withdrawn authority: inactive; a lowered clearance: the scope it has now.
            scopes = standing_identity(claims).scopes
        except InvalidToken:
            return None
        if scopes != frozenset(str(claims.get("scope", "")).split()):
            claims = {**claims, "scope": " ".join(sorted(scopes))}
        return AccessRecord(claims)

    def check_permission(self, token: AccessRecord, client: Client, request: Any) -> bool:
        return client.row.resource_server

    def introspect_token(self, token: AccessRecord) -> dict[str, Any]:
        c = token.claims
        return {"active": True, "token_type": "Bearer", **{k: c[k] for k in INTROSPECTED if k in c}}
