"""Property: for any identity and any entry, "visible in a list" == "readable by id"
== ``policy.can_list``, and "whole entry" == ``policy.can_read``.

The list goes through SQL (``visible_clause``), the read through ``can_list`` in
Python: the property proves the two outputs of the one rule never disagree.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.compose import entry_service
from catalogue.errors import NotFound
from catalogue.models import Entry
from security import policy
from security.identity import build_identity
from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.security.conftest import PAIRS, identities, make_entry

pytestmark = pytest.mark.both_databases  # visibility compiled to SQL, for random identities

STATUSES = ("draft", "in_review", "published", "deprecated", "retired")


@pytest.fixture
def pool(app):
    """Every (publisher, classification, listing level, status) combination."""
    return [
        make_entry(app, publisher, classification, listing, status)
        for publisher in (SKATTEVERKET, LANTMATERIET)
        for classification, listing in PAIRS
        for status in STATUSES
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(who=identities, picks=st.lists(st.integers(min_value=0, max_value=10_000), min_size=5, max_size=20))
def test_list_equals_read_equals_policy(app, pool, who, picks):
    ext = app.extensions["tillit"]
    identity = build_identity(ext.scheme, subject="prop", **who)
    with ext.sessions() as session:
        service = entry_service(session, ext.scheme)
        listed: dict[str, bool] = {}
        for status in STATUSES:
            page = service.list_entries(identity, status=status, per_page=100)
            assert page.total == len(page.items)
            listed.update({view.entry.id: view.full for view in page.items})
        for pick in picks:
            entry_id = pool[pick % len(pool)]
            entry = session.get(Entry, entry_id)
            assert entry is not None
            can_list = policy.can_list(identity, entry.facts)
            can_read = policy.can_read(identity, entry.facts)
            try:
                view = service.get(identity, entry_id)
                readable, full = True, view.full
            except NotFound:
                readable, full = False, False
            assert (entry_id in listed) == readable == can_list
            assert full == can_read
            if entry_id in listed:
                assert listed[entry_id] == can_read
