"""An API's operations through HTTP (issue 16, docs/operations.md): read from the
document with x-classification and x-data-elements, shown on the whole API and at
/operations, following the document when it changes, and refused above the API.
Authentication mechanisms: per-type keys, shown on the whole API only."""

from __future__ import annotations

import copy
from typing import Any

from tests.factories import api_payload, create_entry, publish

WRITER = ("catalogue:write",)

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Folkeregisteret", "version": "1.0.0"},
    "paths": {
        "/personer/{id}": {
            "get": {
                "operationId": "hentPerson",
                "summary": "Hent person",
                "tags": ["person"],
                "x-data-elements": ["name", "postal-address"],
                "x-classification": "internal",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "OK"}},
            }
        },
        "/hendelser": {
            "get": {
                "operationId": "hendelser",
                "summary": "Hendelser",
                "responses": {"200": {"description": "OK"}},
            }
        },
    },
}


def _register(client, token_for, **payload: Any) -> dict[str, Any]:
    writer = token_for("sensitive", extra=WRITER)
    return create_entry(client, writer, "apis", openapi=copy.deepcopy(DOCUMENT), **payload)


def test_operations_are_shown_and_follow_the_document(client, token_for):
    writer = token_for("sensitive", extra=WRITER)
    api = _register(client, token_for, classification="internal")
    expected_first = {
        "method": "GET",
        "path": "/personer/{id}",
        "operation_id": "hentPerson",
        "summary": "Hent person",
        "tags": ["person"],
        "data_elements": ["name", "postal-address"],
        "classification": "internal",
    }
    assert api["operations"][0] == expected_first
    assert [o["operation_id"] for o in api["operations"]] == ["hentPerson", "hendelser"]
    assert api["operations"][1]["classification"] is None
    listed = client.get(f"/api/v1/apis/{api['id']}/operations", headers=writer)
    assert listed.status_code == 200
    assert listed.json == {"items": api["operations"]}

    changed = copy.deepcopy(DOCUMENT)
    del changed["paths"]["/hendelser"]
    changed["paths"]["/personer/{id}"]["get"]["x-classification"] = "public"
    changed["paths"]["/personer/{id}"]["post"] = {
        "operationId": "nyPerson",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"201": {"description": "Created"}},
    }
    current = client.get(f"/api/v1/apis/{api['id']}", headers=writer)
    patched = client.patch(
        f"/api/v1/apis/{api['id']}",
        json={"openapi": changed},
        headers={**writer, "If-Match": current.headers["ETag"]},
    )
    assert patched.status_code == 200, patched.json
    assert [(o["method"], o["operation_id"], o["classification"]) for o in patched.json["operations"]] == [
        ("GET", "hentPerson", "public"),
        ("POST", "nyPerson", None),
    ]
    again = client.get(f"/api/v1/apis/{api['id']}/operations", headers=writer).json["items"]
    assert again == patched.json["operations"]

    # Removing the document removes its operations.
    etag = client.get(f"/api/v1/apis/{api['id']}", headers=writer).headers["ETag"]
    cleared = client.patch(
        f"/api/v1/apis/{api['id']}", json={"openapi": None}, headers={**writer, "If-Match": etag}
    )
    assert cleared.status_code == 200 and cleared.json["operations"] == []


def test_an_operation_above_its_api_is_a_422_naming_it(client, token_for):
    writer = token_for("sensitive", extra=WRITER)
    document = copy.deepcopy(DOCUMENT)
    document["paths"]["/hendelser"]["get"]["x-classification"] = "sensitive"
    body = _payload(document, classification="internal")
    refused = client.post("/api/v1/apis", json=body, headers=writer)
    assert refused.status_code == 422
    assert refused.headers["Content-Type"] == "application/problem+json"
    (message,) = refused.json["errors"]["openapi"]
    assert message == (
        "At $.paths[\"/hendelser\"].get, x-classification 'sensitive' is above the API's "
        "classification 'internal': an operation may not be classified above its API."
    )


def test_unknown_elements_and_malformed_extensions_are_422(client, token_for):
    writer = token_for("sensitive", extra=WRITER)
    document = copy.deepcopy(DOCUMENT)
    document["paths"]["/hendelser"]["get"]["x-data-elements"] = ["shoe-size"]
    refused = client.post("/api/v1/apis", json=_payload(document, classification="internal"), headers=writer)
    assert refused.status_code == 422
    assert "'shoe-size'" in refused.json["errors"]["openapi"][0]
    document["paths"]["/hendelser"]["get"]["x-data-elements"] = "name"
    refused = client.post("/api/v1/apis", json=_payload(document), headers=writer)
    assert refused.status_code == 422
    assert refused.json["errors"]["openapi"][0].startswith('At $.paths["/hendelser"].get, x-data-elements')


def test_lowering_the_api_below_an_operation_is_refused(client, token_for):
    writer = token_for("sensitive", extra=WRITER)
    api = _register(client, token_for, classification="internal")
    etag = client.get(f"/api/v1/apis/{api['id']}", headers=writer).headers["ETag"]
    lowered = client.patch(
        f"/api/v1/apis/{api['id']}",
        json={"classification": "public", "legal_basis": []},
        headers={**writer, "If-Match": etag},
    )
    assert lowered.status_code == 422
    assert "above the API's classification 'public'" in lowered.json["errors"]["openapi"][0]


