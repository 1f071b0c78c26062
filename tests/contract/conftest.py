"""The ``search_backend`` fixture: every engine runs the same contract suite.

The Elasticsearch param is added next to "embedded"; it skips without
TILLIT_ELASTICSEARCH_URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from search.embedded import EmbeddedBackend


@pytest.fixture(params=["embedded"])
def search_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "embedded":
        backend = EmbeddedBackend(tmp_path / "instance")
    else:  # pragma: no cover - other engines plug in here
        raise AssertionError(request.param)
    try:
        yield backend
    finally:
        backend.close()
