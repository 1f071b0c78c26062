"""Every business rule of entries, through the HTTP API: status and problem body."""

from __future__ import annotations

import copy

import pytest

from tests.conftest import LANTMATERIET, SKATTEETATEN, SKATTEVERKET
from tests.factories import GDPR_TASK, OSL_TAX, api_payload, create_entry, dataset_payload, publish

WRITER = ("catalogue:write",)


def problem(response, status):
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    return body


def test_register_dataset_as_draft(client, token_for):
    response = client.post(
        "/api/v1/datasets",
        json=dataset_payload(classification="sensitive"),
        headers=token_for("sensitive", extra=WRITER),
    )
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "draft" and body["revision"] == 1 and body["type"] == "dataset"
    assert body["classification"] == body["listing_level"] == "sensitive"
    assert body["legal_basis"][0]["url"] == "https://rkrattsbaser.gov.se/sfst?bet=2009:400"
    assert response.headers["Location"] == f"/api/v1/datasets/{body['id']}"
    assert response.headers["ETag"].startswith('"')
    assert response.headers["Cache-Control"] == "no-store"
    assert "Authorization" in response.headers["Vary"]


RULES = [
    pytest.param(
        dict(classification="internal", legal_basis=[]),
        "legal_basis",
        "must cite at least one legal basis with role 'restriction'",
        id="restricted-needs-restriction",
    ),
    pytest.param(
        dict(contains_personal_data=True),
        "legal_basis",
        "with personal data must cite at least one legal basis with role 'processing'",
        id="personal-data-needs-processing",
    ),
    pytest.param(
        dict(classification="internal", listing_level="sensitive", legal_basis=[OSL_TAX]),
        "listing_level",
        "may not be above the classification",
        id="listing-above-classification",
    ),
    pytest.param(
        dict(classification="hemlig"),
        "classification",
        "Unknown classification level 'hemlig'; expected one of public, internal, sensitive",
        id="unknown-level",
    ),
    pytest.param(
        dict(classification="secret", legal_basis=[OSL_TAX]),
        "classification",
        "Unknown classification level 'secret'",
        id="disabled-level-is-unknown",
    ),
    pytest.param(
        dict(special_categories=True),
        "special_categories",
        "imply contains_personal_data",
        id="special-categories-imply-personal-data",
    ),
]


@pytest.mark.parametrize(("changes", "field", "message"), RULES)
def test_business_rules(client, token_for, changes, field, message):
    body = dataset_payload(**changes)
    response = client.post("/api/v1/datasets", json=body, headers=token_for("sensitive", extra=WRITER))
    problem_body = problem(response, 422)
    assert any(message in m for m in problem_body["errors"][field]), problem_body


def test_personal_data_with_processing_basis_is_accepted(client, token_for):
    body = dataset_payload(contains_personal_data=True, special_categories=True, legal_basis=[GDPR_TASK])
    response = client.post("/api/v1/datasets", json=body, headers=token_for("sensitive", extra=WRITER))
    assert response.status_code == 201, response.json
    assert response.json["contains_personal_data"] is True


@pytest.mark.parametrize(
    ("basis", "field", "hint"),
    [
        ({"jurisdiction": "SE", "reference": "2009-400"}, "reference", 'SFS number such as "2009:400"'),
        (
            {"jurisdiction": "NO", "reference": "skatteforvaltningsloven"},
            "reference",
            'Lovdata id such as "LOV-2016-05-27-14"',
        ),
        ({"jurisdiction": "EU", "reference": "GDPR"}, "reference", 'CELEX number such as "32016R0679"'),
        (
            {"jurisdiction": "SE", "reference": "2009:400", "provision": "paragraf tjugo"},
            "provision",
            "22 kap. 1 §",
        ),
        ({"jurisdiction": "DE", "reference": "BDSG"}, "jurisdiction", "Must be one of"),
    ],
)
def test_malformed_legal_references_show_the_expected_form(client, token_for, basis, field, hint):
    legal = [{"role": "restriction", **basis}]
    body = dataset_payload(classification="internal", legal_basis=legal)
    response = client.post("/api/v1/datasets", json=body, headers=token_for("sensitive", extra=WRITER))
    errors = problem(response, 422)["errors"]["legal_basis"]["0"][field]
    assert any(hint in m for m in errors), errors


