"""Fixtures and a browser-like driver for delegated login: Tillit and the test
OpenID Connect provider (``tests.oidcprovider``) both on real loopback ports,
walked through with a real HTTP client that follows redirects by hand."""

from __future__ import annotations

import base64
import html
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from catalogue.models import AuditEvent
from tests.conftest import SKATTEVERKET
from tests.oidcprovider import OIDCProvider
from tests.security.people import REDIRECT, auth_params, csrf_token, pkce

PROVIDER_CLIENT_ID = "tillit-at-skv"
PROVIDER_SECRET = "a provider client secret"
ROLE_MAP = {"tillit-owners": ["data_owner"], "tillit-officers": ["security_officer"], "it-admins": ["admin"]}


class LateApp:
    """A WSGI app whose real app arrives later: Tillit's issuer must name the port
    it listens on, and the port is known only once the server listens."""

    app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@pytest.fixture
def live() -> Iterator[tuple[LateApp, str]]:
    dispatcher = LateApp()
    httpd = make_server("127.0.0.1", 0, dispatcher, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield dispatcher, f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def provider() -> Iterator[OIDCProvider]:
    idp = OIDCProvider()
    idp.start()
    idp.add_person(
        "anna", "anna's password", preferred_username="anna", name="Anna Andersson",
        email="anna@skatteverket.example", groups=["tillit-owners", "staff"], orgnr="2021005448",
    )  # fmt: skip
    try:
        yield idp
    finally:
        idp.stop()


def provider_config(provider: OIDCProvider, **changes: Any) -> dict[str, Any]:
    return {
        "name": "skv",
        "label": "Skatteverket",
        "agency": SKATTEVERKET,
        "issuer": provider.issuer,
        "client_id": PROVIDER_CLIENT_ID,
        "client_secret": PROVIDER_SECRET,
        "scopes": ["openid", "profile", "email"],
        "claims": {"roles": "groups", "agency": "orgnr"},
        "role_map": ROLE_MAP,
    } | changes


@pytest.fixture
def oidc_changes() -> dict[str, Any]:
    """Override in a test module to configure the provider differently."""
    return {}


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    return {}


@pytest.fixture
def app_settings(app_settings, live, provider, oidc_changes, extra_settings):
    _, url = live
    provider.add_client(PROVIDER_CLIENT_ID, PROVIDER_SECRET, url + "/oauth/login/skv/callback")
    return app_settings | {
        "ISSUER": url,
        "OIDC_PROVIDERS": [provider_config(provider, **oidc_changes)],
        # The fake provider speaks plain http on loopback: named, so allowed (only it).
        "OUTBOUND_HTTP_HOSTS": "127.0.0.1",
        **extra_settings,
    }


@pytest.fixture
def tillit(app, live) -> str:
    dispatcher, url = live
    dispatcher.app = app
    return url


# -- the browser --------------------------------------------------------------------
@dataclass
class Walk:
    """One person's way through the flow, step by step."""

    browser: requests.Session
    tillit: str
    params: dict[str, str]
    verifier: str
    to_provider: str = ""
    callback: str = ""

    def start(self) -> requests.Response:
        page = self.browser.get(self.tillit + "/oauth/authorize", params=self.params)
        assert page.status_code == 200, page.text
        form = {"csrf_token": csrf_token(page.text), "provider": "skv"}
        r = self.browser.post(
            self.tillit + "/oauth/authorize?" + urlencode(self.params), data=form, allow_redirects=False
        )
        if r.status_code == 303:
            self.to_provider = r.headers["Location"]
        return r

    def sign_in_at_provider(self, username: str = "anna", password: str = "anna's password") -> str:
        if not self.to_provider:
            assert self.start().status_code == 303
        assert self.browser.get(self.to_provider, allow_redirects=False).status_code == 200
        r = self.browser.post(
            self.to_provider, data={"username": username, "password": password}, allow_redirects=False
        )
        assert r.status_code == 302, r.text
        self.callback = r.headers["Location"]
        return self.callback

    def finish(self) -> requests.Response:
        if not self.callback:
            self.sign_in_at_provider()
        return self.browser.get(self.callback, allow_redirects=False)


def walk(tillit: str, client_id: str, **extra: str) -> Walk:
    verifier, challenge = pkce()
    return Walk(requests.Session(), tillit, auth_params(client_id, challenge, **extra), verifier)


def code_of(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(tillit: str, creds: tuple[str, str], code: str, verifier: str) -> requests.Response:
    basic = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
    return requests.post(
        tillit + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        headers={"Authorization": f"Basic {basic}"},
        timeout=10,
    )


def alert(response: requests.Response) -> str:
    match = re.search(r'<p role="alert"[^>]*>(.*?)</p>', response.text, re.S)
    assert match, response.text
    return html.unescape(match.group(1))


def security_events(app, action: str) -> list[AuditEvent]:
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        return list(session.scalars(query))
