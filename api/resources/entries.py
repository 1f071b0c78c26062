"""Datasets and APIs: one blueprint factory, two collections."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import current_identity, require_scope
from api.resources.common import PageArgsSchema, entry_service, if_match, page_body
from catalogue.schemas import (
    THEMES,
    ApiCreateSchema,
    ApiUpdateSchema,
    DatasetCreateSchema,
    DatasetUpdateSchema,
    EntrySchema,
    EntrySummarySchema,
)
from catalogue.services.entries import EntryView
from security.identity import WRITE
from security.policy import STATUSES

_full = EntrySchema()
_summary = EntrySummarySchema()


class EntryQueryArgsSchema(PageArgsSchema):
    publisher = fields.String(validate=validate.Length(max=20))
    status = fields.String(validate=validate.OneOf(STATUSES))
    theme = fields.String(validate=validate.OneOf(THEMES))


class EntryPageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(EntrySchema))


def render(view: EntryView) -> dict[str, Any]:
    """The whole entry, or only the redacted summary: never more than allowed."""
    if not view.full:
        return dict(_summary.dump(view.entry))
    data = dict(_full.dump(view.entry))
    if view.entry.type == "api":
        data["serves_datasets"] = list(view.served_ids)
    return data


def _entry_response(view: EntryView, status: int = 200) -> Response:
    response = jsonify(render(view))
    response.status_code = status
    if view.etag:
        response.headers["ETag"] = view.etag
    return response


def make_blueprint(
    entry_type: str,
    collection: str,
    create_schema: type[Schema],
    update_schema: type[Schema],
) -> Blueprint:
    blp = Blueprint(
        collection,
        __name__ + "." + collection,
        url_prefix=f"/api/v1/{collection}",
        description=f"{entry_type.capitalize()} entries of the catalogue.",
    )
    patch_fields = tuple(update_schema().fields)

    @blp.route("", methods=["GET"])
    @blp.arguments(EntryQueryArgsSchema, location="query")
    @blp.alt_response(200, schema=EntryPageSchema, description="A page of entries.")
    def list_entries(args: dict[str, Any]) -> Any:
        """List the entries you may see (redacted where your clearance is below
        their classification). Retired entries appear only with status=retired."""
        page = entry_service().list_entries(
            current_identity(),
            entry_type=entry_type,
            publisher=args.get("publisher"),
            status=args.get("status"),
            theme=args.get("theme"),
            page=args["page"],
            per_page=args["per_page"],
        )
        return jsonify(page_body([render(v) for v in page.items], page.total, page.page, page.per_page))

    @blp.route("", methods=["POST"])
    @require_scope(WRITE)
    @blp.arguments(create_schema)
    @blp.alt_response(201, schema=EntrySchema, description="The registered entry (a draft).")
    def create_entry(data: dict[str, Any]) -> Any:
        """Register an entry for your own agency. It starts as a draft."""
        view = entry_service().create(current_identity(), entry_type, data)
        response = _entry_response(view, 201)
        response.headers["Location"] = f"/api/v1/{collection}/{view.entry.id}"
        return response

    @blp.route("/<entry_id>", methods=["GET"])
    @blp.alt_response(200, schema=EntrySchema, description="The entry, or its redacted summary.")
    def get_entry(entry_id: str) -> Any:
        """Read one entry. An entry you may not know exists answers 404, like a missing one."""
        return _entry_response(entry_service().get(current_identity(), entry_id, entry_type))

    @blp.route("/<entry_id>", methods=["PUT"])
    @require_scope(WRITE)
    @blp.arguments(update_schema)
    @blp.alt_response(200, schema=EntrySchema, description="The updated entry.")
    def replace_entry(data: dict[str, Any], entry_id: str) -> Any:
        """Replace an entry. Needs If-Match with the ETag you read (428 without, 412 if stale)."""
        view = entry_service().update(current_identity(), entry_id, data, if_match(), entry_type)
        return _entry_response(view)

    @blp.route("/<entry_id>", methods=["PATCH"])
    @require_scope(WRITE)
    @blp.arguments(update_schema(partial=patch_fields))
    @blp.alt_response(200, schema=EntrySchema, description="The updated entry.")
    def patch_entry(data: dict[str, Any], entry_id: str) -> Any:
        """Change some fields of an entry. Needs If-Match (428 without, 412 if stale)."""
        view = entry_service().update(current_identity(), entry_id, data, if_match(), entry_type)
        return _entry_response(view)

    @blp.route("/<entry_id>", methods=["DELETE"])
    @require_scope(WRITE)
    @blp.alt_response(200, schema=EntrySchema, description="The retired entry.")
    def retire_entry(entry_id: str) -> Any:
        """Retire an entry. Nothing is ever erased. Needs If-Match."""
        view = entry_service().retire(current_identity(), entry_id, if_match(), entry_type)
        return _entry_response(view)

    @blp.route("/<entry_id>/submit", methods=["POST"])
    @require_scope(WRITE)
    @blp.alt_response(200, schema=EntrySchema, description="The entry, now in review.")
    def submit_entry(entry_id: str) -> Any:
        """Send a draft to a security officer for classification review."""
        return _entry_response(entry_service().submit(current_identity(), entry_id, entry_type))

    if entry_type == "api":

        @blp.route("/<entry_id>/openapi", methods=["GET"])
        @blp.alt_response(200, description="The API's OpenAPI document.")
        def get_openapi(entry_id: str) -> Any:
            """The registered OpenAPI document of an API (needs clearance for the whole entry)."""
            return jsonify(entry_service().openapi_document(current_identity(), entry_id))

    return blp


datasets = make_blueprint("dataset", "datasets", DatasetCreateSchema, DatasetUpdateSchema)
apis = make_blueprint("api", "apis", ApiCreateSchema, ApiUpdateSchema)
