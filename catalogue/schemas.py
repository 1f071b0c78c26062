"""marshmallow schemas: the shape rules of what comes in and goes out.

Business rules that need the database or the classification scheme live in
the services; these schemas check types, forms, lengths and vocabularies.
"""

from __future__ import annotations

from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    missing,
    post_load,
    validate,
    validates,
    validates_schema,
)

from catalogue.legal import (
    JURISDICTIONS,
    ROLES,
    LegalReferenceError,
    normalise_provision,
    normalise_reference,
    reference_url,
)
from catalogue.orgnr import COUNTRIES, OrgnrError, normalise_orgnr

LANGUAGES = ("sv", "nb", "nn", "en")
ENTRY_TYPES = ("dataset", "api")
#: EU data-theme vocabulary (http://publications.europa.eu/resource/authority/data-theme)
THEMES = (
    "AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL",
    "INTR", "JUST", "OP_DATPRO", "REGI", "SOCI", "TECH", "TRAN",
)  # fmt: skip
#: EU frequency vocabulary (subset in common use)
FREQUENCIES = (
    "CONT", "UPDATE_CONT", "DAILY", "WEEKLY", "BIWEEKLY", "MONTHLY", "QUARTERLY",
    "BIANNUAL", "ANNUAL", "BIENNIAL", "IRREG", "NEVER", "OTHER", "UNKNOWN",
)  # fmt: skip
LIFECYCLES = ("experimental", "stable", "deprecated")
MAX_TEXT = 10_000
MAX_TITLE = 300


def _language_map(max_len: int, required: bool = False) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES)),
        values=fields.String(validate=validate.Length(min=1, max=max_len)),
        required=required,
    )


def _non_empty_language_map(value: dict[str, str]) -> None:
    if not any(text.strip() for text in value.values()):
        raise ValidationError("Give the text in at least one language (sv, nb, nn or en).")


class LegalBasisSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    jurisdiction = fields.String(required=True, validate=validate.OneOf(JURISDICTIONS))
    reference = fields.String(required=True, validate=validate.Length(min=1, max=64))
    provision = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    url = fields.String(dump_only=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def _check_reference(self, data: dict[str, Any], **_: Any) -> None:
        jurisdiction = data.get("jurisdiction")
        if jurisdiction not in JURISDICTIONS:
            return
        errors: dict[str, list[str]] = {}
        try:
            data["reference"] = normalise_reference(jurisdiction, data["reference"])
        except LegalReferenceError as exc:
            errors["reference"] = [str(exc)]
        try:
            data["provision"] = normalise_provision(jurisdiction, data.get("provision"))
        except LegalReferenceError as exc:
            errors["provision"] = [str(exc)]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _derive_url(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["url"] = reference_url(data["jurisdiction"], data["reference"])
        return data


class ContactPointSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(load_default=None, allow_none=True)
    url = fields.URL(load_default=None, allow_none=True, schemes={"https", "http"})


class TemporalSchema(Schema):
    start = fields.Date(load_default=None, allow_none=True)
    end = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError({"end": ["The end must not be before the start."]})


class DistributionSchema(Schema):
    title = _language_map(MAX_TITLE)
    format = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    media_type = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(
            r"^[a-z]+/[a-zA-Z0-9.+\-]+$", error="Expected a media type such as text/csv."
        ),
    )
    access_url = fields.URL(required=True, schemes={"https", "http"})
    download_url = fields.URL(load_default=None, allow_none=True, schemes={"https", "http"})
    byte_size = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))


class _EntryInputSchema(Schema):
    """Fields shared by datasets and APIs. ``publisher``, ``status``,
    ``revision``, ``created`` and ``modified`` are never accepted as input
    except ``publisher`` at creation (checked against the caller's agency)."""

    title = _language_map(MAX_TITLE, required=True)
    description = _language_map(MAX_TEXT, required=True)
    keywords = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES)),
        values=fields.List(
            fields.String(validate=validate.Length(min=1, max=100)),
            validate=validate.Length(max=50),
        ),
        load_default=dict,
    )
    themes = fields.List(
        fields.String(validate=validate.OneOf(THEMES)),
        load_default=list,
        validate=validate.Length(max=14),
    )
    contact_point = fields.Nested(ContactPointSchema, load_default=None, allow_none=True)
    classification = fields.String(required=True, validate=validate.Length(min=1, max=32))
    listing_level = fields.String(load_default=None, allow_none=True)
    legal_basis = fields.List(
        fields.Nested(LegalBasisSchema), load_default=list, validate=validate.Length(max=50)
    )
    contains_personal_data = fields.Boolean(load_default=False)
    special_categories = fields.Boolean(load_default=False)
    licence = fields.URL(load_default=None, allow_none=True, schemes={"https", "http"})
    spatial = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    temporal = fields.Nested(TemporalSchema, load_default=None, allow_none=True)
    update_frequency = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(FREQUENCIES))

    @validates("title")
    def _title(self, value: dict[str, str], **_: Any) -> None:
        _non_empty_language_map(value)

    @validates("description")
    def _description(self, value: dict[str, str], **_: Any) -> None:
        _non_empty_language_map(value)

    @validates("themes")
    def _unique_themes(self, value: list[str], **_: Any) -> None:
        if len(set(value)) != len(value):
            raise ValidationError("Each theme may appear once.")


