"""Client authentication by ``private_key_jwt`` (RFC 7523); ``client_secret_basic``
and ``none`` are Authlib's own, checked by ``adapters.Client``."""

from __future__ import annotations

import time
from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from authserver.adapters import Client
from authserver.context import token_service
from security.tokens import ALLOWED_ALGORITHMS

ASSERTION_MAX_LIFETIME = 120
ASSERTION_LEEWAY = 30


class PrivateKeyJWT(JWTBearerClientAssertion):  # type: ignore[misc]  # Authlib ships no types
    """RFC 7523 client assertions signed with a key of the client's registered JWKS:
    a single ``aud`` equal to the issuer, at most 120 seconds of life, asymmetric
    algorithms only, and every ``jti`` accepted once."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, issuer: str) -> None:
        super().__init__(validate_jti=True, leeway=ASSERTION_LEEWAY)
        self.issuer = issuer

    def get_audiences(self) -> list[str]:
        return [self.issuer]

    def resolve_client_public_key(self, client: Client) -> KeySet:
        if client.row.token_endpoint_auth_method != self.CLIENT_AUTH_METHOD or not client.row.jwks:
            raise InvalidClientError(description="The client has no registered keys.")
        # The ignore: joserfc types a key set as its TypedDict; a stored JWKS is plain JSON,
        # whose shape import_key_set checks (and registration checked before).
        return KeySet.import_key_set(client.row.jwks)  # type: ignore[arg-type]

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> Any:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=list(ALLOWED_ALGORITHMS))
        except (JoseError, ValueError) as exc:
            raise InvalidClientError(description="The client assertion signature is invalid.") from exc
        self.verify_claims(token.claims)
        return token.claims

    def verify_claims(self, claims: Any) -> None:
        aud = claims.get("aud")
        if not (aud == self.issuer or aud == [self.issuer]):
            raise InvalidClientError(description="The assertion's aud must be exactly the issuer.")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int):
            raise InvalidClientError(description="The assertion needs numeric iat and exp.")
        if exp - iat > ASSERTION_MAX_LIFETIME:
            raise InvalidClientError(description="The assertion may live at most 120 seconds.")
        if iat > time.time() + ASSERTION_LEEWAY:
            raise InvalidClientError(description="The assertion was issued in the future.")
        super().verify_claims(claims)

    def validate_jti(self, claims: Any, jti: Any) -> bool:
        if not isinstance(jti, str):
            return False
        return token_service().spend_assertion(str(claims["sub"]), jti, int(claims["exp"]))
