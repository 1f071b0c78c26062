"""Trusted external issuers: access tokens from other authorization servers (for
example a national one such as Maskinporten), validated as strictly as our own.

A token is matched to an issuer by its (unverified) ``iss``; from then on only
that issuer's keys, algorithms, audience and lifetime apply, so one issuer's key
can never vouch for another's tokens. Claims map onto Tillit's scopes and agency.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from joserfc.jwk import KeySet

from security.outbound import OutboundPolicy, fetch
from security.tokens import ALLOWED_ALGORITHMS, InvalidToken, TokenVerifier, never_revoked_here

JWKS_TTL = 300


class FederationError(ValueError):
    """The trusted-issuer configuration is invalid; the application must not start."""


@dataclass(frozen=True)
class TrustedIssuer:
    """Another issuer whose access tokens Tillit accepts, and how its claims map onto Tillit's."""

    issuer: str
    jwks_url: str
    audience: str
    #: External scope → Tillit scopes it stands for. Unmapped scopes grant nothing.
    scope_map: Mapping[str, tuple[str, ...]]
    #: Dotted path to the organisation number, e.g. "consumer.ID" (Maskinporten).
    agency_claim: str
    #: Stripped from the claim's value, e.g. "0192:" (ISO 6523 prefix for Norway).
    agency_prefix: str = ""
    algorithms: tuple[str, ...] = ALLOWED_ALGORITHMS
    leeway: int = 30
    max_lifetime: int = 300

    def agency_of(self, claims: Mapping[str, Any]) -> str | None:
        """The organisation number at ``agency_claim`` (prefix stripped); None if absent or no string."""
        value: Any = claims
        for part in self.agency_claim.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if not isinstance(value, str) or not value:
            return None
        return value.removeprefix(self.agency_prefix) if self.agency_prefix else value

    def scopes_of(self, claims: Mapping[str, Any]) -> list[str]:
        """The Tillit scopes the token's external scopes map to; an unmapped scope grants nothing."""
        raw = claims.get("scope", "")
        external = raw.split() if isinstance(raw, str) else []
        return list(dict.fromkeys(s for e in external for s in self.scope_map.get(e, ())))


def parse_trusted_issuers(raw: str | list[Any] | None, own_issuer: str) -> tuple[TrustedIssuer, ...]:
    """Parse TILLIT_TRUSTED_ISSUERS; FederationError for anything invalid, Tillit's own issuer included."""
    if not raw:
        return ()
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as exc:
        raise FederationError(f"TILLIT_TRUSTED_ISSUERS is not JSON: {exc}") from exc
    if not isinstance(items, list):
        raise FederationError("TILLIT_TRUSTED_ISSUERS must be a JSON list.")
    out = []
    for item in items:
        try:
            issuer = str(item["issuer"])
            jwks_url = str(item["jwks_url"])
            audience = str(item["audience"])
            scope_map = {str(k): tuple(str(s) for s in v) for k, v in dict(item["scope_map"]).items()}
            agency_claim = str(item["agency_claim"])
        except (KeyError, TypeError, ValueError) as exc:
            raise FederationError(
                "Each trusted issuer needs issuer, jwks_url, audience, scope_map and agency_claim."
            ) from exc
        if issuer.rstrip("/") == own_issuer.rstrip("/"):
            raise FederationError("A trusted issuer cannot be Tillit's own issuer.")
        if urlsplit(jwks_url).scheme not in ("https", "file"):
            raise FederationError(f"{issuer}: jwks_url must be https:// (or file:// for a local copy).")
        algorithms = tuple(item.get("algorithms", ALLOWED_ALGORITHMS))
        if not algorithms or any(a not in ALLOWED_ALGORITHMS for a in algorithms):
            raise FederationError(f"{issuer}: algorithms must come from {', '.join(ALLOWED_ALGORITHMS)}.")
        out.append(
            TrustedIssuer(
                issuer=issuer,
                jwks_url=jwks_url,
                audience=audience,
                scope_map=scope_map,
                agency_claim=agency_claim,
                agency_prefix=str(item.get("agency_prefix", "")),
                algorithms=algorithms,
                leeway=min(int(item.get("leeway", 30)), 60),
                max_lifetime=int(item.get("max_lifetime", 300)),
            )
        )
    if len({t.issuer for t in out}) != len(out):
        raise FederationError("A trusted issuer appears twice.")
    return tuple(out)


def fetch_jwks(url: str, policy: OutboundPolicy) -> dict[str, Any]:
    """The issuer's keys: a local copy the operator named (``file://``), or fetched
    through the outbound rules like every other request."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        data: dict[str, Any] = json.loads(Path(parts.path).read_text(encoding="utf-8"))
        return data
    fetched = fetch(url, policy=policy)
    if fetched.status != 200:
        raise InvalidToken("The issuer's keys are not available.")
    keys: dict[str, Any] = fetched.json()
    return keys


@dataclass
class _CachedKeys:
    keys: KeySet
    fetched: float


@dataclass
class Federation:
    """Verifies tokens of the trusted issuers; JWKS are cached for a few minutes."""

    issuers: tuple[TrustedIssuer, ...]
    outbound: OutboundPolicy = field(default_factory=OutboundPolicy)
    fetch: Callable[[str, OutboundPolicy], dict[str, Any]] = fetch_jwks
    _cache: dict[str, _CachedKeys] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def find(self, token: str) -> TrustedIssuer | None:
        """The trusted issuer the token claims to come from (not yet verified)."""
        iss = _unverified_iss(token)
        return next((t for t in self.issuers if t.issuer == iss), None)

    def keys(self, trusted: TrustedIssuer) -> KeySet:
        """The issuer's public signing keys, fetched and cached for JWKS_TTL; InvalidToken if unavailable."""
        with self._lock:
            cached = self._cache.get(trusted.issuer)
            if cached is None or time.monotonic() - cached.fetched > JWKS_TTL:
                try:
                    data = self.fetch(trusted.jwks_url, self.outbound)
                    public = {"keys": [k for k in data.get("keys", []) if k.get("kty") in ("RSA", "EC")]}
                    # The ignore: joserfc types a key set as its TypedDict; this is plain JSON,
                    # whose shape import_key_set checks.
                    cached = _CachedKeys(KeySet.import_key_set(public), time.monotonic())  # type: ignore[arg-type]
                except Exception as exc:
                    raise InvalidToken("The issuer's keys are not available.") from exc
                self._cache[trusted.issuer] = cached
            return cached.keys

    def verify(self, trusted: TrustedIssuer, token: str) -> dict[str, Any]:
        """The token's claims, verified against the issuer's keys, audience and limits; else InvalidToken."""
        verifier = TokenVerifier(
            keys=lambda: self.keys(trusted),
            issuer=trusted.issuer,
            audience=trusted.audience,
            leeway=trusted.leeway,
            max_lifetime=trusted.max_lifetime,
            algorithms=trusted.algorithms,
            is_revoked=never_revoked_here,
        )
        return verifier.verify(token)


def _unverified_iss(token: str) -> str | None:
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    iss = claims.get("iss") if isinstance(claims, dict) else None
    return iss if isinstance(iss, str) else None
