"""Attack: brute force on the token endpoint and on login meets the rate limit,
keyed by client and by account (not by address, which attackers rotate)."""

from __future__ import annotations

import pytest

from tests.conftest import SKATTEVERKET, register_client
from tests.security.people import auth_params, csrf_token, make_app_client, make_user, pkce
from tests.security.people import basic as basic_auth


@pytest.fixture
def app_settings(app_settings):
    return app_settings | {"RATE_LIMIT_TOKEN": "5/minute", "RATE_LIMIT_LOGIN": "3/minute"}


def test_token_endpoint_limit_per_client(client, app):
    creds = register_client(app, SKATTEVERKET, ["catalogue:read:public"])
    statuses = [
        client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=basic_auth(creds[0], "wrong-guess"),
            environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},  # a botnet: every try from a new address
        ).status_code
        for i in range(7)
    ]
    assert statuses == [401] * 5 + [429] * 2
    r = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic_auth(*creds))
    assert r.status_code == 429  # the right secret, too late
    assert r.mimetype == "application/problem+json"
    assert r.json["status"] == 429
    assert "Retry-After" in r.headers
    # Another client is not affected.
    other = register_client(app, SKATTEVERKET, ["catalogue:read:public"])
    ok = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic_auth(*other))
    assert ok.status_code == 200


def test_login_limit_per_account(client, app):
    make_user(app, "dave", SKATTEVERKET)
    creds = make_app_client(app)
    _, challenge = pkce()
    params = auth_params(creds[0], challenge)
    from urllib.parse import urlencode

    page = client.get("/oauth/authorize", query_string=params)
    token = csrf_token(page.get_data(as_text=True))
    statuses = [
        client.post(
            "/oauth/authorize?" + urlencode(params),
            data={"username": "dave", "password": f"guess number {i}", "csrf_token": token},
            environ_base={"REMOTE_ADDR": f"10.1.0.{i}"},
        ).status_code
        for i in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    # The form itself (GET) stays available, and another account is unaffected.
    assert client.get("/oauth/authorize", query_string=params).status_code == 200
    other = client.post(
        "/oauth/authorize?" + urlencode(params),
        data={"username": "erin", "password": "whatever it is", "csrf_token": token},
    )
    assert other.status_code == 200
