"""Attack: authenticate as a private_key_jwt client without its key, or with a
replayed, over-long or misaddressed assertion."""

from __future__ import annotations

import time
import uuid

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from authserver.services.clients import ClientService
from catalogue.errors import ValidationFailed
from security.identity import system_identity
from tests.conftest import SKATTEETATEN

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ISSUER = "http://tillit.test"


@pytest.fixture(scope="module")
def client_key() -> RSAKey:
    return RSAKey.generate_key(2048, auto_kid=True)


def register(app, jwks):
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        return (
            ClientService(session, ext.scheme)
            .create(
                system_identity(ext.scheme),
                agency=SKATTEETATEN,
                name="Skatteetaten system",
                scopes=["catalogue:read:internal"],
                auth_method="private_key_jwt",
                jwks=jwks,
            )
            .client.client_id
        )


@pytest.fixture
def jwt_client(app, client_key):
    return register(app, KeySet([client_key]).as_dict(private=False))


def assertion(client_id, key, **overrides):
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": ISSUER,
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
    }
    claims |= overrides
    claims = {k: v for k, v in claims.items() if v is not None}
    alg = "HS256" if isinstance(key, OctKey) else "RS256"
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key)


def ask(client, token):
    return client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": token,
        },
    )


def test_a_good_assertion_gets_a_token(client, jwt_client, client_key):
    r = ask(client, assertion(jwt_client, client_key))
    assert r.status_code == 200, r.json
    assert r.json["scope"] == "catalogue:read:internal"


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"aud": "http://tillit.test/oauth/token"}, "aud is the token endpoint, not the issuer"),
        ({"aud": [ISSUER, "https://other.example"]}, "more than one audience"),
        ({"aud": None}, "no audience"),
        # Times as offsets from the moment the test runs, not from collection: the
        # suite runs for minutes, and "600 s from now" at collection was once less
        # than 120 s from the test's own iat.
        ({"exp": 600}, "lives longer than 120 s"),
        ({"iat": None}, "no iat"),
        ({"exp": -120, "iat": -180}, "expired"),
        ({"iss": "someone-else"}, "iss differs from sub"),
        ({"jti": None}, "no jti"),
        ({"iat": 600, "exp": 660}, "issued in the future"),
    ],
)
def test_bad_assertions_are_refused(client, jwt_client, client_key, overrides, why):
    now = int(time.time())
    times = {k: now + v for k, v in overrides.items() if k in ("iat", "exp") and v is not None}
    r = ask(client, assertion(jwt_client, client_key, **{**overrides, **times}))
    assert (r.status_code, r.json["error"]) == (400, "invalid_client"), why


def test_replayed_assertion_is_refused(client, jwt_client, client_key):
    token = assertion(jwt_client, client_key)
    assert ask(client, token).status_code == 200
    r = ask(client, token)
    assert (r.status_code, r.json["error"]) == (400, "invalid_client")
    assert r.json["error_description"] == "JWT ID is used before."


def test_assertion_signed_with_another_key_is_refused(client, jwt_client):
    r = ask(client, assertion(jwt_client, RSAKey.generate_key(2048, auto_kid=True)))
    assert (r.status_code, r.json["error"]) == (400, "invalid_client")


def test_hmac_with_the_public_key_is_refused(client, jwt_client, client_key):
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iss": jwt_client, "sub": jwt_client, "aud": ISSUER, "iat": now, "exp": now + 60, "jti": "x1"}
    signing_input = (
        b64(json.dumps({"alg": "HS256", "kid": client_key.kid}).encode())
        + "."
        + b64(json.dumps(claims).encode())
    )
    sig = hmac.new(client_key.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
    r = ask(client, f"{signing_input}.{b64(sig)}")
    assert (r.status_code, r.json["error"]) == (400, "invalid_client")


def test_secret_client_cannot_switch_to_assertions(client, app, client_key):
    from tests.conftest import register_client

    client_id, _ = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    r = ask(client, assertion(client_id, client_key))
    assert r.status_code in (400, 401) and r.json["error"] == "invalid_client"


def test_assertion_client_cannot_use_a_secret(client, jwt_client):
    import base64

    basic = base64.b64encode(f"{jwt_client}:".encode() + b"guess").decode()
    r = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert (r.status_code, r.json["error"]) == (401, "invalid_client")


@pytest.mark.parametrize("private", [True, False])
def test_registration_refuses_private_or_shared_keys(app, client_key, private):
    jwks = (
        KeySet([client_key]).as_dict(private=True)
        if private
        else {"keys": [OctKey.generate_key(256).as_dict(private=True)]}
    )
    with pytest.raises(ValidationFailed) as err:
        register(app, jwks)
    assert "jwks" in err.value.errors
