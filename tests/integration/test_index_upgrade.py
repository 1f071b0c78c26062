"""An upgrade that changes the embedded index's format starts the index over, and
`tillit serve` fills it from the database before it answers (no silent empty search)."""

from __future__ import annotations

from api.app import create_app
from api.cli.index import rebuild_if_needed
from search.embedded import INDEX_DIR
from tests.conftest import LANTMATERIET
from tests.searchkit import create_entry


def test_an_index_of_an_older_format_is_rebuilt_before_serving(app, app_settings, capsys):
    create_entry(app, LANTMATERIET, "Fastighetsregistret")
    ext = app.extensions["tillit"]
    assert rebuild_if_needed(app) is None  # current format: nothing to do
    ext.search.close()
    ext.engine.dispose()
    version = app_settings["INSTANCE_PATH"] + f"/{INDEX_DIR}/tillit-schema-version"
    with open(version, "w") as fh:
        fh.write("1")  # as an older Tillit left it

    # Any command may open it first (here: a second entry is registered meanwhile)...
    opened = create_app(app_settings)
    create_entry(opened, LANTMATERIET, "Fastighetsregister")
    opened.extensions["tillit"].search.close()
    opened.extensions["tillit"].engine.dispose()
    # ...the next `tillit serve` still knows the index is incomplete.
    upgraded = create_app(app_settings)
    try:
        client = upgraded.test_client()
        assert client.get("/api/v1/search?q=fastighet").json["total"] == 1  # only what came since
        assert rebuild_if_needed(upgraded) == 2
        assert "rebuilding" in capsys.readouterr().out
        hits = client.get("/api/v1/search?q=fastighet").json["items"]
        assert sorted(h["title"]["sv"] for h in hits) == ["Fastighetsregister", "Fastighetsregistret"]
        assert rebuild_if_needed(upgraded) is None  # once
    finally:
        upgraded.extensions["tillit"].search.close()
        upgraded.extensions["tillit"].engine.dispose()
