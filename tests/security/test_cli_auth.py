"""The people and client commands refuse what the services refuse."""

from __future__ import annotations

import json

from tests.conftest import LANTMATERIET, SKATTEVERKET


def test_users_create_list_disable(run_cli, monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", "a long enough passphrase")
    r = run_cli(
        "users", "create", "--username", "Anna", "--agency", SKATTEVERKET, "--name", "Anna A",
        "--role", "data_owner", "--password-env", "NEW_PASSWORD", "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["username"] == "anna"
    listed = json.loads(run_cli("users", "list", "--json").output)
    assert [(u["username"], u["roles"], u["disabled"]) for u in listed] == [("anna", ["data_owner"], False)]
    assert run_cli("users", "disable", "anna").exit_code == 0
    assert json.loads(run_cli("users", "list", "--json").output)[0]["disabled"] is True


def test_users_create_refuses_weak_passwords_and_clearance_above_the_agency(app, run_cli, monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", "short")
    r = run_cli(
        "users", "create", "--username", "bo", "--agency", LANTMATERIET, "--name", "Bo",
        "--password-env", "NEW_PASSWORD",
    )  # fmt: skip
    assert r.exit_code != 0 and "at least 12 characters" in r.output
    from catalogue.models import Agency

    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        session.get(Agency, LANTMATERIET).clearance = "internal"
        session.commit()
    monkeypatch.setenv("NEW_PASSWORD", "a long enough passphrase")
    r = run_cli(
        "users", "create", "--username", "bo", "--agency", LANTMATERIET, "--name", "Bo",
        "--clearance", "sensitive", "--password-env", "NEW_PASSWORD",
    )  # fmt: skip
    assert r.exit_code != 0 and "clearance" in r.output


def test_clients_create_refuses_scopes_above_the_agency(app, run_cli):
    from catalogue.models import Agency

    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        session.get(Agency, LANTMATERIET).clearance = "public"
        session.commit()
    r = run_cli(
        "clients", "create", "--agency", LANTMATERIET, "--name", "x", "--scopes", "catalogue:read:internal"
    )
    assert r.exit_code != 0 and "catalogue:read:internal" in r.output


def test_clients_register_refuses_loose_redirect_uris(run_cli):
    r = run_cli(
        "clients", "register", "--agency", SKATTEVERKET, "--name", "web", "--scopes", "catalogue:read:public",
        "--grant", "authorization_code", "--redirect-uri", "http://app.example.se/cb",
    )  # fmt: skip
    assert r.exit_code != 0 and "redirect_uris" in r.output
