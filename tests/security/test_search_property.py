"""Property: for random identities and entries, search shows exactly what the
policy's can_list allows (and full fields only where can_read allows)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.backend import SearchFilters, SearchQuery
from search.embedded import EmbeddedBackend
from security.identity import ACTION_SCOPES, build_identity
from security.levels import DEFAULT_SCHEME
from security.policy import STATUSES, EntryFacts, can_list, can_read, read_filter
from tests.contract.docs import make_doc

LEVELS = ("public", "internal", "sensitive", "restricted")  # restricted: disabled, never matches
AGENCIES = ("202100-5448", "974761076", "202100-4888")
counter = itertools.count()


@st.composite
def entries(draw):
    out = []
    for i in range(draw(st.integers(0, 12))):
        cls = draw(st.sampled_from(LEVELS))
        listing = draw(st.sampled_from(LEVELS))
        out.append(
            make_doc(
                f"e{i}",
                f"Register {i}",
                classification=cls,
                listing_level=listing,
                status=draw(st.sampled_from(STATUSES)),
                publisher=draw(st.sampled_from(AGENCIES)),
                keywords="nyckelord",
            )
        )
    return out


identities = st.builds(
    lambda kind, agency, level, actions: build_identity(
        DEFAULT_SCHEME,
        kind=kind,
        subject="s",
        agency=agency,
        scopes=([f"catalogue:read:{level}"] if level else []) + list(actions),
    ),
    st.sampled_from(["client", "user", "anonymous", "system"]),
    st.one_of(st.none(), st.sampled_from(AGENCIES)),
    st.one_of(st.none(), st.sampled_from(LEVELS)),
    st.lists(st.sampled_from(ACTION_SCOPES), unique=True),
)


def facts(doc):
    return EntryFacts(doc["publisher"], doc["classification"], doc["listing_level"], doc["status"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=entries(), identity=identities)
def test_search_equals_policy(tmp_path_factory, docs, identity):
    backend = EmbeddedBackend(tmp_path_factory.mktemp(f"prop{next(counter)}"), writer_heap=15_000_000)
    try:
        backend.rebuild(docs)
        backend.refresh()
        rf = read_filter(identity)
        every_status = SearchFilters(status=STATUSES)
        found = backend.search(rf, SearchQuery(filters=every_status, per_page=100))
        assert {h.id for h in found.hits} == {d["id"] for d in docs if can_list(identity, facts(d))}
        assert found.total == len(found.hits)
        by_keyword = backend.search(rf, SearchQuery(text="nyckelord", filters=every_status, per_page=100))
        assert {h.id for h in by_keyword.hits} == {d["id"] for d in docs if can_read(identity, facts(d))}
        assert sum(f.count for f in found.facets.get("publisher", ())) == found.total
    finally:
        backend.close()
