"""Attack: ride on a trusted external issuer — with its key but another issuer's
name, with our key but its name, with HMAC confusion, or claiming an organisation
or scope that Tillit does not grant. The issuer's keys come from a local file."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from catalogue.models import Agency
from tests.conftest import SKATTEETATEN, SKATTEVERKET
from tests.security.conftest import bearer, make_entry

EXTERNAL = "https://maskinporten.test/"
AUDIENCE = "http://tillit.test/api/v1"


@pytest.fixture(scope="module")
def external_key() -> RSAKey:
    return RSAKey.generate_key(2048, auto_kid=True)


@pytest.fixture
def app_settings(app_settings, tmp_path, external_key):
    jwks = tmp_path / "maskinporten-jwks.json"
    jwks.write_text(json.dumps(KeySet([external_key]).as_dict(private=False)))
    trusted = [
        {
            "issuer": EXTERNAL,
            "jwks_url": jwks.as_uri(),
            "audience": AUDIENCE,
            "scope_map": {
                "tillit:read": ["catalogue:read:internal"],
                "tillit:everything": ["catalogue:read:sensitive", "catalogue:admin"],
            },
            "agency_claim": "consumer.ID",
            "agency_prefix": "0192:",
        }
    ]
    return app_settings | {"TRUSTED_ISSUERS": json.dumps(trusted)}


def external_token(key, *, header=None, **claims):
    now = int(time.time())
    body = {
        "iss": EXTERNAL,
        "sub": "client-abc",
        "client_id": "client-abc",
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 120,
        "jti": uuid.uuid4().hex,
        "scope": "tillit:read",
        "consumer": {"authority": "iso6523-actorid-upis", "ID": f"0192:{SKATTEETATEN}"},
    }
    body |= claims
    head = {"alg": "RS256", "typ": "at+jwt", "kid": key.kid} | (header or {})
    return jwt.encode({k: v for k, v in head.items() if v is not None}, body, key)


def test_trusted_issuer_token_reads_what_the_mapping_allows(client, app, external_key):
    internal = make_entry(app, SKATTEVERKET, "internal", "internal")
    sensitive = make_entry(app, SKATTEVERKET, "sensitive", "sensitive")
    h = bearer(external_token(external_key))
    assert client.get(f"/api/v1/datasets/{internal}", headers=h).json["redacted"] is False
    assert client.get(f"/api/v1/datasets/{sensitive}", headers=h).status_code == 404


def test_mapped_scopes_are_capped_by_the_agencys_allowance(client, app, external_key):
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        session.get(Agency, SKATTEETATEN).clearance = "public"
        session.commit()
    internal = make_entry(app, SKATTEVERKET, "internal", "internal")
    h = bearer(external_token(external_key, scope="tillit:everything"))
    assert client.get(f"/api/v1/datasets/{internal}", headers=h).status_code == 404
    # catalogue:admin is an action scope the agency may hold; a read level it may not.
    r = client.post("/api/v1/agencies", json={}, headers=h)
    assert r.status_code != 403  # the admin scope came through (body validation answers)


@pytest.mark.parametrize(
    ("make", "detail"),
    [
        (lambda ek, ok: external_token(ok), "The access token signature is invalid."),  # our key, their name
        (
            lambda ek, ok: external_token(ek, iss="http://tillit.test"),
            "The access token signature is invalid.",
        ),
        (
            lambda ek, ok: external_token(ek, aud="https://other.example"),
            "The access token is not valid: Invalid claim: 'aud'",
        ),
        (
            lambda ek, ok: external_token(ek, header={"typ": "JWT"}),
            "The token is not an access token (typ must be at+jwt).",
        ),
        (
            lambda ek, ok: external_token(ek, header={"typ": None}),
            "The token is not an access token (typ must be at+jwt).",
        ),
        (
            lambda ek, ok: external_token(ek, exp=int(time.time()) - 100, iat=int(time.time()) - 200),
            "The access token is not valid: The token is expired",
        ),
        (
            lambda ek, ok: external_token(ek, nbf=int(time.time()) + 600),
            "The access token is not valid: The token is not yet valid",
        ),
        (
            lambda ek, ok: external_token(ek, consumer={"ID": "0192:999999999"}),
            "The token's organisation is not an agency registered in Tillit.",
        ),
        (
            lambda ek, ok: external_token(ek, consumer={}),
            "The token's organisation is not an agency registered in Tillit.",
        ),
        (
            lambda ek, ok: external_token(RSAKey.generate_key(2048, auto_kid=True)),
            "The access token signature is invalid.",
        ),
    ],
)
def test_external_forgeries_are_refused(client, app, external_key, make, detail):
    own_key = app.extensions["tillit"].keys.signing_key()
    r = client.get("/api/v1/datasets", headers=bearer(make(external_key, own_key)))
    assert (r.status_code, r.json["detail"]) == (401, detail)


def test_hmac_keyed_with_the_issuers_public_key_is_refused(client, external_key):
    import base64
    import hashlib
    import hmac

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    good = external_token(external_key)
    payload = good.split(".")[1]
    head = b64(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": external_key.kid}).encode())
    sig = hmac.new(external_key.as_pem(private=False), f"{head}.{payload}".encode(), hashlib.sha256).digest()
    r = client.get("/api/v1/datasets", headers=bearer(f"{head}.{payload}.{b64(sig)}"))
    assert (r.status_code, r.json["detail"]) == (401, "The access token signature is invalid.")


def test_unmapped_scopes_grant_nothing(client, app, external_key):
    public = make_entry(app, SKATTEVERKET, "public", "public")
    h = bearer(external_token(external_key, scope="openid some:other"))
    assert client.get(f"/api/v1/datasets/{public}", headers=h).status_code == 404
