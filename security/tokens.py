"""Strict validation of RFC 9068 JWT access tokens."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

#: Asymmetric algorithms only: never ``none``, never an HMAC secret.
ALLOWED_ALGORITHMS = ("RS256", "PS256", "ES256")
ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")
REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "jti", "client_id")
VERIFIED_CACHE_SIZE = 10_000


class InvalidToken(Exception):
    """The bearer token must be refused. The message is safe to show."""


class TokenStateUnavailable(Exception):
    """What bounds a token (the revoked-token list, where its client, agency and person
    stand) could not be read. The request is refused, never judged against stale state;
    the HTTP edge answers 503 with Retry-After, as it is worth trying again."""


class DenyList:
    """The ``jti`` of every revoked, unexpired access token, held in memory.

    A revocation made in this process counts at once (``add``). Revocations made
    by other processes sharing the database are picked up by reloading the whole
    list (``load``: jti -> exp; small, as tokens live minutes) at most every
    ``sync_seconds``; 0 reloads on every check. Until the first load succeeds,
    and whenever a reload fails, the check raises: it fails closed.
    """

    def __init__(self, load: Callable[[], dict[str, int]], sync_seconds: float = 1.0) -> None:
        self._load = load
        self.sync_seconds = sync_seconds
        self._revoked: dict[str, int] = {}
        self._synced = float("-inf")
        self._lock = threading.Lock()

    def add(self, jti: str, expires: int) -> None:
        """Count ``jti`` as revoked in this process at once, until it ``expires`` (epoch seconds)."""
        with self._lock:
            self._revoked[jti] = expires

    def __contains__(self, jti: object) -> bool:
        if time.monotonic() - self._synced >= self.sync_seconds:
            self.sync()
        return jti in self._revoked

    def sync(self) -> None:
        """Reload the revoked list, keeping this process's unexpired additions; else TokenStateUnavailable."""
        with self._lock:
            started = time.monotonic()
            try:
                loaded = self._load()
            except Exception as exc:
                raise TokenStateUnavailable("The revoked-token list could not be read.") from exc
            now = time.time()
            # Keep this process's own recent additions: the store may not show them yet.
            kept = {j: e for j, e in self._revoked.items() if e >= now}
            self._revoked = {**kept, **loaded}
            self._synced = started


def revocation_not_connected(jti: str) -> bool:
    """The default revocation check: fails closed. A verifier nobody connected to a
    revocation list refuses every token instead of taking each for unrevoked."""
    raise InvalidToken("Token revocation cannot be checked: no revocation list is connected.")


def never_revoked_here(jti: str) -> bool:
    """For tokens of another issuer (federation): that issuer revokes its own tokens;
    Tillit bounds their life with the trusted issuer's ``max_lifetime``."""
    return False


@dataclass(frozen=True)
class TokenVerifier:
    """Verifies access tokens (RFC 9068) of one issuer: signature, type, claims, lifetime and revocation."""

    keys: Callable[[], KeySet]
    issuer: str
    audience: str
    leeway: int = 30
    max_lifetime: int = 300
    algorithms: Collection[str] = ALLOWED_ALGORITHMS
    #: Connected by the app to its deny-list (authserver.server); until then, fails closed.
    is_revoked: Callable[[str], bool] = revocation_not_connected
    #: Tokens whose signature and claims were verified, by their exact text: a
    #: repeat only re-checks time and revocation. Entries are added only after a
    #: full verification, so nothing can be planted in it.
    _verified: dict[str, tuple[dict[str, Any], str | None]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def verify(self, token: str, now: int | None = None) -> dict[str, Any]:
        """The claims of a valid, unrevoked access token; InvalidToken, with the reason, for any other."""
        if now is None:
            seen = self._verified.get(token)
            if seen is not None and self._still_valid(*seen, int(time.time())):
                if self.is_revoked(str(seen[0]["jti"])):
                    raise InvalidToken("The access token has been revoked.")
                return dict(seen[0])
        claims, kid = self._verify(token, now)
        if now is None:
            with self._lock:
                if len(self._verified) >= VERIFIED_CACHE_SIZE:
                    self._verified.clear()  # tokens live minutes: starting over is cheap
                self._verified[token] = (claims, kid)
        return dict(claims)

    def _still_valid(self, claims: dict[str, Any], kid: str | None, current: int) -> bool:
        if claims["exp"] + self.leeway < current:
            return False
        # A retired signing key takes its tokens with it, cached or not.
        if kid is None or all(key.kid != kid for key in self.keys()):
            return False
        nbf = claims.get("nbf")
        return not (isinstance(nbf, int | float) and nbf > current + self.leeway)

    def _verify(self, token: str, now: int | None) -> tuple[dict[str, Any], str | None]:
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
        kid = decoded.header.get("kid")
        return dict(claims), str(kid) if kid is not None else None
