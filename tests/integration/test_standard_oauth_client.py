"""A client registered with `tillit clients create` gets a token with standard OAuth
client libraries (Authlib's OAuth2Session, requests-oauthlib) from a real server
on 127.0.0.1, and uses it on the API."""

from __future__ import annotations

import json

import pytest
from authlib.integrations.requests_client import OAuth2Session
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session as OAuthlibSession

from tests.conftest import SKATTEVERKET
from tests.security.conftest import make_entry


@pytest.fixture
def cli_client(run_cli) -> dict[str, str]:
    result = run_cli(
        "clients", "create", "--agency", SKATTEVERKET, "--name", "Integration",
        "--scopes", "catalogue:read:internal", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    creds: dict[str, str] = json.loads(result.output)
    return creds


def test_authlib_oauth2session(server, cli_client, app):
    entry = make_entry(app, SKATTEVERKET, "internal", "internal")
    with OAuth2Session(
        cli_client["client_id"],
        cli_client["client_secret"],
        token_endpoint_auth_method="client_secret_basic",
        scope="catalogue:read:internal",
    ) as session:
        token = session.fetch_token(server + "/oauth/token", grant_type="client_credentials")
        assert token["token_type"].lower() == "bearer"
        assert token["scope"] == "catalogue:read:internal"
        assert 0 < token["expires_in"] <= 300
        r = session.get(f"{server}/api/v1/datasets/{entry}")
        assert r.status_code == 200
        assert r.json()["redacted"] is False
        # And Authlib's revocation helper reaches our RFC 7009 endpoint.
        assert session.revoke_token(server + "/oauth/revoke", token["access_token"]).status_code == 200
        assert session.get(f"{server}/api/v1/datasets/{entry}").status_code == 401


def test_requests_oauthlib_backend_application(server, cli_client, app, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on the loopback only
    entry = make_entry(app, SKATTEVERKET, "internal", "internal")
    session = OAuthlibSession(client=BackendApplicationClient(client_id=cli_client["client_id"]))
    token = session.fetch_token(
        token_url=server + "/oauth/token",
        client_id=cli_client["client_id"],
        client_secret=cli_client["client_secret"],
        scope=["catalogue:read:internal"],
    )
    assert token["scope"] == ["catalogue:read:internal"]
    r = session.get(f"{server}/api/v1/datasets/{entry}")
    assert r.status_code == 200 and r.json()["redacted"] is False
