"""The standing that bounds tokens: reloaded within the interval, at once after this
process's changes, closed when it cannot be read; and what it does to an identity."""

from __future__ import annotations

from dataclasses import replace

import pytest

from security.authority import (
    Authority,
    GrantStanding,
    PersonStanding,
    Standing,
    bound_federated,
    bound_identity,
)
from security.identity import build_identity
from security.levels import DEFAULT_SCHEME
from security.tokens import InvalidToken, TokenStateUnavailable

SKV, LM = "202100-5448", "202100-4888"


class Store:
    """Stands for the database, counting reloads."""

    def __init__(self) -> None:
        self.standing = Standing(clients={"c1": SKV}, agencies={SKV: "sensitive", LM: "internal"})
        self.loads = 0
        self.broken = False

    def load(self) -> Standing:
        self.loads += 1
        if self.broken:
            raise ConnectionError("database unreachable")
        return self.standing


def test_reloaded_within_the_interval_and_at_once_after_a_change_here():
    store = Store()
    authority = Authority(store.load, sync_seconds=3600)
    first = authority.current()
    store.standing = Standing()  # changed elsewhere
    assert authority.current() is first  # the documented window
    authority.expire()  # changed here
    assert authority.current() == Standing()
    assert store.loads == 2


def test_a_reload_that_finds_nothing_changed_keeps_the_same_object():
    store = Store()
    authority = Authority(store.load, sync_seconds=0)
    first = authority.current()
    store.standing = Standing(clients=dict(first.clients), agencies=dict(first.agencies))
    assert authority.current() is first  # identities bounded by it stay valid
    assert store.loads == 2


def test_an_unreadable_standing_fails_closed_until_a_reload_succeeds():
    store = Store()
    authority = Authority(store.load, sync_seconds=3600)
    authority.current()
    store.broken = True
    authority.expire()
    for _ in range(2):  # not only the first request after the failure
        with pytest.raises(TokenStateUnavailable) as refused:
            authority.current()
        assert isinstance(refused.value.__cause__, ConnectionError)
    store.broken = False
    assert authority.current() == store.standing


def _client(scopes: str, client_id: str = "c1", agency: str = SKV):
    return build_identity(
        DEFAULT_SCHEME,
        kind="client",
        subject=client_id,
        agency=agency,
        scopes=scopes.split(),
        client_id=client_id,
    )


def _person(scopes: str, client_id: str = "c1", agency: str = SKV):
    return build_identity(
        DEFAULT_SCHEME,
        kind="user",
        subject="u1",
        agency=agency,
        scopes=scopes.split(),
        client_id=client_id,
        person="u1",
    )


def test_nothing_withdrawn_leaves_the_identity_as_it_is():
    identity = _client("catalogue:read:sensitive catalogue:write")
    assert bound_identity(DEFAULT_SCHEME, Store().standing, identity) is identity


def test_a_lowered_clearance_caps_reading_and_keeps_the_actions():
    standing = Standing(clients={"c1": SKV}, agencies={SKV: "internal"})
    capped = bound_identity(DEFAULT_SCHEME, standing, _client("catalogue:read:sensitive catalogue:write"))
    assert (capped.clearance, capped.scopes) == ("internal", {"catalogue:read:internal", "catalogue:write"})
    assert capped.readable_levels == {"public", "internal"}


def test_a_client_token_must_name_the_agency_that_owns_the_client():
    with pytest.raises(InvalidToken, match="does not own"):
        bound_identity(DEFAULT_SCHEME, Store().standing, _client("catalogue:read:public", agency=LM))


def test_a_person_is_bounded_by_their_clearance_roles_and_the_clients_agency():
    people = {"u1": PersonStanding(LM, None, ("data_owner",))}
    # Alice of Lantmäteriet (internal) signs in through Skatteverket's client (sensitive).
    standing = Standing(clients={"c1": SKV}, agencies={SKV: "sensitive", LM: "internal"}, people=people)
    identity = _person("catalogue:read:sensitive catalogue:write catalogue:review", agency=LM)
    bounded = bound_identity(DEFAULT_SCHEME, standing, identity)
    assert bounded.scopes == {"catalogue:read:internal", "catalogue:write"}  # review: no longer her role
    people["u1"] = PersonStanding(LM, "public", ())
    bounded = bound_identity(DEFAULT_SCHEME, standing, identity)
    assert bounded.scopes == {"catalogue:read:public"}
    with pytest.raises(InvalidToken, match="account is not enabled"):
        bound_identity(DEFAULT_SCHEME, standing, _person("catalogue:read:public", agency=SKV))  # wrong agency


def test_a_capped_identity_is_still_the_same_person_from_the_same_address():
    """Capping narrows scopes only: who acts (four eyes, the audit log) stays."""
    people = {"u1": PersonStanding(SKV, "internal", ("security_officer",))}
    standing = Standing(clients={"c1": SKV}, agencies={SKV: "sensitive"}, people=people)
    identity = replace(_person("catalogue:read:sensitive catalogue:review"), address="192.0.2.7")
    capped = bound_identity(DEFAULT_SCHEME, standing, identity)
    assert capped.clearance == "internal"
    assert (capped.person, capped.subject, capped.client_id, capped.address) == (
        "u1",
        "u1",
        "c1",
        "192.0.2.7",
    )


def test_a_client_of_a_retired_agency_is_not_enabled_for_anyone():
    people = {"u1": PersonStanding(LM, None, ())}
    standing = Standing(clients={"c1": SKV}, agencies={LM: "internal"}, people=people)
    with pytest.raises(InvalidToken, match="client is not enabled"):
        bound_identity(DEFAULT_SCHEME, standing, _person("catalogue:read:public", agency=LM))


def test_federated_tokens_are_bounded_by_their_agency_only():
    standing = Standing(agencies={LM: "internal"})  # no clients, no people
    identity = _client("catalogue:read:sensitive catalogue:write", client_id="https://idp#x", agency=LM)
    assert bound_federated(DEFAULT_SCHEME, standing, identity).scopes == {
        "catalogue:read:internal",
        "catalogue:write",
    }
    with pytest.raises(InvalidToken):
        bound_federated(DEFAULT_SCHEME, standing, _client("catalogue:read:public", agency=SKV))


def test_a_grant_scope_counts_only_while_active_and_only_for_the_client_it_names():
    grants = {"grant:g1": GrantStanding(SKV, "c1")}
    standing = Standing(clients={"c1": SKV, "c2": SKV}, agencies={SKV: "sensitive"}, grants=grants)
    held = _client("catalogue:read:public grant:g1")
    assert bound_identity(DEFAULT_SCHEME, standing, held) is held
    # Another client of the same agency, a grant not in the standing (revoked or expired):
    other = _client("catalogue:read:public grant:g1", client_id="c2")
    assert bound_identity(DEFAULT_SCHEME, standing, other).scopes == {"catalogue:read:public"}
    lapsed = _client("catalogue:read:public grant:g1 grant:g2")
    assert bound_identity(DEFAULT_SCHEME, standing, lapsed).scopes == {"catalogue:read:public", "grant:g1"}
    # Capping the clearance keeps a grant still held.
    capped = Standing(clients={"c1": SKV}, agencies={SKV: "public"}, grants=grants)
    assert bound_identity(DEFAULT_SCHEME, capped, _client("catalogue:read:sensitive grant:g1")).scopes == {
        "catalogue:read:public",
        "grant:g1",
    }
