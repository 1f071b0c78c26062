"""Tillit refuses to start with a delegated-login configuration it cannot honour."""

from __future__ import annotations

import pytest

from api.app import create_app
from security.oidc import OIDCConfigError

PROVIDER = {
    "name": "skv",
    "agency": "202100-5448",
    "issuer": "https://login.skatteverket.example",
    "client_id": "tillit",
    "client_secret": "s3cret",
}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"OIDC_PROVIDERS": [PROVIDER | {"agency": "2021005449"}]}, "agency must be an organisation number"),
        ({"OIDC_PROVIDERS": [PROVIDER | {"agency": "2021005448"}]}, "in its canonical form"),
        ({"OIDC_PROVIDERS": [PROVIDER | {"clearance": "secret"}]}, "'secret' is not an enabled level"),
        ({"PASSWORD_LOGIN": False}, "nobody could sign in"),
        ({"OIDC_PROVIDERS": '[{"name": "skv"}]'}, r"TILLIT_OIDC_PROVIDERS\[0\]: agency is required"),
    ],
)
def test_refuses_to_start(app_settings, settings, message):
    with pytest.raises(OIDCConfigError, match=message):
        create_app(app_settings | settings)


def test_starts_with_a_valid_provider_from_the_environment(app_settings, monkeypatch):
    import json

    monkeypatch.setenv("TILLIT_OIDC_PROVIDERS", json.dumps([PROVIDER]))
    monkeypatch.setenv("TILLIT_PASSWORD_LOGIN", "false")
    app = create_app(app_settings)
    try:
        assert list(app.extensions["tillit_oidc"]) == ["skv"]
        assert app.config["PASSWORD_LOGIN"] is False
    finally:
        app.extensions["tillit"].engine.dispose()
