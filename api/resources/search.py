"""Search and type-ahead suggestions (thin: parsing in, rendering out)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.auth import current_identity
from api.resources.entries import render
from api.wiring import services
from catalogue.schemas import ENTRY_TYPES, LANGUAGES, THEMES
from catalogue.shapes import MAX_ELEMENT_KEY, OrgNumber
from search.backend import FACETS, MAX_PER_PAGE, MAX_WINDOW, SORTS, SearchFilters, SearchQuery
from search.query import MAX_QUERY_LENGTH
from security.policy import STATUSES

blp = Blueprint(
    "search",
    __name__,
    url_prefix="/api/v1/search",
    description="Full-text search over the entries you may see, with filters and facets.",
)


def _many(inner: fields.Field[str]) -> fields.List[str]:
    return fields.List(inner, load_default=list, validate=validate.Length(max=20))


class SearchQueryArgsSchema(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=MAX_QUERY_LENGTH))
    type = _many(fields.String(validate=validate.OneOf(ENTRY_TYPES)))
    publisher = _many(OrgNumber())
    classification = _many(fields.String(validate=validate.Length(min=1, max=32)))
    theme = _many(fields.String(validate=validate.OneOf(THEMES)))
    legal_basis = _many(fields.String(validate=validate.Length(min=1, max=64)))
    status = _many(fields.String(validate=validate.OneOf(STATUSES)))
    element = _many(fields.String(validate=validate.Length(min=1, max=MAX_ELEMENT_KEY)))
    format = _many(fields.String(validate=validate.Length(min=1, max=64)))
    personal_data = fields.Boolean(load_default=None, allow_none=True)
    sort = fields.String(load_default="relevance", validate=validate.OneOf(SORTS))
    lang = fields.String(load_default=None, validate=validate.OneOf(LANGUAGES))
    facets = fields.Boolean(load_default=True)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_WINDOW))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))

    @validates_schema
    def _window(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("page", 1) * data.get("per_page", 20) > MAX_WINDOW:
            raise ValidationError({"page": [f"page × per_page must stay within {MAX_WINDOW}."]})


class SuggestQueryArgsSchema(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=100))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=20))


class FacetValueSchema(Schema):
    value = fields.String()
    count = fields.Integer()


class SearchPageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(
        fields.Dict(),
        metadata={
            "description": "Entries (or redacted summaries) "
            "in rank order, with `highlights` (title/description HTML with <mark>); "
            "no relevance score (it would depend on entries you may not see)."
        },
    )
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FacetValueSchema)))


@blp.route("", methods=["GET"])
@blp.arguments(SearchQueryArgsSchema(), location="query")
@blp.alt_response(200, schema=SearchPageSchema, description="A page of hits with facet counts.")
def search(args: dict[str, Any]) -> Any:
    """Search the catalogue. Syntax: words, "phrases", prefix*, -exclusion.
    Filters take several values (?theme=ECON&theme=GOVE); retired entries only
    with status=retired. Facets count only what you may see."""
    query = SearchQuery(
        text=args["q"],
        filters=SearchFilters(
            type=tuple(args["type"]),
            publisher=tuple(args["publisher"]),
            classification=tuple(args["classification"]),
            status=tuple(args["status"]),
            element=tuple(args["element"]),
            theme=tuple(args["theme"]),
            legal_basis=tuple(v.strip() for v in args["legal_basis"]),
            personal_data=args["personal_data"],
            format=tuple(v.strip().upper() for v in args["format"]),
        ),
        sort=args["sort"],
        page=args["page"],
        per_page=args["per_page"],
        lang=args["lang"],
        facets=args["facets"],
    )
    result = services().search.search(current_identity(), query)
    items = []
    for item in result.items:
        data = render(item.view)
        data["highlights"] = dict(item.highlights)
        items.append(data)
    facets = (
        {name: [{"value": f.value, "count": f.count} for f in result.facets.get(name, ())] for name in FACETS}
        if args["facets"]
        else {}
    )
    return jsonify(
        {
            "total": result.total,
            "page": result.page,
            "per_page": result.per_page,
            "items": items,
            "facets": facets,
        }
    )


@blp.route("/suggest", methods=["GET"])
@blp.arguments(SuggestQueryArgsSchema(), location="query")
@blp.alt_response(200, description="Titles starting with what was typed.")
def suggest(args: dict[str, Any]) -> Any:
    """Type-ahead over titles of the entries you may see."""
    found = services().search.suggest(current_identity(), args["q"], args["limit"])
    return jsonify({"items": [{"id": s.id, "title": s.title, "lang": s.lang, "type": s.type} for s in found]})
