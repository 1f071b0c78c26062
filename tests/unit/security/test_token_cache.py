"""The verified-token cache never makes an expired or revoked token acceptable."""

from __future__ import annotations

import time

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from security import tokens
from security.tokens import InvalidToken, TokenVerifier

KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"}, auto_kid=False)
KEYS = KeySet([KEY])


def token(now: int, lifetime: int = 300) -> str:
    claims = {
        "iss": "https://tillit.test",
        "aud": "https://tillit.test/api/v1",
        "sub": "c1",
        "client_id": "c1",
        "jti": f"j-{now}",
        "iat": now,
        "exp": now + lifetime,
        "scope": "catalogue:read:public",
        "agency": "202100-5448",
    }
    return jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": "k1"}, claims, KEYS)


def verifier(revoked: set[str]) -> TokenVerifier:
    return TokenVerifier(
        keys=lambda: KEYS,
        issuer="https://tillit.test",
        audience="https://tillit.test/api/v1",
        leeway=30,
        is_revoked=lambda jti: jti in revoked,
    )


def test_a_cached_token_still_expires(monkeypatch):
    start = int(time.time())
    v = verifier(set())
    t = token(start, lifetime=60)
    assert v.verify(t)["sub"] == "c1"
    assert t in v._verified
    monkeypatch.setattr(tokens.time, "time", lambda: start + 60 + 31)
    with pytest.raises(InvalidToken, match="expired"):
        v.verify(t)


def test_a_cached_token_can_be_revoked():
    revoked: set[str] = set()
    v = verifier(revoked)
    t = token(int(time.time()))
    claims = v.verify(t)
    revoked.add(claims["jti"])
    with pytest.raises(InvalidToken, match="revoked"):
        v.verify(t)


def test_a_forgery_never_enters_the_cache():
    v = verifier(set())
    t = token(int(time.time()))
    head, body, signature = t.split(".")
    forged = f"{head}.{body}.{signature[::-1]}"
    for _ in range(2):
        with pytest.raises(InvalidToken, match="signature"):
            v.verify(forged)
    assert forged not in v._verified


def test_the_cache_returns_copies():
    v = verifier(set())
    t = token(int(time.time()))
    v.verify(t)["scope"] = "catalogue:admin"
    assert v.verify(t)["scope"] == "catalogue:read:public"


def test_a_verifier_without_a_revocation_list_refuses_every_token():
    """Fail closed: one built without ``is_revoked`` cannot tell a revoked token from
    a good one, so it takes none (the app always connects its deny-list)."""
    unconnected = TokenVerifier(
        keys=lambda: KEYS, issuer="https://tillit.test", audience="https://tillit.test/api/v1"
    )
    now = int(time.time())
    good = token(now)
    assert verifier(set()).verify(good)["jti"] == f"j-{now}"
    with pytest.raises(InvalidToken, match="no revocation list is connected"):
        unconnected.verify(good)
