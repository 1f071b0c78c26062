"""Attack: make the server read a file or open a URL through an uploaded OpenAPI
document, get what it read back in the error, or stall every agency's writes with
a large document (issue 13)."""

from __future__ import annotations

import copy
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalogue.machinery.children.openapi import validation_problem
from tests.factories import MINIMAL_OPENAPI, api_payload

WRITER = ("catalogue:write",)
MARKER = "TILLIT-SECRET-MARKER-7f3a"
OUTSIDE = "The OpenAPI document refers to something outside itself at "
ONLY_INSIDE = ' Only references inside the document ("#/…") are accepted; nothing is fetched.'


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    """A file shaped like the signing keys, holding a marker that must never come back."""
    path = tmp_path / "signing-keys.json"
    path.write_text(json.dumps({"keys": [{"kty": "RSA", "p": MARKER}]}))
    return path


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A real local TCP listener that never accepts: a connection made to it waits in
    its backlog, so ``connected`` can tell without waiting whether anyone came."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock
    sock.close()


def connected(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def url_of(sock: socket.socket, path: str = "/keys.json") -> str:
    host, port = sock.getsockname()
    return f"http://{host}:{port}{path}"


def document(**extra: Any) -> dict[str, Any]:
    doc = copy.deepcopy(MINIMAL_OPENAPI)
    doc.update(extra)
    return doc


def upload(client, token_for, doc: dict[str, Any]):
    # Cleared only for public: the attack needs nothing more than catalogue:write.
    headers = token_for("public", extra=WRITER)
    return client.post("/api/v1/apis", json=api_payload(openapi=doc), headers=headers)


def refused(response, status: int = 422) -> list[str]:
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == status and body["type"] == "about:blank"
    assert set(body["errors"]) == {"openapi"}
    return list(body["errors"]["openapi"])


def test_file_reference_is_refused_and_never_read(client, token_for, secret_file):
    ref = f"file://{secret_file}#/keys/0/p"
    response = upload(client, token_for, document(components={"schemas": {"Key": {"$ref": ref}}}))
    assert refused(response) == [
        f'{OUTSIDE}$.components.schemas.Key["$ref"] ($ref {json.dumps(ref)}).{ONLY_INSIDE}'
    ]
    assert MARKER not in response.get_data(as_text=True)


def test_loopback_url_is_never_opened(client, token_for, listener):
    ref = url_of(listener) + "#/keys/0/p"
    response = upload(client, token_for, document(components={"schemas": {"Key": {"$ref": ref}}}))
    assert refused(response)[0].startswith(OUTSIDE + '$.components.schemas.Key["$ref"]')
    assert not connected(listener)


def test_relative_file_reference_is_refused(client, token_for):
    doc = document(components={"schemas": {"X": {"$ref": "other.yaml#/x"}}})
    assert refused(upload(client, token_for, doc)) == [
        f'{OUTSIDE}$.components.schemas.X["$ref"] ($ref "other.yaml#/x").{ONLY_INSIDE}'
    ]


def test_reference_hidden_deep_in_components_is_refused(client, token_for, secret_file, listener):
    deep = {
        "type": "object",
        "properties": {
            "a": {"type": "array", "items": {"allOf": [{"properties": {"b": {"$ref": url_of(listener)}}}]}}
        },
    }
    response = upload(client, token_for, document(components={"schemas": {"Outer": deep}}))
    assert refused(response)[0].startswith(
        OUTSIDE + '$.components.schemas.Outer.properties.a.items.allOf[0].properties.b["$ref"]'
    )
    assert not connected(listener)


@pytest.mark.parametrize(
    ("where", "doc"),
    [
        # A path item's own $ref, beside its operations.
        ('$.paths["/other"]["$ref"]', lambda url: {"paths": {"/other": {"$ref": url}}}),
        # $id moves the base URI, so that a local-looking reference would point outside.
        (
            '$.components.schemas.S["$id"]',
            lambda url: {
                "components": {"schemas": {"S": {"$id": url, "properties": {"a": {"$ref": "#/x"}}}}}
            },
        ),
        (
            '$.components.schemas.S["$schema"]',
            lambda url: {"components": {"schemas": {"S": {"$schema": url}}}},
        ),
        ("$.jsonSchemaDialect", lambda url: {"openapi": "3.1.0", "jsonSchemaDialect": url}),
        (
            "$.components.examples.E.externalValue",
            lambda url: {"components": {"examples": {"E": {"externalValue": url}}}},
        ),
        (
            "$.components.links.L.operationRef",
            lambda url: {"components": {"links": {"L": {"operationRef": url + "#/paths/~1x/get"}}}},
        ),
    ],
)
def test_every_way_of_naming_an_outside_place_is_refused(client, token_for, listener, where, doc):
    response = upload(client, token_for, document(**doc(url_of(listener))))
    assert refused(response)[0].startswith(OUTSIDE + where + " (")
    assert not connected(listener)


def test_the_validator_itself_cannot_read_a_file_or_open_a_url(secret_file, listener):
    """The second guard alone, without the scan: the validator's registry refuses
    every retrieval, and its answer quotes nothing it could have read."""
    for ref in (f"file://{secret_file}#/keys/0/p", url_of(listener) + "#/keys/0/p", "other.yaml#/x"):
        doc = document(
            openapi="3.1.0", components={"schemas": {"Key": {"$ref": ref}, "Default": {"default": 1}}}
        )
        assert validation_problem(doc) == (
            'it refers to something outside itself; only references inside it ("#/…") are accepted.'
        )
    moved = {"$id": url_of(listener, "/base/"), "type": "object", "properties": {"a": {"$ref": "k.json"}}}
    problem = validation_problem(document(openapi="3.1.0", components={"schemas": {"Moved": moved}}))
    assert problem is not None and MARKER not in problem
    assert not connected(listener)


def test_error_message_quotes_no_resolved_content():
    """A local reference resolves to a value that breaks a rule; the message gives the
    JSON path and the schema's rule, not the value (which could have been fetched)."""
    doc = document(
        components={"schemas": {"S": {"$ref": "#/x-secret/value"}}}, **{"x-secret": {"value": MARKER}}
    )
    problem = validation_problem(doc)
    assert problem is not None and MARKER not in problem


def test_oversized_document_is_413(client, token_for):
    doc = document(info={"title": "Big", "version": "1", "description": "x" * 1_500_000})
    response = upload(client, token_for, doc)
    size = len(json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode())
    assert refused(response, 413) == [f"The OpenAPI document is {size} bytes; at most 1048576 are accepted."]
    assert response.json["detail"] == "The OpenAPI document is larger than this catalogue accepts."


def test_too_many_operations_is_422(client, token_for):
    ok = {"responses": {"200": {"description": "OK"}}}
    paths = {f"/items{i}": {"get": ok} for i in range(251)} | {
        f"/others{i}": {"post": ok} for i in range(250)
    }
    assert refused(upload(client, token_for, document(paths=paths))) == [
        "The OpenAPI document has 501 operations; at most 500 are accepted."
    ]


def test_valid_document_with_local_references_is_accepted(client, token_for):
    doc = document(
        openapi="3.1.0",
        paths={
            "/things/{id}": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "get": {
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                            },
                        }
                    }
                },
            }
        },
        components={
            "parameters": {
                "Id": {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            },
            "schemas": {
                "Thing": {
                    "$schema": "https://spec.openapis.org/oas/3.1/dialect/base",
                    "type": "object",
                    "properties": {
                        "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}
                    },
                }
            },
        },
    )
    headers = token_for("public", extra=WRITER)
    response = client.post("/api/v1/apis", json=api_payload(openapi=doc), headers=headers)
    assert response.status_code == 201, response.json
    served = client.get(f"/api/v1/apis/{response.json['id']}/openapi", headers=headers)
    assert served.status_code == 200 and served.json == doc
