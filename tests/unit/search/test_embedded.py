"""The embedded engine's own encodings: access tokens and facet combinations."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from pathlib import Path

import pytest

from search import tantivy_facets
from search.backend import SearchQuery
from search.embedded import EmbeddedBackend
from search.tantivy_query import visible_access_terms
from search.tantivy_shape import access_tokens
from security.policy import OPEN_STATUSES, STATUSES, EntryFacts, ReadFilter
from tests.contract.docs import make_doc

LEVELS = ("public", "internal", "sensitive")
AGENCIES = ("202100-5448", "974761076")


def _subsets(values):
    return [frozenset(c) for n in range(len(values) + 1) for c in itertools.combinations(values, n)]


def test_access_terms_are_exactly_the_read_filter_and_status_filter():
    """Every read filter × status filter × document labels: the term set matches
    the document ⇔ the policy lists it and its status is among those asked for."""
    status_filters = [None, frozenset(s for s in STATUSES if s != "retired"), frozenset({"draft"})]
    for levels, open_statuses, own, statuses in itertools.product(
        _subsets(LEVELS), [OPEN_STATUSES, frozenset()], (None, *AGENCIES), status_filters
    ):
        rf = ReadFilter(levels, open_statuses, own)
        terms = set(visible_access_terms(rf, statuses))
        for listing, status, publisher in itertools.product(LEVELS, STATUSES, AGENCIES):
            doc = {"listing_level": listing, "status": status, "publisher": publisher}
            facts = EntryFacts(
                publisher=publisher, classification=listing, listing_level=listing, status=status
            )
            expected = rf.matches(facts) and (statuses is None or status in statuses)
            assert bool(terms & set(access_tokens(doc))) == expected, (rf, statuses, doc)


@pytest.fixture
def backend(tmp_path: Path):
    b = EmbeddedBackend(tmp_path / "instance")
    b.upsert(
        [
            make_doc(f"e{i}", f"Titel {i}", themes=[f"T{i % 7}", f"T{i % 5}"], formats=[f"F{i % 3}"],
                     legal_basis=[f"2009:{i % 4}"], classification=LEVELS[i % 3], personal_data=i % 2 == 0)
            for i in range(60)
        ]
    )  # fmt: skip
    yield b
    b.close()


def test_many_combinations_fall_back_to_exact_counts(backend, monkeypatch):
    rf = ReadFilter(frozenset({"public", "internal"}), OPEN_STATUSES, None)
    combined = backend.search(rf, SearchQuery())
    monkeypatch.setattr(tantivy_facets, "COMBO_FACET_SIZE", 2)  # fewer buckets than combinations
    exact = backend.search(rf, SearchQuery())
    assert combined.facets == exact.facets
    readable = [i for i in range(60) if LEVELS[i % 3] != "sensitive"]
    expected = Counter(t for i in readable for t in {f"T{i % 7}", f"T{i % 5}"})
    assert {f.value: f.count for f in exact.facets["theme"]} == expected
    assert {f.value: f.count for f in exact.facets["legal_basis"]} == Counter(
        f"2009:{i % 4}" for i in readable
    )


def test_a_search_with_facets_does_not_wait_for_the_index_writer(backend):
    """The top-hits pass runs on helper threads beside the facet pass; taking them
    never waits for the writer's lock (held through every commit and rebuild)."""
    rf = ReadFilter(frozenset(LEVELS), OPEN_STATUSES, None)
    expected = backend.search(rf, SearchQuery(text="titel"))
    answered: list = []
    with backend._write_lock:  # a commit in progress, as far as searches can tell
        thread = threading.Thread(
            target=lambda: answered.append(backend.search(rf, SearchQuery(text="titel")))
        )
        thread.start()
        thread.join(timeout=30)
        searched_while_held = not thread.is_alive()
    thread.join()
    assert searched_while_held
    assert answered == [expected] and expected.total == 60 and expected.facets["classification"]


def test_a_closed_backend_answers_on_the_callers_thread(backend):
    rf = ReadFilter(frozenset(LEVELS), OPEN_STATUSES, None)
    before = backend.search(rf, SearchQuery(text="titel"))
    assert backend._pool is not None  # the helpers ran the top-hits pass
    backend.close()
    assert backend.search(rf, SearchQuery(text="titel")) == before
    assert backend._pool is None  # and no pool is started again after close
