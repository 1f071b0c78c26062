"""marshmallow schemas: the shape rules of what comes in and goes out.

Business rules that need the database or the classification scheme live in
the services; these schemas check types, forms, lengths and vocabularies.
The entry schemas are built from the entry fields' declarations
(:mod:`catalogue.fields`); the shapes they are made of are in
:mod:`catalogue.shapes`.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from catalogue.entry_field import OutputView
from catalogue.fields import input_fields, output_fields
from catalogue.orgnr import COUNTRIES, OrgnrError, normalise_orgnr
from catalogue.shapes import (
    ELEMENT_KEY,
    ENTRY_TYPES,
    LANGUAGES,
    MAX_ELEMENT_KEY,
    THEMES,
    language_map,
    non_empty_language_map,
)
from catalogue.timestamps import Timestamp

__all__ = [
    "ENTRY_TYPES",
    "LANGUAGES",
    "THEMES",
    "AgencyCreateSchema",
    "AgencySchema",
    "AgencyUpdateSchema",
    "ApiCreateSchema",
    "ApiUpdateSchema",
    "DataElementCreateSchema",
    "DataElementSchema",
    "DatasetCreateSchema",
    "DatasetUpdateSchema",
    "EntryDetailSchema",
    "EntrySchema",
    "EntrySummarySchema",
]


def _input_schema(name: str, entry_type: str, *, creating: bool) -> type[Schema]:
    return Schema.from_dict(
        {f.name: f.input_field() for f in input_fields(entry_type, creating=creating)}, name=name
    )


def _output_schema(name: str, view: OutputView) -> type[Schema]:
    shown: dict[str, fields.Field[Any]] = {f.name: f.output_field() for f in output_fields(view)}
    shown["redacted"] = fields.Constant(view == "summary")
    return Schema.from_dict(shown, name=name)


# Publisher, status, revision, created and modified are never accepted as input,
# except publisher at creation (checked against the caller's agency).
DatasetCreateSchema = _input_schema("DatasetCreateSchema", "dataset", creating=True)
DatasetUpdateSchema = _input_schema("DatasetUpdateSchema", "dataset", creating=False)
ApiCreateSchema = _input_schema("ApiCreateSchema", "api", creating=True)
ApiUpdateSchema = _input_schema("ApiUpdateSchema", "api", creating=False)

# -- output -----------------------------------------------------------------
#: What a caller below an entry's classification (but at or above its listing
#: level) may see. Nothing else is ever serialised for it.
EntrySummarySchema = _output_schema("EntrySummarySchema", "summary")
#: The whole entry; a type's own fields are omitted for the other type. What lists,
#: search hits and holders show, and what the rendering cache keeps.
EntrySchema = _output_schema("EntrySchema", "full")
#: The whole entry read alone (GET one, a write's answer): EntrySchema and the
#: ``single`` fields (an API's operations).
EntryDetailSchema = _output_schema("EntryDetailSchema", "single")


class AgencyUpdateSchema(Schema):
    """Input to change an agency: its names, homepage, contact address and clearance."""

    name = language_map(300, required=True)
    homepage = fields.URL(load_default=None, allow_none=True, schemes={"https", "http"})
    contact_email = fields.Email(load_default=None, allow_none=True)
    clearance = fields.String(load_default=None, allow_none=True)

    @validates("name")
    def _name(self, value: dict[str, str], **_: Any) -> None:
        non_empty_language_map(value)


class AgencyCreateSchema(AgencyUpdateSchema):
    """Input to register an agency: its update fields and a country and organisation number, normalised."""

    orgnr = fields.String(required=True, validate=validate.Length(min=1, max=20))
    country = fields.String(required=True, validate=validate.OneOf(COUNTRIES))

    @validates_schema
    def _orgnr(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("country") in COUNTRIES:
            try:
                data["orgnr"] = normalise_orgnr(data["country"], data["orgnr"])
            except OrgnrError as exc:
                raise ValidationError({"orgnr": [str(exc)]}) from exc


class AgencySchema(Schema):
    """An agency as the API shows it."""

    orgnr = fields.String()
    country = fields.String()
    name = fields.Dict()
    homepage = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    clearance = fields.String()
    retired = fields.Boolean()
    revision = fields.Integer()
    created = Timestamp()
    modified = Timestamp()


#: The languages every data element is labelled in (more may be given).
ELEMENT_LABEL_LANGUAGES = ("sv", "nb", "en")


class DataElementSchema(Schema):
    """A data element of the once-only vocabulary, as the API shows it."""

    key = fields.String()
    uri = fields.String(metadata={"description": "Stable URI: a public vocabulary's, or a Tillit URN."})
    vocabulary = fields.String(metadata={"description": "Where the URI comes from."})
    labels = fields.Dict(keys=fields.String(), values=fields.String())
    note = fields.String(allow_none=True)
    special_category = fields.Boolean(
        metadata={"description": "A special category of personal data (GDPR Art. 9(1)), flagged if asked."}
    )


class DataElementCreateSchema(Schema):
    """A new data element (administrators): key, URI, its vocabulary and labels."""

    key = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=MAX_ELEMENT_KEY),
            validate.Regexp(ELEMENT_KEY, error="Lower-case letters and digits joined by '-'."),
        ],
    )
    uri = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=500),
            validate.Regexp(r"^(https?://|urn:)\S+$(?!\n)", error="Expected an http(s) URI or a URN."),
        ],
    )
    vocabulary = fields.String(required=True, validate=validate.Length(min=1, max=200))
    labels = language_map(200, required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    special_category = fields.Boolean(load_default=False)

    @validates("labels")
    def _labelled(self, value: dict[str, str], **_: Any) -> None:
        missing = [lang for lang in ELEMENT_LABEL_LANGUAGES if not (value.get(lang) or "").strip()]
        if missing:
            raise ValidationError("Give a label in " + ", ".join(missing) + ".")
