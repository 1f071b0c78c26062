"""Delegated login, end to end over real HTTP: a Tillit client starts
authorization_code + PKCE at Tillit; the person picks "Sign in with Skatteverket",
signs in at the agency's OpenID Connect provider (a real one, tests/oidcprovider.py),
comes back through the callback, and the client exchanges the code for a Tillit
token whose scopes come from the groups the provider vouched for."""

from __future__ import annotations

import json

import pytest
import requests
from joserfc import jwt

from catalogue.models_auth import User
from tests import oidcflow
from tests.conftest import SKATTEVERKET
from tests.oidcflow import alert, code_of, exchange, security_events, walk
from tests.security.conftest import bearer, make_entry
from tests.security.people import PASSWORD, REDIRECT, csrf_token, make_app_client, make_user

# Tillit and the agency's provider on loopback ports (fixtures).
live, provider, tillit = oidcflow.live, oidcflow.provider, oidcflow.tillit
app_settings, oidc_changes = oidcflow.app_settings, oidcflow.oidc_changes
extra_settings = oidcflow.extra_settings

SCOPES = "catalogue:read:sensitive catalogue:write catalogue:review"


@pytest.fixture
def creds(app):
    return make_app_client(app, scopes=SCOPES)


def claims_of(app, token):
    return jwt.decode(token, app.extensions["tillit"].keys.private_set()).claims


def linked(app) -> list[User]:
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        return list(session.query(User).filter(User.issuer.is_not(None)).all())


def test_sign_in_at_the_agency_provider_gives_a_token_from_the_mapped_roles(app, tillit, provider, creds):
    flow = walk(tillit, creds[0])
    started = flow.start()
    assert started.status_code == 303
    assert started.headers["Location"].startswith(provider.issuer + "/authorize?")
    callback = flow.sign_in_at_provider()
    assert callback.startswith(tillit + "/oauth/login/skv/callback?")

    params = code_of(flow.finish())
    assert params["state"] == "st-123" and params["iss"] == tillit  # as after a password login
    token = exchange(tillit, creds, params["code"], flow.verifier)
    assert token.status_code == 200, token.text
    body = token.json()
    # Anna is in "tillit-owners" (data_owner) and "staff" (maps to nothing).
    assert body["scope"] == "catalogue:read:sensitive catalogue:write"
    (anna,) = linked(app)
    assert (anna.username, anna.agency, anna.provider, anna.roles) == (
        "skv:anna", SKATTEVERKET, "skv", ["data_owner"],
    )  # fmt: skip
    assert (anna.issuer, anna.subject, anna.name, anna.email) == (
        provider.issuer, "sub-anna", "Anna Andersson", "anna@skatteverket.example",
    )  # fmt: skip
    c = claims_of(app, body["access_token"])
    assert (c["sub"], c["agency"], c["client_id"], c["iss"]) == (anna.id, SKATTEVERKET, creds[0], tillit)

    # The token works on the API like any person's token.
    draft = make_entry(app, SKATTEVERKET, "sensitive", "sensitive", status="draft")
    r = requests.get(f"{tillit}/api/v1/datasets/{draft}", headers=bearer(body["access_token"]), timeout=10)
    assert r.status_code == 200

    # The login left no cookie of the flow behind and no session of its own.
    assert not [c for c in flow.browser.cookies if c.name.startswith("tillit-oidc")]
    created = security_events(app, "user.create")
    assert [e.details["provider"] for e in created] == ["skv"]
    success = security_events(app, "login.success")
    assert success[-1].actor == anna.id and success[-1].details["provider"] == "skv"


