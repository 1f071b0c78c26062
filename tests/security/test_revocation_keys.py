"""Attack: keep using a revoked token; introspect without being a resource server;
survive (or abuse) a key rotation."""

from __future__ import annotations

import time

import pytest
from joserfc import jwt

from authserver.services.clients import ClientService
from security.identity import system_identity
from tests.conftest import LANTMATERIET, SKATTEVERKET, fetch_token, register_client
from tests.security.conftest import bearer
from tests.security.people import basic

#: Other processes' key changes reach a running server within this (the CLI is one).
SYNC = 0.2


@pytest.fixture
def app_settings(app_settings):
    return {**app_settings, "REVOCATION_SYNC_SECONDS": SYNC}


def _resource_server(app):
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        issued = ClientService(session, ext.scheme).create(
            system_identity(ext.scheme),
            agency=LANTMATERIET,
            name="Lantmäteriet API gateway",
            scopes=["catalogue:read:public"],
            resource_server=True,
        )
        return issued.client.client_id, issued.secret


def test_revoked_access_token_is_refused_before_it_expires(client, app):
    creds = register_client(app, SKATTEVERKET, ["catalogue:read:internal"])
    token = fetch_token(client, *creds)
    assert client.get("/api/v1/datasets", headers=bearer(token)).status_code == 200
    r = client.post("/oauth/revoke", data={"token": token}, headers=basic(*creds))
    assert r.status_code == 200
    r = client.get("/api/v1/datasets", headers=bearer(token))
    assert (r.status_code, r.json["detail"]) == (401, "The access token has been revoked.")
    rs = _resource_server(app)
    assert client.post("/oauth/introspect", data={"token": token}, headers=basic(*rs)).json == {
        "active": False
    }


def test_nobody_revokes_another_clients_token(client, app):
    victim = register_client(app, SKATTEVERKET, ["catalogue:read:internal"])
    attacker = register_client(app, LANTMATERIET, ["catalogue:read:public"])
    token = fetch_token(client, *victim)
    r = client.post("/oauth/revoke", data={"token": token}, headers=basic(*attacker))
    assert r.status_code == 400 and r.json["error"] == "invalid_grant"
    assert client.get("/api/v1/datasets", headers=bearer(token)).status_code == 200


def test_revoking_garbage_is_harmless(client, app):
    creds = register_client(app, SKATTEVERKET, ["catalogue:read:internal"])
    r = client.post("/oauth/revoke", data={"token": "not-a-token"}, headers=basic(*creds))
    assert r.status_code == 200  # RFC 7009 §2.2: unknown tokens are not an error


def test_introspection_only_for_resource_servers(client, app):
    creds = register_client(app, SKATTEVERKET, ["catalogue:read:internal"])
    token = fetch_token(client, *creds)
    r = client.post("/oauth/introspect", data={"token": token}, headers=basic(*creds))
    assert (r.status_code, r.json["error"]) == (401, "invalid_client")
    anonymous = client.post("/oauth/introspect", data={"token": token})
    assert anonymous.status_code == 401
    rs = _resource_server(app)
    r = client.post("/oauth/introspect", data={"token": token}, headers=basic(*rs))
    assert r.status_code == 200
    body = r.json
    assert body["active"] is True
    assert (body["client_id"], body["agency"], body["scope"]) == (
        creds[0],
        SKATTEVERKET,
        "catalogue:read:internal",
    )


def test_introspection_of_forgeries_is_inactive(client, app, mint, foreign_key):
    rs = _resource_server(app)
    for token in (
        mint(key=foreign_key),
        mint(header={"typ": "JWT"}),
        "garbage",
        mint(claims={"exp": 1, "iat": 0}),
    ):
        r = client.post("/oauth/introspect", data={"token": token}, headers=basic(*rs))
        assert r.json == {"active": False}


def test_metadata_names_every_endpoint(client):
    meta = client.get("/.well-known/oauth-authorization-server").json
    base = "http://tillit.test"
    assert meta["issuer"] == base
    assert meta["authorization_endpoint"] == base + "/oauth/authorize"
    assert meta["token_endpoint"] == base + "/oauth/token"
    assert meta["introspection_endpoint"] == base + "/oauth/introspect"
    assert meta["revocation_endpoint"] == base + "/oauth/revoke"
    assert meta["jwks_uri"] == base + "/oauth/jwks.json"
    assert set(meta["grant_types_supported"]) >= {"client_credentials", "authorization_code", "refresh_token"}
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert "private_key_jwt" in meta["token_endpoint_auth_methods_supported"]


def test_key_rotation_old_tokens_live_until_expiry_then_the_key_retires(client, app, run_cli):
    keys = app.extensions["tillit"].keys
    creds = register_client(app, SKATTEVERKET, ["catalogue:read:internal"])
    old_token = fetch_token(client, *creds)
    old_kid = jwt.decode(old_token, keys.private_set()).header["kid"]
    result = run_cli("keys", "rotate")
    assert result.exit_code == 0, result.output
    # The running server sees the new key without a restart, within the sync interval.
    time.sleep(SYNC + 0.05)
    new_token = fetch_token(client, *creds)
    new_kid = jwt.decode(new_token, keys.private_set()).header["kid"]
    assert new_kid != old_kid
    assert {k["kid"] for k in client.get("/oauth/jwks.json").json["keys"]} == {old_kid, new_kid}
    assert all("d" not in k for k in client.get("/oauth/jwks.json").json["keys"])
    for token in (old_token, new_token):
        assert client.get("/api/v1/datasets", headers=bearer(token)).status_code == 200
    # Too early: the old key still verifies live tokens.
    assert keys.retire_expired(max_token_age=330) == []
    retired = keys.retire_expired(max_token_age=330, now=int(time.time()) + 331)
    assert retired == [old_kid]
    r = client.get("/api/v1/datasets", headers=bearer(old_token))
    assert (r.status_code, r.json["detail"]) == (401, "The access token signature is invalid.")
    assert client.get("/api/v1/datasets", headers=bearer(new_token)).status_code == 200


def test_retire_expired_command(run_cli):
    result = run_cli("keys", "retire-expired")
    assert result.exit_code == 0
    assert result.output == "Retired 0 key(s).\n"


@pytest.mark.parametrize("hint", ["access_token", "refresh_token", None])
def test_revocation_accepts_hints(client, app, hint):
    creds = register_client(app, SKATTEVERKET, ["catalogue:read:internal"])
    token = fetch_token(client, *creds)
    data = {"token": token} | ({"token_type_hint": hint} if hint else {})
    assert client.post("/oauth/revoke", data=data, headers=basic(*creds)).status_code == 200
    assert client.get("/api/v1/datasets", headers=bearer(token)).status_code == 401
