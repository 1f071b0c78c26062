"""Datasets and APIs: one blueprint factory, two collections."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, current_app, jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import current_identity, require_scope
from api.resources.common import PageArgsSchema, if_match, page_response, reader_language
from api.resources.reviews import AuditEventSchema, HistorySchema, ReclassifySchema, ReviewSchema
from api.wiring import services
from catalogue.machinery.readpath.rendering import to_json
from catalogue.schemas import (
    THEMES,
    ApiCreateSchema,
    ApiUpdateSchema,
    DatasetCreateSchema,
    DatasetUpdateSchema,
    EntrySchema,
)
from catalogue.services.entries import EntryView
from catalogue.shapes import OrgNumber
from catalogue.statutes import StatuteLabel
from security.identity import REVIEW, WRITE
from security.policy import STATUSES


class EntryQueryArgsSchema(PageArgsSchema):
    publisher = OrgNumber()
    status = fields.String(validate=validate.OneOf(STATUSES))
    theme = fields.String(validate=validate.OneOf(THEMES))


class EntryPageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(EntrySchema))


def statute_labels(views: Iterable[EntryView]) -> Mapping[tuple[str, str], StatuteLabel]:
    """The reader's names of the statutes these views cite, from the register."""
    cited = [(b["jurisdiction"], b["reference"]) for view in views for b in _bases(view.document)]
    if not cited:
        return {}
    return services().statutes.labels(current_identity(), cited, reader_language())


