"""``tillit access requests --json`` and ``tillit access grants --json`` name the statute of
each legal basis beside its reference, as ``/api/v1/access-requests`` and ``/api/v1/grants``
do, from the same code (``StatuteService.name_bases``), in the language of ``--lang`` (the
API's ``?lang=``; without either, the statute's official language)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SKATTEETATEN, SKATTEVERKET, register_client
from tests.integration.test_access_statute_names import OSL, PROCESSING
from tests.integration.test_access_story import SKATTEETATEN_PROCESSING, granted_through_the_api
from tests.integration.web.test_access_statutes import SKTBL


@pytest.fixture
def granted(client, app, token_for):
    """(request id, grant id, the provider's officer)."""
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    done = granted_through_the_api(
        client, app, token_for, system[0], processing_basis=[SKATTEETATEN_PROCESSING, SKTBL]
    )
    return done["request"], done["grant"], done["decider"]


def _lines(run_cli, *args: str) -> list[dict]:
    result = run_cli("access", *args, "--json")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def _named(bases) -> list[tuple[str, str | None]]:
    return [(b["reference"], (b.get("statute") or {}).get("name")) for b in bases]


@pytest.mark.parametrize("lang", ["sv", "en", None])
def test_the_cli_names_statutes_as_the_api_does(client, granted, run_cli, lang):
    request_id, grant_id, officer = granted
    asked = ["--lang", lang] if lang else []
    query = f"?lang={lang}" if lang else ""
    api_request = client.get(f"/api/v1/access-requests/{request_id}{query}", headers=officer).json
    api_grant = client.get(f"/api/v1/grants/{grant_id}{query}", headers=officer).json

    for args in ((SKATTEETATEN,), (SKATTEVERKET, "--incoming")):
        [line] = _lines(run_cli, "requests", *args, *asked)
        assert line["id"] == request_id
        assert line["processing_basis"] == api_request["processing_basis"]
        assert _named(line["processing_basis"]) == PROCESSING
    for args in ((SKATTEVERKET, "--direction", "given"), (SKATTEETATEN, "--direction", "received")):
        [line] = _lines(run_cli, "grants", *args, *asked)
        assert line["id"] == grant_id
        assert line["disclosure_basis"] == api_grant["disclosure_basis"]
        assert line["processing_basis"] == api_grant["processing_basis"]
        assert _named([line["disclosure_basis"]]) == [("2009:400", OSL[lang or "sv"])]
        assert line["disclosure_basis"]["statute"]["lang"] == (lang or "sv")


def test_an_unknown_language_is_refused(run_cli):
    for command in ("requests", "grants"):
        refused = run_cli("access", command, SKATTEVERKET, "--json", "--lang", "de")
        assert refused.exit_code == 2
        assert "--lang" in refused.output
