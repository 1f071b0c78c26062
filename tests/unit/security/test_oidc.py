import json

import pytest

from security.oidc import ClaimRefused, OIDCConfigError, parse_oidc_providers

OWN = "https://tillit.example"
BASE = {
    "name": "skv",
    "label": "Skatteverket",
    "agency": "202100-5448",
    "issuer": "https://login.skatteverket.example",
    "client_id": "tillit",
    "client_secret": "s3cret",
    "claims": {"roles": "groups"},
    "role_map": {"owners": ["data_owner"]},
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"issuer": "http://login.example"}, "issuer must be an https:// URL"),
        ({"issuer": OWN}, "cannot be Tillit itself"),
        ({"issuer": "https://login.example/?tenant=x"}, "without query"),
        ({"name": "Skatteverket Login"}, "name must be 1-32"),
        ({"client_id": ""}, "client_id is required"),
        ({"client_secret": None}, "exactly one of client_secret and client_secret_env"),
        ({"client_secret_env": "X"}, "exactly one of client_secret and client_secret_env"),
        ({"scopes": ["profile"]}, "includes 'openid'"),
        ({"algorithms": ["HS256"]}, "never none or HMAC"),
        ({"algorithms": ["none"]}, "never none or HMAC"),
        ({"algorithms": []}, "algorithms must come from"),
        ({"leeway": 600}, "leeway must be 0 to 60"),
        ({"role_map": {"owners": ["owner"]}}, "must name roles among data_owner"),
        ({"claims": {}}, "role_map needs claims.roles"),
        ({"claims": {"role": "groups"}}, "unknown claims setting(s) role"),
        ({"rolemap": {}}, "unknown setting(s) rolemap"),
        ({"token_endpoint_auth_method": "none"}, "token_endpoint_auth_method must be one of"),
        ({"userinfo": "yes"}, "userinfo must be true or false"),
    ],
)
def test_invalid_configuration_refuses_to_start(change, message):
    item = {k: v for k, v in (BASE | change).items() if v is not None}
    with pytest.raises(OIDCConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_oidc_providers([item], OWN)


def test_duplicates_and_empty():
    with pytest.raises(OIDCConfigError, match="the name 'skv' appears twice"):
        parse_oidc_providers([BASE, BASE | {"issuer": "https://other.example"}], OWN)
    with pytest.raises(OIDCConfigError, match=r"the issuer .* appears twice"):
        parse_oidc_providers([BASE, BASE | {"name": "skv2"}], OWN)
    assert parse_oidc_providers("", OWN) == ()
    with pytest.raises(OIDCConfigError, match="non-empty list"):
        parse_oidc_providers("[]", OWN)
    with pytest.raises(OIDCConfigError, match="not valid JSON"):
        parse_oidc_providers("[{", OWN)
    with pytest.raises(OIDCConfigError, match="no readable file"):
        parse_oidc_providers("/nonexistent/providers.toml", OWN)


def test_files_and_secrets_from_the_environment(tmp_path):
    item = {k: v for k, v in BASE.items() if k != "client_secret"} | {"client_secret_env": "SKV_SECRET"}
    as_json = tmp_path / "providers.json"
    as_json.write_text(json.dumps({"providers": [item]}))
    (provider,) = parse_oidc_providers(str(as_json), OWN, {"SKV_SECRET": "from-env"})
    assert provider.client_secret == "from-env" and "from-env" not in repr(provider)
    with pytest.raises(OIDCConfigError, match="SKV_SECRET is empty or unset"):
        parse_oidc_providers(str(as_json), OWN, {})
    as_toml = tmp_path / "providers.toml"
    as_toml.write_text(
        '[[providers]]\nname = "skv"\nagency = "202100-5448"\nissuer = "https://login.skatteverket.example"\n'
        'client_id = "tillit"\nclient_secret_env = "SKV_SECRET"\n'
        '[providers.claims]\nroles = "realm_access.roles"\nagency = "orgnr"\n'
        '[providers.role_map]\nofficers = ["security_officer"]\n'
    )
    (provider,) = parse_oidc_providers(str(as_toml), OWN, {"SKV_SECRET": "x"})
    assert provider.scopes == ("openid", "profile", "email")
    assert provider.roles_of({"realm_access": {"roles": ["officers", "x"]}}) == ("security_officer",)


def test_claim_mapping():
    (provider,) = parse_oidc_providers(
        [BASE | {"role_map": {"owners": ["data_owner"], "admins": ["admin", "auditor"]}}], OWN
    )
    assert provider.roles_of({"groups": "owners, admins"}) == ("data_owner", "auditor", "admin")
    assert provider.roles_of({"groups": {"owners": True}}) == ()
    person = provider.map_claims({"sub": "abc", "groups": ["owners"]})
    assert (person.subject, person.username, person.name, person.email) == ("abc", "abc", "abc", None)
    with pytest.raises(ClaimRefused):
        provider.map_claims({"sub": 12345})
    (strict,) = parse_oidc_providers(
        [BASE | {"claims": {"roles": "groups", "agency": "org", "agency_prefix": "0192:"}}], OWN
    )
    assert strict.map_claims({"sub": "a", "org": "2021005448"}).subject == "a"
    with pytest.raises(ClaimRefused, match="another organisation"):
        strict.map_claims({"sub": "a", "org": "202100-4888"})