def test_norwegian_and_eu_references_get_their_urls(client, token_for):
    legal = [
        {"role": "restriction", "jurisdiction": "NO", "reference": "lov-2016-05-27-14", "provision": "§ 3-1"},
        {
            "role": "processing",
            "jurisdiction": "EU",
            "reference": "32016r0679",
            "provision": "Article 6(1)(c)",
        },
    ]
    body = dataset_payload(
        publisher=SKATTEETATEN, classification="sensitive", legal_basis=legal, contains_personal_data=True
    )
    response = client.post(
        "/api/v1/datasets", json=body, headers=token_for("sensitive", agency=SKATTEETATEN, extra=WRITER)
    )
    assert response.status_code == 201, response.json
    urls = [b["url"] for b in response.json["legal_basis"]]
    assert urls == [
        "https://lovdata.no/dokument/NL/lov/2016-05-27-14",
        "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32016R0679",
    ]
    assert response.json["legal_basis"][1]["provision"] == "Art. 6(1)(c)"


def test_only_for_your_own_agency(client, token_for):
    body = dataset_payload(publisher=LANTMATERIET)
    response = client.post("/api/v1/datasets", json=body, headers=token_for("public", extra=WRITER))
    assert "own agency" in problem(response, 403)["detail"]


def test_cannot_classify_above_own_clearance(client, token_for):
    body = dataset_payload(classification="sensitive")
    response = client.post("/api/v1/datasets", json=body, headers=token_for("internal", extra=WRITER))
    assert "above your own clearance" in problem(response, 403)["detail"]


def test_write_needs_the_write_scope(client, token_for):
    response = client.post("/api/v1/datasets", json=dataset_payload(), headers=token_for("sensitive"))
    body = problem(response, 403)
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert "catalogue:write" in body["detail"]


def test_write_needs_a_token(client):
    response = client.post("/api/v1/datasets", json=dataset_payload())
    problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_invalid_openapi_document_is_refused(client, token_for):
    body = api_payload(openapi={"openapi": "3.0.3", "info": {"title": "x"}, "paths": {}})
    response = client.post("/api/v1/apis", json=body, headers=token_for("sensitive", extra=WRITER))
    errors = problem(response, 422)["errors"]["openapi"]
    assert errors[0].startswith("Not a valid OpenAPI document")


@pytest.mark.both_databases
def test_api_serves_only_datasets_the_publisher_can_see(client, token_for, app):
    writer = token_for("sensitive", extra=WRITER)
    dataset = create_entry(client, writer)
    api = api_payload(serves_datasets=[dataset["id"]])
    response = client.post("/api/v1/apis", json=api, headers=writer)
    assert response.status_code == 201, response.json
    assert response.json["serves_datasets"] == [dataset["id"]]
    # Another agency's draft is invisible: citing it looks like citing nothing.
    other = create_entry(
        client, token_for("sensitive", agency=LANTMATERIET, extra=WRITER), publisher=LANTMATERIET
    )
    response = client.post("/api/v1/apis", json=api_payload(serves_datasets=[other["id"]]), headers=writer)
    assert problem(response, 422)["errors"]["serves_datasets"] == [f"No dataset with id {other['id']}."]


def test_openapi_document_is_served(client, token_for, app):
    writer = token_for("sensitive", extra=WRITER)
    api = create_entry(client, writer, collection="apis")
    response = client.get(f"/api/v1/apis/{api['id']}/openapi", headers=writer)
    assert response.status_code == 200
    assert response.json["paths"]["/inkomster/{id}"]["get"]["operationId"] == "getInkomst"
    # A dataset id is not an API.
    dataset = create_entry(client, writer)
    problem(client.get(f"/api/v1/apis/{dataset['id']}/openapi", headers=writer), 404)


# -- ETag / If-Match --------------------------------------------------------------
@pytest.mark.both_databases
def test_updates_need_if_match(client, token_for):
    writer = token_for("sensitive", extra=WRITER)
    entry = create_entry(client, writer)
    url = f"/api/v1/datasets/{entry['id']}"
    etag = client.get(url, headers=writer).headers["ETag"]
    put_body = dataset_payload()
    del put_body["publisher"]
    assert "If-Match" in problem(client.put(url, json=put_body, headers=writer), 428)["detail"]
    assert problem(client.patch(url, json={"title": {"sv": "Ny"}}, headers=writer), 428)
    assert problem(client.delete(url, headers=writer), 428)
    stale = {**writer, "If-Match": '"not-the-etag"'}
    assert (
        "changed since you read it"
        in problem(client.patch(url, json={"title": {"sv": "Ny"}}, headers=stale), 412)["detail"]
    )
    response = client.patch(url, json={"title": {"sv": "Ny titel"}}, headers={**writer, "If-Match": etag})
    assert response.status_code == 200, response.json
    assert response.json["title"] == {"sv": "Ny titel"} and response.json["revision"] == 2
    assert response.headers["ETag"] != etag
    # The old ETag is now stale.
    problem(client.put(url, json=put_body, headers={**writer, "If-Match": etag}), 412)
    response = client.put(url, json=put_body, headers={**writer, "If-Match": response.headers["ETag"]})
    assert response.status_code == 200 and response.json["revision"] == 3
    assert response.json["title"] == put_body["title"]


