"""``cited_in``: the statutes an audit event's details name, at any depth, once each."""

from __future__ import annotations

from catalogue.statutes import cited_in

OSL = {"role": "disclosure", "jurisdiction": "SE", "reference": "2009:400", "provision": "10 kap. 28 §"}
SKTFVL = {"role": "processing", "jurisdiction": "NO", "reference": "LOV-2016-05-27-14"}


def test_bases_at_any_depth_in_first_seen_order_once_each():
    details = {"grant": "g", "disclosure_basis": OSL, "processing_basis": [SKTFVL, dict(OSL)]}
    assert cited_in(details) == [("SE", "2009:400"), ("NO", "LOV-2016-05-27-14")]


def test_a_statute_itself_is_cited():
    assert cited_in({"jurisdiction": "EU", "reference": "32016R0679"}) == [("EU", "32016R0679")]


def test_nothing_else_is_a_citation():
    assert cited_in(None) == []
    assert cited_in({"request": "r", "operations": ["getInkomst"]}) == []
    assert cited_in({"jurisdiction": "SE"}) == []
    assert cited_in({"jurisdiction": "SE", "reference": 400}) == []
