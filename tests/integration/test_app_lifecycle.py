"""An app, once closed (``Tillit.close``), is freed: nothing process-wide keeps it.

Every listener on the session factory refers back to the app, and SQLAlchemy keeps
a factory's listeners in a process-wide registry; before ``catalogue.db.listen``
each app the suite built stayed in memory (~15,000 objects a test), and every full
garbage collection of a late test took seconds.
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

from tests.conftest import running_app


def test_a_closed_app_is_freed(app_settings: dict[str, Any]) -> None:
    with running_app(app_settings) as app:
        client = app.test_client()
        assert client.get("/api/v1/datasets").status_code == 200
        assert client.get("/api/v1/openapi.json").status_code == 200
        freed = weakref.ref(app)
        del app, client
    gc.collect()
    assert freed() is None
