"""Strict validation of RFC 9068 JWT access tokens."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

#: Asymmetric algorithms only: never ``none``, never an HMAC secret.
ALLOWED_ALGORITHMS = ("RS256", "PS256", "ES256")
ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")
REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "jti", "client_id")


class InvalidToken(Exception):
    """The bearer token must be refused. The message is safe to show."""


@dataclass(frozen=True)
class TokenVerifier:
    keys: Callable[[], KeySet]
    issuer: str
    audience: str
    leeway: int = 30
    max_lifetime: int = 300
    algorithms: Collection[str] = ALLOWED_ALGORITHMS
    is_revoked: Callable[[str], bool] = lambda jti: False

    def verify(self, token: str, now: int | None = None) -> dict[str, Any]:
        if not token or token.count(".") != 2 or len(token) > 8192:
            raise InvalidToken("The access token is malformed.")
        try:
            decoded = jwt.decode(token, self.keys(), algorithms=list(self.algorithms))
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidToken("The access token signature is invalid.") from exc
        typ = str(decoded.header.get("typ", "")).lower()
        if typ not in ACCESS_TOKEN_TYPES:
            raise InvalidToken("The token is not an access token (typ must be at+jwt).")
        claims = decoded.claims
        current = int(time.time()) if now is None else now
        registry = JWTClaimsRegistry(
            now=current,
            leeway=self.leeway,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise InvalidToken(f"The access token is not valid: {exc.description}") from exc
        for name in REQUIRED_CLAIMS:
            if name not in claims:
                raise InvalidToken(f"The access token lacks the {name!r} claim.")
        if claims["exp"] - claims["iat"] > self.max_lifetime + self.leeway:
            raise InvalidToken("The access token lives longer than allowed.")
        if self.is_revoked(str(claims["jti"])):
            raise InvalidToken("The access token has been revoked.")
        return dict(claims)
