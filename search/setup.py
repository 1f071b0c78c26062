"""Choose and build the search backend from the settings (composition helper)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from search.backend import SearchBackend
from search.elasticsearch.backend import ElasticsearchBackend
from search.embedded import EmbeddedBackend


def make_backend(settings: Mapping[str, Any]) -> SearchBackend:
    """The embedded engine in ``<INSTANCE_PATH>/search-index`` unless
    ``ELASTICSEARCH_URL`` is set (the Elasticsearch backend plugs in here)."""
    if settings.get("ELASTICSEARCH_URL"):
        return ElasticsearchBackend.from_settings(settings)
    return EmbeddedBackend(Path(settings["INSTANCE_PATH"]))
