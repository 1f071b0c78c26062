"""Property: "who holds this data element?" shows and counts exactly the entries
``policy.can_list`` allows, for random identities (retired entries left out), with
the authoritative sources first. An API that holds the element only through one of
its operations counts only where ``policy.can_read`` allows (docs/operations.md,
"Operations' data elements"): a summary reader learns nothing of its operations.

The holders are found in SQL (``visible_clause`` in ``DataElementService.holders``),
the decision here in Python: the property proves the two never disagree, and that
no entry above the caller's listing clearance is shown or counted.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.compose import entry_service
from catalogue.models import Entry
from catalogue.services.data_elements import DataElementService
from security import policy
from security.identity import build_identity
from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.security.conftest import PAIRS, carrying_document, identities, make_entry

pytestmark = pytest.mark.both_databases  # visibility compiled to SQL, for random identities

STATUSES = ("draft", "in_review", "published", "deprecated", "retired")


@pytest.fixture
def pool(app):
    """Every (publisher, classification, listing level, status), each holding ``income``;
    Skatteverket's as the authoritative source, Lantmäteriet's as a copy."""
    return [
        make_entry(
            app,
            publisher,
            classification,
            listing,
            status,
            data_elements=["income", "name"],
            authoritative_for=["income"] if publisher == SKATTEVERKET else [],
        )
        for publisher in (SKATTEVERKET, LANTMATERIET)
        for classification, listing in PAIRS
        for status in STATUSES
    ]


@pytest.fixture
def operated(app):
    """Every (classification, listing level, status), an API of Lantmäteriet whose
    operation (itself classified at the lowest level) carries ``income`` and the API
    not; and, published, one of Skatteverket that holds it both ways."""
    only = {
        make_entry(
            app,
            LANTMATERIET,
            classification,
            listing,
            status,
            entry_type="api",
            openapi=carrying_document("income"),
        )
        for classification, listing in PAIRS
        for status in STATUSES
    }
    both = {
        make_entry(
            app,
            SKATTEVERKET,
            classification,
            listing,
            entry_type="api",
            openapi=carrying_document("income", "name"),
            data_elements=["income"],
        )
        for classification, listing in PAIRS
    }
    return only, both


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(who=identities, per_page=st.integers(min_value=1, max_value=7))
def test_holders_show_and_count_only_what_the_caller_may_list(app, pool, operated, who, per_page):
    ext = app.extensions["tillit"]
    identity = build_identity(ext.scheme, subject="prop", **who)
    with ext.sessions() as session:
        service = DataElementService(entry_service(session, ext.scheme))
        only_by_operation, tagged_too = operated
        expected = set()
        for entry_id in [*pool, *only_by_operation, *tagged_too]:
            entry = session.get(Entry, entry_id)
            assert entry is not None
            allowed = policy.can_read if entry_id in only_by_operation else policy.can_list
            if allowed(identity, entry.facts) and entry.status != policy.RETIRED:
                expected.add(entry_id)
        shown, flags, page = [], [], 1
        while True:
            result = service.holders(identity, "income", page=page, per_page=per_page)
            assert result.total == len(expected)  # never a hidden entry in the count
            shown += [h.view.entry.id for h in result.items]
            flags += [h.authoritative for h in result.items]
            for holder in result.items:
                assert holder.view.full == policy.can_read(identity, holder.view.entry.facts)
                assert (holder.disclosure_bases is None) == (not holder.view.full)
            if page * per_page >= result.total:
                break
            page += 1
        assert len(shown) == len(set(shown)) and set(shown) == expected
        assert flags == sorted(flags, reverse=True)  # authoritative sources first
