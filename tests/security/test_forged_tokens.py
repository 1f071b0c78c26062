"""Attack: get in with a token the authorization server never issued (or issued differently)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from tests.security.conftest import bearer

SIGNATURE = "The access token signature is invalid."
NOT_AT = "The token is not an access token (typ must be at+jwt)."


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict, claims: dict) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _alg_none(mint, app, foreign):
    return unsigned({"alg": "none", "typ": "at+jwt"}, claims_of(mint()))


def _hs256_with_public_pem(mint, app, foreign):
    """The classic confusion: HMAC keyed with the server's public key."""
    public = app.extensions["tillit"].keys.signing_key()
    pem = public.as_pem(private=False)
    header = {"alg": "HS256", "typ": "at+jwt", "kid": public.kid}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims_of(mint())).encode())}"
    sig = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(sig)}"


def _hs256_with_public_jwk(mint, app, foreign):
    public = app.extensions["tillit"].keys.signing_key()
    key = OctKey.import_key(json.dumps(public.as_dict(private=False)).encode())
    return jwt.encode({"alg": "HS256", "typ": "at+jwt", "kid": public.kid}, claims_of(mint()), key)


def _foreign_key_spoofed_kid(mint, app, foreign):
    kid = app.extensions["tillit"].keys.signing_key().kid
    return mint(key=foreign, header={"kid": kid})


def _foreign_key_own_kid(mint, app, foreign):
    return mint(key=foreign)


def _embedded_jwk(mint, app, foreign):
    """A header that carries the attacker's own public key must not be trusted."""
    return mint(key=foreign, header={"jwk": foreign.as_dict(private=False), "kid": None})


def _jku(mint, app, foreign):
    return mint(key=foreign, header={"jku": "https://evil.example/jwks.json", "kid": None})


def _untrusted_issuer(mint, app, foreign):
    return mint(key=foreign, claims={"iss": "https://evil.example"})


def _tampered(mint, app, foreign):
    token = mint(claims={"scope": "catalogue:read:public"})
    head, _, sig = token.split(".")
    forged = claims_of(token) | {"scope": "catalogue:read:sensitive catalogue:admin"}
    return f"{head}.{b64(json.dumps(forged).encode())}.{sig}"


def _t() -> int:
    return int(time.time())


FORGERIES = {
    # name: (make token, expected detail)
    "alg none": (_alg_none, SIGNATURE),
    "HS256 keyed with public PEM": (_hs256_with_public_pem, SIGNATURE),
    "HS256 keyed with public JWK": (_hs256_with_public_jwk, SIGNATURE),
    "wrong key, spoofed kid": (_foreign_key_spoofed_kid, SIGNATURE),
    "wrong key, own kid": (_foreign_key_own_kid, SIGNATURE),
    "embedded jwk header": (_embedded_jwk, SIGNATURE),
    "jku header": (_jku, SIGNATURE),
    "untrusted issuer": (_untrusted_issuer, SIGNATURE),
    "tampered claims": (_tampered, SIGNATURE),
    "wrong iss": (
        lambda m, a, f: m(claims={"iss": "https://evil.example"}),
        "The access token is not valid: Invalid claim: 'iss'",
    ),
    "wrong aud": (
        lambda m, a, f: m(claims={"aud": "https://other.example/api"}),
        "The access token is not valid: Invalid claim: 'aud'",
    ),
    "expired": (
        lambda m, a, f: m(claims={"iat": _t() - 400, "exp": _t() - 100}),
        "The access token is not valid: The token is expired",
    ),
    "not yet valid": (
        lambda m, a, f: m(claims={"nbf": _t() + 600}),
        "The access token is not valid: The token is not yet valid",
    ),
    "issued in the future": (
        lambda m, a, f: m(claims={"iat": _t() + 600, "exp": _t() + 700}),
        "The access token is not valid: The token was issued in the future",
    ),
    "lives too long": (
        lambda m, a, f: m(claims={"exp": _t() + 3600}),
        "The access token lives longer than allowed.",
    ),
    "typ missing": (lambda m, a, f: m(header={"typ": None}), NOT_AT),
    "typ JWT": (lambda m, a, f: m(header={"typ": "JWT"}), NOT_AT),
    "no jti": (lambda m, a, f: m(drop=("jti",)), "The access token is not valid: Missing claim: 'jti'"),
    "no client_id": (lambda m, a, f: m(drop=("client_id",)), "The access token lacks the 'client_id' claim."),
    "no exp": (lambda m, a, f: m(drop=("exp",)), "The access token is not valid: Missing claim: 'exp'"),
    "opaque string": (lambda m, a, f: "0123456789abcdef", "The access token is malformed."),
}


@pytest.mark.parametrize("name", list(FORGERIES))
def test_forged_token_is_refused(client, mint, app, foreign_key, name):
    make, detail = FORGERIES[name]
    token = make(mint, app, foreign_key)
    r = client.get("/api/v1/datasets", headers=bearer(token))
    assert r.status_code == 401
    assert r.json == {"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": detail}
    safe = detail.replace('"', "'")
    assert r.headers["WWW-Authenticate"] == (
        f'Bearer realm="tillit", error="invalid_token", error_description="{safe}"'
    )


def test_a_valid_minted_token_is_accepted(client, mint):
    """The control: the same minting with nothing forged gets in."""
    assert client.get("/api/v1/datasets", headers=bearer(mint())).status_code == 200


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token abc"])
def test_other_authorization_schemes_are_refused(client, header):
    r = client.get("/api/v1/datasets", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.json["detail"] == "Use an OAuth 2 bearer token: Authorization: Bearer <token>."


def test_key_of_another_type_is_not_confused(client, mint):
    ec = RSAKey.generate_key(2048, auto_kid=True)
    assert client.get("/api/v1/datasets", headers=bearer(mint(key=ec))).status_code == 401
