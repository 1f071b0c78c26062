"""HTTP conventions a standard client relies on: problem titles are the status
phrase, OPTIONS answers 204 with Allow, every response is nosniff, and a caller
without a token is challenged (401), never just refused (403)."""

from __future__ import annotations

import re

import pytest

from api.problems import status_title
from tests.conftest import SKATTEETATEN, SKATTEVERKET
from tests.security.conftest import make_entry

#: RFC 9110 §15: the reason phrases (413, 414, 422 renamed there).
PHRASES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@pytest.mark.parametrize(("status", "phrase"), PHRASES.items())
def test_status_titles_are_the_rfc_9110_phrases(status, phrase):
    assert status_title(status) == phrase


def _title_matches(response):
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == response.status_code
    assert body["title"] == PHRASES[response.status_code], body


def test_every_kind_of_problem_carries_the_status_phrase(app, client, token_for):
    writer = token_for("public", extra=("catalogue:write",))
    _title_matches(client.get("/api/v1/datasets/no-such-entry"))  # domain 404
    _title_matches(client.get("/api/v1/no-such-thing"))  # routing 404
    _title_matches(client.delete("/api/v1/classification-scheme"))  # 405
    _title_matches(client.get("/api/v1/datasets?page=0"))  # 422 from the arguments
    text = client.post("/api/v1/datasets", data="x", content_type="text/plain", headers=writer)
    _title_matches(text)  # 415
    _title_matches(client.get("/api/v1/audit"))  # 401
    _title_matches(client.get("/api/v1/audit", headers=token_for("public")))  # 403
    entry = make_entry(app, SKATTEVERKET, "public", "public")
    _title_matches(client.patch(f"/api/v1/datasets/{entry}", json={}, headers=writer))  # domain 428
    stale = {**writer, "If-Match": '"stale"'}
    _title_matches(client.patch(f"/api/v1/datasets/{entry}", json={}, headers=stale))  # domain 412


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1/datasets", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("/api/v1/classification-scheme", {"GET", "HEAD", "OPTIONS"}),
        ("/oauth/token", {"POST", "OPTIONS"}),
        ("/.well-known/oauth-authorization-server", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_options_answers_204_with_allow(client, path, allowed):
    r = client.options(path)
    assert r.status_code == 204 and r.data == b""
    assert {m.strip() for m in r.headers["Allow"].split(",")} == allowed
    assert "Content-Type" not in r.headers  # not an empty text/html page
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_nosniff_on_every_kind_of_response(app, client, token_for):
    entry = make_entry(app, SKATTEVERKET, "public", "public")
    for response in (
        client.get("/api/v1/datasets"),
        client.get(f"/api/v1/datasets/{entry}"),
        client.get("/api/v1/no-such-thing"),
        client.options("/api/v1/datasets"),
        client.get("/.well-known/oauth-authorization-server"),
        client.get("/oauth/jwks.json"),
        client.post("/oauth/token", data={}),
        client.get("/"),
        client.get("/healthz"),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.request.path


def _anonymous_requests(app, entry):
    """Every operation of the API, as an anonymous caller would call it."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(
            r"<(?:\w+:)?(\w+)>", lambda m: entry if m.group(1) == "entry_id" else SKATTEVERKET, rule.rule
        )
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, path


def test_anonymous_callers_are_challenged_not_refused(app, client):
    entry = make_entry(app, SKATTEVERKET, "public", "public")
    asked = 0
    for method, path in _anonymous_requests(app, entry):
        r = client.open(path, method=method, json={} if method in ("POST", "PUT", "PATCH") else None)
        asked += 1
        assert r.status_code != 403, (method, path, r.json)
        if r.status_code == 401:
            assert r.headers["WWW-Authenticate"].startswith('Bearer realm="tillit"'), (method, path)
            _title_matches(r)
    assert asked > 20


@pytest.mark.parametrize("path", ["/api/v1/notifications", "/api/v1/datasets/{entry}/readers"])
def test_notifications_and_readers_challenge_an_anonymous_caller(app, client, token_for, path):
    entry = make_entry(app, SKATTEVERKET, "public", "public")
    r = client.get(path.format(entry=entry))
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="tillit"'
    # With a token that lacks the role, it stays a 403 (the caller is known).
    other = client.get(path.format(entry=entry), headers=token_for("public", agency=SKATTEETATEN))
    assert other.status_code in (403, 404)
