"""The sharing-status rule (catalogue.sharing): every status, and its edges."""

from __future__ import annotations

import pytest

from catalogue.legal import ROLES
from catalogue.sharing import DISCLOSURE, SHARING_STATUSES, sharing_status


@pytest.mark.parametrize(
    ("classification", "roles", "expected"),
    [
        # The lowest level is open, whatever it cites (a disclosure basis changes nothing).
        ("public", (), "open"),
        ("public", ("processing", "restriction"), "open"),
        ("public", ("disclosure",), "open"),
        # Above it: a disclosure basis makes it shareable, among other roles or alone.
        ("internal", ("restriction", "disclosure"), "shareable"),
        ("sensitive", ("processing", "restriction", "disclosure", "disclosure"), "shareable"),
        ("internal", ("disclosure",), "shareable"),
        # Above it without one: a restriction only, processing only, or nothing at all.
        ("internal", ("restriction",), "no_disclosure_basis"),
        ("sensitive", ("processing",), "no_disclosure_basis"),
        ("sensitive", (), "no_disclosure_basis"),
    ],
)
def test_the_rule(classification: str, roles: tuple[str, ...], expected: str) -> None:
    assert sharing_status(classification, "public", roles) == expected


def test_the_lowest_level_is_the_scheme_s_not_a_name() -> None:
    # Under a scheme whose lowest level is "open-data", "public" is above it.
    assert sharing_status("open-data", "open-data", ()) == "open"
    assert sharing_status("public", "open-data", ()) == "no_disclosure_basis"
    assert sharing_status("public", "open-data", ("disclosure",)) == "shareable"


def test_roles_may_be_a_one_shot_iterator() -> None:
    assert sharing_status("internal", "public", iter(["restriction", "disclosure"])) == "shareable"


def test_statuses_and_the_role_they_read() -> None:
    assert SHARING_STATUSES == ("open", "shareable", "no_disclosure_basis")
    assert DISCLOSURE in ROLES
