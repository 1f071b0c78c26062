"""``api.edge``: how deep a JSON body may nest, and the headers every response gets
(security headers; no shared cache keeps what credentials let a caller see)."""

from __future__ import annotations

import json

import pytest
from flask import Flask, Response, request

from api.edge import OTHER_CSP, PAGE_CSP, json_too_deep, secure_response


def nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


@pytest.mark.parametrize("depth", [1, 5, 64])
def test_nesting_up_to_the_limit_passes_and_one_more_does_not(depth):
    assert not json_too_deep(nested(depth), depth)
    assert json_too_deep(nested(depth + 1), depth)


def test_objects_and_arrays_count_alike():
    body = json.dumps({"a": [{"b": [{"c": 1}]}]}).encode()
    assert not json_too_deep(body, 5)
    assert json_too_deep(body, 4)


def test_brackets_inside_strings_do_not_count():
    body = json.dumps({"text": "[[[[{{{{", "quoted": 'a \\" [[[[ "', "list": [1]}).encode()
    assert not json_too_deep(body, 2)


def test_siblings_do_not_add_up():
    body = json.dumps([[1], [2], [3], [4], [5]]).encode()
    assert not json_too_deep(body, 2)


def test_a_body_that_is_not_json_is_left_to_the_parser():
    assert not json_too_deep(b"]]]]]]]]", 2)
    assert not json_too_deep(b"not json at all", 0)


@pytest.fixture
def app() -> Flask:
    return Flask(__name__)  # its static files are the endpoint "static"


def answer(app: Flask, path: str, response: Response, headers: dict[str, str] | None = None) -> Response:
    with app.test_request_context(path, headers=headers or {}):
        secure_response(request, response)
    return response


def test_every_response_gets_nosniff_and_a_csp_that_forbids_framing(app):
    page = answer(app, "/entries", Response("<p>", mimetype="text/html"))
    data = answer(app, "/api/v1/datasets", Response("{}", mimetype="application/json"))
    assert page.headers["X-Content-Type-Options"] == data.headers["X-Content-Type-Options"] == "nosniff"
    assert (page.headers["Content-Security-Policy"], data.headers["Content-Security-Policy"]) == (
        PAGE_CSP,
        OTHER_CSP,
    )
    assert all("frame-ancestors 'none'" in csp for csp in (PAGE_CSP, OTHER_CSP))


def test_a_csp_set_by_the_view_is_kept(app):
    own = Response("<p>", mimetype="text/html", headers={"Content-Security-Policy": "default-src 'self'"})
    assert answer(app, "/login", own).headers["Content-Security-Policy"] == "default-src 'self'"


def test_the_api_is_never_kept_by_a_shared_cache_unless_it_says_public(app):
    assert answer(app, "/api/v1/datasets", Response("{}")).headers["Cache-Control"] == "no-store"
    assert answer(app, "/oauth/jwks", Response("{}")).headers["Cache-Control"] == "no-store"
    public = Response("{}", headers={"Cache-Control": "public, max-age=60"})
    assert answer(app, "/api/v1/scheme", public).headers["Cache-Control"] == "public, max-age=60"


def test_what_credentials_let_the_caller_see_is_never_stored(app):
    public = Response("{}", headers={"Cache-Control": "public, max-age=60"})
    answer(app, "/api/v1/scheme", public, {"Authorization": "Bearer x"})
    assert public.headers["Cache-Control"] == "no-store"
    page = answer(app, "/entries", Response("<p>", mimetype="text/html"), {"Cookie": "session=x"})
    assert page.headers["Cache-Control"] == "no-store"
    signed_in = Response("<p>", mimetype="text/html", headers={"Set-Cookie": "session=y"})
    assert answer(app, "/login", signed_in).headers["Cache-Control"] == "no-store"


def test_an_anonymous_page_may_be_cached(app):
    assert "Cache-Control" not in answer(app, "/entries", Response("<p>", mimetype="text/html")).headers


def test_vary_names_what_the_answer_depends_on_once(app):
    assert answer(app, "/api/v1/datasets", Response("{}")).headers["Vary"] == "Authorization"
    assert answer(app, "/entries", Response("<p>")).headers["Vary"] == "Authorization, Cookie"
    merged = answer(app, "/entries", Response("<p>", headers={"Vary": "Accept-Language, cookie"}))
    assert merged.headers["Vary"] == "Accept-Language, cookie, Authorization"


def test_the_stylesheet_is_the_same_for_everyone(app):
    with app.test_request_context("/static/site.css", headers={"Authorization": "Bearer x"}):
        response = Response("body{}", mimetype="text/css")
        secure_response(request, response)
    assert response.headers["Content-Security-Policy"] == OTHER_CSP
    assert "Cache-Control" not in response.headers and "Vary" not in response.headers
