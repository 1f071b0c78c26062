"""Search and type-ahead suggestions (thin: parsing in, rendering out)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from flask import jsonify
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from api.auth import current_identity
from api.openapi import Blueprint
from api.resources.common import page_response, reader_language
from api.resources.entries import entry_json
from api.wiring import services
from catalogue.schemas import ENTRY_TYPES, LANGUAGES, THEMES
from catalogue.services.agencies import AgencyLabel
from catalogue.shapes import AUTH_TYPES, MAX_ELEMENT_KEY, OrgNumber, StatuteLabelSchema
from catalogue.sharing import SHARING_STATUSES
from catalogue.statutes import StatuteLabel, jurisdiction_of
from search.backend import FACETS, MAX_PER_PAGE, MAX_WINDOW, SORTS, FacetValue, SearchFilters, SearchQuery
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


#: The facet whose values are statutes (bare references): named from the register.
STATUTE_FACET = "legal_basis"
#: The facet whose values are agencies (organisation numbers): named from the agencies.
PUBLISHER_FACET = "publisher"


_FACET_NAMES = "|".join(FACETS)


class FacetsArgument(fields.String):
    """``facets=``: ``true`` (every facet, the default), ``false`` (none), or the facets to
    count, comma-separated (``facets=type,publisher``): only those are counted."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            metadata={
                "description": "Which facets to count: true (all), false (none) or names, "
                f"comma-separated ({', '.join(FACETS)}). Counting fewer answers sooner.",
                "pattern": f"^(true|false|1|0|({_FACET_NAMES})(,({_FACET_NAMES}))*)$",
                "example": "type,publisher",
                "default": "true",  # what the document says; loaded, it is every facet
            },
            **kwargs,
        )

    # A string in the OpenAPI document, a tuple of facet names once loaded.
    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> tuple[str, ...]:
        text = str(super()._deserialize(value, attr, data, **kwargs)).strip().lower()
        if text in ("true", "1"):
            return FACETS
        if text in ("false", "0"):
            return ()
        names = tuple(dict.fromkeys(n.strip() for n in text.split(",")))
        if not names or not set(names) <= set(FACETS):
            raise ValidationError(f"Give true, false or facet names among: {', '.join(FACETS)}.")
        return names


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
    sharing_status = _many(fields.String(validate=validate.OneOf(SHARING_STATUSES)))
    auth = _many(fields.String(validate=validate.OneOf(AUTH_TYPES)))
    personal_data = fields.Boolean(load_default=None, allow_none=True)
    sort = fields.String(load_default="relevance", validate=validate.OneOf(SORTS))
    lang = fields.String(load_default=None, validate=validate.OneOf(LANGUAGES))
    facets = FacetsArgument(load_default=FACETS)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_WINDOW))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))

    @validates_schema
    def _window(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("page", 1) * data.get("per_page", 20) > MAX_WINDOW:
            raise ValidationError({"page": [f"page × per_page must stay within {MAX_WINDOW}."]})

    @post_load
    def _frozen(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Repeated arguments as tuples: the answer is then immutable, so a query string's
        parse is kept and handed out again (api/arguments.py)."""
        return {name: tuple(value) if isinstance(value, list) else value for name, value in data.items()}


class SuggestQueryArgsSchema(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=100))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=20))


class AgencyLabelSchema(Schema):
    name = fields.String(required=True, metadata={"example": "Skatteverket"})
    lang = fields.String(required=True, metadata={"description": "The language of name (sv, nb, nn or en)."})


class FacetValueSchema(Schema):
    value = fields.String()
    count = fields.Integer()
    statute = fields.Nested(
        StatuteLabelSchema,
        metadata={
            "description": "legal_basis only: the statute's name in the reader's language, if registered."
        },
    )
    agency = fields.Nested(
        AgencyLabelSchema,
        metadata={
            "description": "publisher only: the agency's name in the reader's language, or the nearest."
        },
    )


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


class SuggestionSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    lang = fields.String(required=True, allow_none=True)
    type = fields.String(required=True, validate=validate.OneOf(ENTRY_TYPES))


class SuggestionsSchema(Schema):
    items = fields.List(fields.Nested(SuggestionSchema), required=True)


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
            sharing_status=tuple(args["sharing_status"]),
            personal_data=args["personal_data"],
            format=tuple(v.strip().upper() for v in args["format"]),
            auth=tuple(args["auth"]),
        ),
        sort=args["sort"],
        page=args["page"],
        per_page=args["per_page"],
        lang=args["lang"],
        facets=bool(args["facets"]),
        facet_names=tuple(args["facets"]),
    )
    result = services().search.search(current_identity(), query)
    statute_facet = result.facets.get(STATUTE_FACET, ())
    labels = _facet_labels(f.value for f in statute_facet)
    lang = reader_language()
    # Each hit is its cached rendering's text, as a read of the entry answers it (nothing
    # serialised again), with its highlights added as the last member.
    items = ",".join(_with_highlights(entry_json(item.view, lang), item.highlights) for item in result.items)
    agencies = services().agencies.labels(
        current_identity(), (f.value for f in result.facets.get(PUBLISHER_FACET, ())), lang
    )
    facets = (
        {
            name: [_facet_value(name, f, labels, agencies) for f in result.facets.get(name, ())]
            for name in args["facets"]
        }
        if args["facets"]
        else {}
    )
    response = page_response(
        items, result.total, result.page, result.per_page, extra={"facets": facets}, max_items=MAX_WINDOW
    )
    response.vary.add("Accept-Language")  # statutes' and agencies' names are in the reader's language
    return response


def _with_highlights(entry: str, highlights: Mapping[str, str]) -> str:
    """An entry's JSON object text with ``"highlights"`` added as its last member
    (its values are text: each encoded as a JSON string, the object written here)."""
    members = ",".join(f"{_string(name)}:{_string(text)}" for name, text in highlights.items())
    return f'{entry[:-1]},"highlights":{{{members}}}}}'


#: A JSON string literal, UTF-8 kept as is (as ``to_json`` writes it).
_string = json.encoder.encode_basestring


def _facet_labels(references: Iterable[str]) -> Mapping[tuple[str, str], StatuteLabel]:
    """Names of the statutes a legal-basis facet counts (its values are bare references)."""
    cited = [(code, ref) for ref in references if (code := jurisdiction_of(ref)) is not None]
    return services().statutes.labels(current_identity(), cited, reader_language()) if cited else {}


def _facet_value(
    name: str,
    value: FacetValue,
    labels: Mapping[tuple[str, str], StatuteLabel],
    agencies: Mapping[str, AgencyLabel],
) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value.value, "count": value.count}
    if name == PUBLISHER_FACET and (agency := agencies.get(value.value)) is not None:
        out["agency"] = {"name": agency.name, "lang": agency.lang}
    if name == STATUTE_FACET and (code := jurisdiction_of(value.value)) is not None:
        shown = labels.get((code, value.value))
        if shown is not None:
            out["statute"] = shown.as_json()
    return out


@blp.route("/suggest", methods=["GET"])
@blp.arguments(SuggestQueryArgsSchema(), location="query")
@blp.alt_response(200, schema=SuggestionsSchema, description="Titles starting with what was typed.")
def suggest(args: dict[str, Any]) -> Any:
    """Type-ahead over titles of the entries you may see."""
    found = services().search.suggest(current_identity(), args["q"], args["limit"])
    return jsonify({"items": [{"id": s.id, "title": s.title, "lang": s.lang, "type": s.type} for s in found]})
