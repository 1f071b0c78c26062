"""A client generated from the document reads the real answers of the demo.

datamodel-code-generator (a standard generator that reads OpenAPI 3.1) makes pydantic
models of /api/v1/openapi.json; each answer below, success or problem, is parsed with
the model the document names for its path, method, status and media type. A model
that forbids what the server sends, or a field of the wrong type, fails the parse.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from typing import Any, Union

import pytest
from datamodel_code_generator import DataModelType, InputFileType, generate
from pydantic import TypeAdapter
from sqlalchemy import select

from catalogue.models import Entry, Review
from tests.agencies import SKATTEVERKET
from tests.conftest import copy_demo

PROBLEM = "application/problem+json"


@pytest.fixture
def app_settings(app_settings, demo_on_test_agencies):
    """The app holds the demo catalogue (a copy of the template: the test writes)."""
    return copy_demo(demo_on_test_agencies, app_settings)


@pytest.fixture
def generated(app, tmp_path, monkeypatch):
    """The models module generated from the app's document, and the document."""
    spec = app.test_client().get("/api/v1/openapi.json").json
    target = tmp_path / "tillit_models.py"
    generate(
        json.dumps(spec),
        input_file_type=InputFileType.OpenAPI,
        output=target,
        output_model_type=DataModelType.PydanticV2BaseModel,
        formatters=[],
    )
    loader = importlib.util.spec_from_file_location("tillit_models", target)
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    monkeypatch.setitem(sys.modules, "tillit_models", module)  # pydantic resolves names through it
    loader.loader.exec_module(module)
    return module, spec


def _model(module: Any, schema: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return getattr(module, schema["$ref"].rsplit("/", 1)[-1])
    if "oneOf" in schema:
        return Union[tuple(_model(module, s) for s in schema["oneOf"])]  # noqa: UP007
    raise AssertionError(f"no named model for {schema}")


def parse(generated: tuple[Any, dict[str, Any]], path: str, method: str, response: Any) -> Any:
    """The answer read with the model the document declares for it."""
    module, spec = generated
    declared = spec["paths"][path][method]["responses"][str(response.status_code)]
    if "$ref" in declared:
        declared = spec["components"]["responses"][declared["$ref"].rsplit("/", 1)[-1]]
    media = response.mimetype
    assert media in declared["content"], (path, method, response.status_code, media)
    model = _model(module, declared["content"][media]["schema"])
    return TypeAdapter(model).validate_python(response.json)


def test_generated_models_read_every_kind_of_answer(app, client, token_for, generated):
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        dataset = session.scalars(
            select(Entry).where(Entry.type == "dataset", Entry.status == "published")
        ).first()
        api = session.scalars(select(Entry).where(Entry.type == "api", Entry.status == "published")).first()
        draft = session.scalars(select(Entry).where(Entry.status == "draft")).first()
        review = session.scalars(select(Review).where(Review.agency == SKATTEVERKET)).first()
    assert dataset and api and review
    reader = token_for("sensitive")
    officer = token_for("sensitive", extra=("catalogue:review", "catalogue:write"))
    writer = token_for("sensitive", extra=("catalogue:write",))
    auditor = token_for("sensitive", extra=("catalogue:audit",))

    def read(
        path: str, url: str, headers: dict[str, str] | None = None, method: str = "get", **kw: Any
    ) -> Any:
        response = getattr(client, method)(url, headers=headers or {}, **kw)
        return parse(generated, path, method, response), response.status_code

    page, status = read("/api/v1/agencies", "/api/v1/agencies?per_page=50")
    assert status == 200 and page.total >= 15 and page.items
    agency, _ = read("/api/v1/agencies/{orgnr}", f"/api/v1/agencies/{SKATTEVERKET}")
    assert agency.orgnr == SKATTEVERKET
    entries, _ = read("/api/v1/datasets", "/api/v1/datasets?per_page=100")
    assert entries.total >= 30 and any(getattr(e, "redacted", False) for e in entries.items)
    entry, _ = read("/api/v1/datasets/{entry_id}", f"/api/v1/datasets/{dataset.id}", reader)
    assert entry.id == dataset.id
    read("/api/v1/apis/{entry_id}", f"/api/v1/apis/{api.id}", reader)
    read("/api/v1/apis", "/api/v1/apis", reader)
    scheme, _ = read("/api/v1/classification-scheme", "/api/v1/classification-scheme")
    assert [level.key for level in scheme.levels][:3] == ["public", "internal", "sensitive"]
    found, _ = read("/api/v1/search", "/api/v1/search?per_page=50", reader)
    assert found.total >= 1
    read("/api/v1/search/suggest", "/api/v1/search/suggest?q=sk", reader)
    reviews, _ = read("/api/v1/reviews", "/api/v1/reviews", officer)
    assert reviews.items
    read("/api/v1/reviews/{review_id}", f"/api/v1/reviews/{review.id}", officer)
    read("/api/v1/notifications", "/api/v1/notifications", officer)
    history, _ = read(
        "/api/v1/datasets/{entry_id}/classification-history",
        f"/api/v1/datasets/{dataset.id}/classification-history",
        officer if dataset.publisher == SKATTEVERKET else token_for("sensitive", agency=dataset.publisher),
    )
    assert isinstance(history.items, list)
    events, _ = read("/api/v1/audit", "/api/v1/audit", auditor)
    assert events.total >= 1
    assert draft is not None  # a 202 with the pending review
    path = "/api/v1/datasets" if draft.type == "dataset" else "/api/v1/apis"
    owner = token_for(draft.classification, agency=draft.publisher, extra=("catalogue:write",))
    response = client.post(f"{path}/{draft.id}/submit", headers=owner)
    submitted = parse(generated, path + "/{entry_id}/submit", "post", response)
    assert response.status_code == 202 and submitted.status.value == "pending_review"

    # Problems: each parsed as the document's Problem.
    missing, status = read("/api/v1/datasets/{entry_id}", "/api/v1/datasets/no-such-entry")
    assert status == 404 and missing.status == 404
    invalid, status = read("/api/v1/datasets", "/api/v1/datasets?per_page=0")
    assert status == 422 and "per_page" in invalid.errors
    refused, status = read("/api/v1/agencies", "/api/v1/agencies", {"Authorization": "Bearer nonsense"})
    assert status == 401 and refused.title
    unconditional, status = read(
        "/api/v1/datasets/{entry_id}", f"/api/v1/datasets/{dataset.id}", writer, method="patch", json={}
    )
    assert status in (403, 428) and unconditional.status == status
    wrong_type, status = read(
        "/api/v1/agencies",
        "/api/v1/agencies",
        token_for(extra=("catalogue:admin",)),
        method="post",
        data="x",
        content_type="text/plain",
    )
    assert status == 415 and wrong_type.status == 415
