"""Ports: what the catalogue calls but does not implement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Indexer(Protocol):
    """Told after a commit that entries changed. The outbox rows written in the
    same transaction are the durable record; this call is only a nudge."""

    def changed(self, entry_ids: Sequence[str]) -> None: ...


class NullIndexer:
    def changed(self, entry_ids: Sequence[str]) -> None:
        return None
