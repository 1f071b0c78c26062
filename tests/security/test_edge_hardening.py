"""Attack: inputs that used to answer 500 (JSON nested 50,000 deep, a backslash in
redirect_uri), and pages that a cache could keep or a site could frame."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.conftest import SKATTEVERKET
from tests.security.conftest import make_entry
from tests.security.people import auth_params, basic, make_app_client, pkce

DEEP_BODIES = [
    "[" * 50_000 + "]" * 50_000,
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    '{"title": {"en": ' + "[" * 50_000 + "]" * 50_000 + "}}",
]
DEEP = {
    "type": "about:blank",
    "title": "Bad Request",
    "status": 400,
    "detail": "The JSON body nests deeper than 64 levels.",
}
# The pages' policy of issue 17 (docs/web.md): own files only, never framed.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


@pytest.mark.parametrize("body", DEEP_BODIES)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/datasets"),
        ("POST", "/api/v1/agencies"),
        ("PUT", "/api/v1/datasets/x"),
        ("POST", "/oauth/token"),
    ],
)
def test_deeply_nested_json_is_a_400_problem(client, token_for, method, path, body):
    headers = token_for("sensitive", extra=("catalogue:write", "catalogue:admin"))
    r = client.open(path, method=method, data=body, content_type="application/json", headers=headers)
    assert r.status_code == 400
    assert r.mimetype == "application/problem+json"
    assert r.json == DEEP


def test_json_of_ordinary_depth_and_brackets_in_strings_pass_the_bound(client, token_for):
    headers = token_for("sensitive", extra=("catalogue:write",))
    body = {
        "publisher": SKATTEVERKET,
        "title": {"en": "[[[[" * 40},
        "description": {"en": "{" * 200},
        "classification": "public",
        "themes": ["GOVE"],
    }
    r = client.post("/api/v1/datasets", json=body, headers=headers)
    assert r.status_code == 201, r.json


BAD_URIS = [
    "https://app.example.se\\callback",
    'https://app.example.se/"x',
    "https://app.example.se/é",
    "https://a b/",
]


@pytest.mark.parametrize("redirect_uri", BAD_URIS)
def test_malformed_redirect_uri_at_authorize_is_refused_here(app, client, redirect_uri):
    creds = make_app_client(app)
    _, challenge = pkce()
    params = auth_params(creds[0], challenge) | {"redirect_uri": redirect_uri}
    for r in (
        client.get("/oauth/authorize", query_string=params),
        client.post("/oauth/authorize?" + urlencode(params), data={"username": "a", "password": "b"}),
    ):
        assert r.status_code == 400
        assert "Location" not in r.headers
        assert r.json == {
            "error": "invalid_request",
            "error_description": "The redirect_uri parameter is malformed.",
        }


@pytest.mark.parametrize(
    ("name", "value"), [("response_type", "co\\de"), ("scope", 'catalogue:read:public"'), ("scope", "a\\b")]
)
def test_other_parameters_echoed_by_authlib_are_checked_too(app, client, name, value):
    creds = make_app_client(app)
    _, challenge = pkce()
    r = client.get("/oauth/authorize", query_string=auth_params(creds[0], challenge) | {name: value})
    assert r.status_code == 400
    assert "Location" not in r.headers
    assert r.json["error"] == "invalid_request"


@pytest.mark.parametrize("redirect_uri", BAD_URIS)
def test_malformed_redirect_uri_at_the_token_endpoint_is_invalid_request(app, client, redirect_uri):
    creds = make_app_client(app)
    data = {
        "grant_type": "authorization_code",
        "code": "x",
        "redirect_uri": redirect_uri,
        "code_verifier": "v" * 43,
    }
    r = client.post("/oauth/token", data=data, headers=basic(*creds))
    assert r.status_code == 400
    assert r.json == {
        "error": "invalid_request",
        "error_description": "The redirect_uri parameter is malformed.",
    }
    assert r.headers["Cache-Control"] == "no-store"


def _assert_edge_headers(r, html: bool):
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    if html:
        # Issue 17 (docs/web.md): scripts only from our own static files, none inline or
        # evaluated (was: no script-src at all, before the pages had any script).
        policy = r.headers["Content-Security-Policy"]
        assert "script-src" not in policy or "script-src 'self';" in policy
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy


def test_pages_read_with_a_token_or_a_session_are_not_cached(app, client, token_for):
    entry = make_entry(app, SKATTEVERKET, "public", "public")
    bearer = token_for("sensitive")
    for path in ("/", f"/entries/{entry}"):
        anonymous = client.get(path)
        assert anonymous.status_code == 200
        _assert_edge_headers(anonymous, html=True)
        assert anonymous.headers["Content-Security-Policy"] == PAGE_CSP
        assert {v.strip() for v in anonymous.headers["Vary"].split(",")} >= {"Authorization", "Cookie"}
        with_token = client.get(path, headers=bearer)
        assert with_token.headers["Cache-Control"] == "no-store"
        assert {v.strip() for v in with_token.headers["Vary"].split(",")} >= {"Authorization", "Cookie"}
        _assert_edge_headers(with_token, html=True)
    client.set_cookie("session", "anything")
    with_session = client.get("/")
    assert with_session.headers["Cache-Control"] == "no-store"


def test_every_response_carries_nosniff_and_refuses_framing(app, client, token_for):
    creds = make_app_client(app)
    _, challenge = pkce()
    login = client.get("/oauth/authorize", query_string=auth_params(creds[0], challenge))
    assert login.status_code == 200
    _assert_edge_headers(login, html=True)
    assert login.headers["Cache-Control"] == "no-store"
    missing = client.get("/entries/no-such-entry")
    assert missing.status_code == 404
    _assert_edge_headers(missing, html=False)
    nowhere = client.get("/no/such/page")
    assert nowhere.status_code == 404
    _assert_edge_headers(nowhere, html=False)
    api = client.get("/api/v1/datasets", headers=token_for("public"))
    _assert_edge_headers(api, html=False)
    assert api.headers["Cache-Control"] == "no-store"
    # Who asks decides what is shown; statute names are in the reader's language.
    assert {v.strip() for v in api.headers["Vary"].split(",")} == {"Authorization", "Accept-Language"}
    health = client.get("/healthz")
    _assert_edge_headers(health, html=False)
    with client.get("/assets/tillit.css") as css:
        assert css.headers["X-Content-Type-Options"] == "nosniff"