def test_patch_keeps_what_it_does_not_name(client, token_for):
    writer = token_for("sensitive", extra=WRITER)
    entry = create_entry(client, writer, classification="internal")
    url = f"/api/v1/datasets/{entry['id']}"
    etag = client.get(url, headers=writer).headers["ETag"]
    response = client.patch(url, json={"themes": ["HEAL"]}, headers={**writer, "If-Match": etag})
    assert response.status_code == 200
    assert response.json["themes"] == ["HEAL"]
    assert response.json["legal_basis"] == entry["legal_basis"]
    assert response.json["distributions"] == entry["distributions"]


def test_patch_checks_the_rules_on_the_result(client, token_for):
    writer = token_for("sensitive", extra=WRITER)
    entry = create_entry(client, writer, classification="internal")
    url = f"/api/v1/datasets/{entry['id']}"
    etag = client.get(url, headers=writer).headers["ETag"]
    response = client.patch(url, json={"legal_basis": []}, headers={**writer, "If-Match": etag})
    assert "restriction" in problem(response, 422)["errors"]["legal_basis"][0]


# -- lifecycle ------------------------------------------------------------------
def test_delete_retires_and_never_erases(client, token_for, app):
    writer = token_for("sensitive", extra=WRITER)
    entry = create_entry(client, writer)
    publish(app, entry["id"])
    url = f"/api/v1/datasets/{entry['id']}"
    etag = client.get(url, headers=writer).headers["ETag"]
    response = client.delete(url, headers={**writer, "If-Match": etag})
    assert response.status_code == 200 and response.json["status"] == "retired"
    assert client.get(url, headers=writer).json["status"] == "retired"
    assert client.get("/api/v1/datasets", headers=writer).json["total"] == 0
    retired = client.get("/api/v1/datasets?status=retired", headers=writer).json
    assert [e["id"] for e in retired["items"]] == [entry["id"]]
    # Retired entries are the publisher's history, not the public's.
    problem(client.get(url), 404)
    etag = client.get(url, headers=writer).headers["ETag"]
    assert (
        "retired"
        in problem(client.patch(url, json={"title": {"sv": "x"}}, headers={**writer, "If-Match": etag}), 409)[
            "detail"
        ]
    )


def test_classification_of_published_entry_changes_only_through_review(client, token_for, app):
    writer = token_for("sensitive", extra=WRITER)
    entry = create_entry(client, writer, classification="internal")
    publish(app, entry["id"])
    url = f"/api/v1/datasets/{entry['id']}"
    etag = client.get(url, headers=writer).headers["ETag"]
    # The proposal is checked at once: an invalid one never reaches an officer.
    invalid = client.patch(
        url, json={"classification": "public", "legal_basis": []}, headers={**writer, "If-Match": etag}
    )
    assert "may not be above" in problem(invalid, 422)["errors"]["listing_level"][0]
    change = {"classification": "public", "listing_level": "public", "legal_basis": []}
    response = client.patch(url, json=change, headers={**writer, "If-Match": etag})
    assert response.status_code == 202, response.json
    assert response.json["status"] == "pending_review"
    assert response.headers["Location"] == f"/api/v1/reviews/{response.json['review']}"
    # Until an officer decides, the published version stays as it was.
    current = client.get(url, headers=writer).json
    assert current["classification"] == "internal" and current["legal_basis"] == entry["legal_basis"]
    assert client.get(url).status_code == 404
    # One pending review at a time.
    again = client.patch(url, json={"listing_level": "public"}, headers={**writer, "If-Match": etag})
    assert "already has a review" in problem(again, 409)["detail"]
    # Other edits publish directly.
    response = client.patch(url, json={"keywords": {"sv": ["lön"]}}, headers={**writer, "If-Match": etag})
    assert response.status_code == 200 and response.json["status"] == "published"
    assert response.json["keywords"] == {"sv": ["lön"]}


def test_submit_freezes_the_entry(client, token_for):
    writer = token_for("sensitive", extra=WRITER)
    entry = create_entry(client, writer)
    url = f"/api/v1/datasets/{entry['id']}"
    response = client.post(url + "/submit", headers=writer)
    assert response.status_code == 202 and response.json["entry"]["status"] == "in_review"
    assert "Only a draft" in problem(client.post(url + "/submit", headers=writer), 409)["detail"]
    etag = client.get(url, headers=writer).headers["ETag"]
    response = client.patch(url, json={"title": {"sv": "x"}}, headers={**writer, "If-Match": etag})
    assert "frozen" in problem(response, 409)["detail"]


