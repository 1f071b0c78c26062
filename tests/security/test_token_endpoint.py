"""Attack: get more from the token endpoint than the client and its agency are allowed."""

from __future__ import annotations

import base64

import pytest
from joserfc import jwt

from catalogue.errors import ValidationFailed
from catalogue.models import Agency, OAuthClient
from tests.conftest import LANTMATERIET, SKATTEVERKET, register_client
from tests.security.conftest import bearer, make_entry


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def token_request(client, creds, scope=None, grant_type="client_credentials"):
    data = {"grant_type": grant_type}
    if scope is not None:
        data["scope"] = scope
    return client.post("/oauth/token", data=data, headers=basic(*creds))


@pytest.mark.parametrize(
    "scope",
    [
        "catalogue:read:sensitive",  # above what the client holds
        "catalogue:read:internal catalogue:admin",  # an action scope it does not hold
        "catalogue:read:secret",  # a disabled level
        "catalogue:read:internal openid",  # an unknown scope
        "catalogue:read:INTERNAL",  # case games
    ],
)
def test_scope_escalation_is_refused(client, app, scope):
    creds = register_client(app, LANTMATERIET, ["catalogue:read:internal"])
    r = token_request(client, creds, scope)
    assert r.status_code == 400
    assert r.json["error"] == "invalid_scope"
    assert "access_token" not in r.json


@pytest.mark.parametrize(
    ("held", "asked", "issued"),
    [
        (["catalogue:read:internal"], None, "catalogue:read:internal"),
        (
            ["catalogue:read:internal", "catalogue:write"],
            "catalogue:read:internal",
            "catalogue:read:internal",
        ),
        (["catalogue:read:sensitive", "catalogue:write"], None, "catalogue:read:sensitive catalogue:write"),
    ],
)
def test_issued_scope_is_exactly_what_is_granted(client, app, held, asked, issued):
    creds = register_client(app, LANTMATERIET, held)
    r = token_request(client, creds, asked)
    assert r.status_code == 200
    assert r.json["scope"] == issued
    claims = jwt.decode(r.json["access_token"], app.extensions["tillit"].keys.private_set()).claims
    assert claims["scope"] == issued
    assert claims["agency"] == LANTMATERIET
    assert claims["exp"] - claims["iat"] <= 300
    assert r.headers["Cache-Control"] == "no-store"


def test_client_cannot_be_registered_above_its_agencys_clearance(app):
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        session.get(Agency, LANTMATERIET).clearance = "internal"
        session.commit()
    with pytest.raises(ValidationFailed) as err:
        register_client(app, LANTMATERIET, ["catalogue:read:sensitive"])
    assert "catalogue:read:sensitive" in err.value.errors["scopes"][0]


def test_lowered_agency_clearance_takes_effect_at_once(client, app):
    """A client registered when its agency was cleared for sensitive asks after the
    agency was lowered to public: no sensitive scope, and its token reads public only."""
    creds = register_client(app, LANTMATERIET, ["catalogue:read:sensitive"])
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        session.get(Agency, LANTMATERIET).clearance = "public"
        session.commit()
    r = token_request(client, creds, "catalogue:read:sensitive")
    assert (r.status_code, r.json["error"]) == (400, "invalid_scope")
    r = token_request(client, creds)
    assert r.status_code == 400  # nothing left to grant
    assert r.json["error"] == "invalid_scope"


def test_client_of_another_agency_cannot_borrow_its_clearance(client, app):
    """Clearance is the client's agency's, whatever agency the caller claims to act for."""
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        session.get(Agency, LANTMATERIET).clearance = "public"
        session.commit()
    creds = register_client(app, LANTMATERIET, ["catalogue:read:public"])
    hidden = make_entry(app, SKATTEVERKET, "internal", "internal")
    r = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "catalogue:read:internal", "agency": SKATTEVERKET},
        headers=basic(*creds),
    )
    assert (r.status_code, r.json["error"]) == (400, "invalid_scope")
    token = token_request(client, creds).json["access_token"]
    assert client.get(f"/api/v1/datasets/{hidden}", headers=bearer(token)).status_code == 404


@pytest.mark.parametrize(
    ("mutate", "status", "error"),
    [
        (lambda creds: (creds[0], "wrong-secret"), 401, "invalid_client"),
        (lambda creds: ("tillit-nosuchclient", creds[1]), 401, "invalid_client"),
    ],
)
def test_bad_client_credentials(client, app, mutate, status, error):
    creds = register_client(app, LANTMATERIET, ["catalogue:read:public"])
    r = token_request(client, mutate(creds))
    assert (r.status_code, r.json["error"]) == (status, error)


def test_disabled_client_gets_nothing(client, app):
    creds = register_client(app, LANTMATERIET, ["catalogue:read:public"])
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        session.get(OAuthClient, creds[0]).disabled = True
        session.commit()
    r = token_request(client, creds)
    assert (r.status_code, r.json["error"]) == (401, "invalid_client")


@pytest.mark.parametrize(
    "grant_type", ["password", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer"]
)
def test_unsupported_grants(client, app, grant_type):
    creds = register_client(app, LANTMATERIET, ["catalogue:read:public"])
    r = token_request(client, creds, grant_type=grant_type)
    assert (r.status_code, r.json["error"]) == (400, "unsupported_grant_type")


def test_a_client_may_ask_for_less_than_its_clearance(client, app):
    from tests.conftest import SKATTEVERKET, fetch_token, register_client

    creds = register_client(app, SKATTEVERKET, ["catalogue:read:sensitive", "catalogue:write"])
    token = fetch_token(client, *creds, scope="catalogue:read:internal")
    from joserfc import jwt

    claims = jwt.decode(token, app.extensions["tillit"].keys.private_set()).claims
    assert claims["scope"] == "catalogue:read:internal"
    basic = __import__("base64").b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
    more = client.post(
        "/oauth/token",
        headers={"Authorization": f"Basic {basic}"},
        data={"grant_type": "client_credentials", "scope": "catalogue:admin"},
    )
    assert (more.status_code, more.json["error"]) == (400, "invalid_scope")
