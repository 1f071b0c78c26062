"""``api.app``: what the app factory settles for every JSON answer."""

from __future__ import annotations

import json


def test_json_answers_keep_the_order_they_were_built_in(client):
    # Flask sorts keys by default; ours keep the order a schema (or here the scheme's
    # as_dict) declares them in, so a reader sees key, rank, labels, ... as documented.
    level = json.loads(client.get("/api/v1/classification-scheme").data)["levels"][0]
    assert list(level) == ["key", "rank", "labels", "enabled", "description", "scope"]
