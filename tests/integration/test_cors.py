"""CORS: real preflights and real cross-origin requests, as a browser sends them."""

from __future__ import annotations

import base64

import pytest

from api.cors import CorsPolicy
from tests.conftest import SKATTEVERKET, register_client

APP_ORIGIN = "https://app.skatteverket.example"
OTHER_ORIGIN = "https://evil.example"
#: Everything a browser app on another origin calls.
CORS_PATHS = [
    ("/api/v1/datasets", "GET"),
    ("/api/v1/datasets", "POST"),
    ("/api/v1/datasets/some-id", "PATCH"),
    ("/oauth/token", "POST"),
    ("/oauth/revoke", "POST"),
    ("/oauth/introspect", "POST"),
    ("/oauth/jwks.json", "GET"),
    ("/.well-known/oauth-authorization-server", "GET"),
]


@pytest.fixture
def cors_origins():
    return f"{APP_ORIGIN}, https://other-app.example:8443"


@pytest.fixture
def app_settings(app_settings, cors_origins):
    return {**app_settings, "CORS_ORIGINS": cors_origins}


def preflight(client, path, method, origin=APP_ORIGIN, headers="authorization, content-type, if-match"):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


def _values(header: str | None) -> set[str]:
    return {v.strip().lower() for v in (header or "").split(",") if v.strip()}


@pytest.mark.parametrize(("path", "method"), CORS_PATHS)
def test_preflight_from_an_allowed_origin(client, path, method):
    r = preflight(client, path, method)
    assert r.status_code == 204 and r.data == b""
    assert r.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert method.lower() in _values(r.headers["Access-Control-Allow-Methods"])
    assert _values(r.headers["Access-Control-Allow-Headers"]) == {
        "authorization",
        "content-type",
        "if-match",
        "if-none-match",
    }
    assert int(r.headers["Access-Control-Max-Age"]) > 0
    assert "origin" in _values(r.headers["Vary"])
    assert "Access-Control-Allow-Credentials" not in r.headers


@pytest.mark.parametrize(("path", "method"), CORS_PATHS)
def test_preflight_from_another_origin_gets_no_cors_headers(client, path, method):
    r = preflight(client, path, method, origin=OTHER_ORIGIN)
    assert not [name for name, _ in r.headers if name.lower().startswith("access-control-")]
    assert "origin" in _values(r.headers["Vary"])  # a cache must not serve it to the allowed origin


def test_second_allowed_origin_with_port(client):
    r = preflight(client, "/api/v1/datasets", "GET", origin="https://other-app.example:8443")
    assert r.headers["Access-Control-Allow-Origin"] == "https://other-app.example:8443"
    assert (
        "Access-Control-Allow-Origin"
        not in preflight(client, "/api/v1/datasets", "GET", origin="https://other-app.example").headers
    )


def test_actual_request_exposes_the_headers_a_client_reads(app, client, token_for):
    r = client.get("/api/v1/datasets", headers={**token_for("public"), "Origin": APP_ORIGIN})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert _values(r.headers["Access-Control-Expose-Headers"]) == {
        "etag",
        "link",
        "location",
        "www-authenticate",
        "retry-after",
    }
    assert _values(r.headers["Vary"]) >= {"origin", "authorization"}
    assert "Access-Control-Allow-Credentials" not in r.headers
    assert "Access-Control-Allow-Methods" not in r.headers  # only preflights carry them
    # An error a browser app must be able to read, with its challenge.
    refused = client.get("/api/v1/audit", headers={"Origin": APP_ORIGIN})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert "Bearer" in refused.headers["WWW-Authenticate"]


def test_token_endpoint_from_a_browser_app(app, client):
    client_id, secret = register_client(app, SKATTEVERKET, ["catalogue:read:public"])
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    r = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}", "Origin": APP_ORIGIN},
    )
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert "Access-Control-Allow-Credentials" not in r.headers


def test_pages_and_login_are_never_cross_origin(client):
    for path in ("/", "/oauth/authorize", "/healthz"):
        r = client.get(path, headers={"Origin": APP_ORIGIN})
        assert "Access-Control-Allow-Origin" not in r.headers, path
        r = preflight(client, path, "GET")
        assert "Access-Control-Allow-Origin" not in r.headers, path


@pytest.mark.parametrize("cors_origins", [""])
def test_without_the_setting_there_are_no_cors_headers(client):
    r = preflight(client, "/api/v1/datasets", "GET")
    assert r.status_code == 204  # an OPTIONS answer all the same
    assert not [name for name, _ in r.headers if name.lower().startswith("access-control-")]
    assert "origin" not in _values(r.headers.get("Vary"))


@pytest.mark.parametrize("cors_origins", ["*"])
def test_wildcard_allows_any_origin_and_never_credentials(client):
    r = preflight(client, "/api/v1/datasets", "GET", origin=OTHER_ORIGIN)
    assert r.status_code == 204 and r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in r.headers
    # An opaque origin (a sandboxed frame, a file) is nobody's.
    assert "Access-Control-Allow-Origin" not in preflight(client, "/api/v1/datasets", "GET", "null").headers


@pytest.mark.parametrize(
    "setting",
    ["app.example", "https://app.example/path", "ftp://app.example", "https://user@app.example", "null"],
)
def test_a_setting_that_is_not_an_origin_stops_the_start(setting):
    with pytest.raises(ValueError, match="TILLIT_CORS_ORIGINS"):
        CorsPolicy.from_setting(setting)


def test_setting_origins_compare_without_case():
    policy = CorsPolicy.from_setting("HTTPS://App.Example, ")
    assert policy.allow_origin("https://app.example") == "https://app.example"
    assert policy.allow_origin("https://app.example.evil") is None


def test_preflights_spend_no_rate_limit(app, client):
    """A browser app sends a preflight before each token request: the preflights are
    neither token requests nor refused ones."""
    app.config["RATE_LIMIT_TOKEN"] = "2/minute"
    app.config["RATE_LIMIT_TOKEN_REFUSALS"] = "2/minute"
    for _ in range(5):
        assert preflight(client, "/oauth/token", "POST").status_code == 204
    client_id, secret = register_client(app, SKATTEVERKET, ["catalogue:read:public"])
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    r = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}", "Origin": APP_ORIGIN},
    )
    assert r.status_code == 200, r.json