def _bases(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(document.get("legal_basis") or ())


def render(view: EntryView, labels: Mapping[tuple[str, str], StatuteLabel] | None = None) -> dict[str, Any]:
    """The whole entry, or only the redacted summary: never more than allowed; each
    legal basis with its statute's name for this reader (the register's, added here,
    never to the cached rendering: the register and the reader's language vary on
    their own, the rendering only with the entry's revision)."""
    document = dict(view.document)
    bases = _bases(document)
    if bases:
        labels = statute_labels([view]) if labels is None else labels
        document["legal_basis"] = [_named(basis, labels) for basis in bases]
    return document


def _named(basis: Mapping[str, Any], labels: Mapping[tuple[str, str], StatuteLabel]) -> dict[str, Any]:
    shown = labels.get((basis["jurisdiction"], basis["reference"]))
    if shown is None:
        return dict(basis)  # not in the register: shown by its reference
    return {**basis, "statute": {"name": shown.name, "short_name": shown.short_name, "lang": shown.lang}}


def _json(view: EntryView, labels: Mapping[tuple[str, str], StatuteLabel]) -> str:
    if _bases(view.document):
        return to_json(render(view, labels))
    return view.text if view.text is not None else to_json(view.document)


def json_response(text: str, status: int = 200) -> Response:
    """A JSON body already serialised (cached renderings are joined, not re-encoded)."""
    return current_app.response_class(text, status=status, mimetype="application/json")


def _entry_response(view: EntryView, status: int = 200) -> Response:
    if view.pending_review and status == 200:
        # Not applied: the change waits for a security officer.
        response = jsonify({"status": "pending_review", "review": view.pending_review, "entry": render(view)})
        response.status_code = 202
        response.headers["Location"] = f"/api/v1/reviews/{view.pending_review}"
    else:
        response = json_response(_json(view, statute_labels([view])), status)
    response.vary.add("Accept-Language")
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
    @blp.arguments(EntryQueryArgsSchema(), location="query")
    @blp.alt_response(200, schema=EntryPageSchema, description="A page of entries.")
    def list_entries(args: dict[str, Any]) -> Any:
        """List the entries you may see (redacted where your clearance is below
        their classification). Retired entries appear only with status=retired."""
        page = services().entries.list_entries(
            current_identity(),
            entry_type=entry_type,
            publisher=args.get("publisher"),
            status=args.get("status"),
            theme=args.get("theme"),
            page=args["page"],
            per_page=args["per_page"],
        )
        labels = statute_labels(page.items)
        items = ",".join(_json(view, labels) for view in page.items)
        response = page_response(items, page.total, page.page, page.per_page)
        response.vary.add("Accept-Language")
        return response

    @blp.route("", methods=["POST"])
    @require_scope(WRITE)
    @blp.arguments(create_schema)
    @blp.alt_response(201, schema=EntrySchema, description="The registered entry (a draft).")
    def create_entry(data: dict[str, Any]) -> Any:
        """Register an entry for your own agency. It starts as a draft."""
        view = services().entries.create(current_identity(), entry_type, data)
        response = _entry_response(view, 201)
        response.headers["Location"] = f"/api/v1/{collection}/{view.entry.id}"
        return response

    @blp.route("/<entry_id>", methods=["GET"])
    @blp.alt_response(200, schema=EntrySchema, description="The entry, or its redacted summary.")
    def get_entry(entry_id: str) -> Any:
        """Read one entry. An entry you may not know exists answers 404, like a missing one."""
        return _entry_response(services().entries.get(current_identity(), entry_id, entry_type))

    @blp.route("/<entry_id>", methods=["PUT"])
    @require_scope(WRITE)
    @blp.arguments(update_schema)
    @blp.alt_response(200, schema=EntrySchema, description="The updated entry.")
    def replace_entry(data: dict[str, Any], entry_id: str) -> Any:
        """Replace an entry. Needs If-Match with the ETag you read (428 without, 412 if stale)."""
        view = services().entries.update(current_identity(), entry_id, data, if_match(), entry_type)
        return _entry_response(view)

    @blp.route("/<entry_id>", methods=["PATCH"])
    @require_scope(WRITE)
    @blp.arguments(update_schema(partial=patch_fields))
    @blp.alt_response(200, schema=EntrySchema, description="The updated entry.")
    def patch_entry(data: dict[str, Any], entry_id: str) -> Any:
        """Change some fields of an entry. Needs If-Match (428 without, 412 if stale)."""
        view = services().entries.update(current_identity(), entry_id, data, if_match(), entry_type)
        return _entry_response(view)

    @blp.route("/<entry_id>", methods=["DELETE"])
    @require_scope(WRITE)
    @blp.alt_response(200, schema=EntrySchema, description="The retired entry.")
    def retire_entry(entry_id: str) -> Any:
        """Retire an entry. Nothing is ever erased. Needs If-Match."""
        view = services().entries.retire(current_identity(), entry_id, if_match(), entry_type)
        return _entry_response(view)

    @blp.route("/<entry_id>/submit", methods=["POST"])
    @require_scope(WRITE)
    @blp.alt_response(202, schema=EntrySchema, description="The entry, now in review.")
    def submit_entry(entry_id: str) -> Any:
        """Send a draft to a security officer for classification review (it is frozen meanwhile)."""
        return _entry_response(services().reviews.submit(current_identity(), entry_id, entry_type))

    @blp.route("/<entry_id>/deprecate", methods=["POST"])
    @require_scope(WRITE)
    @blp.alt_response(200, schema=EntrySchema, description="The deprecated entry.")
    def deprecate_entry(entry_id: str) -> Any:
        """Mark a published entry as deprecated (If-Match)."""
        return _entry_response(
            services().entries.deprecate(current_identity(), entry_id, if_match(), entry_type)
        )

    @blp.route("/<entry_id>/reclassify", methods=["POST"])
    @require_scope(REVIEW)
    @blp.arguments(ReclassifySchema)
    @blp.alt_response(201, schema=ReviewSchema, description="The opened review.")
    def reclassify_entry(data: dict[str, Any], entry_id: str) -> Any:
        """A security officer opens a review of a published entry; another officer decides."""
        review = services().reviews.request_reclassification(current_identity(), entry_id, data["rationale"])
        response = jsonify(ReviewSchema().dump(review))
        response.status_code = 201
        response.headers["Location"] = f"/api/v1/reviews/{review.id}"
        return response

    @blp.route("/<entry_id>/classification-history", methods=["GET"])
    @blp.alt_response(200, schema=HistorySchema(many=True), description="Approved levels, oldest first.")
    def classification_history(entry_id: str) -> Any:
        """Each level the entry has had, who decided, when and why (publisher and officers)."""
        reviews = services().reviews.history(current_identity(), entry_id, entry_type)
        return jsonify({"items": HistorySchema(many=True).dump(reviews)})

    @blp.route("/<entry_id>/readers", methods=["GET"])
    @blp.arguments(PageArgsSchema(), location="query")
    @blp.alt_response(200, schema=AuditEventSchema(many=True), description="Reads of the entry.")
    def readers(args: dict[str, Any], entry_id: str) -> Any:
        """Who has seen this entry: its reads from the audit log (for the publishing agency)."""
        page = services().audit.readers(
            current_identity(), entry_id, page=args["page"], per_page=args["per_page"]
        )
        return page_response(
            AuditEventSchema(many=True).dump(page.items), page.total, page.page, page.per_page
        )

    if entry_type == "api":

        @blp.route("/<entry_id>/openapi", methods=["GET"])
        @blp.alt_response(200, description="The API's OpenAPI document.")
        def get_openapi(entry_id: str) -> Any:
            """The registered OpenAPI document of an API (needs clearance for the whole entry)."""
            return jsonify(services().entries.openapi_document(current_identity(), entry_id))

    return blp


datasets = make_blueprint("dataset", "datasets", DatasetCreateSchema, DatasetUpdateSchema)
apis = make_blueprint("api", "apis", ApiCreateSchema, ApiUpdateSchema)
