"""A large OpenAPI document is validated before the write transaction opens: while
one agency registers it, other agencies read, write and get tokens (issue 13: a
1.9 MB document once held SQLite's write lock for 15 s, so they got 503 and 500)."""

from __future__ import annotations

import base64
import threading
from typing import Any

import pytest
import requests

from tests.conftest import LANTMATERIET, SKATTEVERKET, register_client
from tests.factories import api_payload, dataset_payload

WRITER = ("catalogue:write",)
#: Schemas that each refer to the one before: valid, and seconds of validation
#: (past SQLite's busy_timeout of 10 s when it was done under the write lock).
SCHEMAS = 2500


@pytest.fixture
def app_settings(app_settings: dict[str, Any]) -> dict[str, Any]:
    return {
        **app_settings,
        "OPENAPI_MAX_BYTES": 4 * 1024 * 1024,
        "OPENAPI_MAX_OPERATIONS": 10_000,
        "OPENAPI_VALIDATION_SECONDS": 600,  # it is meant to be slow, and valid
        # Validated in a child process, the upload no longer slows the other rounds:
        # more than 60 token requests a minute now fit in it.
        "RATE_LIMIT_TOKEN": "10000/minute",
    }


def large_document() -> dict[str, Any]:
    schemas = {
        f"S{i}": {
            "type": "object",
            "properties": {f"p{j}": {"$ref": f"#/components/schemas/S{max(i - 1, 0)}"} for j in range(5)},
        }
        for i in range(SCHEMAS)
    }
    ok = {"responses": {"200": {"description": "OK"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Large", "version": "1"},
        "paths": {f"/things{i}": {"get": ok} for i in range(200)},
        "components": {"schemas": schemas},
    }


def test_others_read_write_and_get_tokens_while_a_large_document_is_registered(
    app, client, token_for, server
):
    uploader = token_for("public", agency=SKATTEVERKET, extra=WRITER)
    other = token_for("sensitive", agency=LANTMATERIET, extra=WRITER)
    # A sensitive entry: every read of it writes an audit event before it is answered.
    created = client.post(
        "/api/v1/datasets",
        json=dataset_payload(publisher=LANTMATERIET, classification="sensitive"),
        headers=other,
    )
    assert created.status_code == 201, created.json
    entry = created.json["id"]
    client_id, secret = register_client(app, LANTMATERIET, ["catalogue:read:public"])
    basic = {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}

    uploaded: dict[str, Any] = {}

    def upload() -> None:
        response = requests.post(
            f"{server}/api/v1/apis", json=api_payload(openapi=large_document()), headers=uploader, timeout=600
        )
        uploaded["status"] = response.status_code
        uploaded["body"] = response.text[:500]

    thread = threading.Thread(target=upload)
    thread.start()
    statuses: list[tuple[str, int]] = []
    rounds_during_upload = 0
    with requests.Session() as http:
        while thread.is_alive():
            read = http.get(f"{server}/api/v1/datasets/{entry}", headers=other, timeout=60)
            write = http.post(
                f"{server}/api/v1/datasets",
                json=dataset_payload(publisher=LANTMATERIET),
                headers=other,
                timeout=60,
            )
            token = http.post(
                f"{server}/oauth/token", data={"grant_type": "client_credentials"}, headers=basic, timeout=60
            )
            statuses += [
                ("read", read.status_code),
                ("write", write.status_code),
                ("token", token.status_code),
            ]
            if thread.is_alive():
                rounds_during_upload += 1
    thread.join()
    assert uploaded["status"] == 201, uploaded["body"]
    # The scenario happened: whole rounds were answered while the upload was in flight.
    assert rounds_during_upload >= 1
    assert set(statuses) <= {("read", 200), ("write", 201), ("token", 200)}, statuses
