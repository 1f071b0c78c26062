"""Choose and build the search backend and its indexer from the settings (composition helper)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from search.backend import SearchBackend
from search.elasticsearch.backend import ElasticsearchBackend
from search.embedded import EmbeddedBackend
from search.indexer import OutboxIndexer
from search.writer import RemoteIndexer, WriterClient, WriterProcess, address_for


def make_backend(settings: Mapping[str, Any]) -> SearchBackend:
    """The embedded engine in ``<INSTANCE_PATH>/search-index`` unless
    ``ELASTICSEARCH_URL`` is set (the Elasticsearch backend plugs in here)."""
    if settings.get("ELASTICSEARCH_URL"):
        return ElasticsearchBackend.from_settings(settings)
    return EmbeddedBackend(
        Path(settings["INSTANCE_PATH"]),
        refresh=float(settings["INDEX_REFRESH"]),
        cache_size=int(settings["SEARCH_CACHE"]),
    )


def make_indexer(
    settings: Mapping[str, Any], sessions: sessionmaker[Session], backend: SearchBackend, lowest: str
) -> OutboxIndexer:
    """In process, or (``INDEX_WRITER=process``, embedded engine) through the index
    writer process that ``tillit serve`` starts (search/writer.py). Elasticsearch takes
    writes from any number of processes: it always indexes in process."""
    if settings["INDEX_WRITER"] == "process" and isinstance(backend, EmbeddedBackend):
        client = WriterClient(address_for(settings["INSTANCE_PATH"]))
        return RemoteIndexer(sessions, backend, lowest, client, revive=lambda: start_writer(settings, lowest))
    return OutboxIndexer(sessions, backend, lowest)


def start_writer(settings: Mapping[str, Any], lowest: str) -> WriterProcess:
    """Start the index writer process for these settings; return once it answers."""
    writer = WriterProcess(
        settings["DATABASE_URL"], settings["INSTANCE_PATH"], lowest, float(settings["INDEX_REFRESH"])
    )
    writer.start()
    return writer
