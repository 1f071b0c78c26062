"""Property: for any identity, "visible in the DCAT-AP export" == "visible in a list",
and "whole in the export" == "whole in the list" (== ``policy.can_read``).

The export (dcat.export) builds its pages from the entry service's list with the caller's
identity; this proves that nothing between the list and the graph adds or drops an entry,
or shows more of one, for random callers over every (publisher, classification, listing
level, status) combination (tests/security/test_visibility_property.py proves the list
equals the policy).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from rdflib import URIRef
from rdflib.namespace import RDF

from api.wiring import Services
from catalogue.models import Entry
from dcat.terms import DCAT, PROFILES
from security import policy
from security.identity import build_identity
from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.security.conftest import PAIRS, identities, make_entry

pytestmark = pytest.mark.both_databases  # the listing's SQL, for random identities

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


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(who=identities)
def test_export_equals_list_equals_policy(app, pool, who):
    ext = app.extensions["tillit"]
    identity = build_identity(ext.scheme, subject="prop", **who)
    with ext.sessions() as session:
        services = Services(ext, session)
        listed = {v.entry.id: v.full for v in services.entries.list_entries(identity, per_page=100).items}
        graph = services.dcat.catalog_page(identity, page=1, per_page=100, profile=PROFILES["dcat-ap"]).graph
        exported = {str(s).rsplit("/", 1)[-1] for s in graph.subjects(RDF.type, DCAT.Dataset)}
        assert exported == set(listed)
        for entry_id in pool:
            entry = session.get(Entry, entry_id)
            assert entry is not None
            expected = policy.can_list(identity, entry.facts) and entry.status != policy.RETIRED
            assert (entry_id in exported) == expected
            if entry_id in exported:
                # Keywords are a whole-entry field: present exactly where the list shows it whole.
                subject = URIRef(f"{ext.dcat.base}/api/v1/datasets/{entry_id}")
                whole = (subject, DCAT.keyword, None) in graph
                assert whole == listed[entry_id] == policy.can_read(identity, entry.facts)