class DatasetCreateSchema(_EntryInputSchema):
    publisher = fields.String(required=True, validate=validate.Length(min=1, max=20))
    distributions = fields.List(
        fields.Nested(DistributionSchema), load_default=list, validate=validate.Length(max=100)
    )


class DatasetUpdateSchema(_EntryInputSchema):
    distributions = fields.List(
        fields.Nested(DistributionSchema), load_default=list, validate=validate.Length(max=100)
    )


class _ApiFields(Schema):
    endpoint_urls = fields.List(
        fields.URL(schemes={"https", "http"}),
        load_default=list,
        validate=validate.Length(max=20),
    )
    openapi = fields.Dict(load_default=None, allow_none=True)
    serves_datasets = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=100))
    version = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    lifecycle = fields.String(load_default="stable", validate=validate.OneOf(LIFECYCLES))


class ApiCreateSchema(_EntryInputSchema, _ApiFields):
    publisher = fields.String(required=True, validate=validate.Length(min=1, max=20))


class ApiUpdateSchema(_EntryInputSchema, _ApiFields):
    pass


# -- output -----------------------------------------------------------------
class EntrySummarySchema(Schema):
    """What a caller below an entry's classification (but at or above its
    listing level) may see. Nothing else is ever serialised for it."""

    id = fields.String()
    type = fields.String()
    title = fields.Dict()
    description = fields.Dict()
    publisher = fields.String()
    contact_point = fields.Dict(allow_none=True)
    classification = fields.String()
    listing_level = fields.String()
    status = fields.String()
    redacted = fields.Constant(True)


class EntrySchema(Schema):
    id = fields.String()
    type = fields.String()
    title = fields.Dict()
    description = fields.Dict()
    keywords = fields.Dict()
    themes = fields.List(fields.String())
    publisher = fields.String()
    contact_point = fields.Dict(allow_none=True)
    classification = fields.String()
    listing_level = fields.String()
    legal_basis = fields.List(fields.Nested(LegalBasisSchema), attribute="legal_bases")
    contains_personal_data = fields.Boolean()
    special_categories = fields.Boolean()
    licence = fields.String(allow_none=True)
    spatial = fields.String(allow_none=True)
    temporal = fields.Method("_temporal")
    update_frequency = fields.String(allow_none=True)
    status = fields.String()
    revision = fields.Integer()
    created = fields.DateTime()
    modified = fields.DateTime()
    redacted = fields.Constant(False)
    distributions = fields.Method("_distributions")
    endpoint_urls = fields.Method("_endpoint_urls")
    serves_datasets = fields.Method("_serves")
    version = fields.Method("_version")
    lifecycle = fields.Method("_lifecycle")
    has_openapi = fields.Method("_has_openapi")

    # Type-specific fields are omitted for the other type.
    def _temporal(self, obj: Any) -> dict[str, Any] | None:
        if obj.temporal_start is None and obj.temporal_end is None:
            return None
        return {
            "start": obj.temporal_start.isoformat() if obj.temporal_start else None,
            "end": obj.temporal_end.isoformat() if obj.temporal_end else None,
        }

    def _distributions(self, obj: Any) -> Any:
        if obj.type != "dataset":
            return missing
        return DistributionSchema(many=True).dump(obj.distributions)

    def _endpoint_urls(self, obj: Any) -> Any:
        return list(obj.endpoint_urls) if obj.type == "api" else missing

    def _serves(self, obj: Any) -> Any:
        # The service replaces this with the ids the caller may see.
        if obj.type != "api":
            return missing
        visible = getattr(obj, "visible_served_ids", None)
        return list(visible) if visible is not None else []

    def _version(self, obj: Any) -> Any:
        return obj.version if obj.type == "api" else missing

    def _lifecycle(self, obj: Any) -> Any:
        return obj.lifecycle if obj.type == "api" else missing

    def _has_openapi(self, obj: Any) -> Any:
        return obj.openapi is not None if obj.type == "api" else missing


class AgencyUpdateSchema(Schema):
    name = _language_map(300, required=True)
    homepage = fields.URL(load_default=None, allow_none=True, schemes={"https", "http"})
    contact_email = fields.Email(load_default=None, allow_none=True)
    clearance = fields.String(load_default=None, allow_none=True)

    @validates("name")
    def _name(self, value: dict[str, str], **_: Any) -> None:
        _non_empty_language_map(value)


class AgencyCreateSchema(AgencyUpdateSchema):
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
    orgnr = fields.String()
    country = fields.String()
    name = fields.Dict()
    homepage = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    clearance = fields.String()
    retired = fields.Boolean()
    revision = fields.Integer()
    created = fields.DateTime()
    modified = fields.DateTime()
