"""OpenAPI documents by URL (issue 18): an API entry gives ``openapi_url``; Tillit fetches
the document through the safe fetcher, checks it as an upload, keeps it with its fetch
time, and refreshes it on demand (``POST /apis/<id>/openapi/refresh``) and on a schedule
(``tillit harvest openapi-due``). Every bad URL or document is a 4xx problem naming
``openapi_url``, in words of Tillit's own.

The documents are served by a local server at 127.0.0.1, the one host the tests' outbound
rules let through over plain http (``TILLIT_OUTBOUND_HTTP_HOSTS``); every other loopback,
private or plain-http address is refused as in production.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from flask import Flask
from sqlalchemy import select, update

from catalogue.models import AuditEvent, Entry, utcnow
from tests.agencies import LANTMATERIET
from tests.factories import GDPR_TASK, MINIMAL_OPENAPI, api_payload, publish

WRITER = ("catalogue:write",)
MAX_BYTES = 20_000


class _Documents(BaseHTTPRequestHandler):
    #: path -> (status, headers, body, seconds to wait first)
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes, float]]] = {}
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        status, headers, body, delay = type(self).routes.get(self.path, (404, {}, b"", 0.0))
        time.sleep(delay)
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        return None


class _Quiet(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # a client that gave up (the slow case) is the point


@pytest.fixture
def app_settings(app_settings: dict[str, Any]) -> dict[str, Any]:
    return {
        **app_settings,
        "OUTBOUND_HTTP_HOSTS": "127.0.0.1",
        # Under 3 s, the slow document's delay, so that one is refused for sure; not 1 s, which a
        # local fetch outlasted once in a whole-suite run (a registration refused, no id).
        "OUTBOUND_TIMEOUT_SECONDS": 2.5,
        "OPENAPI_MAX_BYTES": MAX_BYTES,
    }


@pytest.fixture
def served() -> Iterator[str]:
    _Documents.routes, _Documents.hits = {}, []
    server = _Quiet(("127.0.0.1", 0), _Documents)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def serve(
    path: str, body: bytes | dict[str, Any], status: int = 200, delay: float = 0.0, **headers: str
) -> None:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    _Documents.routes[path] = (status, {"Content-Type": "application/json", **headers}, data, delay)


def register(client: Any, token_for: Any, url: str, **extra: Any) -> Any:
    payload = api_payload(openapi_url=url, **extra)
    del payload["openapi"]
    return client.post("/api/v1/apis", json=payload, headers=token_for("public", extra=WRITER))


def _registered(client: Any, token_for: Any, url: str) -> str:
    """The id of an API registered with ``url`` (the answer shown if it was not created)."""
    created = register(client, token_for, url)
    assert created.status_code == 201, created.get_data(as_text=True)
    return str(created.json["id"])


def refused(response: Any, status: int = 422) -> str:
    """The one message on ``openapi_url`` of a problem answer."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == {"openapi_url"}
    return " ".join(response.json["errors"]["openapi_url"])


def stored(app: Flask, entry_id: str) -> Entry:
    with app.extensions["tillit"].sessions() as session:
        entry = session.get(Entry, entry_id)
        assert entry is not None
        return entry


def test_a_document_by_url_is_fetched_checked_and_kept_with_its_time(client, token_for, app, served):
    serve("/openapi.json", MINIMAL_OPENAPI)
    response = register(client, token_for, f"{served}/openapi.json")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["openapi_url"] == f"{served}/openapi.json" and body["has_openapi"] is True
    assert body["openapi_fetched"] is not None
    assert [o["operation_id"] for o in body["operations"]] == ["getInkomst"]
    headers = token_for("public", extra=WRITER)
    assert client.get(f"/api/v1/apis/{body['id']}/openapi", headers=headers).json == MINIMAL_OPENAPI
    # YAML too, response codes as integers and all: kept as JSON keeps them.
    yaml_doc = (
        b"openapi: 3.0.3\ninfo: {title: Y, version: '1'}\npaths:\n  /y:\n    get:\n"
        b"      operationId: getY\n      responses:\n        200: {description: OK}\n"
    )
    serve("/openapi.yaml", yaml_doc, **{"Content-Type": "application/yaml"})
    response = register(client, token_for, f"{served}/openapi.yaml")
    assert response.status_code == 201, response.json
    document = client.get(f"/api/v1/apis/{response.json['id']}/openapi", headers=headers).json
    assert document["paths"]["/y"]["get"]["responses"] == {"200": {"description": "OK"}}


