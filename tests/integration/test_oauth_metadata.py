"""The authorization server's metadata against every requirement of RFC 8414, and
the edges of its endpoints a standard OAuth client meets (RFC 7009, RFC 6749 §5)."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest

from tests.conftest import SKATTEVERKET, register_client

ISSUER = "https://tillit.example"
#: Client authentication methods registered with IANA (RFC 7591, RFC 8705, RFC 7523).
REGISTERED_AUTH_METHODS = {
    "none",
    "client_secret_post",
    "client_secret_basic",
    "client_secret_jwt",
    "private_key_jwt",
    "tls_client_auth",
    "self_signed_tls_client_auth",
}
#: Methods whose presence makes the matching *_signing_alg_values_supported required (§2).
JWT_AUTH_METHODS = {"private_key_jwt", "client_secret_jwt"}
URL_FIELDS = (
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "registration_endpoint",
    "service_documentation",
    "op_policy_uri",
    "op_tos_uri",
    "revocation_endpoint",
    "introspection_endpoint",
)


@pytest.fixture
def app_settings(app_settings):
    # As deployed: an https issuer (RFC 8414 §2 requires one).
    return {**app_settings, "ISSUER": ISSUER}


def test_metadata_meets_every_requirement_of_rfc_8414(client):
    # §3: at the well-known path of the issuer (which has no path), as JSON.
    r = client.get("/.well-known/oauth-authorization-server")
    assert r.status_code == 200 and r.mimetype == "application/json"
    meta = r.json
    # §2 issuer: REQUIRED, https, no query or fragment; §3.3: identical to the issuer
    # the document was fetched for.
    issuer = urlsplit(meta["issuer"])
    assert meta["issuer"] == ISSUER
    assert issuer.scheme == "https" and not issuer.query and not issuer.fragment
    # §2: required fields (authorization_endpoint: a grant type uses it; token_endpoint:
    # not implicit-only; response_types_supported always).
    assert "authorization_code" in meta["grant_types_supported"]
    for name in ("authorization_endpoint", "token_endpoint", "response_types_supported"):
        assert meta.get(name), name
    # URLs: absolute https, on the issuer's origin here.
    for name in URL_FIELDS:
        if name in meta:
            url = urlsplit(meta[name])
            assert url.scheme == "https" and url.netloc == issuer.netloc, name
            assert not url.fragment, name
    # §3.2: arrays are JSON arrays of strings, and a claim with no elements is omitted.
    for name, value in meta.items():
        if name.endswith("_supported") and isinstance(value, list):
            assert value and all(isinstance(v, str) for v in value), name
    assert set(meta["response_types_supported"]) == {"code"}
    assert set(meta.get("response_modes_supported", ["query"])) <= {"query", "fragment", "form_post"}
    assert set(meta["grant_types_supported"]) <= {
        "authorization_code",
        "implicit",
        "password",
        "client_credentials",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:saml2-bearer",
    }
    assert "implicit" not in meta["grant_types_supported"]  # OAuth 2.0 Security BCP
    assert meta["code_challenge_methods_supported"] == ["S256"]  # never "plain"
    # The *_auth_methods and their signing algorithms, per endpoint (§2, and for
    # revocation and introspection the same rule, by reference).
    for endpoint in ("token_endpoint", "revocation_endpoint", "introspection_endpoint"):
        methods = meta.get(f"{endpoint}_auth_methods_supported", ["client_secret_basic"])
        assert set(methods) <= REGISTERED_AUTH_METHODS, endpoint
        algorithms = meta.get(f"{endpoint}_auth_signing_alg_values_supported")
        if JWT_AUTH_METHODS & set(methods):
            assert algorithms, f"{endpoint}_auth_signing_alg_values_supported is required"
        if algorithms is not None:
            assert "none" not in algorithms, endpoint
            assert "RS256" in algorithms, endpoint  # SHOULD
    # Every scope a client can be given is listed; RFC 9207 iss in responses.
    assert "catalogue:read:public" in meta["scopes_supported"]
    assert meta["authorization_response_iss_parameter_supported"] is True


def test_every_endpoint_in_the_metadata_answers(client):
    meta = client.get("/.well-known/oauth-authorization-server").json
    jwks = client.get(urlsplit(meta["jwks_uri"]).path)
    assert jwks.status_code == 200 and jwks.json["keys"]
    for name in ("token_endpoint", "revocation_endpoint", "introspection_endpoint"):
        r = client.post(urlsplit(meta[name]).path, data={})
        assert r.status_code in (400, 401), name  # there, refusing a request without a client
    assert client.get(urlsplit(meta["authorization_endpoint"]).path).status_code != 404
    assert client.get(urlsplit(meta["service_documentation"]).path).status_code == 200


def _basic(app):
    client_id, secret = register_client(app, SKATTEVERKET, ["catalogue:read:public"])
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def test_a_token_response_does_not_ask_the_client_to_wait(app, client):
    r = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=_basic(app))
    assert r.status_code == 200
    assert "Retry-After" not in r.headers  # only a 429 or 503 tells a client to wait
    assert "X-RateLimit-Remaining" in r.headers


def test_a_rate_limited_token_request_says_when_to_retry(app, client):
    app.config["RATE_LIMIT_TOKEN"] = "1/minute"
    headers = _basic(app)
    grant = {"grant_type": "client_credentials"}
    assert client.post("/oauth/token", data=grant, headers=headers).status_code == 200
    r = client.post("/oauth/token", data=grant, headers=headers)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


@pytest.mark.parametrize("endpoint", ["/oauth/revoke", "/oauth/introspect"])
def test_an_unknown_token_type_hint_is_a_400(app, client, endpoint):
    headers = _basic(app)
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=headers).json[
        "access_token"
    ]
    r = client.post(endpoint, data={"token": token, "token_type_hint": "id_token"}, headers=headers)
    if endpoint == "/oauth/introspect":
        # Only resource servers may introspect: the client is refused first, with its challenge.
        assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Basic")
        return
    assert r.status_code == 400
    assert r.json["error"] == "unsupported_token_type"
    assert "WWW-Authenticate" not in r.headers
    # The token was not revoked on the strength of a hint refused.
    assert client.get("/api/v1/datasets", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # Known hints still work.
    r = client.post(endpoint, data={"token": token, "token_type_hint": "access_token"}, headers=headers)
    assert r.status_code == 200


def test_every_401_of_the_token_endpoints_carries_a_challenge(app, client):
    for endpoint in ("/oauth/token", "/oauth/revoke", "/oauth/introspect"):
        for headers in ({}, {"Authorization": "Basic eDp5"}):
            data = {"token": "x", "grant_type": "client_credentials"}
            r = client.post(endpoint, data=data, headers=headers)
            if r.status_code == 401:
                assert r.headers.get("WWW-Authenticate"), (endpoint, headers)
