"""The pure rules of access requests: flags, grant states, X-Road ids, purposes."""

from __future__ import annotations

from datetime import date

import pytest

from catalogue import access

TODAY = date(2026, 12, 5)


def _facts(**overrides):
    base = {
        "sharing_status": "shareable",
        "personal_data": True,
        "entry_special_categories": False,
        "processing_basis": [{"role": "processing"}],
        "special_elements": [],
        "unknown_operations": [],
        "operations_above_requester": [],
    }
    return access.RequestFacts(**{**base, **overrides})


def test_a_shareable_entry_with_a_processing_basis_has_no_flags():
    assert access.flags_of(_facts()) == []


@pytest.mark.parametrize(
    ("overrides", "code", "blocking"),
    [
        ({"sharing_status": "no_disclosure_basis"}, "no_disclosure_basis", True),
        ({"processing_basis": []}, "no_processing_basis", True),
        ({"unknown_operations": ["x"]}, "unknown_operations", False),
        ({"special_elements": ["health-data"]}, "special_category", False),
        ({"entry_special_categories": True}, "special_category", False),
        ({"operations_above_requester": ["getX"]}, "above_requester_clearance", False),
    ],
)
def test_each_flag_and_whether_it_blocks(overrides, code, blocking):
    (flag,) = access.flags_of(_facts(**overrides))
    assert (flag.code, flag.blocking) == (code, blocking) and flag.reason


def test_no_processing_basis_blocks_only_for_personal_data_and_blocking_flags_come_first():
    assert access.flags_of(_facts(processing_basis=[], personal_data=False)) == []
    flags = access.flags_of(
        _facts(sharing_status="no_disclosure_basis", special_elements=["h"], processing_basis=[])
    )
    assert [f.code for f in flags] == ["no_disclosure_basis", "no_processing_basis", "special_category"]
    assert [f.code for f in access.blocking(flags)] == ["no_disclosure_basis", "no_processing_basis"]


def test_grant_states():
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    assert access.grant_state(start, end, False, TODAY) == "active"
    assert access.grant_state(start, end, False, end) == "active"  # the last day counts
    assert access.grant_state(start, end, False, date(2027, 1, 1)) == "expired"
    assert access.grant_state(date(2027, 1, 1), date(2027, 2, 1), False, TODAY) == "pending"
    assert access.grant_state(start, end, True, TODAY) == "revoked"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("FI/GOV/0245437-2/consumer", True),
        ("EE/COM/12345678/sub.system_1", True),
        ("FI/GOV/0245437-2", False),
        ("FI/GOV/0245437-2/a/b", False),
        ("FI//0245437-2/a", False),
        ("FI/GOV/0245437-2/a\n", False),
        ("FI/GOV/0245 437/a", False),
    ],
)
def test_xroad_subsystem_ids(value, ok):
    assert access.is_xroad_subsystem(value) is ok


def test_purposes_are_dpv_concepts_and_a_grant_is_a_scope():
    assert all(code.startswith("dpv:") and code[4].isupper() for code in access.PURPOSES)
    assert "dpv:ServiceProvision" not in access.PURPOSES
    assert access.grant_scope("abc") == "grant:abc"
    assert access.operation_key(None, "get", "/x") == "GET /x"
    assert access.operation_key("getX", "get", "/x") == "getX"
