"""TILLIT_ACCESS_FOUR_EYES=false: the officer who assessed a request may decide it."""

from __future__ import annotations

import pytest

from api.config import load_settings
from tests.integration.test_access_story import _assessed


@pytest.fixture
def app_settings(app_settings):
    return {**app_settings, "ACCESS_FOUR_EYES": False}


def test_the_assessor_decides_when_four_eyes_is_off(client, app, token_for):
    request_id, officer = _assessed(client, app, token_for)
    token_for("sensitive", extra=("catalogue:review", "catalogue:audit"))  # a second officer exists
    decision = {"decision": "refuse", "reason": "Not needed."}
    decided = client.post(f"/api/v1/access-requests/{request_id}/decision", json=decision, headers=officer)
    assert decided.status_code == 200 and decided.json["state"] == "refused"


def test_the_setting_is_a_boolean(monkeypatch):
    monkeypatch.setenv("TILLIT_ACCESS_FOUR_EYES", "false")
    assert load_settings()["ACCESS_FOUR_EYES"] is False
    monkeypatch.setenv("TILLIT_ACCESS_FOUR_EYES", "sometimes")
    with pytest.raises(ValueError, match="TILLIT_ACCESS_FOUR_EYES"):
        load_settings()
