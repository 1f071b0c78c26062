"""Signing in to the pages at the agency's OpenID Connect provider, over real HTTP (the
authorization server's delegated flow, finished by the pages: a session, not a code)."""

from __future__ import annotations

import re

import requests

from tests import oidcflow
from tests.integration.web.signing_in import HTML, page_csrf
from tests.oidcflow import security_events

live, provider, tillit = oidcflow.live, oidcflow.provider, oidcflow.tillit
app_settings, oidc_changes = oidcflow.app_settings, oidcflow.oidc_changes
extra_settings = oidcflow.extra_settings


def test_sign_in_at_the_provider_opens_a_session(app, tillit, provider):
    browser = requests.Session()
    page = browser.get(f"{tillit}/signin?lang=sv", headers=HTML, timeout=10)
    assert page.status_code == 200
    html = page.text
    assert re.search(r"Logga in med [^<]+</button>", html)
    # The provider's origin may receive the form's redirect (form-action), nothing else is relaxed.
    assert provider.issuer in page.headers["Content-Security-Policy"].split("form-action")[1]
    started = browser.post(
        f"{tillit}/signin",
        data={"csrf_token": page_csrf(html), "provider": "skv", "next": "/?lang=sv"},
        headers=HTML,
        allow_redirects=False,
        timeout=10,
    )
    assert started.status_code == 303
    to_provider = started.headers["Location"]
    assert to_provider.startswith(provider.issuer + "/authorize?")
    assert browser.get(to_provider, allow_redirects=False, timeout=10).status_code == 200
    signed = browser.post(
        to_provider,
        data={"username": "anna", "password": "anna's password"},
        allow_redirects=False,
        timeout=10,
    )
    back = browser.get(signed.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    assert back.headers["Location"] == "/?lang=sv"
    assert browser.cookies.get("tillit-session")
    home = browser.get(f"{tillit}/?lang=sv", headers=HTML, timeout=10).text
    assert "Anna Andersson" in home and "Skatteverket" in home and "Dataägare" in home
    success = security_events(app, "login.success")
    assert success[-1].details["provider"] == "skv"


def test_an_unknown_provider_is_refused(app, tillit):
    browser = requests.Session()
    page = browser.get(f"{tillit}/signin", headers=HTML, timeout=10)
    refused = browser.post(
        f"{tillit}/signin",
        data={"csrf_token": page_csrf(page.text), "provider": "nope"},
        headers=HTML,
        allow_redirects=False,
        timeout=10,
    )
    assert refused.status_code == 400
    assert "No such sign-in provider." in refused.text
