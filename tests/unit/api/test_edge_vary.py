"""``api.edge.vary``: each field name added once, compared whole (not as a substring)."""

from __future__ import annotations

from flask import Response

from api.edge import vary


def test_accept_is_not_taken_for_accept_language():
    response = Response("{}")
    vary(response, "Accept-Language")
    vary(response, "Accept")
    assert response.headers["Vary"] == "Accept-Language, Accept"


def test_a_name_already_there_in_any_case_is_not_added_again():
    response = Response("{}", headers={"Vary": "accept ,Origin"})
    vary(response, "Accept, Authorization, origin")
    assert response.headers["Vary"] == "accept ,Origin, Authorization"
