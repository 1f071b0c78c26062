"""Revocation between processes: two apps on one database stand for two gunicorn
workers. The one that revokes refuses the token at once; the other refuses it once
it has reloaded the deny-list (TILLIT_REVOCATION_SYNC_SECONDS)."""

from __future__ import annotations

import pytest

from api.app import create_app
from tests.conftest import SKATTEVERKET, fetch_token, register_client
from tests.security.conftest import bearer
from tests.security.people import basic

pytestmark = pytest.mark.both_databases  # two apps on one database: what one commits, the other reads


def test_a_token_revoked_by_one_worker_is_refused_by_the_others(app, client, app_settings):
    eager = create_app({**app_settings, "REVOCATION_SYNC_SECONDS": 0})
    lazy = create_app({**app_settings, "REVOCATION_SYNC_SECONDS": 3600})
    try:
        creds = register_client(app, SKATTEVERKET, ["catalogue:read:internal"])
        token = fetch_token(client, *creds)
        for worker in (eager, lazy):
            assert worker.test_client().get("/api/v1/datasets", headers=bearer(token)).status_code == 200

        assert client.post("/oauth/revoke", data={"token": token}, headers=basic(*creds)).status_code == 200

        assert client.get("/api/v1/datasets", headers=bearer(token)).status_code == 401
        refused = eager.test_client().get("/api/v1/datasets", headers=bearer(token))
        assert (refused.status_code, refused.json["detail"]) == (401, "The access token has been revoked.")
        # The lazy worker still trusts its last reload: the documented window...
        assert lazy.test_client().get("/api/v1/datasets", headers=bearer(token)).status_code == 200
        # ...which closes at its next reload.
        lazy.extensions["tillit"].deny_list.sync()
        assert lazy.test_client().get("/api/v1/datasets", headers=bearer(token)).status_code == 401
    finally:
        for worker in (eager, lazy):
            ext = worker.extensions["tillit"]
            if ext.search is not None:
                ext.search.close()
            ext.engine.dispose()
