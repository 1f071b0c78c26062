"""Datasets and APIs: one blueprint factory, two collections."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify
from marshmallow import Schema, fields, validate

from api.auth import current_identity, require_scope
from api.edge import vary
from api.openapi import Blueprint, OneOfSchemas, page_of, problems
from api.resources.common import PageArgsSchema, etag, page_response, reader_language
from api.resources.dcat import RDF_CONTENT, RdfArgsSchema, rdf_format, rdf_response
from api.resources.people import label_events
from api.resources.reviews import (
    AuditEventSchema,
    HistorySchema,
    ReclassifySchema,
    ReviewSchema,
    label_reviews,
)
from api.wiring import services
from catalogue.machinery.readpath.rendering import to_json
from catalogue.schemas import (
    THEMES,
    ApiCreateSchema,
    ApiUpdateSchema,
    DatasetCreateSchema,
    DatasetUpdateSchema,
    EntryDetailSchema,
    EntrySchema,
    EntrySummarySchema,
)
from catalogue.services.common import variant_etag
from catalogue.services.entries import EntryView
from catalogue.shapes import OperationSchema, OrgNumber
from catalogue.statutes import named_document
from dcat.terms import PROFILES
from security.identity import REVIEW, WRITE
from security.policy import STATUSES


class EntryQueryArgsSchema(PageArgsSchema):
    publisher = OrgNumber()
    status = fields.String(validate=validate.OneOf(STATUSES))
    theme = fields.String(validate=validate.OneOf(THEMES))


#: What a reader gets of one entry: the whole entry read alone (with an API's
#: operations), or its redacted summary. A list shows EntrySchema: no operations.
ENTRY_OR_SUMMARY = {"oneOf": [EntryDetailSchema, EntrySummarySchema]}
EntryPageSchema = page_of(OneOfSchemas(EntrySchema, EntrySummarySchema), "Entry")
ReadersPageSchema = page_of(AuditEventSchema, "Readers")


class HistoryItemsSchema(Schema):
    items = fields.List(fields.Nested(HistorySchema), required=True)


class OperationItemsSchema(Schema):
    items = fields.List(fields.Nested(OperationSchema), required=True)


class PendingReviewSchema(Schema):
    """A change that waits for a security officer (202): not applied yet."""

    status = fields.String(required=True, validate=validate.OneOf(["pending_review"]))
    review = fields.String(required=True, metadata={"description": "The review deciding the change."})
    entry = fields.Nested(
        EntryDetailSchema, required=True, metadata={"description": "The entry as it stands."}
    )


def render(view: EntryView) -> dict[str, Any]:
    """The whole entry, or only the redacted summary: never more than allowed; each
    legal basis with its statute's name for this reader (catalogue.statutes.named_document:
    the names came with the rendering, read no earlier than its revision)."""
    return named_document(view.document, view.statutes, reader_language())


def entry_json(view: EntryView, lang: str | None) -> str:
    """The view as JSON text, with statute names for a reader of ``lang``: the cached text
    itself for an entry citing none, else the cached rendering's text in that language,
    made once per language (docs/statutes.md)."""
    if not view.document.get("legal_basis"):
        return view.text if view.text is not None else to_json(view.document)
    text = view.named.get(lang) if view.named is not None else None
    if text is None:
        text = to_json(named_document(view.document, view.statutes, lang))
        if view.named is not None:
            view.named[lang] = text
    return text


def json_response(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON body already serialised (cached renderings are joined, not re-encoded),
    with ``headers`` added (appended: a new response has none of them yet, and
    Werkzeug's ``headers=`` argument costs more than the body)."""
    response = current_app.response_class(text, status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers.add(name, value)
    return response


def _entry_response(view: EntryView, status: int = 200, varies: str = "Accept-Language") -> Response:
    """The entry's answer, with its ETag; it varies by ``varies`` (the reader's language
    names the statutes; a read also by Accept, which may ask for RDF)."""
    lang = reader_language()
    headers = {"Vary": varies}
    etag = representation_etag(view, lang)
    if etag:
        headers["ETag"] = etag
    if view.pending_review and status == 200:
        # Not applied: the change waits for a security officer.
        response = jsonify({"status": "pending_review", "review": view.pending_review, "entry": render(view)})
        response.status_code = 202
        response.headers.extend(headers)
        response.headers["Location"] = f"/api/v1/reviews/{view.pending_review}"
        return response
    return json_response(entry_json(view, lang), status, headers)


def representation_etag(view: EntryView, lang: str | None) -> str | None:
    """The ETag of this answer: the entry's revision, and every other input of its
    representation (docs/http.md): the reader's language when the entry cites statutes
    the register names (their names are in that language), and the served datasets this
    caller may see (they depend on the caller and on those datasets, not on the API's
    revision). Authorization is in Vary for every API answer. None for a summary."""
    if view.etag is None:
        return None
    inputs = []
    if view.statutes:
        inputs.append(f"lang={lang or ''}")
    served = view.document.get("serves_datasets") if view.entry.type == "api" else None
    if served:
        inputs.append("served=" + ",".join(served))
    return variant_etag(view.etag, ";".join(inputs))


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
        lang = reader_language()
        items = ",".join(entry_json(view, lang) for view in page.items)
        response = page_response(items, page.total, page.page, page.per_page)
        vary(response, "Accept-Language")
        return response

    @blp.route("", methods=["POST"])
    @require_scope(WRITE)
    @blp.arguments(create_schema)
    @blp.alt_response(201, schema=EntryDetailSchema, description="The registered entry (a draft).")
    @problems(403, 409)
    @etag("answer")
    def create_entry(data: dict[str, Any]) -> Any:
        """Register an entry for your own agency. It starts as a draft."""
        view = services().entries.create(current_identity(), entry_type, data)
        response = _entry_response(view, 201)
        response.headers["Location"] = f"/api/v1/{collection}/{view.entry.id}"
        return response

    @blp.route("/<entry_id>", methods=["GET"])
    @blp.arguments(RdfArgsSchema(), location="query")
    @blp.alt_response(200, schema=ENTRY_OR_SUMMARY, description="The entry, or its redacted summary.")
    @blp.doc(responses={200: {"content": RDF_CONTENT}})
    @etag("read")
    def get_entry(args: dict[str, Any], entry_id: str) -> Any:
        """Read one entry. An entry you may not know exists answers 404, like a missing one.
        JSON, or DCAT-AP RDF when Accept names text/turtle, application/ld+json or
        application/rdf+xml, or ?format= asks for ttl, jsonld or rdf (docs/dcat.md)."""
        format_name = rdf_format(args, None)
        if format_name is not None:
            graph = services().dcat.entry(current_identity(), entry_id, entry_type, PROFILES[args["profile"]])
            return rdf_response(graph, format_name)
        view = services().entries.get(current_identity(), entry_id, entry_type)
        return _entry_response(view, varies="Accept-Language, Accept")

    @blp.route("/<entry_id>", methods=["PUT"])
    @require_scope(WRITE)
    @blp.arguments(update_schema)
    @blp.alt_response(200, schema=EntryDetailSchema, description="The updated entry.")
    @blp.alt_response(202, schema=PendingReviewSchema, description="The change waits for a security officer.")
    @problems(403, 409)
    @etag("write")
    def replace_entry(data: dict[str, Any], entry_id: str, if_match: str | None) -> Any:
        """Replace an entry. Needs If-Match with the ETag you read (428 without, 412 if stale)."""
        view = services().entries.update(current_identity(), entry_id, data, if_match, entry_type)
        return _entry_response(view)

    @blp.route("/<entry_id>", methods=["PATCH"])
    @require_scope(WRITE)
    @blp.arguments(update_schema(partial=patch_fields))
    @blp.alt_response(200, schema=EntryDetailSchema, description="The updated entry.")
    @blp.alt_response(202, schema=PendingReviewSchema, description="The change waits for a security officer.")
    @problems(403, 409)
    @etag("write")
    def patch_entry(data: dict[str, Any], entry_id: str, if_match: str | None) -> Any:
        """Change some fields of an entry. Needs If-Match (428 without, 412 if stale)."""
        view = services().entries.update(current_identity(), entry_id, data, if_match, entry_type)
        return _entry_response(view)

    @blp.route("/<entry_id>", methods=["DELETE"])
    @require_scope(WRITE)
    @blp.alt_response(200, schema=EntryDetailSchema, description="The retired entry.")
    @problems(403, 409)
    @etag("write")
    def retire_entry(entry_id: str, if_match: str | None) -> Any:
        """Retire an entry. Nothing is ever erased. Needs If-Match."""
        view = services().entries.retire(current_identity(), entry_id, if_match, entry_type)
        return _entry_response(view)

    @blp.route("/<entry_id>/submit", methods=["POST"])
    @require_scope(WRITE)
    @blp.alt_response(202, schema=PendingReviewSchema, description="The entry, now in review.")
    @problems(403, 409)
    @etag("answer")
    def submit_entry(entry_id: str) -> Any:
        """Send a draft to a security officer for classification review (it is frozen meanwhile)."""
        return _entry_response(services().reviews.submit(current_identity(), entry_id, entry_type))

    @blp.route("/<entry_id>/deprecate", methods=["POST"])
    @require_scope(WRITE)
    @blp.alt_response(200, schema=EntryDetailSchema, description="The deprecated entry.")
    @problems(403, 409)
    @etag("write")
    def deprecate_entry(entry_id: str, if_match: str | None) -> Any:
        """Mark a published entry as deprecated (If-Match)."""
        return _entry_response(
            services().entries.deprecate(current_identity(), entry_id, if_match, entry_type)
        )

    @blp.route("/<entry_id>/reclassify", methods=["POST"])
    @require_scope(REVIEW)
    @blp.arguments(ReclassifySchema)
    @blp.alt_response(201, schema=ReviewSchema, description="The opened review.")
    @problems(403, 409)
    def reclassify_entry(data: dict[str, Any], entry_id: str) -> Any:
        """A security officer opens a review of a published entry; another officer decides."""
        review = services().reviews.request_reclassification(current_identity(), entry_id, data["rationale"])
        response = jsonify(ReviewSchema().dump(review))
        response.status_code = 201
        response.headers["Location"] = f"/api/v1/reviews/{review.id}"
        return response

    @blp.route("/<entry_id>/classification-history", methods=["GET"])
    @blp.alt_response(200, schema=HistoryItemsSchema, description="Approved levels, oldest first.")
    @problems(403)
    def classification_history(entry_id: str) -> Any:
        """Each level the entry has had, who decided, when and why (publisher and officers)."""
        reviews = services().reviews.history(current_identity(), entry_id, entry_type)
        return jsonify({"items": label_reviews(HistorySchema(many=True).dump(reviews))})

    @blp.route("/<entry_id>/readers", methods=["GET"])
    @blp.arguments(PageArgsSchema(), location="query")
    @blp.alt_response(200, schema=ReadersPageSchema, description="Reads of the entry.")
    @problems(403)
    def readers(args: dict[str, Any], entry_id: str) -> Any:
        """Who has seen this entry: its reads from the audit log (for the publishing agency)."""
        page = services().audit.readers(
            current_identity(), entry_id, page=args["page"], per_page=args["per_page"]
        )
        return page_response(
            label_events(AuditEventSchema(many=True).dump(page.items)), page.total, page.page, page.per_page
        )

    if entry_type == "api":

        @blp.route("/<entry_id>/openapi", methods=["GET"])
        @blp.alt_response(200, schema={"type": "object"}, description="The API's OpenAPI document.")
        @problems(403)
        def get_openapi(entry_id: str) -> Any:
            """The registered OpenAPI document of an API (needs clearance for the whole entry)."""
            return jsonify(services().entries.openapi_document(current_identity(), entry_id))

        @blp.route("/<entry_id>/openapi/refresh", methods=["POST"])
        @require_scope(WRITE)
        @blp.alt_response(
            200, schema=EntryDetailSchema, description="The API with its document fetched again."
        )
        @problems(403, 409, 412, 413, 422)
        @etag("answer")
        def refresh_openapi(entry_id: str) -> Any:
            """Fetch the API's OpenAPI document again from its openapi_url, and check it as
            an upload (for its data owners; 409 if the document was not given by URL)."""
            return _entry_response(services().openapi_refresh.refresh(current_identity(), entry_id))

        @blp.route("/<entry_id>/operations", methods=["GET"])
        @blp.alt_response(200, schema=OperationItemsSchema, description="The API's operations.")
        def get_operations(entry_id: str) -> Any:
            """The operations of an API's OpenAPI document (for a reader of the whole API;
            anyone else gets the 404 of a missing id: docs/operations.md)."""
            return jsonify({"items": services().entries.operations(current_identity(), entry_id)})

    return blp


datasets = make_blueprint("dataset", "datasets", DatasetCreateSchema, DatasetUpdateSchema)
apis = make_blueprint("api", "apis", ApiCreateSchema, ApiUpdateSchema)
