"""Expiry 30 days ahead is told to both sides, once; ``tillit access`` lists an
agency's requests and grants."""

from __future__ import annotations

import importlib
import json
from datetime import date, timedelta

from tests.conftest import SKATTEETATEN, SKATTEVERKET
from tests.integration.test_access_story import (
    OFFICER,
    WRITER,
    granted_through_the_api,
)


def _grant_until(client, app, token_for, until: date) -> tuple[str, str]:
    done = granted_through_the_api(
        client, app, token_for, None, valid_until=until, consumer_xroad="NO/GOV/974761076/skatt"
    )
    return done["request"], done["grant"]


def _kinds(client, headers):
    return [n["kind"] for n in client.get("/api/v1/notifications", headers=headers).json["items"]]


def test_both_sides_hear_of_an_expiry_30_days_ahead_once(client, app, token_for, run_cli):
    _, soon = _grant_until(client, app, token_for, date.today() + timedelta(days=29))
    _, later = _grant_until(client, app, token_for, date.today() + timedelta(days=200))
    first = run_cli("access", "notify-expiring")
    assert first.exit_code == 0, first.output
    assert "Notified 1 expiring grant(s)." in first.output
    assert run_cli("access", "notify-expiring").output.strip() == "Notified 0 expiring grant(s)."
    officer = token_for("sensitive", extra=OFFICER)
    owner = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    assert _kinds(client, officer).count("grant.expiring") == 1
    assert _kinds(client, owner).count("grant.expiring") == 1
    notes = client.get("/api/v1/notifications", headers=owner).json["items"]
    assert any(soon in n["message"] for n in notes) and not any(
        later in n["message"] and n["kind"] == "grant.expiring" for n in notes
    )


def test_cli_lists_an_agencys_requests_and_grants(client, app, token_for, run_cli):
    request_id, grant_id = _grant_until(client, app, token_for, date.today() + timedelta(days=90))
    mine = run_cli("access", "requests", SKATTEETATEN, "--json")
    assert mine.exit_code == 0, mine.output
    assert [json.loads(line)["id"] for line in mine.output.splitlines()] == [request_id]
    incoming = run_cli("access", "requests", "2021005448", "--incoming")
    assert request_id in incoming.output and "1 request(s)." in incoming.output
    assert run_cli("access", "requests", SKATTEVERKET).output.strip() == "0 request(s)."
    given = run_cli("access", "grants", SKATTEVERKET, "--direction", "given", "--json")
    assert [json.loads(line)["scope"] for line in given.output.splitlines()] == [f"grant:{grant_id}"]
    assert run_cli("access", "grants", "not-a-number").exit_code == 2


def test_cli_lists_every_page(client, app, token_for, run_cli, monkeypatch):
    """Listings are fetched a page at a time (PER_PAGE); every page is printed."""
    # the module: the package's ``access`` is the click group
    monkeypatch.setattr(importlib.import_module("api.cli.access"), "PER_PAGE", 1)
    made = {_grant_until(client, app, token_for, date.today() + timedelta(days=90 + i)) for i in range(3)}
    requests = run_cli("access", "requests", SKATTEETATEN, "--json")
    assert {json.loads(line)["id"] for line in requests.output.splitlines()} == {r for r, _g in made}
    grants = run_cli("access", "grants", SKATTEVERKET, "--direction", "given")
    lines = grants.output.splitlines()
    assert {line.split()[0] for line in lines[:-1]} == {g for _r, g in made}
    assert lines[-1] == "3 grant(s)."
