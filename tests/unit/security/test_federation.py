import pytest

from security.federation import FederationError, parse_trusted_issuers

BASE = {
    "issuer": "https://idp.example",
    "jwks_url": "https://idp.example/jwks",
    "audience": "http://tillit.test/api/v1",
    "scope_map": {"a": ["catalogue:read:public"]},
    "agency_claim": "org",
}


@pytest.mark.parametrize(
    "change",
    [
        {"issuer": "http://tillit.test"},  # our own name
        {"jwks_url": "http://idp.example/jwks"},  # keys over plain http
        {"algorithms": ["HS256"]},
        {"algorithms": ["none"]},
        {"scope_map": None},
    ],
)
def test_invalid_configuration_refuses_to_start(change):
    with pytest.raises(FederationError):
        parse_trusted_issuers([BASE | change], "http://tillit.test")


def test_duplicates_refused_and_empty_is_nothing():
    with pytest.raises(FederationError):
        parse_trusted_issuers([BASE, BASE], "http://tillit.test")
    assert parse_trusted_issuers("", "http://tillit.test") == ()


def test_claim_mapping():
    (trusted,) = parse_trusted_issuers(
        [BASE | {"agency_claim": "consumer.ID", "agency_prefix": "0192:"}], "x"
    )
    assert trusted.agency_of({"consumer": {"ID": "0192:974761076"}}) == "974761076"
    assert trusted.agency_of({"consumer": "nope"}) is None
    assert trusted.scopes_of({"scope": "a b"}) == ["catalogue:read:public"]
