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

``tests/unit/catalogue/test_fields.py`` proves that each declared field reaches
each of those places and that nothing undeclared does. ``docs/architecture.md``
("How to add a field") walks through adding one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, Final, Literal

from marshmallow import fields, missing, validate

from catalogue.shapes import (
    FREQUENCIES,
    LANGUAGES,
    LIFECYCLES,
    MAX_TEXT,
    MAX_TITLE,
    THEMES,
    ContactPointSchema,
    DistributionSchema,
    LegalBasisSchema,
    LengthThen,
    OrgNumber,
    TemporalSchema,
    language_map,
    non_empty_language_map,
    unique_themes,
)
from catalogue.timestamps import Timestamp

#: How the entry services store a field:
#: ``column``: a model column of the same name, copied as it is by ``_merged``/``_apply``;
#: ``special``: written by hand in ``_merged``/``_apply`` (a relation, or two columns);
#: ``system``: set by the services (id, publisher, status, ...), never copied from input;
#: ``derived``: not stored, computed from other fields when shown.
Storage = Literal["column", "special", "system", "derived"]
#: Who may send it: always, only when registering the entry, or never.
InputMode = Literal["always", "create", "never"]
#: The view it is shown in: the redacted summary (and so also the whole entry), only
#: the whole entry, or no view.
OutputView = Literal["summary", "full", "never"]
#: How a document field is indexed. ``keyword``: exact values (filters, facets, access
#: labels); ``boolean``; ``language_text``: one analysed field per language,
#: ``<name>_<lang>``; ``text``: analysed text of no particular language; ``long``,
#: ``date``; ``sort``: a normalised keyword to sort by.
IndexKind = Literal["keyword", "boolean", "language_text", "text", "long", "date", "sort"]
#: ``summary``: may match for every caller who may list the entry; ``full``: only
#: for callers who may read the whole entry (search.backend, "Two field groups").
IndexGroup = Literal["summary", "full"]

BOTH: Final = frozenset({"dataset", "api"})
DATASET: Final = frozenset({"dataset"})
API: Final = frozenset({"api"})


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: The ``default`` of a field that must be given.
REQUIRED: Final = _Required()


@dataclass(frozen=True)
class Indexed:
    """One field of the search document, made from an entry field."""

    name: str
    kind: IndexKind
    group: IndexGroup = "summary"
    #: A keyword with a list of values.
    many: bool = False
    #: Built by search.documents from more than the column's value (a relation,
    #: the publisher's name); ``False``: the column's value as it is, by kind.
    computed: bool = False

    def names(self) -> tuple[str, ...]:
        """The document's field names (one per language for ``language_text``)."""
        if self.kind == "language_text":
            return tuple(f"{self.name}_{lang}" for lang in LANGUAGES)
        return (self.name,)


@dataclass(frozen=True)
class JsonCodec:
    """How a value loaded by the input schema is kept in a review's JSON, and back."""

    to_json: Callable[[Any], Any]
    from_json: Callable[[Any], Any]


@dataclass(frozen=True)
class EntryField:
    name: str
    #: The input field, given ``required``, or ``load_default`` and ``allow_none``
    #: (derived from ``default``). None: never input.
    load: Callable[..., fields.Field[Any]] | None
    #: The output field. None: never shown.
    dump: Callable[[], fields.Field[Any]] | None
    storage: Storage = "column"
    applies_to: frozenset[str] = BOTH
    input: InputMode = "always"
    output: OutputView = "full"
    #: A change to it on a published entry waits for a security officer's review.
    reviewed: bool = False
    #: The value when the input omits it: REQUIRED, or a value (copied before use).
    default: Any = None
    index: tuple[Indexed, ...] = ()
    #: How a review keeps it as JSON (None: it is JSON already).
    json: JsonCodec | None = None

    def __post_init__(self) -> None:
        if (self.load is None) != (self.input == "never"):
            raise ValueError(f"{self.name}: an input field needs ``load``, and only an input field has one")
        if (self.dump is None) != (self.output == "never"):
            raise ValueError(f"{self.name}: a shown field needs ``dump``, and only a shown field has one")

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def fresh_default(self) -> Any:
        """The default, copied: a list or dict default is never shared."""
        if self.required:
            raise KeyError(self.name)
        return copy.copy(self.default)

    def input_field(self) -> fields.Field[Any]:
        if self.load is None:
            raise KeyError(self.name)
        if self.required:
            return self.load(required=True)
        default = self.default
        # A mutable default as a factory (so it is never shared); others as values,
        # which the OpenAPI document then shows.
        load_default = type(default) if isinstance(default, list | dict) else default
        return self.load(load_default=load_default, allow_none=default is None)

    def output_field(self) -> fields.Field[Any]:
        if self.dump is None:
            raise KeyError(self.name)
        field = self.dump()
        return field if self.applies_to == BOTH else _OnlyFor(field, self.applies_to)


class _OnlyFor(fields.Field[Any]):
    """Shows a type-specific field only on entries of that type (omitted otherwise)."""

    def __init__(self, inner: fields.Field[Any], types: frozenset[str]) -> None:
        super().__init__(dump_only=True)
        self.inner = inner
        self.types = types

    def serialize(
        self, attr: str, obj: Any, accessor: Callable[[Any, str, Any], Any] | None = None, **kwargs: Any
    ) -> Any:
        if getattr(obj, "type", None) not in self.types:
            return missing
        return self.inner.serialize(attr, obj, accessor, **kwargs)


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


# -- JSON codecs for a review's stored proposal ----------------------------------------
def _span_to_json(value: Mapping[str, date | None] | None) -> Any:
    return {k: (v.isoformat() if v else None) for k, v in value.items()} if value else value


def _span_from_json(value: Mapping[str, str | None] | None) -> Any:
    return {k: (date.fromisoformat(v) if v else None) for k, v in value.items()} if value else value


DATE_SPAN = JsonCodec(_span_to_json, _span_from_json)
IDS = JsonCodec(lambda value: [str(v) for v in value], lambda value: value)

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
        "has_openapi",
        load=None,
        dump=partial(fields.Function, lambda obj: obj.openapi is not None),
        storage="derived",
        input="never",
        applies_to=API,
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
    """The fields shown in ``view`` ("summary" or "full")."""
    views = ("summary",) if view == "summary" else ("summary", "full")
    return tuple(f for f in ENTRY_FIELDS if f.output in views)


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