def test_other_agencies_cannot_edit(client, token_for, app):
    owner = token_for("sensitive", extra=WRITER)
    entry = create_entry(client, owner, classification="internal")
    url = f"/api/v1/datasets/{entry['id']}"
    intruder = token_for("sensitive", agency=LANTMATERIET, extra=WRITER)
    # A draft of another agency does not exist for the intruder.
    assert problem(client.patch(url, json={"title": {"sv": "x"}}, headers={**intruder, "If-Match": "*"}), 404)
    publish(app, entry["id"])
    for method in (client.patch, client.delete):
        kwargs = {"json": {"title": {"sv": "x"}}} if method == client.patch else {}
        body = problem(method(url, headers={**intruder, "If-Match": "*"}, **kwargs), 403)
        assert "publishing agency" in body["detail"]
    assert client.get(url, headers=owner).json["title"] == entry["title"]


@pytest.mark.parametrize("field", ["publisher", "status", "revision", "created", "modified", "id"])
def test_mass_assignment_is_refused(client, token_for, field):
    writer = token_for("sensitive", extra=WRITER)
    entry = create_entry(client, writer)
    url = f"/api/v1/datasets/{entry['id']}"
    value = {
        "publisher": LANTMATERIET,
        "status": "published",
        "revision": 99,
        "created": "2020-01-01T00:00:00Z",
        "modified": "2020-01-01T00:00:00Z",
        "id": "00000000-0000-4000-8000-000000000000",
    }[field]
    response = client.patch(url, json={field: value}, headers={**writer, "If-Match": "*"})
    assert problem(response, 422)["errors"] == {field: ["Unknown field."]}
    if field != "publisher":
        body = dataset_payload(**{field: value})
        response = client.post("/api/v1/datasets", json=body, headers=writer)
        assert problem(response, 422)["errors"] == {field: ["Unknown field."]}
    after = client.get(url, headers=writer).json
    assert after["status"] == "draft" and after["revision"] == 1 and after["publisher"] == SKATTEVERKET


@pytest.mark.both_databases
def test_list_filters_and_pagination(client, token_for, app):
    writer = token_for("sensitive", extra=WRITER)
    ids = [create_entry(client, writer, themes=["HEAL"] if i % 2 else ["ECON"])["id"] for i in range(5)]
    lm = create_entry(
        client, token_for("sensitive", agency=LANTMATERIET, extra=WRITER), publisher=LANTMATERIET
    )
    for entry_id in [*ids, lm["id"]]:
        publish(app, entry_id)
    reader = token_for("public", agency=SKATTEETATEN)
    page = client.get("/api/v1/datasets?per_page=2&page=2", headers=reader).json
    assert page["total"] == 6 and page["page"] == 2 and len(page["items"]) == 2
    assert client.get(f"/api/v1/datasets?publisher={LANTMATERIET}", headers=reader).json["total"] == 1
    assert client.get("/api/v1/datasets?theme=HEAL", headers=reader).json["total"] == 2
    assert client.get("/api/v1/datasets?status=draft", headers=reader).json["total"] == 0
    assert client.get("/api/v1/apis", headers=reader).json["total"] == 0


@pytest.mark.both_databases
def test_redacted_summary_and_hidden_entries(client, token_for, app):
    writer = token_for("sensitive", extra=WRITER)
    listed = create_entry(
        client,
        writer,
        classification="sensitive",
        listing_level="public",
        contains_personal_data=True,
        legal_basis=[OSL_TAX, GDPR_TASK],
    )
    hidden = create_entry(client, writer, classification="internal")
    for entry in (listed, hidden):
        publish(app, entry["id"])
    summary = client.get(f"/api/v1/datasets/{listed['id']}").json
    assert summary == {
        "id": listed["id"],
        "type": "dataset",
        "title": listed["title"],
        "description": listed["description"],
        "publisher": SKATTEVERKET,
        "contact_point": None,
        "classification": "sensitive",
        "listing_level": "public",
        "status": "published",
        "data_elements": [],  # summary fields (docs/data-elements.md)
        "authoritative_for": [],
        "redacted": True,
    }
    assert "ETag" not in client.get(f"/api/v1/datasets/{listed['id']}").headers
    missing = client.get("/api/v1/datasets/6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
    hidden_response = client.get(f"/api/v1/datasets/{hidden['id']}")
    assert hidden_response.status_code == missing.status_code == 404
    assert hidden_response.data == missing.data
    assert dict(hidden_response.headers) == dict(missing.headers)
    listing = client.get("/api/v1/datasets").json
    assert listing["total"] == 1 and listing["items"][0] == summary
    full = client.get(f"/api/v1/datasets/{listed['id']}", headers=token_for("sensitive", agency=LANTMATERIET))
    assert full.json["redacted"] is False and full.json["legal_basis"][1]["reference"] == "32016R0679"
    assert copy.deepcopy(full.json)["keywords"] == listed["keywords"]
