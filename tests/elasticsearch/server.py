"""A throw-away Elasticsearch backend on the server at TILLIT_ELASTICSEARCH_URL.

Each backend gets its own index prefix, so runs never touch a deployment's
indices (or each other's); its indices and templates are removed afterwards.
Without the variable every user of :func:`elasticsearch_backend` skips.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest
from elasticsearch import Elasticsearch, NotFoundError

from search.elasticsearch.backend import ElasticsearchBackend
from search.elasticsearch.mapping import IndexNames

URL_VARIABLE = "TILLIT_ELASTICSEARCH_URL"
SKIP_REASON = "TILLIT_ELASTICSEARCH_URL is not set: no Elasticsearch server here"
LEVELS = ("public", "internal", "sensitive")

requires_elasticsearch = pytest.mark.skipif(not os.environ.get(URL_VARIABLE), reason=SKIP_REASON)


def server_url() -> str:
    url = os.environ.get(URL_VARIABLE)
    if not url:
        pytest.skip(SKIP_REASON)
    return url


def drop_everything(client: Elasticsearch, names: IndexNames) -> None:
    client.options(ignore_status=404).indices.delete(
        index=names.pattern, expand_wildcards="all", allow_no_indices=True
    )
    for delete, name in (
        (client.indices.delete_index_template, names.index_template),
        (client.cluster.delete_component_template, names.settings_component),
        (client.cluster.delete_component_template, names.mappings_component),
    ):
        with suppress(NotFoundError):
            delete(name=name)


@contextmanager
def elasticsearch_backend(
    levels: tuple[str, ...] = LEVELS, *, ensure: bool = True
) -> Iterator[ElasticsearchBackend]:
    url = server_url()
    prefix = f"tillit-test-{uuid.uuid4().hex[:12]}"
    backend = ElasticsearchBackend.from_url(url, levels, prefix=prefix)
    try:
        if ensure:
            backend.ensure()
        yield backend
    finally:
        drop_everything(backend.client, backend.names)
        backend.close()