def test_an_uploaded_document_clears_the_url(client, token_for, app, served):
    serve("/openapi.json", MINIMAL_OPENAPI)
    created = register(client, token_for, f"{served}/openapi.json")
    entry_id = created.json["id"]
    headers = {**token_for("public", extra=WRITER), "If-Match": created.headers["ETag"]}
    uploaded = copy.deepcopy(MINIMAL_OPENAPI)
    uploaded["info"]["title"] = "Uploaded"
    response = client.patch(f"/api/v1/apis/{entry_id}", json={"openapi": uploaded}, headers=headers)
    assert response.status_code == 200, response.json
    entry = stored(app, entry_id)
    assert (entry.openapi_url, entry.openapi_fetched) == (None, None)
    assert entry.openapi is not None and entry.openapi["info"]["title"] == "Uploaded"
    # Both at once: which one is meant cannot be known.
    payload = api_payload(openapi_url=f"{served}/openapi.json")
    response = client.post("/api/v1/apis", json=payload, headers=token_for("public", extra=WRITER))
    assert "not both" in refused(response)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://localhost/openapi.json", "address"),  # loopback, by name
        ("https://127.0.0.2/openapi.json", "address"),  # loopback, not the named host
        ("https://10.0.0.7/openapi.json", "address"),  # private
        ("https://169.254.169.254/latest/meta-data", "address"),  # cloud metadata, link-local
        ("https://192.168.1.1:8443/openapi.json", "address"),  # private, another port
        ("http://api.example.com/openapi.json", "https"),  # plain http to an unnamed host
    ],
)
def test_addresses_the_outbound_rules_forbid_are_refused(client, token_for, app, url, says):
    message = refused(register(client, token_for, url))
    assert message.startswith("The OpenAPI document could not be fetched: ")
    assert says in message.lower()
    with app.extensions["tillit"].sessions() as session:
        assert session.scalar(select(Entry.id)) is None  # nothing written


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/openapi.json", "gopher://x/"])
def test_other_schemes_are_refused_by_the_input(client, token_for, url):
    response = register(client, token_for, url)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == {"openapi_url"}


def test_a_redirect_to_a_private_address_is_refused(client, token_for, served):
    serve("/moved", b"", status=302, Location="https://192.168.0.10/openapi.json")
    assert "address" in refused(register(client, token_for, f"{served}/moved")).lower()
    serve("/moved-local", b"", status=302, Location="https://localhost:1/openapi.json")
    assert "address" in refused(register(client, token_for, f"{served}/moved-local")).lower()


def test_too_large_slow_missing_and_unreadable_documents_are_refused(client, token_for, served):
    big = copy.deepcopy(MINIMAL_OPENAPI)
    big["info"]["description"] = "x" * (MAX_BYTES + 1)
    serve("/big.json", big)
    assert f"larger than {MAX_BYTES} bytes" in refused(register(client, token_for, f"{served}/big.json"))
    serve("/slow.json", MINIMAL_OPENAPI, delay=3.0)
    assert "in time" in refused(register(client, token_for, f"{served}/slow.json"))
    assert "did not answer 200 OK" in refused(register(client, token_for, f"{served}/missing.json"))
    serve("/secret.json", b"{TILLIT-SECRET-7f3a <html>", status=200)
    message = refused(register(client, token_for, f"{served}/secret.json"))
    assert "neither JSON nor YAML" in message and "SECRET" not in message
    # An alias bomb is refused before it is expanded.
    bomb = (
        b'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b]\n'
    )
    serve("/bomb.yaml", bomb)
    assert "without aliases" in refused(register(client, token_for, f"{served}/bomb.yaml"))
    serve("/list.json", b"[1, 2]")
    assert "not an object" in refused(register(client, token_for, f"{served}/list.json"))


def test_invalid_and_outward_pointing_documents_are_refused_as_uploads_are(client, token_for, served):
    serve("/invalid.json", {"openapi": "3.0.3", "info": {"title": "No paths, no version"}})
    assert "Not a valid OpenAPI document" in refused(register(client, token_for, f"{served}/invalid.json"))
    outward = copy.deepcopy(MINIMAL_OPENAPI)
    outward["components"] = {"schemas": {"Secret": {"$ref": f"{served}/secret-schema.json"}}}
    serve("/outward.json", outward)
    message = refused(register(client, token_for, f"{served}/outward.json"))
    assert "refers to something outside itself" in message
    assert "/secret-schema.json" not in _Documents.hits  # named, never fetched


