"""What the OpenAPI document says, checked against what the server does (docs/openapi.md).

The document is the contract agency developers generate clients from; schemathesis
(test_schemathesis.py) checks answers against it, and these tests pin the derived parts.
"""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from api.problems import PROBLEM

METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").json


def operations(spec):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_the_document_is_valid_openapi_3_1(spec):
    assert spec["openapi"] == "3.1.0"
    OpenAPIV31SpecValidator(spec).validate()


def test_every_error_is_the_problem_schema_as_problem_json(spec):
    assert "Error" not in spec["components"]["schemas"]
    for path, method, operation in operations(spec):
        errors = {s: r for s, r in operation["responses"].items() if s != "default" and int(s) >= 400}
        assert errors and "default" not in operation["responses"], (path, method)
        for status, response in errors.items():
            response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
            assert response["content"] == {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
            assert status in ("401", "503") or operation["security"]
    problem = spec["components"]["schemas"]["Problem"]
    assert problem["properties"]["status"]["type"] == "integer"
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "instance", "errors"}


def test_errors_follow_from_each_operation_shape(spec):
    paths = spec["paths"]

    def statuses(path, method):
        return set(paths[path][method]["responses"])

    assert statuses("/api/v1/agencies", "get") == {"200", "401", "422", "503"}
    assert {"400", "403", "409", "413", "415", "422"} <= statuses("/api/v1/agencies", "post")
    entry = "/api/v1/datasets/{entry_id}"
    assert {"200", "202", "403", "404", "409", "412", "428"} <= statuses(entry, "put")
    assert {"200", "304", "404"} <= statuses(entry, "get") and "428" not in statuses(entry, "get")
    assert statuses(entry + "/submit", "post") >= {"202", "403", "404", "409"}


def test_security_per_operation_from_require_scope(spec):
    paths = spec["paths"]
    assert paths["/api/v1/agencies"]["post"]["security"] == [{"oauth2": ["catalogue:admin"]}]
    assert paths["/api/v1/audit"]["get"]["security"] == [{"oauth2": ["catalogue:audit"]}]
    assert paths["/api/v1/reviews/{review_id}/decision"]["post"]["security"] == [
        {"oauth2": ["catalogue:review"]}
    ]
    assert paths["/api/v1/datasets"]["get"]["security"] == [{}, {"oauth2": []}]
    assert all("security" in operation for _, _, operation in operations(spec))
    flows = spec["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "http://tillit.test/oauth/token"
    code = flows["authorizationCode"]
    assert code["authorizationUrl"] == "http://tillit.test/oauth/authorize"
    assert {"catalogue:read:public", "catalogue:read:sensitive", "catalogue:review"} <= set(code["scopes"])


def test_answers_have_their_real_shapes_and_headers(spec):
    paths, schemas = spec["paths"], spec["components"]["schemas"]

    def ok(path, method, status="200"):
        return paths[path][method]["responses"][status]

    for path, page in [
        ("/api/v1/agencies", "AgencyPage"),
        ("/api/v1/reviews", "ReviewPage"),
        ("/api/v1/notifications", "NotificationPage"),
        ("/api/v1/datasets/{entry_id}/readers", "ReadersPage"),
        ("/api/v1/datasets", "EntryPage"),
    ]:
        assert ok(path, "get")["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{page}"
        }
        assert set(schemas[page]["required"]) == {"total", "page", "per_page", "items"}
        assert "Link" in ok(path, "get")["headers"]
    history = ok("/api/v1/datasets/{entry_id}/classification-history", "get")
    assert history["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/HistoryItems"}
    assert "levels" in schemas["ClassificationScheme"]["properties"]
    assert ok("/api/v1/classification-scheme", "get")["content"]
    submitted = ok("/api/v1/datasets/{entry_id}/submit", "post", "202")
    assert submitted["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PendingReview"
    }
    assert {"ETag", "Location"} <= set(submitted["headers"])
    put = paths["/api/v1/datasets/{entry_id}"]["put"]
    assert {"name": "If-Match", "in": "header", "required": True}.items() <= put["parameters"][0].items()
    get = paths["/api/v1/datasets/{entry_id}"]["get"]
    # ?format= and ?profile= choose DCAT-AP RDF instead of JSON (docs/dcat.md).
    assert [p["name"] for p in get["parameters"]] == ["format", "profile", "If-None-Match"]
    assert "ETag" in get["responses"]["200"]["headers"]
    assert "Location" in ok("/api/v1/agencies", "post", "201")["headers"]


def test_operations_are_documented_on_the_api_read_alone_only(spec):
    # docs/operations.md: GET /apis/<id>, a write's answer and /operations carry them;
    # a list item (and so a search hit) never does.
    paths, schemas = spec["paths"], spec["components"]["schemas"]
    one = paths["/api/v1/apis/{entry_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/EntryDetail"} in one["oneOf"]
    assert "operations" in schemas["EntryDetail"]["properties"]
    assert "operations" not in schemas["Entry"]["properties"]
    created = paths["/api/v1/apis"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/EntryDetail"}
    listed = schemas["EntryPage"]["properties"]["items"]["items"]
    assert "EntryDetail" not in json.dumps(listed)


def test_validation_rules_are_in_the_schemas(spec):
    schemas = spec["components"]["schemas"]
    assert '"format": "url"' not in json.dumps(spec)
    title = schemas["DatasetCreate"]["properties"]["title"]
    assert title["propertyNames"] == {"enum": ["sv", "nb", "nn", "en"]}
    assert title["minProperties"] == 1 and title["additionalProperties"]["minLength"] == 1
    assert schemas["DatasetCreate"]["properties"]["themes"]["uniqueItems"] is True
    assert "JUST" in schemas["DatasetCreate"]["properties"]["themes"]["items"]["enum"]
    homepage = schemas["AgencyCreate"]["properties"]["homepage"]
    assert homepage["format"] == "uri" and homepage["pattern"] == "^(http|https)://"
    assert homepage["type"] == ["string", "null"]
    assert schemas["Entry"]["properties"]["redacted"]["const"] is False
    assert schemas["EntrySummary"]["properties"]["redacted"]["const"] is True
    assert schemas["Entry"]["properties"]["created"]["format"] == "date-time"
