"""``tillit users`` and ``tillit clients``: an agency in any common form, ids printed."""

from __future__ import annotations

import json

from tests.agencies import LANTMATERIET, SKATTEVERKET
from tests.security.people import make_user


def test_users_list_prints_ids_and_takes_the_agency_in_any_form(app, run_cli):
    anna = make_user(app, "anna", agency=SKATTEVERKET)
    make_user(app, "olof", agency=LANTMATERIET)
    for form in ("2021005448", "SE2021005448", SKATTEVERKET):
        listed = json.loads(run_cli("users", "list", "--agency", form, "--json").output)
        assert [(u["id"], u["username"]) for u in listed] == [(anna, "anna")]


def test_a_bad_organisation_number_is_a_clear_usage_error(run_cli):
    for command in (("users", "list"), ("clients", "list")):
        result = run_cli(*command, "--agency", "202100-5449")  # a wrong check digit
        assert result.exit_code == 2
        assert "Invalid value for '--agency'" in result.output
        assert "5449" not in result.output.split("--agency")[-1]  # the value is not echoed


def test_clients_create_stores_the_canonical_number(run_cli):
    scopes = "catalogue:read:public"
    made = run_cli(
        "clients", "create", "--agency", "2021005448", "--name", "App", "--scopes", scopes, "--json"
    )
    assert made.exit_code == 0, made.output
    client_id = json.loads(made.output)["client_id"]
    listed = json.loads(run_cli("clients", "list", "--agency", "2021005448", "--json").output)
    assert [c["agency"] for c in listed if c["client_id"] == client_id] == [SKATTEVERKET]
