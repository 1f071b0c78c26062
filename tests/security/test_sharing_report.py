"""Attacks on the sharing report (GET /api/v1/agencies/<orgnr>/sharing): it names
entries and the statutes they cite, so it must never show or count an entry above the
caller's clearance, and must answer another agency's caller the same whatever the
agency holds."""

from __future__ import annotations

import pytest

from tests.conftest import LANTMATERIET, SKATTEETATEN, SKATTEVERKET
from tests.security.conftest import LEVELS, PAIRS

WRITER = ("catalogue:write",)
OFFICER = ("catalogue:review",)
ADMIN = ("catalogue:admin",)


def _url(orgnr: str) -> str:
    return f"/api/v1/agencies/{orgnr}/sharing"


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("roles", [WRITER, OFFICER, ADMIN])
def test_only_entries_within_clearance_are_listed_or_counted(client, token_for, catalogue, level, roles):
    agency = LANTMATERIET if roles == ADMIN else SKATTEVERKET  # an administrator of another agency
    response = client.get(_url(SKATTEVERKET), headers=token_for(level, agency=agency, extra=roles))
    assert response.status_code == 200, response.json
    readable = LEVELS[: LEVELS.index(level) + 1]
    expected = {i for (classification, _listing), i in catalogue.ids.items() if classification in readable}
    body = response.json
    listed = {e["id"] for e in body["items"]}  # every entry on the first page (≤ 20)
    assert listed == expected
    assert body["total"] == len(expected) == sum(g["count"] for g in body["groups"])
    text = response.get_data(as_text=True)
    for (classification, _listing), entry_id in catalogue.ids.items():
        if classification not in readable:
            assert entry_id not in text
    if "sensitive" not in readable:
        # The sensitive entries' statutes are not counted either.
        assert all(s["entries"] <= len(expected) for g in body["groups"] for s in g["statutes"])


@pytest.mark.parametrize("roles", [WRITER, OFFICER, ()])
def test_another_agency_s_caller_gets_the_same_403_whatever_the_agency_holds(
    client, token_for, catalogue, roles
):
    headers = token_for("sensitive", agency=LANTMATERIET, extra=roles)
    full = client.get(_url(SKATTEVERKET), headers=headers)  # holds entries at every level
    empty = client.get(_url(SKATTEETATEN), headers=headers)  # holds none
    assert full.status_code == empty.status_code == 403
    assert full.json == empty.json
    assert full.headers["Content-Type"].startswith("application/problem+json")
    for entry_id in catalogue.ids.values():
        assert entry_id not in full.get_data(as_text=True)


def test_a_reader_of_the_agency_and_the_anonymous_reader_are_refused(client, token_for, catalogue):
    reader = client.get(_url(SKATTEVERKET), headers=token_for("sensitive"))
    anonymous = client.get(_url(SKATTEVERKET))
    assert reader.status_code == 403
    # Without a token the answer is the challenge every protected path gives (docs/http.md).
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    for answer in (reader, anonymous):
        for entry_id in catalogue.ids.values():
            assert entry_id not in answer.get_data(as_text=True)


@pytest.mark.parametrize("roles", [WRITER, ADMIN, ()])
def test_an_unknown_agency_is_a_404_for_everyone(client, token_for, roles):
    response = client.get(_url("202100-6297"), headers=token_for("sensitive", extra=roles))
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_a_malformed_number_is_a_422_that_does_not_echo_it(client, token_for):
    response = client.get(_url("<script>12"), headers=token_for("sensitive", extra=WRITER))
    assert response.status_code in (404, 422)
    assert "<script>" not in response.get_data(as_text=True)


def test_every_pair_is_in_the_catalogue(catalogue):
    assert set(catalogue.ids) == set(PAIRS)