def test_the_owner_refreshes_the_document_and_no_one_else(client, token_for, app, served):
    serve("/openapi.json", MINIMAL_OPENAPI)
    created = register(client, token_for, f"{served}/openapi.json")
    entry_id = created.json["id"]
    publish(app, entry_id)
    before = stored(app, entry_id)
    changed = copy.deepcopy(MINIMAL_OPENAPI)
    changed["paths"]["/inkomster"] = {
        "get": {"operationId": "listInkomster", "responses": {"200": {"description": "OK"}}}
    }
    serve("/openapi.json", changed)
    url = f"/api/v1/apis/{entry_id}/openapi/refresh"
    assert client.post(url).status_code == 401
    other = client.post(url, headers=token_for("public", agency=LANTMATERIET, extra=WRITER))
    assert other.status_code == 403 and other.mimetype == "application/problem+json"
    reader = client.post(url, headers=token_for("public"))
    assert reader.status_code == 403
    assert stored(app, entry_id).openapi == MINIMAL_OPENAPI  # nobody else changed it
    response = client.post(url, headers=token_for("public", extra=WRITER))
    assert response.status_code == 200, response.json
    assert sorted(o["operation_id"] for o in response.json["operations"]) == ["getInkomst", "listInkomster"]
    after = stored(app, entry_id)
    assert after.openapi == changed and after.status == "published"
    assert after.openapi_fetched is not None and before.openapi_fetched is not None
    assert after.openapi_fetched >= before.openapi_fetched and after.revision == before.revision + 1
    with app.extensions["tillit"].sessions() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entry_id == entry_id, AuditEvent.decision == "allow")
        ).all()
    assert "entry.update" in actions
    # A document that no longer passes leaves the stored one as it was.
    serve("/openapi.json", {"openapi": "3.0.3"})
    assert "Not a valid OpenAPI document" in refused(
        client.post(url, headers=token_for("public", extra=WRITER))
    )
    assert stored(app, entry_id).openapi == changed
    # An API whose document was uploaded has nothing to refresh; a dataset is no API.
    uploaded = client.post("/api/v1/apis", json=api_payload(), headers=token_for("public", extra=WRITER))
    conflict = client.post(
        f"/api/v1/apis/{uploaded.json['id']}/openapi/refresh", headers=token_for("public", extra=WRITER)
    )
    assert conflict.status_code == 409 and conflict.mimetype == "application/problem+json"
    missing = client.post(
        "/api/v1/apis/00000000-0000-0000-0000-000000000000/openapi/refresh",
        headers=token_for("public", extra=WRITER),
    )
    assert missing.status_code == 404


def test_the_schedule_refreshes_what_is_due(client, token_for, app, served, run_cli, monkeypatch):
    serve("/a.json", MINIMAL_OPENAPI)
    serve("/b.json", MINIMAL_OPENAPI)
    a, b = (_registered(client, token_for, f"{served}/{name}.json") for name in ("a", "b"))
    with app.extensions["tillit"].sessions() as session:
        session.execute(
            update(Entry).where(Entry.id == a).values(openapi_fetched=utcnow() - timedelta(hours=25))
        )
        session.execute(
            update(Entry).where(Entry.id == b).values(openapi_fetched=utcnow() - timedelta(hours=30))
        )
        session.commit()
    changed = copy.deepcopy(MINIMAL_OPENAPI)
    changed["info"]["title"] = "Refreshed"
    serve("/a.json", changed)
    serve("/b.json", b"not a document")
    monkeypatch.setenv("TILLIT_OUTBOUND_HTTP_HOSTS", "127.0.0.1")
    result = run_cli("harvest", "openapi-due", "--json")
    assert result.exit_code == 0, result.output
    outcomes = {o["entry"]: o["error"] for o in map(json.loads, result.output.splitlines())}
    assert outcomes[a] is None
    assert outcomes[b] is not None and outcomes[b].startswith("openapi_url: ")
    assert stored(app, a).openapi == changed and stored(app, b).openapi == MINIMAL_OPENAPI
    # b stays due (its copy is still old), a is not; nothing else is.
    result = run_cli("harvest", "openapi-due", "--json")
    assert [json.loads(line)["entry"] for line in result.output.splitlines()] == [b]
    monkeypatch.setenv("TILLIT_OPENAPI_REFRESH_HOURS", "0")
    assert run_cli("harvest", "openapi-due").exit_code == 2


def test_a_fetched_document_waiting_for_review_keeps_its_fetch_time(client, token_for, app, served):
    """A change of a published API that touches a reviewed field waits for an officer,
    its fetched document and fetch time with it (kept in the review's JSON)."""
    serve("/openapi.json", MINIMAL_OPENAPI)
    created = register(client, token_for, f"{served}/openapi.json")
    entry_id = created.json["id"]
    publish(app, entry_id)
    etag = client.get(f"/api/v1/apis/{entry_id}", headers=token_for("public", extra=WRITER)).headers["ETag"]
    changed = copy.deepcopy(MINIMAL_OPENAPI)
    changed["info"]["title"] = "Reviewed"
    serve("/v2.json", changed)
    response = client.patch(
        f"/api/v1/apis/{entry_id}",
        json={"openapi_url": f"{served}/v2.json", "legal_basis": [GDPR_TASK]},
        headers={**token_for("public", extra=WRITER), "If-Match": etag},
    )
    assert response.status_code == 202, response.json
    fetched_then = utcnow()
    assert stored(app, entry_id).openapi == MINIMAL_OPENAPI  # not applied yet
    serve("/v2.json", {"openapi": "3.0.3"})  # what the URL says later changes nothing
    publish(app, entry_id)
    entry = stored(app, entry_id)
    assert entry.openapi == changed and entry.openapi_url == f"{served}/v2.json"
    assert entry.openapi_fetched is not None and entry.openapi_fetched <= fetched_then