def test_roles_follow_the_provider_on_every_login(app, tillit, provider, creds):
    first = walk(tillit, creds[0])
    assert exchange(tillit, creds, code_of(first.finish())["code"], first.verifier).json()["scope"] == (
        "catalogue:read:sensitive catalogue:write"
    )
    # Anna moves from the owners to the security officers at her agency.
    provider.people["anna"].claims["groups"] = ["tillit-officers"]
    second = walk(tillit, creds[0])
    body = exchange(tillit, creds, code_of(second.finish())["code"], second.verifier).json()
    assert body["scope"] == "catalogue:read:sensitive catalogue:review"
    (anna,) = linked(app)  # the same account, linked by (issuer, subject)
    assert anna.roles == ["security_officer"]
    change = security_events(app, "user.roles")
    assert [(e.details["from"], e.details["to"]) for e in change] == [(["data_owner"], ["security_officer"])]
    # Asking for a scope the roles no longer give is refused, as for any person.
    third = walk(tillit, creds[0], scope="catalogue:write")
    assert code_of(third.finish())["error"] == "invalid_scope"


def test_users_list_shows_how_each_person_signs_in(app, tillit, provider, creds, run_cli):
    make_user(app, "bo", SKATTEVERKET)
    flow = walk(tillit, creds[0])
    code_of(flow.finish())
    listed = json.loads(run_cli("users", "list", "--json").output)
    assert [(u["username"], u["sign_in"]) for u in listed] == [("bo", "local"), ("skv:anna", "skv")]
    text = run_cli("users", "list").output.splitlines()
    assert text == [f"bo\t{SKATTEVERKET}\tlocal\tdata_owner", f"skv:anna\t{SKATTEVERKET}\tskv\tdata_owner"]


def test_login_page_offers_the_provider_beside_the_password_form(app, tillit, provider, creds):
    flow = walk(tillit, creds[0])
    page = flow.browser.get(tillit + "/oauth/authorize", params=flow.params)
    assert "Sign in with Skatteverket" in page.text
    assert 'name="password"' in page.text
    # The form may post here, and its redirects may go to the client and the provider.
    # Styled from this origin only (the stylesheet and icon): no script, no inline style.
    assert page.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        f"form-action 'self' https://app.example.se {provider.issuer}; frame-ancestors 'none'"
    )


@pytest.mark.parametrize("extra_settings", [{"PASSWORD_LOGIN": False}])
def test_providers_only(app, tillit, provider, creds, extra_settings):
    make_user(app, "bo", SKATTEVERKET)
    flow = walk(tillit, creds[0])
    page = flow.browser.get(tillit + "/oauth/authorize", params=flow.params)
    assert "Sign in with Skatteverket" in page.text and 'name="password"' not in page.text
    from urllib.parse import urlencode

    r = flow.browser.post(
        tillit + "/oauth/authorize?" + urlencode(flow.params),
        data={"csrf_token": csrf_token(page.text), "username": "bo", "password": PASSWORD},
        allow_redirects=False,
    )
    assert (r.status_code, alert(r)) == (400, "Sign in at your agency's provider.")
    assert code_of(flow.finish())["code"]  # the provider still works


@pytest.mark.parametrize(("oidc_changes", "scope"), [
    ({"userinfo": True}, "catalogue:read:sensitive catalogue:write"),
    ({}, "catalogue:read:sensitive"),  # not asked: the groups are not known, no role
])  # fmt: skip
def test_groups_from_userinfo(app, tillit, provider, creds, oidc_changes, scope):
    provider.userinfo_only = {"groups", "name"}
    flow = walk(tillit, creds[0])
    body = exchange(tillit, creds, code_of(flow.finish())["code"], flow.verifier).json()
    assert body["scope"] == scope
    assert linked(app)[0].name == ("Anna Andersson" if oidc_changes else "anna")


def test_a_client_disabled_meanwhile_gets_no_code(app, tillit, provider, creds):
    from catalogue.models import OAuthClient

    flow = walk(tillit, creds[0])
    flow.sign_in_at_provider()
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        session.get(OAuthClient, creds[0]).disabled = True
        session.commit()
    r = flow.finish()
    assert r.status_code == 400 and "Location" not in r.headers
    assert r.json()["error"] == "invalid_client"
    assert REDIRECT not in r.text
