"""The app refuses to start on a scheme that strands entries at a disabled level."""

from __future__ import annotations

import copy
import json

import pytest

from api.app import create_app
from security.levels import DEFAULT_SCHEME_DATA, SchemeError
from tests.factories import create_entry

pytestmark = pytest.mark.both_databases  # the levels in use, read by SQL at start


def scheme_file(tmp_path, enabled):
    data = copy.deepcopy(DEFAULT_SCHEME_DATA)
    for level in data["levels"]:
        level["enabled"] = level["key"] in enabled
    path = tmp_path / "scheme.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_disabling_a_level_in_use_is_refused(client, token_for, app_settings, tmp_path):
    create_entry(client, token_for("sensitive", extra=("catalogue:write",)), classification="internal")
    narrower = {**app_settings, "CLASSIFICATION_SCHEME": scheme_file(tmp_path, {"public", "internal"})}
    # The test agencies are cleared for sensitive: that is a use too.
    with pytest.raises(SchemeError, match="levels still in use: sensitive"):
        create_app(narrower)
    public_only = {**app_settings, "CLASSIFICATION_SCHEME": scheme_file(tmp_path, {"public"})}
    with pytest.raises(SchemeError, match="internal, sensitive"):
        create_app(public_only)


def test_enabling_more_levels_is_fine(app_settings, tmp_path):
    wider = {
        **app_settings,
        "CLASSIFICATION_SCHEME": scheme_file(tmp_path, {"public", "internal", "sensitive", "restricted"}),
    }
    app = create_app(wider)
    scheme = app.test_client().get("/api/v1/classification-scheme").json
    assert [lvl["key"] for lvl in scheme["levels"] if lvl["enabled"]][-1] == "restricted"
    app.extensions["tillit"].engine.dispose()
