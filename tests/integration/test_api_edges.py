"""Bad input of every kind, agencies, the public documents, health and the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from openapi_spec_validator import validate

from api.cli import main
from tests.conftest import SKATTEVERKET
from tests.factories import dataset_payload
from tests.integration.test_entries_rules import problem

WRITER = ("catalogue:write",)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "field"),
    [
        (b'{"title": ', "application/json", 400, "body"),
        (b'{"title": "\xff\xfe"}', "application/json", 400, "body"),
        (b"[1, 2]", "application/json", 422, "_schema"),
        (b"title=x", "application/x-www-form-urlencoded", 415, None),
        (b"<entry/>", "application/xml", 415, None),
    ],
)
def test_malformed_bodies(client, token_for, body, content_type, status, field):
    headers = {**token_for("sensitive", extra=WRITER), "Content-Type": content_type}
    response = client.post("/api/v1/datasets", data=body, headers=headers)
    payload = problem(response, status)
    if field:
        assert field in payload["errors"]


def test_oversized_body(client, token_for, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = dataset_payload(description={"sv": "x" * (limit + 10)})
    response = client.post(
        "/api/v1/datasets",
        data=json.dumps(body),
        headers={**token_for("sensitive", extra=WRITER), "Content-Type": "application/json"},
    )
    assert str(limit) in problem(response, 413)["detail"]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"title": "Inkomst"}, {"title": ["Not a valid mapping type."]}),
        ({"title": {"de": "Einkommen"}}, {"title": {"de": {"key": ["Must be one of: sv, nb, nn, en."]}}}),
        ({"title": {"sv": "  "}}, {"title": ["Give the text in at least one language (sv, nb, nn or en)."]}),
        ({"title": {"sv": "x" * 301}}, {"title": {"sv": {"value": ["Length must be between 1 and 300."]}}}),
        ({"themes": ["ECON", "ECON"]}, {"themes": ["Each theme may appear once."]}),
        (
            {"themes": ["MONEY"]},
            {
                "themes": {
                    "0": [
                        "Must be one of: AGRI, ECON, EDUC, ENER, ENVI, GOVE, HEAL, "
                        "INTR, JUST, OP_DATPRO, REGI, SOCI, TECH, TRAN."
                    ]
                }
            },
        ),
        ({"contains_personal_data": "maybe"}, {"contains_personal_data": ["Not a valid boolean."]}),
        ({"licence": "not a url"}, {"licence": ["Not a valid URL."]}),
        ({"temporal": {"start": "2020-02-30"}}, {"temporal": {"start": ["Not a valid date."]}}),
        (
            {"temporal": {"start": "2021-01-01", "end": "2020-01-01"}},
            {"temporal": {"end": ["The end must not be before the start."]}},
        ),
        (
            {"distributions": [{"format": "CSV"}]},
            {"distributions": {"0": {"access_url": ["Missing data for required field."]}}},
        ),
        (
            {"distributions": [{"access_url": "https://x.se", "byte_size": -1}]},
            {"distributions": {"0": {"byte_size": ["Must be greater than or equal to 0."]}}},
        ),
        (
            {"update_frequency": "SOMETIMES"},
            {
                "update_frequency": [
                    "Must be one of: CONT, UPDATE_CONT, DAILY, WEEKLY, "
                    "BIWEEKLY, MONTHLY, QUARTERLY, BIANNUAL, ANNUAL, "
                    "BIENNIAL, IRREG, NEVER, OTHER, UNKNOWN."
                ]
            },
        ),
        (
            {"contact_point": {"name": "Kundtjänst", "email": "not-an-email"}},
            {"contact_point": {"email": ["Not a valid email address."]}},
        ),
        ({"surprise": 1}, {"surprise": ["Unknown field."]}),
    ],
)
def test_field_errors(client, token_for, changes, errors):
    response = client.post(
        "/api/v1/datasets", json=dataset_payload(**changes), headers=token_for("sensitive", extra=WRITER)
    )
    assert problem(response, 422)["errors"] == errors


@pytest.mark.parametrize(
    "query", ["per_page=101", "per_page=0", "page=-1", "status=lost", "theme=x", "page=abc"]
)
def test_bad_query_arguments(client, query):
    response = client.get(f"/api/v1/datasets?{query}")
    assert problem(response, 422)["errors"]


def test_unknown_route_and_method(client):
    problem(client.get("/api/v1/nothing-here"), 404)
    response = client.patch("/api/v1/datasets", json={})
    problem(response, 405)
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_agencies(client, token_for):
    listing = client.get("/api/v1/agencies").json
    assert listing["total"] == 3 and {a["orgnr"] for a in listing["items"]} >= {SKATTEVERKET}
    agency = client.get(f"/api/v1/agencies/{SKATTEVERKET}")
    assert agency.json["name"]["sv"] == "Skatteverket" and agency.headers["ETag"]
    problem(client.get("/api/v1/agencies/000000-0000"), 404)

    body = {"orgnr": "2021005489", "country": "SE", "name": {"sv": "Bolagsverket"}, "clearance": "internal"}
    problem(client.post("/api/v1/agencies", json=body), 401)
    problem(client.post("/api/v1/agencies", json=body, headers=token_for("sensitive", extra=WRITER)), 403)
    admin = token_for("sensitive", extra=("catalogue:admin",))
    response = client.post("/api/v1/agencies", json=body, headers=admin)
    assert response.status_code == 201 and response.json["orgnr"] == "202100-5489"
    assert (
        "exists already" in problem(client.post("/api/v1/agencies", json=body, headers=admin), 409)["detail"]
    )
    bad = {**body, "orgnr": "202100-5488"}
    assert (
        "check digit"
        in problem(client.post("/api/v1/agencies", json=bad, headers=admin), 422)["errors"]["orgnr"][0]
    )
    wrong_level = {**body, "orgnr": "202100-6297", "clearance": "secret"}
    assert (
        "disabled"
        in problem(client.post("/api/v1/agencies", json=wrong_level, headers=admin), 422)["errors"][
            "clearance"
        ][0]
    )
    url = "/api/v1/agencies/202100-5489"
    # Changed and retired by its own administrators only (docs/security.md, "Agencies").
    problem(client.patch(url, json={"clearance": "sensitive"}, headers=admin), 403)
    admin = token_for("internal", agency="202100-5489", extra=("catalogue:admin",))
    problem(client.patch(url, json={"clearance": "sensitive"}, headers=admin), 428)
    etag = client.get(url).headers["ETag"]
    # Its own admin never raises its clearance (no one grants above their own), but may lower it.
    problem(client.patch(url, json={"clearance": "sensitive"}, headers={**admin, "If-Match": etag}), 403)
    response = client.patch(url, json={"clearance": "public"}, headers={**admin, "If-Match": etag})
    assert response.status_code == 200 and response.json["clearance"] == "public"
    stale = {**admin, "If-Match": etag}
    problem(client.patch(url, json={"name": {"sv": "Bolagsverket"}}, headers=stale), 412)
    response = client.delete(url, headers={**admin, "If-Match": response.headers["ETag"]})
    assert response.status_code == 200 and response.json["retired"] is True


def test_public_documents(client):
    scheme = client.get("/api/v1/classification-scheme").json
    assert [lvl["key"] for lvl in scheme["levels"] if lvl["enabled"]] == ["public", "internal", "sensitive"]
    assert scheme["levels"][2]["scope"] == "catalogue:read:sensitive"
    spec = client.get("/api/v1/openapi.json").json
    validate(spec)
    assert "/api/v1/datasets/{entry_id}" in spec["paths"]
    meta = client.get("/.well-known/oauth-authorization-server").json
    assert meta["issuer"] == "http://tillit.test"
    assert meta["token_endpoint"] == "http://tillit.test/oauth/token"
    assert "client_credentials" in meta["grant_types_supported"]
    assert "catalogue:read:sensitive" in meta["scopes_supported"]
    keys = client.get("/oauth/jwks.json").json["keys"]
    assert keys and all("d" not in k and "p" not in k for k in keys)


def test_health(client):
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["database"] == "ok"


def test_cli_agencies_and_clients(app_settings, monkeypatch):
    monkeypatch.setenv("TILLIT_INSTANCE_PATH", app_settings["INSTANCE_PATH"])
    monkeypatch.setenv("TILLIT_DATABASE_URL", app_settings["DATABASE_URL"])
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "agencies",
            "create",
            "--orgnr",
            "202100-5489",
            "--name",
            "SCB",
            "--country",
            "SE",
            "--clearance",
            "internal",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["orgnr"] == "202100-5489"
    result = runner.invoke(
        main,
        [
            "clients",
            "create",
            "--agency",
            "202100-5489",
            "--name",
            "x",
            "--scopes",
            "catalogue:read:sensitive",
            "--json",
        ],
    )
    assert result.exit_code != 0 and "Not allowed for agency 202100-5489" in result.output
    result = runner.invoke(
        main,
        [
            "clients",
            "create",
            "--agency",
            "202100-5489",
            "--name",
            "x",
            "--scopes",
            "catalogue:read:internal catalogue:write",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    creds = json.loads(result.output)
    assert creds["client_id"].startswith("tillit-") and len(creds["client_secret"]) >= 40
    result = runner.invoke(main, ["agencies", "create", "--orgnr", "123", "--name", "X", "--country", "SE"])
    assert result.exit_code != 0 and "orgnr" in result.output
    assert "serve" in runner.invoke(main, ["--help"]).output
