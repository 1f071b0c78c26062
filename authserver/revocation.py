"""Revocation (RFC 7009): of an access token by its jti (the deny-list), of a
refresh token with its whole family."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from authlib.oauth2.rfc7009 import RevocationEndpoint

from authserver.adapters import CODE_AUTH_METHODS, AccessRecord, RefreshRecord, looks_like_jwt
from authserver.context import tillit, token_service
from authserver.errors import UnknownHintRefused
from security.tokens import InvalidToken


class Revocation(UnknownHintRefused, RevocationEndpoint):  # type: ignore[misc]  # Authlib ships no types
    CLIENT_AUTH_METHODS = CODE_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        if looks_like_jwt(token_string):
            try:
                # Revoking is allowed for any token we issued and that still verifies.
                claims = replace(tillit().verifier, is_revoked=lambda jti: False).verify(token_string)
            except InvalidToken:
                return None
            return AccessRecord(claims)
        row = token_service().find_refresh(token_string)
        return RefreshRecord(row) if row else None

    def revoke_token(self, token: Any, request: Any) -> None:
        if isinstance(token, AccessRecord):
            token_service().revoke_access(str(token.claims["jti"]), int(token.claims["exp"]))
        else:
            token_service().revoke_family(token.family_id)
