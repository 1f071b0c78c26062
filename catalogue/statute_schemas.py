"""Schemas of the statute register (``catalogue.models.Statute``): output and input."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from catalogue.legal import JURISDICTIONS, LegalReferenceError, normalise_reference
from catalogue.shapes import LANGUAGES, language_map, non_empty_language_map
from catalogue.statutes import MAX_NAME, MAX_SHORT_NAMES
from catalogue.timestamps import Timestamp


def _short_names(**kwargs: Any) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES)),
        values=fields.List(
            fields.String(validate=validate.Length(min=1, max=MAX_NAME)),
            validate=validate.Length(max=MAX_SHORT_NAMES),
        ),
        **kwargs,
    )


class StatuteSchema(Schema):
    """A statute of the register as the API shows it."""

    jurisdiction = fields.String(metadata={"example": "SE"})
    reference = fields.String(metadata={"example": "2009:400"})
    names = fields.Dict(
        metadata={"description": "Official name per language (sv, nb, nn, en), where one exists."}
    )
    short_names = fields.Dict(metadata={"description": "Common short names per language, most used first."})
    url = fields.String(metadata={"description": "The official text."})
    note = fields.String(allow_none=True)
    source = fields.String(
        allow_none=True, metadata={"description": "Where the names and link were checked."}
    )
    modified = Timestamp()


class StatuteUpdateSchema(Schema):
    """Input to replace a statute: its names, short names, link, note and source."""

    names = language_map(MAX_NAME, required=True, validate=non_empty_language_map)
    short_names = _short_names(load_default=dict)
    url = fields.URL(load_default=None, allow_none=True, schemes={"https"}, validate=validate.Length(max=500))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    source = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class StatuteCreateSchema(StatuteUpdateSchema):
    """Input to add a statute: the update fields and its jurisdiction and reference, normalised."""

    jurisdiction = fields.String(required=True, validate=validate.OneOf(JURISDICTIONS))
    reference = fields.String(required=True, validate=validate.Length(min=1, max=64))

    @validates_schema
    def _check_reference(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("jurisdiction") not in JURISDICTIONS:
            return
        try:
            data["reference"] = normalise_reference(data["jurisdiction"], data["reference"])
        except LegalReferenceError as exc:
            raise ValidationError({"reference": [str(exc)]}) from exc
