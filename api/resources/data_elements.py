"""Data elements and who holds them (once-only): thin over ``DataElementService``."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from marshmallow import Schema, fields

from api.auth import current_identity, require_scope
from api.openapi import Blueprint, page_of, problems
from api.resources.common import PageArgsSchema, page_response
from api.wiring import services
from catalogue.schemas import DataElementCreateSchema, DataElementSchema
from catalogue.services.data_elements import Holder
from catalogue.shapes import LegalBasisSchema
from security.identity import ADMIN

blp = Blueprint(
    "data_elements",
    __name__,
    url_prefix="/api/v1/data-elements",
    description="The data elements agencies ask each other for, and the entries that hold them.",
)
_element = DataElementSchema()


class HolderSchema(Schema):
    """One entry that holds the element, within the caller's clearance."""

    id = fields.String()
    type = fields.String()
    title = fields.Dict()
    publisher = fields.String()
    classification = fields.String()
    status = fields.String()
    authoritative = fields.Boolean(
        metadata={"description": "The entry is the authoritative source (base register) for the element."}
    )
    view = fields.String(metadata={"description": "full, or summary when only the summary may be shown."})
    sharing_status = fields.String(allow_none=True)
    disclosure_bases = fields.List(
        fields.Nested(LegalBasisSchema),
        allow_none=True,
        metadata={"description": "Legal bases of role disclosure; null for a summary."},
    )
    href = fields.String()


class DataElementListSchema(Schema):
    items = fields.List(fields.Nested(DataElementSchema))


class HolderPageSchema(page_of(HolderSchema, "Holder")):  # type: ignore[misc]  # a class made at import
    element = fields.Nested(DataElementSchema, required=True)


def _holder(holder: Holder) -> dict[str, Any]:
    document = holder.view.document
    collection = "datasets" if document["type"] == "dataset" else "apis"
    return {
        "id": document["id"],
        "type": document["type"],
        "title": document["title"],
        "publisher": document["publisher"],
        "classification": document["classification"],
        "status": document["status"],
        "authoritative": holder.authoritative,
        "view": "full" if holder.view.full else "summary",
        "sharing_status": holder.sharing_status,
        "disclosure_bases": holder.disclosure_bases,
        "href": f"/api/v1/{collection}/{document['id']}",
    }


@blp.route("", methods=["GET"])
@blp.alt_response(200, schema=DataElementListSchema, description="Every data element.")
def list_elements() -> Any:
    """The data-element vocabulary, with labels in sv, nb and en and a stable URI."""
    elements = services().data_elements.list_elements(current_identity())
    return jsonify({"items": [_element.dump(e) for e in elements]})


@blp.route("", methods=["POST"])
@require_scope(ADMIN)
@blp.arguments(DataElementCreateSchema)
@blp.alt_response(201, schema=DataElementSchema, description="The new data element.")
@problems(409)
def add_element(data: dict[str, Any]) -> Any:
    """Add a data element to the vocabulary (catalogue:admin)."""
    element = services().data_elements.add(current_identity(), data)
    response = jsonify(_element.dump(element))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/data-elements/{element.key}"
    return response


@blp.route("/<key>", methods=["GET"])
@blp.alt_response(200, schema=DataElementSchema, description="The data element.")
def get_element(key: str) -> Any:
    """One data element."""
    return jsonify(_element.dump(services().data_elements.get(current_identity(), key)))


@blp.route("/<key>/holders", methods=["GET"])
@blp.arguments(PageArgsSchema(), location="query")
@blp.alt_response(200, schema=HolderPageSchema, description="A page of the entries that hold it.")
def holders(args: dict[str, Any], key: str) -> Any:
    """Who already holds this data element? The entries you may list that hold it,
    authoritative sources first; disclosure bases only where you may read the whole
    entry. Entries you may not list are neither shown nor counted."""
    service = services().data_elements
    identity = current_identity()
    page = service.holders(identity, key, page=args["page"], per_page=args["per_page"])
    return page_response(
        [_holder(h) for h in page.items],
        page.total,
        page.page,
        page.per_page,
        extra={"element": _element.dump(service.get(identity, key))},
    )
