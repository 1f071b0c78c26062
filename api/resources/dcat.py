"""DCAT-AP over HTTP: the catalogue (``GET /api/v1/dcat/catalog``), and an entry in RDF
(``GET /api/v1/datasets/<id>`` and ``/apis/<id>`` with an RDF media type).

The format is ``?format=ttl|jsonld|rdf`` if given, else the best RDF media type of
``Accept`` (text/turtle, application/ld+json, application/rdf+xml). An entry stays JSON
unless one of them is asked for; the catalogue is Turtle unless another is. ``?profile=``
chooses the application profile (dcat/terms.py). The export itself is ``dcat.export``;
here is only the HTTP: docs/dcat.md.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from marshmallow import Schema, fields, validate
from rdflib import Graph

from api.auth import current_identity
from api.openapi import Blueprint
from api.wiring import services
from catalogue.shapes import OrgNumber
from dcat.export import FORMATS, MEDIA_TYPES, serialise
from dcat.terms import DEFAULT_PROFILE, PROFILES

blp = Blueprint("dcat", __name__, url_prefix="/api/v1/dcat", description="The catalogue as DCAT-AP RDF.")


class RdfArgsSchema(Schema):
    """How an entry or the catalogue is wanted in RDF."""

    format = fields.String(
        validate=validate.OneOf(tuple(FORMATS)),
        metadata={"description": "ttl, jsonld or rdf; instead of an RDF media type in Accept."},
    )
    profile = fields.String(
        load_default=DEFAULT_PROFILE,
        validate=validate.OneOf(tuple(PROFILES)),
        metadata={"description": "The profile: dcat-ap (DCAT-AP 3.0.1), dcat-ap-se or dcat-ap-no."},
    )


class CatalogArgsSchema(RdfArgsSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=100))
    publisher = OrgNumber(
        metadata={"description": "Only this agency's entries: its own catalogue, to harvest per agency."}
    )


#: The RDF answers, for the OpenAPI document: one body, in the format asked for.
RDF_CONTENT: dict[str, Any] = {
    fmt.media_type: {"schema": {"type": "string" if name != "jsonld" else "object"}}
    for name, fmt in FORMATS.items()
}


def rdf_format(args: dict[str, Any], default: str | None) -> str | None:
    """The RDF format asked for: ``?format=``, else the best RDF type of Accept (JSON, and
    an Accept naming none, give ``default``)."""
    if args.get("format"):
        return str(args["format"])
    if not request.environ.get("HTTP_ACCEPT"):
        return default  # what best_match answers for no Accept (not parsed, then)
    offered = [*(["application/json"] if default is None else []), *MEDIA_TYPES]
    best = request.accept_mimetypes.best_match(offered)
    if best is not None and best in MEDIA_TYPES and request.accept_mimetypes[best] > 0:
        return MEDIA_TYPES[best]
    return default


def rdf_response(graph: Graph, format_name: str) -> Response:
    """The graph as the answer, with its media type; it varies by Accept."""
    response = current_app.response_class(
        serialise(graph, format_name), mimetype=FORMATS[format_name].media_type
    )
    response.vary.add("Accept")
    return response


@blp.route("/catalog", methods=["GET"])
@blp.arguments(CatalogArgsSchema(), location="query")
@blp.alt_response(200, description="A page of the catalogue (Hydra paging).", content_type="text/turtle")
@blp.doc(responses={200: {"content": RDF_CONTENT}})
def catalog(args: dict[str, Any]) -> Any:
    """The catalogue as DCAT-AP, a page at a time: the entries you may list (public ones
    for an anonymous harvester; redacted summaries where your clearance is below an
    entry's classification). Follow ``hydra:next`` for the next page."""
    format_name = rdf_format(args, "ttl") or "ttl"
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "per_page")]
    page = services().dcat.catalog_page(
        current_identity(),
        page=args["page"],
        per_page=args["per_page"],
        profile=PROFILES[args["profile"]],
        query=kept,
        publisher=args.get("publisher"),
    )
    return rdf_response(page.graph, format_name)
