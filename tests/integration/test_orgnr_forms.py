"""An organisation number in any common form means the same agency in a body, a path
and a query string; a malformed or invalid one is a 422 with a field message, decided
from the text alone (an unknown valid number stays a 404). The numbers are real
(sources in tests/unit/catalogue/test_orgnr.py)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import LANTMATERIET, SKATTEETATEN, SKATTEVERKET
from tests.factories import create_entry, dataset_payload, publish
from tests.integration.test_entries_rules import problem

OWNER = ("catalogue:write",)
SKATTEVERKET_FORMS = ["2021005448", "202100 5448", "SE 202100-5448", "se2021005448", "162021005448"]
INVALID = [
    "202100-5449",
    "2021005449",
    "974761077",
    "0245437-3",
    "34051179",
    "12345",
    "abc",
    "SE202100544801",
]
BOLAGSVERKET = "202100-5489"  # valid, and no agency of the test app


@pytest.mark.parametrize("form", SKATTEVERKET_FORMS)
def test_an_entry_registered_with_any_form_of_its_publisher(client, token_for, form):
    created = create_entry(client, token_for("public", extra=OWNER), publisher=form)
    assert created["publisher"] == SKATTEVERKET


def test_another_agency_in_another_form_is_still_another_agency(client, token_for):
    response = client.post(
        "/api/v1/datasets",
        json=dataset_payload(publisher="2021004888"),
        headers=token_for("public", extra=OWNER),
    )
    assert "only for your own agency" in problem(response, 403)["detail"]


@pytest.mark.parametrize("number", INVALID)
def test_an_invalid_publisher_is_a_field_message(client, token_for, number):
    response = client.post(
        "/api/v1/datasets", json=dataset_payload(publisher=number), headers=token_for("public", extra=OWNER)
    )
    (message,) = problem(response, 422)["errors"]["publisher"]
    assert message.startswith("Not a valid") and number not in message


def test_lists_and_search_filter_by_any_form(app, client, token_for):
    entry = create_entry(client, token_for("public", extra=OWNER))
    publish(app, entry["id"])
    for form in [SKATTEVERKET, *SKATTEVERKET_FORMS]:
        listed = client.get(f"/api/v1/datasets?publisher={quote(form)}")
        assert [e["id"] for e in listed.json["items"]] == [entry["id"]], form
        found = client.get(f"/api/v1/search?publisher={quote(form)}")
        assert [e["id"] for e in found.json["items"]] == [entry["id"]], form
    assert client.get(f"/api/v1/datasets?publisher={LANTMATERIET}").json["items"] == []
    for number in INVALID:
        for url in ("/api/v1/datasets", "/api/v1/search"):
            (message,) = problem(client.get(f"{url}?publisher={quote(number)}"), 422)["errors"]["publisher"]
            assert number not in message


def test_other_query_strings_take_the_same_numbers(client, token_for):
    officer = token_for("internal", extra=("catalogue:review",))
    auditor = token_for("internal", extra=("catalogue:audit",))
    assert client.get("/api/v1/reviews?agency=2021005448", headers=officer).status_code == 200
    assert client.get("/api/v1/audit?agency=2021005448", headers=auditor).status_code == 200
    assert problem(client.get("/api/v1/reviews?agency=202100-5449", headers=officer), 422)["errors"]["agency"]
    assert problem(client.get("/api/v1/audit?agency=202100-5449", headers=auditor), 422)["errors"]["agency"]


@pytest.mark.parametrize(
    ("form", "orgnr"),
    [(f, SKATTEVERKET) for f in SKATTEVERKET_FORMS]
    + [("NO974761076", SKATTEETATEN), ("974 761 076", SKATTEETATEN), ("2021004888", LANTMATERIET)],
)
def test_an_agency_by_any_form_of_its_number(client, form, orgnr):
    response = client.get(f"/api/v1/agencies/{quote(form)}")
    assert response.status_code == 200, response.json
    assert response.json["orgnr"] == orgnr


@pytest.mark.parametrize("number", INVALID)
def test_an_invalid_number_in_a_path_is_a_field_message(client, token_for, number):
    admin = token_for("sensitive", extra=("catalogue:admin",))
    for method, url in [
        ("GET", f"/api/v1/agencies/{quote(number)}"),
        ("PATCH", f"/api/v1/agencies/{quote(number)}"),
        ("PUT", f"/api/v1/agencies/{quote(number)}/channels"),
    ]:
        response = client.open(url, method=method, json={}, headers=admin)
        (message,) = problem(response, 422)["errors"]["orgnr"]
        assert message.startswith("Not a valid") and number not in message


def test_an_unknown_valid_number_is_not_found(client):
    problem(client.get(f"/api/v1/agencies/{BOLAGSVERKET}"), 404)
    problem(client.get("/api/v1/agencies/2021005489"), 404)


def test_agencies_of_every_country_are_stored_in_their_canonical_form(client, token_for):
    admin = token_for("sensitive", extra=("catalogue:admin",))
    for country, given, other_form, canonical in [
        ("FI", "02454372", "FI02454372", "0245437-2"),  # Digi- ja väestötietovirasto
        ("DK", "DK 34051178", "DK34051178", "34051178"),  # Digitaliseringsstyrelsen
        ("NO", "NO 974 760 673", "974 760 673", "974760673"),  # Brønnøysundregistrene
    ]:
        body = {"orgnr": given, "country": country, "name": {"en": "An agency"}, "clearance": "internal"}
        created = client.post("/api/v1/agencies", json=body, headers=admin)
        assert created.status_code == 201, created.json
        assert created.json["orgnr"] == canonical
        assert client.get(f"/api/v1/agencies/{quote(other_form)}").json["orgnr"] == canonical
        assert client.get(f"/api/v1/agencies/{canonical}").json["orgnr"] == canonical
    # Without a country, eight digits are a CVR number (a Y-tunnus is written with its dash).
    assert problem(client.get("/api/v1/agencies/02454372"), 422)["errors"]["orgnr"][0].startswith(
        "Not a valid Danish CVR number"
    )
