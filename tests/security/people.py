"""Helpers for flows with people: accounts, app clients, the login page, PKCE."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Flask

from authserver.services.clients import ClientService
from authserver.services.users import UserService
from security.identity import system_identity
from security.roles import ROLE_SCOPES
from tests.agencies import SKATTEVERKET

PASSWORD = "correct horse battery staple"
REDIRECT = "https://app.example.se/callback"


def make_user(
    app: Flask, username: str = "alice", agency: str = SKATTEVERKET, roles=("data_owner",), **kw
) -> str:
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        user = UserService(session, ext.scheme).create(
            system_identity(ext.scheme),
            username=username,
            agency=agency,
            name=username.title(),
            roles=roles,
            password=PASSWORD,
            **kw,
        )
        return user.id


def make_app_client(
    app: Flask,
    agency: str = SKATTEVERKET,
    scopes: str = "catalogue:read:sensitive catalogue:write",
    auth_method: str = "client_secret_basic",
    redirect_uris: tuple[str, ...] = (REDIRECT,),
) -> tuple[str, str]:
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        issued = ClientService(session, ext.scheme).create(
            system_identity(ext.scheme),
            agency=agency,
            name="Catalogue app",
            scopes=scopes.split(),
            grant_types=("authorization_code", "refresh_token"),
            auth_method=auth_method,
            redirect_uris=redirect_uris,
        )
        return issued.client.client_id, issued.secret


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def auth_params(client_id: str, challenge: str | None, **extra: Any) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "state": "st-123",
    }
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    params |= extra
    return {k: v for k, v in params.items() if v is not None}


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def login(client, params: dict[str, str], username: str = "alice", password: str = PASSWORD, csrf=True):
    page = client.get("/oauth/authorize", query_string=params)
    assert page.status_code == 200, page.get_data(as_text=True)
    form = {"username": username, "password": password}
    if csrf:
        form["csrf_token"] = csrf_token(page.get_data(as_text=True))
    return client.post("/oauth/authorize?" + urlencode(params), data=form)


def redirect_params(response) -> dict[str, str]:
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def exchange(client, creds, code: str, verifier: str | None, redirect_uri: str = REDIRECT):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    headers = basic(*creds) if creds[1] else {}
    if not creds[1]:
        data["client_id"] = creds[0]
    return client.post("/oauth/token", data=data, headers=headers)


def refresh(client, creds, token: str, scope: str | None = None):
    data = {"grant_type": "refresh_token", "refresh_token": token}
    if scope:
        data["scope"] = scope
    return client.post("/oauth/token", data=data, headers=basic(*creds))


def full_login(client, creds, **login_kw) -> dict[str, Any]:
    verifier, challenge = pkce()
    code = redirect_params(login(client, auth_params(creds[0], challenge), **login_kw))["code"]
    r = exchange(client, creds, code, verifier)
    assert r.status_code == 200, r.json
    return dict(r.json)


ROLE_OF_SCOPE = {scope: role for role, scope in ROLE_SCOPES.items()}


def person_token(app: Flask, *, agency: str, clearance: str | None, scopes: list[str]) -> str:
    """A real person's access token: a new person of ``agency`` with the roles that
    grant ``scopes``, signed in through an app client (authorization_code, PKCE S256)."""
    username = "person-" + secrets.token_hex(6)
    make_user(
        app,
        username,
        agency=agency,
        roles=tuple(ROLE_OF_SCOPE[s] for s in scopes if s in ROLE_OF_SCOPE),
        clearance=clearance,
    )
    creds = make_app_client(app, agency=agency, scopes=" ".join(scopes))
    verifier, challenge = pkce()
    browser = app.test_client()  # the person's own browser: no cookies left on the caller's
    code = redirect_params(
        login(browser, auth_params(creds[0], challenge, scope=" ".join(scopes)), username=username)
    )["code"]
    response = exchange(browser, creds, code, verifier)
    assert response.status_code == 200, response.json
    return str(response.json["access_token"])