def test_a_summary_reader_sees_no_operations(app, client, token_for):
    api = _register(client, token_for, classification="sensitive", listing_level="internal")
    publish(app, api["id"])
    reader = token_for("internal")
    summary = client.get(f"/api/v1/apis/{api['id']}", headers=reader)
    assert summary.status_code == 200
    assert "operations" not in summary.json and "auth_mechanisms" not in summary.json
    hidden = client.get(f"/api/v1/apis/{api['id']}/operations", headers=reader)
    missing = client.get("/api/v1/apis/00000000-0000-0000-0000-000000000000/operations", headers=reader)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json == missing.json
    whole = client.get(f"/api/v1/apis/{api['id']}/operations", headers=token_for("sensitive"))
    assert len(whole.json["items"]) == 2


def test_auth_mechanisms_are_checked_per_type(client, token_for):
    writer = token_for("public", extra=WRITER)
    mechanisms = [
        {"type": "maskinporten", "scope": "folkeregister:deling/offentligmedhjemmel"},
        {
            "type": "x-road",
            "x_road": {
                "instance": "FI",
                "member_class": "GOV",
                "member_code": "0245437-2",
                "subsystem": "VTJ",
            },
        },
        {"type": "oauth2-client-credentials", "issuer": "https://auth.example.se", "scope": "read"},
    ]
    api = create_entry(client, writer, "apis", auth_mechanisms=mechanisms)
    assert api["auth_mechanisms"] == mechanisms
    for bad, field, message in [
        ({"type": "maskinporten"}, "scope", "Required for type 'maskinporten'."),
        ({"type": "oauth2-client-credentials"}, "issuer", "Required for type 'oauth2-client-credentials'."),
        ({"type": "x-road"}, "x_road", "Required for type 'x-road'."),
        ({"type": "api-key", "scope": "x"}, "scope", "Not used with type 'api-key'."),
    ]:
        response = client.post("/api/v1/apis", json=_payload(None, auth_mechanisms=[bad]), headers=writer)
        assert response.status_code == 422, bad
        assert response.json["errors"]["auth_mechanisms"]["0"][field] == [message], bad
    both = [{"type": "none"}, {"type": "mtls"}]
    response = client.post("/api/v1/apis", json=_payload(None, auth_mechanisms=both), headers=writer)
    assert response.status_code == 422
    x_road = {"type": "x-road", "x_road": {"instance": "FI"}}
    response = client.post("/api/v1/apis", json=_payload(None, auth_mechanisms=[x_road]), headers=writer)
    assert response.status_code == 422
    assert set(response.json["errors"]["auth_mechanisms"]["0"]["x_road"]) == {
        "member_class",
        "member_code",
        "subsystem",
    }


def _payload(document: dict[str, Any] | None, **over: Any) -> dict[str, Any]:
    body = api_payload(openapi=document, **over)
    if body["classification"] != "public":
        body["legal_basis"] = api_payload(classification="internal")["legal_basis"]
    return body


def test_a_document_sent_with_a_reviewed_change_takes_effect_when_approved(app, client, token_for):
    writer = token_for("sensitive", extra=WRITER)
    api = _register(client, token_for, classification="internal")
    publish(app, api["id"])
    changed = copy.deepcopy(DOCUMENT)
    changed["paths"]["/hendelser"]["get"]["x-classification"] = "sensitive"
    etag = client.get(f"/api/v1/apis/{api['id']}", headers=writer).headers["ETag"]
    # Above the API as it is, not as it will be: the proposal is checked as a whole.
    proposed = client.patch(
        f"/api/v1/apis/{api['id']}",
        json={"openapi": changed, "classification": "sensitive"},
        headers={**writer, "If-Match": etag},
    )
    assert proposed.status_code == 202, proposed.json
    pending = client.get(f"/api/v1/apis/{api['id']}/operations", headers=writer).json["items"]
    assert [o["classification"] for o in pending] == ["internal", None]
    publish(app, api["id"])
    approved = client.get(f"/api/v1/apis/{api['id']}/operations", headers=writer).json["items"]
    assert [o["classification"] for o in approved] == ["internal", "sensitive"]


def test_operations_are_on_the_api_read_alone_never_in_lists_or_search(app, client, token_for):
    # Up to TILLIT_OPENAPI_MAX_OPERATIONS per API: too large to repeat per list item
    # or search hit, and never kept in the rendering cache (docs/operations.md).
    writer = token_for("sensitive", extra=WRITER)
    api = _register(client, token_for, classification="internal")
    assert [o["operation_id"] for o in api["operations"]] == ["hentPerson", "hendelser"]
    one = client.get(f"/api/v1/apis/{api['id']}", headers=writer)
    assert one.json["operations"] == api["operations"]
    listed = client.get("/api/v1/apis?per_page=100", headers=writer)
    item = next(i for i in listed.json["items"] if i["id"] == api["id"])
    assert "operations" not in item and item["has_openapi"] is True
    app.extensions["tillit"].search.refresh()
    found = client.get("/api/v1/search?q=Folkeregisteret&per_page=100", headers=writer)
    hit = next(i for i in found.json["items"] if i["id"] == api["id"])
    assert "operations" not in hit
    # The one read after a list still has them (a cached list rendering is not reused bare).
    assert client.get(f"/api/v1/apis/{api['id']}", headers=writer).json["operations"] == api["operations"]
