"""Fixtures of the real-server suite; everything here skips without a server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from search.elasticsearch.backend import ElasticsearchBackend
from tests.elasticsearch.server import elasticsearch_backend


@pytest.fixture
def es_backend() -> Iterator[ElasticsearchBackend]:
    with elasticsearch_backend() as backend:
        yield backend


@pytest.fixture
def search_backend(es_backend: ElasticsearchBackend) -> ElasticsearchBackend:
    """The shared contract suite's fixture name, so test_contract_es.py runs it as is."""
    return es_backend
