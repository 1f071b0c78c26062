"""The shapes entry fields are made of: vocabularies, language maps and the nested
value schemas (a legal basis, a contact point, a time span, a distribution).

Shape rules only (types, forms, lengths, vocabularies); :mod:`catalogue.fields`
puts them together into the entry's fields, and :mod:`catalogue.schemas` builds
the API's schemas from those.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from catalogue.legal import (
    JURISDICTIONS,
    REFERENCE_PATTERNS,
    ROLES,
    LegalReferenceError,
    normalise_provision,
    normalise_reference,
    reference_url,
)
from catalogue.orgnr import MAX_LENGTH as MAX_ORGNR_LENGTH
from catalogue.orgnr import OrgnrError, normalise_orgnr

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


def language_map(max_len: int, **kwargs: Any) -> fields.Dict:
    """Text per language: ``{"sv": "...", "en": "..."}``."""
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES)),
        values=fields.String(validate=validate.Length(min=1, max=max_len)),
        **kwargs,
    )


def non_empty_language_map(value: dict[str, str]) -> None:
    """Refuse a language map whose texts are all blank."""
    if not any(text.strip() for text in value.values()):
        raise ValidationError("Give the text in at least one language (sv, nb, nn or en).")


def unique_themes(value: list[Any]) -> None:
    """Refuse a list of themes that names one twice."""
    if len(set(value)) != len(value):
        raise ValidationError("Each theme may appear once.")


class OrgNumber(fields.String):
    """A Nordic organisation number in any common form, loaded as its canonical form
    (:mod:`catalogue.orgnr`); a malformed or invalid one is a field message.

    The one way an organisation number enters through a body or a query string; a
    path takes the same normaliser through ``api.converters``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Length(min=1, max=MAX_ORGNR_LENGTH))
        metadata = {
            "description": "An organisation number (SE, NO, FI or DK) in any common form; "
            "answered in its canonical form, such as 202100-5448.",
            "example": "202100-5448",
            **kwargs.pop("metadata", {}),
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise_orgnr(None, text)
        except OrgnrError as exc:
            raise ValidationError(str(exc)) from exc


class LengthThen(validate.Length):
    """A length check, then ``then`` only on a value of the right length: one message,
    as a field's ``validate`` followed by a ``@validates`` method gave. A ``Length``
    still, so the OpenAPI document shows the limits."""

    def __init__(self, *, max: int, then: Callable[[Any], None]) -> None:
        super().__init__(max=max)
        self.then = then

    def __call__(self, value: Any) -> Any:
        """Check the length, then ``then``; the value, or ValidationError from either."""
        checked = super().__call__(value)
        self.then(value)
        return checked


class StatuteLabelSchema(Schema):
    """How the cited statute is named for the reader (``lang`` or ``?lang=``, else
    Accept-Language): its name and short name in that language, or in the nearest
    one the register has (``lang`` says which). Absent for a statute the register
    does not know: it is shown by its reference."""

    name = fields.String(metadata={"example": "Offentlighets- och sekretesslag (2009:400)"})
    short_name = fields.String(allow_none=True, metadata={"example": "OSL"})
    lang = fields.String(metadata={"description": "The language of name (sv, nb, nn or en)."})


#: A data element's key (catalogue.models.DataElement): lower-case words joined by "-".
#: ``$(?!\n)``: Python's ``$`` also matches before a final newline; JSON Schema's does not.
ELEMENT_KEY = r"^[a-z0-9]+(-[a-z0-9]+)*$(?!\n)"
MAX_ELEMENT_KEY = 64


def _unique_elements(value: list[Any]) -> None:
    if len(set(value)) != len(value):
        raise ValidationError("Each data element may appear once.")


def element_keys(**kwargs: Any) -> fields.List[str]:
    """A list of data-element keys, each once: their form only (the service refuses
    keys that are not in the vocabulary, which lives in the database)."""
    key = fields.String(
        validate=[
            validate.Length(min=1, max=MAX_ELEMENT_KEY),
            validate.Regexp(ELEMENT_KEY, error="Expected a data-element key such as 'postal-address'."),
        ]
    )
    return fields.List(key, validate=LengthThen(max=50, then=_unique_elements), **kwargs)


class LegalBasisSchema(Schema):
    """A legal reference: role, jurisdiction, a reference and provision in that law's form; URL derived."""

    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    jurisdiction = fields.String(required=True, validate=validate.OneOf(JURISDICTIONS))
    reference = fields.String(required=True, validate=validate.Length(min=1, max=64))
    provision = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    url = fields.String(dump_only=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    #: Added per reader at the HTTP edge from the statute register, never cached
    #: with the entry (the register and the reader's language change on their own).
    statute = fields.Nested(StatuteLabelSchema, dump_only=True)

    #: What JSON Schema can say of ``_check_reference``: each jurisdiction's reference
    #: in its canonical form (``catalogue.legal.REFERENCE_PATTERNS``); the OpenAPI
    #: document adds it to this schema (``api.openapi``, ``json_schema_rules``).
    json_schema_rules: ClassVar[dict[str, Any]] = {
        "allOf": [
            {
                "if": {"properties": {"jurisdiction": {"const": code}}, "required": ["jurisdiction"]},
                "then": {"properties": {"reference": {"pattern": pattern}}},
            }
            for code, pattern in REFERENCE_PATTERNS.items()
        ]
    }

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
    """Whom to ask about an entry: a name, and an optional email address and URL."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(load_default=None, allow_none=True)
    url = fields.URL(load_default=None, allow_none=True, schemes={"https", "http"})


class TemporalSchema(Schema):
    """The time an entry covers: an optional start and end, the end not before the start."""

    start = fields.Date(load_default=None, allow_none=True)
    end = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError({"end": ["The end must not be before the start."]})


class DistributionSchema(Schema):
    """One way to get a dataset: its access URL, optional download URL, format and media type."""

    title = language_map(MAX_TITLE)
    format = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    # Each string is bounded as its column is (models.Distribution): a longer value must
    # be a 422, never a database error.
    media_type = fields.String(
        load_default=None,
        allow_none=True,
        validate=[
            validate.Length(max=128),
            validate.Regexp(
                r"^[a-z]+/[a-zA-Z0-9.+\-]+$(?!\n)", error="Expected a media type such as text/csv."
            ),
        ],
    )
    access_url = fields.URL(required=True, schemes={"https", "http"}, validate=validate.Length(max=1000))
    download_url = fields.URL(
        load_default=None, allow_none=True, schemes={"https", "http"}, validate=validate.Length(max=1000)
    )
    byte_size = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))


#: How a client authenticates to an API (docs/operations.md, "Authentication mechanisms").
AUTH_TYPES = (
    "maskinporten", "idporten", "x-road", "oauth2-client-credentials", "mtls", "api-key", "none",
)  # fmt: skip
#: The keys each type must give, and those it may give.
_AUTH_REQUIRED: dict[str, frozenset[str]] = {
    "maskinporten": frozenset({"scope"}),
    "oauth2-client-credentials": frozenset({"issuer"}),
    "x-road": frozenset({"x_road"}),
}
_AUTH_ALLOWED: dict[str, frozenset[str]] = {
    "maskinporten": frozenset({"scope", "issuer"}),
    "idporten": frozenset({"scope", "issuer"}),
    "oauth2-client-credentials": frozenset({"scope", "issuer"}),
    "x-road": frozenset({"x_road"}),
}
MAX_AUTH_MECHANISMS = 20


class XRoadServiceSchema(Schema):
    """Where an X-Road service is: the X-Road instance and the member's class, code and subsystem."""

    instance = fields.String(required=True, validate=validate.Length(min=1, max=100))
    member_class = fields.String(required=True, validate=validate.Length(min=1, max=100))
    member_code = fields.String(required=True, validate=validate.Length(min=1, max=100))
    subsystem = fields.String(required=True, validate=validate.Length(min=1, max=100))


class AuthMechanismSchema(Schema):
    """One way a client authenticates to an API; each type's required keys are checked."""

    type = fields.String(required=True, validate=validate.OneOf(AUTH_TYPES))
    #: The scope a client asks for (Maskinporten: required, e.g. "skatteetaten:inntekt").
    scope = fields.String(validate=validate.Length(min=1, max=200))
    #: The authorization server that issues the tokens (https).
    issuer = fields.URL(schemes={"https"}, validate=validate.Length(max=500))
    x_road = fields.Nested(XRoadServiceSchema)

    @validates_schema
    def _keys_of_type(self, data: dict[str, Any], **_: Any) -> None:
        kind = data.get("type")
        if kind not in AUTH_TYPES:
            return
        given = {k for k in ("scope", "issuer", "x_road") if k in data}
        errors: dict[str, list[str]] = {}
        for key in sorted(_AUTH_REQUIRED.get(kind, frozenset()) - given):
            errors[key] = [f"Required for type {kind!r}."]
        for key in sorted(given - _AUTH_ALLOWED.get(kind, frozenset())):
            errors[key] = [f"Not used with type {kind!r}."]
        if errors:
            raise ValidationError(errors)


def auth_mechanisms(**kwargs: Any) -> fields.List[Any]:
    """A list of authentication mechanisms: "none" only alone, no mechanism twice."""

    def _whole(value: list[dict[str, Any]]) -> None:
        if len(value) > MAX_AUTH_MECHANISMS:
            raise ValidationError(f"At most {MAX_AUTH_MECHANISMS} mechanisms.")
        if any(m.get("type") == "none" for m in value) and len(value) > 1:
            raise ValidationError('"none" means no authentication: give it alone.')
        seen = [repr(sorted(m.items())) for m in value]
        if len(set(seen)) != len(seen):
            raise ValidationError("A mechanism is given twice.")

    return fields.List(fields.Nested(AuthMechanismSchema), validate=_whole, **kwargs)


class OperationSchema(Schema):
    """One operation of an API (``catalogue.models.ApiOperation``), as shown."""

    method = fields.String(required=True)
    path = fields.String(required=True)
    operation_id = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    data_elements = fields.List(fields.String())
    #: The operation's own level; null: the API's.
    classification = fields.String(allow_none=True)
