"""Attack: delegated login at an agency's OpenID Connect provider. A provider that
lies (or is impersonated), a callback that did not start in this browser, a
replayed callback, a person of another agency, groups that map to nothing, a
disabled account: each ends on an error page (exact status and message), with an
audit event, and never with a Tillit code."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
import requests
from joserfc.jwk import OctKey, RSAKey

from authserver.login import LOGIN_FAILED
from catalogue.models import Agency
from catalogue.models_auth import User
from tests import oidcflow
from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.oidcflow import PROVIDER_CLIENT_ID, alert, code_of, exchange, security_events, walk
from tests.security.people import csrf_token, make_app_client, make_user

live, provider, tillit = oidcflow.live, oidcflow.provider, oidcflow.tillit
app_settings, oidc_changes = oidcflow.app_settings, oidcflow.oidc_changes
extra_settings = oidcflow.extra_settings

NOT_VERIFIED = "The sign-in at Skatteverket could not be verified."
NOT_THIS_BROWSER = (
    "This sign-in was not started in this browser, or it expired. Please start again "
    "from the application you were signing in to."
)
PROVIDER_REFUSED = "Skatteverket refused to complete the sign-in. Please start again."
FOREIGN = RSAKey.generate_key(2048, auto_kid=True)


@pytest.fixture
def creds(app):
    return make_app_client(app, scopes="catalogue:read:sensitive catalogue:write catalogue:admin")


def people(app) -> list[User]:
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        return list(session.query(User).order_by(User.username).all())


def refused(response: requests.Response, status: int, message: str) -> None:
    """An error page, not a redirect: no code, no cookie of a session."""
    assert response.status_code == status, response.text
    assert "Location" not in response.headers
    assert alert(response) == message
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "code=" not in response.text
    assert "session" not in response.headers.get("Set-Cookie", "")


def last_failure(app) -> dict:
    return dict(security_events(app, "login.failure")[-1].details)


def _hmac_with_public_key(p):
    public = json.dumps(p.key.as_dict(private=False), sort_keys=True)
    return {"key": OctKey.import_key(public.encode()), "header": {"alg": "HS256"}}


ID_TOKEN_ATTACKS = {
    "nonce of another sign-in": (lambda p: {"claims": {"nonce": "a-nonce-from-elsewhere"}}, "nonce"),
    "no nonce": (lambda p: {"drop": ("nonce",)}, "nonce"),
    "another key claiming the provider's kid": (
        lambda p: {"key": FOREIGN, "header": {"kid": p.key.kid}},
        "signature",
    ),
    "another key with its own kid": (lambda p: {"key": FOREIGN, "header": {"kid": FOREIGN.kid}}, "signature"),
    "alg none": (lambda p: {"unsigned": True}, "alg"),
    "HS256 keyed with the provider's public key": (_hmac_with_public_key, "alg"),
    "wrong iss": (lambda p: {"claims": {"iss": "https://login.evil.example"}}, "iss"),
    "Tillit's own name as iss": (lambda p: {"claims": {"iss": "http://tillit.test"}}, "iss"),
    "wrong aud": (lambda p: {"claims": {"aud": ["another-client"]}}, "aud"),
    "two audiences, no azp": (lambda p: {"claims": {"aud": [PROVIDER_CLIENT_ID, "another-client"]}}, "azp"),
    "azp of another party": (lambda p: {"claims": {"azp": "another-client"}}, "azp"),
    "expired": (lambda p: {"claims": {"iat": int(time.time()) - 400, "exp": int(time.time()) - 100}}, "exp"),
    "issued in the future": (
        lambda p: {"claims": {"iat": int(time.time()) + 600, "exp": int(time.time()) + 900}},
        "iat",
    ),
    "issued an hour ago, still valid": (
        lambda p: {"claims": {"iat": int(time.time()) - 3600, "exp": int(time.time()) + 300}},
        "iat",
    ),
    "no sub": (lambda p: {"drop": ("sub",)}, "sub"),
}


@pytest.mark.parametrize("attack", ID_TOKEN_ATTACKS)
def test_id_token_forgeries_are_refused(app, tillit, provider, creds, attack):
    misbehaviour, check = ID_TOKEN_ATTACKS[attack]
    provider.misbehave(**misbehaviour(provider))
    r = walk(tillit, creds[0]).finish()
    refused(r, 403, NOT_VERIFIED)
    assert last_failure(app) == {"provider": "skv", "reason": "id_token", "check": check}
    assert people(app) == []  # nobody was created


def test_the_honest_provider_passes_the_same_checks(app, tillit, provider, creds):
    """The control for the table above: the same flow, untampered, gives a code."""
    assert code_of(walk(tillit, creds[0]).finish())["code"]


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("no state", "state"),
        ("another state", "state"),
        ("forged cookie", "state"),
        ("another browser", "state"),
    ],
)
def test_a_callback_must_come_back_to_its_browser(app, tillit, provider, creds, tamper, reason):
    flow = walk(tillit, creds[0])
    callback = flow.sign_in_at_provider()
    base, _, query = callback.partition("?")
    params = dict(p.split("=", 1) for p in query.split("&"))
    browser = flow.browser
    if tamper == "no state":
        callback = base + "?" + urlencode({"code": params["code"]})
    elif tamper == "another state":
        callback = base + "?" + urlencode({"code": params["code"], "state": "attacker-chosen-state"})
    elif tamper == "forged cookie":
        for cookie in browser.cookies:
            if cookie.name.startswith("tillit-oidc-"):
                cookie.value = cookie.value[:-4] + "AAAA"
    elif tamper == "another browser":  # login CSRF: the attacker's own code, in the victim's browser
        browser = requests.Session()
    r = browser.get(callback, allow_redirects=False)
    refused(r, 400, NOT_THIS_BROWSER)
    assert last_failure(app) == {"provider": "skv", "reason": reason}
    assert provider.token_requests == 0  # the code was never even tried
    assert people(app) == []


def test_replayed_callback(app, tillit, provider, creds):
    flow = walk(tillit, creds[0])
    flow.sign_in_at_provider()
    saved = {c.name: c.value for c in flow.browser.cookies if c.name.startswith("tillit-oidc-")}
    assert code_of(flow.finish())["code"]
    # The same browser again: the flow's cookie is gone.
    refused(flow.browser.get(flow.callback, allow_redirects=False), 400, NOT_THIS_BROWSER)
    # Someone who kept the cookie too: the provider refuses its code a second time.
    thief = requests.Session()
    for name, value in saved.items():
        thief.cookies.set(name, value, domain="127.0.0.1", path="/oauth/login/")
    r = thief.get(flow.callback, allow_redirects=False)
    refused(r, 400, PROVIDER_REFUSED)
    assert last_failure(app) == {"provider": "skv", "reason": "token_exchange", "error": "invalid_grant"}
    assert provider.token_requests == 2
    assert len(security_events(app, "login.success")) == 1


def test_the_provider_saying_no(app, tillit, provider, creds):
    flow = walk(tillit, creds[0])
    flow.start()
    state = dict(p.split("=", 1) for p in flow.to_provider.split("?", 1)[1].split("&"))["state"]
    callback = f"{tillit}/oauth/login/skv/callback?error=access_denied&state={state}"
    r = flow.browser.get(callback, allow_redirects=False)
    refused(r, 400, "Skatteverket did not sign you in (access_denied).")
    assert last_failure(app) == {"provider": "skv", "reason": "provider_error", "error": "access_denied"}


@pytest.mark.parametrize(
    ("orgnr", "message"),
    [
        (LANTMATERIET, "The person belongs to another organisation."),
        ("2021004888", "The person belongs to another organisation."),
        (None, "The provider did not name the person's organisation."),
        (["2021005448"], "The provider did not name the person's organisation."),
    ],
)
def test_a_person_of_another_organisation_is_refused(app, tillit, provider, creds, orgnr, message):
    provider.people["anna"].claims["orgnr"] = orgnr
    if orgnr is None:
        del provider.people["anna"].claims["orgnr"]
    refused(walk(tillit, creds[0]).finish(), 403, message)
    assert last_failure(app) == {"provider": "skv", "reason": "agency_claim", "subject": "sub-anna"}
    assert people(app) == []


def test_the_org_claim_is_compared_without_separators(app, tillit, provider, creds):
    provider.people["anna"].claims["orgnr"] = "202100-5448"
    assert code_of(walk(tillit, creds[0]).finish())["code"]


def test_groups_that_map_to_no_role_give_no_elevated_scope(app, tillit, provider, creds):
    # Names that look like roles or scopes, but the role_map does not name them.
    provider.people["anna"].claims["groups"] = ["admin", "data_owner", "catalogue:admin", "Tillit-Owners"]
    flow = walk(tillit, creds[0])
    body = exchange(tillit, creds, code_of(flow.finish())["code"], flow.verifier).json()
    assert body["scope"] == "catalogue:read:sensitive"
    (anna,) = people(app)
    assert anna.roles == []
    for scope in ("catalogue:admin", "catalogue:write"):
        asked = walk(tillit, creds[0], scope=scope).finish()
        assert code_of(asked)["error"] == "invalid_scope"


def test_a_disabled_linked_account_is_refused(app, tillit, provider, creds, run_cli):
    assert code_of(walk(tillit, creds[0]).finish())["code"]
    assert run_cli("users", "disable", "skv:anna").exit_code == 0
    refused(walk(tillit, creds[0]).finish(), 403, "This account is disabled.")
    assert last_failure(app)["reason"] == "disabled"
    assert people(app)[0].disabled is True  # the provider's say-so does not re-enable it


@pytest.mark.parametrize("oidc_changes", [{"agency": LANTMATERIET, "claims": {"roles": "groups"}}])
def test_a_retired_agency_signs_nobody_in(app, tillit, provider, creds, oidc_changes):
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        session.get(Agency, LANTMATERIET).retired = True
        session.commit()
    unknown = "The provider's agency is not an agency registered in Tillit."
    refused(walk(tillit, creds[0]).finish(), 403, unknown)
    assert last_failure(app) == {"provider": "skv", "subject": "sub-anna", "reason": "agency"}
    assert people(app) == []


def test_no_takeover_of_a_local_account_by_name(app, tillit, provider, creds):
    make_user(app, "skv:anna", SKATTEVERKET, roles=("admin",))
    flow = walk(tillit, creds[0])
    body = exchange(tillit, creds, code_of(flow.finish())["code"], flow.verifier).json()
    assert body["scope"] == "catalogue:read:sensitive catalogue:write"  # not admin
    local, linked = sorted(people(app), key=lambda u: u.issuer or "")
    assert (local.username, local.issuer, local.roles) == ("skv:anna", None, ["admin"])
    assert linked.username.startswith("skv:") and linked.username != "skv:anna"
    assert linked.roles == ["data_owner"]


@pytest.mark.parametrize("password", ["not-a-real-password", "", "anna's password"])
def test_a_linked_account_has_no_password(app, tillit, provider, creds, password):
    code_of(walk(tillit, creds[0]).finish())
    flow = walk(tillit, creds[0])
    page = flow.browser.get(tillit + "/oauth/authorize", params=flow.params)
    r = flow.browser.post(
        tillit + "/oauth/authorize?" + urlencode(flow.params),
        data={"csrf_token": csrf_token(page.text), "username": "skv:anna", "password": password},
        allow_redirects=False,
    )
    assert r.status_code in (200, 400) and "Location" not in r.headers
    if password:
        assert alert(r) == LOGIN_FAILED


def test_starting_needs_the_csrf_token_and_a_known_provider(app, tillit, provider, creds):
    flow = walk(tillit, creds[0])
    page = flow.browser.get(tillit + "/oauth/authorize", params=flow.params)
    url = tillit + "/oauth/authorize?" + urlencode(flow.params)
    r = flow.browser.post(url, data={"provider": "skv"}, allow_redirects=False)
    assert (r.status_code, alert(r)) == (400, "The form expired or was incomplete; please sign in again.")
    r = flow.browser.post(url, data={"provider": "evil", "csrf_token": csrf_token(page.text)})
    refused(r, 400, "No such sign-in provider.")
    r = flow.browser.get(tillit + "/oauth/login/evil/callback?code=x&state=y", allow_redirects=False)
    refused(r, 404, "No such sign-in provider.")


def test_an_invalid_authorization_request_never_reaches_the_provider(app, tillit, provider, creds):
    flow = walk(tillit, creds[0], redirect_uri="https://evil.example/callback")
    r = flow.browser.get(tillit + "/oauth/authorize", params=flow.params)
    assert r.status_code == 400 and "Sign in with" not in r.text


@pytest.mark.parametrize("extra_settings", [{"RATE_LIMIT_OIDC_LOGIN": "3/minute"}])
def test_callback_rate_limit(app, tillit, provider, creds, extra_settings):
    statuses = [
        requests.get(f"{tillit}/oauth/login/skv/callback?code=c&state=s{i}", timeout=10).status_code
        for i in range(5)
    ]
    assert statuses == [400, 400, 400, 429, 429]
