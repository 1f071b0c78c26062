"""Every field of a catalogue entry, declared once: :data:`ENTRY_FIELDS`.

A declaration says what a field is; everything that follows from it is derived,
so that nothing depends on remembering the places a field must reach:

- the API's input and output schemas (:mod:`catalogue.schemas`): who may send the
  field (``input``), whether it is required or its default (``default``), its
  shape (``load``), and in which view it is shown (``output``, ``dump``);
- which changes of a published entry wait for a security officer
  (``reviewed`` gives ``REVIEWED_FIELDS`` in :mod:`catalogue.services.entries`):
  a security rule, so it is a property of the field and nowhere else;
- what the entry services copy between input and model (``storage="column"``:
  ``_merged`` and ``_apply`` iterate them; ``"special"`` fields, a relation or a
  pair of columns, are still written by hand there, but declared here);
- how a proposed change is kept as JSON in a review (``json``);
- what the search index holds and how (``index``): the document
  (:mod:`search.documents`) and both engines' schemas
  (:mod:`search.elasticsearch.mapping`, :mod:`search.embedded`).

What a declaration can say (:class:`~catalogue.entry_field.EntryField`, ``Indexed``,
``JsonCodec``, ``REQUIRED``) is in :mod:`catalogue.entry_field`; this module holds the
declarations, the few functions they name (dumps and JSON codecs) and the selections the
rest of the code derives from them (``input_fields``, ``output_fields``, ...).

``tests/unit/catalogue/test_fields.py`` proves that each declared field reaches
each of those places and that nothing undeclared does. ``docs/fields.md``
("How to add a field") walks through adding one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import partial
from typing import Any

from marshmallow import fields, validate

from catalogue.entry_field import (
    API,
    DATASET,
    REQUIRED,
    EntryField,
    Indexed,
    JsonCodec,
    OutputView,
)
from catalogue.shapes import (
    FREQUENCIES,
    LANGUAGES,
    LIFECYCLES,
    MAX_TEXT,
    MAX_TITLE,
    THEMES,
    AuthMechanismSchema,
    ContactPointSchema,
    DistributionSchema,
    LegalBasisSchema,
    LengthThen,
    OperationSchema,
    OrgNumber,
    TemporalSchema,
    auth_mechanisms,
    element_keys,
    language_map,
    non_empty_language_map,
    unique_themes,
)
from catalogue.timestamps import Timestamp


# -- the dumps of fields that are not a column's value as it is ------------------------
def _temporal(obj: Any) -> dict[str, Any] | None:
    if obj.temporal_start is None and obj.temporal_end is None:
        return None
    return {
        "start": obj.temporal_start.isoformat() if obj.temporal_start else None,
        "end": obj.temporal_end.isoformat() if obj.temporal_end else None,
    }


def _distributions(obj: Any) -> Any:
    return DistributionSchema(many=True).dump(obj.distributions)


def _served(obj: Any) -> list[str]:
    # The service replaces this with the ids the caller may see.
    visible = getattr(obj, "visible_served_ids", None)
    return list(visible) if visible is not None else []


def _sharing_status(obj: Any) -> str | None:
    # Needs the scheme's lowest level, which an entry does not know: the renderer
    # (catalogue.machinery.readpath.rendering) fills it in on the whole entry's view.
    return None


# -- JSON codecs for a review's stored proposal ----------------------------------------
def _span_to_json(value: Mapping[str, date | None] | None) -> Any:
    return {k: (v.isoformat() if v else None) for k, v in value.items()} if value else value


def _span_from_json(value: Mapping[str, str | None] | None) -> Any:
    return {k: (date.fromisoformat(v) if v else None) for k, v in value.items()} if value else value


DATE_SPAN = JsonCodec(_span_to_json, _span_from_json)
IDS = JsonCodec(lambda value: [str(v) for v in value], lambda value: value)
MOMENT = JsonCodec(
    lambda value: value.isoformat() if value else None,
    lambda value: datetime.fromisoformat(value) if value else None,
)

_https_or_http = {"https", "http"}

ENTRY_FIELDS: tuple[EntryField, ...] = (
    EntryField(
        "id",
        load=None,
        dump=fields.String,
        storage="system",
        input="never",
        output="summary",
        index=(Indexed("id", "keyword"),),
    ),
    EntryField(
        "type",
        load=None,
        dump=fields.String,
        storage="system",
        input="never",
        output="summary",
        index=(Indexed("type", "keyword"),),
    ),
    EntryField(
        "title",
        load=partial(language_map, MAX_TITLE, validate=non_empty_language_map),
        dump=fields.Dict,
        output="summary",
        default=REQUIRED,
        index=(
            Indexed("title", "language_text"),
            Indexed("title_sort", "sort", computed=True),
        ),
    ),
    EntryField(
        "description",
        load=partial(language_map, MAX_TEXT, validate=non_empty_language_map),
        dump=fields.Dict,
        output="summary",
        default=REQUIRED,
        index=(Indexed("description", "language_text"),),
    ),
    EntryField(
        "keywords",
        load=partial(
            fields.Dict,
            keys=fields.String(validate=validate.OneOf(LANGUAGES)),
            values=fields.List(
                fields.String(validate=validate.Length(min=1, max=100)),
                validate=validate.Length(max=50),
            ),
        ),
        dump=fields.Dict,
        default={},
        index=(Indexed("keywords", "language_text", "full"),),
    ),
    EntryField(
        "themes",
        load=partial(
            fields.List,
            fields.String(validate=validate.OneOf(THEMES)),
            validate=LengthThen(max=14, then=unique_themes),
        ),
        dump=partial(fields.List, fields.String()),
        default=[],
        index=(Indexed("themes", "keyword", "full", many=True),),
    ),
    EntryField(
        # Sent only when registering (and checked against the caller's agency).
        "publisher",
        load=OrgNumber,
        dump=fields.String,
        storage="system",
        input="create",
        output="summary",
        default=REQUIRED,
        index=(
            Indexed("publisher", "keyword"),
            Indexed("publisher_name", "text", computed=True),
        ),
    ),
    EntryField(
        "contact_point",
        load=partial(fields.Nested, ContactPointSchema),
        dump=partial(fields.Dict, allow_none=True),
        output="summary",
    ),
    EntryField(
        "classification",
        load=partial(fields.String, validate=validate.Length(min=1, max=32)),
        dump=fields.String,
        output="summary",
        reviewed=True,
        default=REQUIRED,
        index=(Indexed("classification", "keyword"),),
    ),
    EntryField(
        # None: the classification.
        "listing_level",
        load=fields.String,
        dump=fields.String,
        output="summary",
        reviewed=True,
        index=(Indexed("listing_level", "keyword"),),
    ),
    EntryField(
        "legal_basis",
        load=partial(fields.List, fields.Nested(LegalBasisSchema), validate=validate.Length(max=50)),
        dump=partial(fields.List, fields.Nested(LegalBasisSchema), attribute="legal_bases"),
        storage="special",
        reviewed=True,
        default=[],
        index=(
            Indexed("legal_basis", "keyword", "full", many=True, computed=True),
            Indexed("legal_text", "text", "full", computed=True),
        ),
    ),
    EntryField(
        # catalogue.sharing: open / shareable / no_disclosure_basis, from the
        # classification and the legal bases' roles against the scheme's lowest level.
        # Computed where the scheme is known: the renderer (full view only: it tells
        # whether a disclosure basis exists, which the summary hides) and the search
        # document; a full keyword, so its filter and facet count only whole readers.
        "sharing_status",
        load=None,
        dump=partial(fields.Function, _sharing_status),
        storage="derived",
        input="never",
        index=(Indexed("sharing_status", "keyword", "full", computed=True),),
    ),
    EntryField(
        "contains_personal_data",
        load=fields.Boolean,
        dump=fields.Boolean,
        reviewed=True,
        default=False,
        index=(Indexed("personal_data", "boolean", "full"),),
    ),
    EntryField(
        "special_categories",
        load=fields.Boolean,
        dump=fields.Boolean,
        reviewed=True,
        default=False,
    ),
    EntryField(
        "licence",
        # Bounded as its column is (String(500)): a longer value must be a 422, never a
        # database error.
        load=partial(fields.URL, schemes=_https_or_http, validate=validate.Length(max=500)),
        dump=partial(fields.String, allow_none=True),
    ),
    EntryField(
        "spatial",
        load=partial(fields.String, validate=validate.Length(max=200)),
        dump=partial(fields.String, allow_none=True),
    ),
    EntryField(
        # Two columns, temporal_start and temporal_end.
        "temporal",
        load=partial(fields.Nested, TemporalSchema),
        dump=partial(fields.Function, _temporal),
        storage="special",
        json=DATE_SPAN,
    ),
    EntryField(
        "update_frequency",
        load=partial(fields.String, validate=validate.OneOf(FREQUENCIES)),
        dump=partial(fields.String, allow_none=True),
    ),
    EntryField(
        # The entry's documentation for people (DCAT foaf:page): https only.
        "documentation_url",
        load=partial(
            fields.URL,
            schemes={"https"},
            validate=validate.Length(max=1000),
            error_messages={"invalid": "Expected an https URL."},
        ),
        dump=partial(fields.String, allow_none=True),
    ),
    EntryField(
        # Keys of the data elements the entry holds (catalogue.models.DataElement; the
        # service refuses unknown keys). In the summary, and matched, filtered and
        # counted for every lister: that an entry holds "postal address" says no more
        # than its title and description do, and "who holds X?" (once-only) must
        # answer every caller who may list the entry. Not reviewed: a description of
        # the content, like the description itself (docs/data-elements.md).
        "data_elements",
        load=element_keys,
        dump=partial(fields.List, fields.String()),
        output="summary",
        default=[],
        index=(Indexed("data_elements", "keyword", many=True),),
    ),
    EntryField(
        # The elements, among ``data_elements``, the entry is the authoritative source
        # for (the base register that maintains them). A claim others will rely on,
        # so a change on a published entry waits for a security officer.
        "authoritative_for",
        load=element_keys,
        dump=partial(fields.List, fields.String()),
        output="summary",
        reviewed=True,
        default=[],
    ),
    EntryField(
        "status",
        load=None,
        dump=fields.String,
        storage="system",
        input="never",
        output="summary",
        index=(Indexed("status", "keyword"),),
    ),
    EntryField(
        "revision",
        load=None,
        dump=fields.Integer,
        storage="system",
        input="never",
        index=(Indexed("revision", "long"),),
    ),
    EntryField("created", load=None, dump=Timestamp, storage="system", input="never"),
    EntryField(
        "modified",
        load=None,
        dump=Timestamp,
        storage="system",
        input="never",
        index=(Indexed("modified", "date"),),
    ),
    EntryField(
        "distributions",
        load=partial(fields.List, fields.Nested(DistributionSchema), validate=validate.Length(max=100)),
        dump=partial(fields.Function, _distributions),
        storage="special",
        applies_to=DATASET,
        default=[],
        index=(Indexed("formats", "keyword", "full", many=True, computed=True),),
    ),
    EntryField(
        "endpoint_urls",
        load=partial(fields.List, fields.URL(schemes=_https_or_http), validate=validate.Length(max=20)),
        dump=partial(fields.Function, lambda obj: list(obj.endpoint_urls)),
        applies_to=API,
        default=[],
    ),
    EntryField(
        # Shown as has_openapi; the document itself has its own resource.
        "openapi",
        load=fields.Dict,
        dump=None,
        output="never",
        applies_to=API,
        index=(Indexed("openapi", "text", "full", computed=True),),
    ),
    EntryField(
        # Instead of the document: where to fetch it (through the outbound rules, then
        # checked as an uploaded one; catalogue/machinery/openapi_source.py). Refreshed
        # on demand (POST /apis/<id>/openapi/refresh) and by `tillit harvest openapi-due`.
        "openapi_url",
        load=partial(fields.URL, schemes=_https_or_http, validate=validate.Length(max=1000)),
        dump=fields.String,
        applies_to=API,
    ),
    EntryField(
        # When the stored copy of the document at openapi_url was fetched (set by the
        # service; None for an uploaded document).
        "openapi_fetched",
        load=None,
        dump=Timestamp,
        storage="system",
        input="never",
        applies_to=API,
        json=MOMENT,
    ),
    EntryField(
        "serves_datasets",
        load=partial(fields.List, fields.UUID(), validate=validate.Length(max=100)),
        dump=partial(fields.Function, _served),
        storage="special",
        applies_to=API,
        default=[],
        json=IDS,
    ),
    EntryField(
        "version",
        load=partial(fields.String, validate=validate.Length(max=64)),
        dump=fields.String,
        applies_to=API,
    ),
    EntryField(
        "lifecycle",
        load=partial(fields.String, validate=validate.OneOf(LIFECYCLES)),
        dump=fields.String,
        applies_to=API,
        default="stable",
    ),
    EntryField(
        # How a client authenticates (Maskinporten with its scope, ID-porten, X-Road,
        # OAuth 2 client credentials at an issuer, mTLS, API key, none): per-type
        # required keys in catalogue.shapes.AuthMechanismSchema. Whole view only (a
        # scope or an X-Road member code is how to reach the API, not what it is), and
        # so a full keyword of the types (``auth``). Not reviewed: it changes nothing
        # about who may read the entry (docs/operations.md).
        "auth_mechanisms",
        load=auth_mechanisms,
        dump=partial(fields.List, fields.Nested(AuthMechanismSchema)),
        applies_to=API,
        default=[],
        index=(Indexed("auth", "keyword", "full", many=True, computed=True),),
    ),
    EntryField(
        "has_openapi",
        load=None,
        dump=partial(fields.Function, lambda obj: obj.openapi is not None),
        storage="derived",
        input="never",
        applies_to=API,
    ),
    EntryField(
        # The operations of the OpenAPI document (catalogue.operations), kept in
        # api_operations and rebuilt when the document changes. Whole view only: a
        # reader who sees the API as a summary sees no operation (docs/operations.md).
        "operations",
        load=None,
        dump=partial(fields.List, fields.Nested(OperationSchema), attribute="operation_rows"),
        storage="derived",
        input="never",
        # Up to TILLIT_OPENAPI_MAX_OPERATIONS of them: on GET /apis/<id> (and a write's
        # answer) and /apis/<id>/operations only, read from api_operations per request
        # (EntryReader.single), never in a list, a search hit or the rendering cache.
        output="single",
        applies_to=API,
        # The elements its operations carry that the API's own ``data_elements`` do
        # not: a full keyword, found by ``element=`` only for readers of the whole API
        # (search.backend, ``ELEMENT_EXTENSION``; docs/operations.md).
        index=(Indexed("operation_elements", "keyword", "full", many=True, computed=True),),
    ),
)

BY_NAME: Mapping[str, EntryField] = {f.name: f for f in ENTRY_FIELDS}
if len(BY_NAME) != len(ENTRY_FIELDS):
    raise RuntimeError("An entry field is declared twice.")

#: Changing these on a published entry needs a security officer's review.
REVIEWED_FIELDS: tuple[str, ...] = tuple(f.name for f in ENTRY_FIELDS if f.reviewed)


def input_fields(entry_type: str, *, creating: bool) -> tuple[EntryField, ...]:
    """The fields a caller may send for an entry of ``entry_type``."""
    modes = ("always", "create") if creating else ("always",)
    return tuple(f for f in ENTRY_FIELDS if f.input in modes and entry_type in f.applies_to)


def output_fields(view: OutputView) -> tuple[EntryField, ...]:
    """The fields shown in ``view`` ("summary", "full", or "single": the whole entry read alone)."""
    views = {"summary": ("summary",), "full": ("summary", "full")}.get(view, ("summary", "full", "single"))
    return tuple(f for f in ENTRY_FIELDS if f.output in views)


#: Fields of the whole entry read alone only (output "single"): added by the reader.
SINGLE_FIELDS: tuple[str, ...] = tuple(f.name for f in ENTRY_FIELDS if f.output == "single")


def column_fields(entry_type: str | None = None) -> tuple[EntryField, ...]:
    """Input fields stored as a column of the same name (``entry_type``: only its own)."""
    return tuple(
        f
        for f in ENTRY_FIELDS
        if f.storage == "column" and (entry_type is None or entry_type in f.applies_to)
    )


def input_defaults() -> dict[str, Any]:
    """Every optional input field's default, fresh (publisher is never optional)."""
    return {f.name: f.fresh_default() for f in ENTRY_FIELDS if f.input == "always" and not f.required}


def indexed() -> tuple[tuple[EntryField, Indexed], ...]:
    """Every document field made from an entry field, in declaration order."""
    return tuple((f, spec) for f in ENTRY_FIELDS for spec in f.index)
