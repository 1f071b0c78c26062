"""The entry forms, derived from the entry fields' declarations (``catalogue.fields``).

No form is written per field. ``widgets(entry_type, creating)`` walks the API's own input
fields (``input_fields`` → ``EntryField.input_field()``, the marshmallow field the API
loads with) and makes a widget of each from its kind: a language map becomes one input per
language, a nested schema a group of its own fields, a list of nested schemas repeated
rows, a vocabulary (``OneOf``) a choice, and so on. A field added to ``ENTRY_FIELDS`` appears
in the form with no change here.

The form's input names are the paths of the API's JSON (``legal_basis.0.reference``), so
``parse`` turns a posted form into the API's JSON body, the API's schema (``load``) checks
it, and its messages, and the service's (``ValidationFailed.errors``), come back keyed by
the same paths (``flatten``): each is shown beside its own field (``aria-describedby``).
The parsed values, not the raw form, are what a form is shown again with, so the rows
the messages count are the rows shown, and nothing typed is lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage, MultiDict

from catalogue.fields import BY_NAME, input_fields
from catalogue.schemas import ApiCreateSchema, ApiUpdateSchema, DatasetCreateSchema, DatasetUpdateSchema
from catalogue.shapes import LANGUAGES

SCHEMAS: Mapping[tuple[str, bool], type[Schema]] = {
    ("dataset", True): DatasetCreateSchema,
    ("dataset", False): DatasetUpdateSchema,
    ("api", True): ApiCreateSchema,
    ("api", False): ApiUpdateSchema,
}

#: Labels of the fields and their parts, by name (the same name means the same thing).
LABELS: Mapping[str, Any] = {
    "title": _l("Title"),
    "description": _l("Description"),
    "keywords": _l("Keywords"),
    "themes": _l("Themes"),
    "publisher": _l("Publisher (organisation number)"),
    "contact_point": _l("Contact point"),
    "name": _l("Name"),
    "email": _l("E-mail"),
    "url": _l("Web address"),
    "classification": _l("Classification"),
    "listing_level": _l("Listing level"),
    "legal_basis": _l("Legal basis"),
    "role": _l("Role"),
    "jurisdiction": _l("Jurisdiction"),
    "reference": _l("Reference"),
    "provision": _l("Provision"),
    "note": _l("Note"),
    "contains_personal_data": _l("Contains personal data"),
    "special_categories": _l("Special categories of personal data"),
    "licence": _l("Licence"),
    "spatial": _l("Spatial coverage"),
    "temporal": _l("Temporal coverage"),
    "start": _l("Start"),
    "end": _l("End"),
    "update_frequency": _l("Update frequency"),
    "documentation_url": _l("Documentation"),
    "data_elements": _l("Data elements"),
    "authoritative_for": _l("Authoritative source for"),
    "distributions": _l("Distributions"),
    "format": _l("Format"),
    "media_type": _l("Media type"),
    "access_url": _l("Access URL"),
    "download_url": _l("Download URL"),
    "byte_size": _l("Size in bytes"),
    "endpoint_urls": _l("Endpoint URLs"),
    "openapi": _l("OpenAPI document"),
    "serves_datasets": _l("Datasets it serves"),
    "version": _l("Version"),
    "lifecycle": _l("Lifecycle"),
    "auth_mechanisms": _l("Authentication"),
    "type": _l("Type"),
    "scope": _l("Scope"),
    "issuer": _l("Issuer"),
    "x_road": _l("X-Road service"),
    "instance": _l("Instance"),
    "member_class": _l("Member class"),
    "member_code": _l("Member code"),
    "subsystem": _l("Subsystem"),
}

#: How to fill a field in, where its kind does not say it.
HINTS: Mapping[str, Any] = {
    "keywords": _l("Separate keywords with commas."),
    "endpoint_urls": _l("One URL a line."),
    "reference": _l(
        "In the law's own form: SFS number for Sweden (2009:400), LOV-date for Norway "
        "(LOV-2018-06-15-38), CELEX number for the EU (32016R0679)."
    ),
    "provision": _l("Chapter and section: 21 kap. 7 § (Sweden), § 9 (Norway), Art. 6(1)(e) (EU)."),
    "openapi": _l("Upload the document as a JSON file, or paste its text."),
    "listing_level": _l("Who may learn that the entry exists; empty: the classification."),
    "publisher": _l("Your agency registers its own entries."),
}

#: Widget kinds: "text", "textarea", "select", "checkbox", "choices" (several of a list),
#: "lines" (one value a line), "langs" (a text per language), "langlists" (words per
#: language), "group" (a nested schema), "rows" (a list of nested schemas), "document".
ROWS_SHOWN_EMPTY = 1


@dataclass(frozen=True)
class Widget:
    """One input of the form, made from one marshmallow field."""

    name: str
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    input_type: str = "text"
    children: tuple[Widget, ...] = ()
    #: Changing it on a published entry waits for a security officer (top-level fields).
    reviewed: bool = False
    long: bool = False

    @property
    def label(self) -> Any:
        return LABELS.get(self.name, self.name.replace("_", " ").capitalize())

    @property
    def hint(self) -> Any:
        return HINTS.get(self.name)


def _one_of(field: fields.Field[Any]) -> tuple[str, ...]:
    validators = list(getattr(field, "validators", ()) or ())
    for v in validators:
        if isinstance(v, validate.OneOf):
            return tuple(str(c) for c in v.choices)
    return ()


def _max_length(field: fields.Field[Any]) -> int | None:
    for v in getattr(field, "validators", ()) or ():
        if isinstance(v, validate.Length) and v.max is not None:
            return int(v.max)
    return None


def _schema_widgets(schema: Schema) -> tuple[Widget, ...]:
    return tuple(_widget(name, f) for name, f in schema.fields.items() if not f.dump_only)


def _widget(name: str, field: fields.Field[Any], reviewed: bool = False) -> Widget:
    required = bool(field.required)
    if isinstance(field, fields.Nested):
        return Widget(name, "group", required, children=_schema_widgets(field.schema), reviewed=reviewed)
    if isinstance(field, fields.List):
        inner = field.inner
        if isinstance(inner, fields.Nested):
            return Widget(name, "rows", required, children=_schema_widgets(inner.schema), reviewed=reviewed)
        return Widget(
            name, "choices" if _one_of(inner) else "lines", required, _one_of(inner), reviewed=reviewed
        )
    if isinstance(field, fields.Dict):
        values = field.value_field
        if field.key_field is None:
            return Widget(name, "document", required, reviewed=reviewed)
        if isinstance(values, fields.List):
            return Widget(name, "langlists", required, reviewed=reviewed)
        long = (_max_length(values) or 0) > 300 if values is not None else False
        return Widget(name, "langs", required, reviewed=reviewed, long=long)
    if isinstance(field, fields.Boolean):
        return Widget(name, "checkbox", required, reviewed=reviewed)
    if _one_of(field):
        return Widget(name, "select", required, _one_of(field), reviewed=reviewed)
    input_type = (
        "date"
        if isinstance(field, fields.Date)
        else "number"
        if isinstance(field, fields.Integer)
        else "email"
        if isinstance(field, fields.Email)
        else "url"
        if isinstance(field, fields.URL)
        else "text"
    )
    return Widget(
        name, "select" if name in SERVICE_CHOICES else "text", required, (), input_type, reviewed=reviewed
    )


#: Fields whose choices come from the service at the time (the scheme, the vocabulary, your datasets).
SERVICE_CHOICES = ("classification", "listing_level")


def widgets(entry_type: str, *, creating: bool) -> tuple[Widget, ...]:
    """The form of an entry of ``entry_type``: one widget per input field, in declaration order."""
    return tuple(
        _widget(f.name, f.input_field(), reviewed=BY_NAME[f.name].reviewed)
        for f in input_fields(entry_type, creating=creating)
    )


# -- a posted form → the API's JSON ---------------------------------------------------
class FormInput:
    """What was posted: the fields and any uploaded files."""

    def __init__(self, form: MultiDict[str, str], files: MultiDict[str, FileStorage], max_bytes: int):
        self.form = form
        self.files = files
        self.max_bytes = max_bytes
        #: Messages about input the page reads itself (an uploaded file), by path.
        self.errors: dict[str, list[str]] = {}


def parse(ws: tuple[Widget, ...], posted: FormInput, prefix: str = "") -> dict[str, Any]:
    """The values the form holds, as the API's JSON would give them (empty ones left out)."""
    data: dict[str, Any] = {}
    for w in ws:
        value = _parse_one(w, posted, prefix + w.name)
        if value is not None:
            data[w.name] = value
    return data


def _parse_one(w: Widget, posted: FormInput, path: str) -> Any:
    form = posted.form
    if w.kind == "checkbox":
        return form.get(path) == "on"
    if w.kind == "choices":
        return [v for v in form.getlist(path) if v]
    if w.kind == "lines":
        # A textarea posts one value, a list of checkboxes (the field shows one when the
        # service offers choices, e.g. data elements) one value per ticked box: all count.
        return [line.strip() for value in form.getlist(path) for line in value.splitlines() if line.strip()]
    if w.kind == "langs":
        return {
            lang: form[f"{path}.{lang}"].strip()
            for lang in LANGUAGES
            if form.get(f"{path}.{lang}", "").strip()
        }
    if w.kind == "langlists":
        found = {}
        for lang in LANGUAGES:
            words = [x.strip() for x in form.get(f"{path}.{lang}", "").split(",") if x.strip()]
            if words:
                found[lang] = words
        return found
    if w.kind == "group":
        group = parse(w.children, posted, path + ".")
        return group if _filled(group) else None
    if w.kind == "rows":
        count = min(_int(form.get(path + ".count")), 100)
        rows = [parse(w.children, posted, f"{path}.{i}.") for i in range(count)]
        return [r for r in rows if _filled(r)]
    if w.kind == "document":
        return _document(posted, path)
    text = form.get(path, "").strip()
    return text or None


def _filled(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_filled(v) for v in value.values())
    if isinstance(value, list):
        return any(_filled(v) for v in value)
    return value not in (None, "", False)


def _int(text: str | None) -> int:
    try:
        return max(0, int(text or 0))
    except ValueError:
        return 0


def _document(posted: FormInput, path: str) -> Any:
    """An uploaded file, else the pasted text, as JSON; the text is kept to show again."""
    upload = posted.files.get(path + ".file")
    text = posted.form.get(path, "")
    if upload is not None and upload.filename:
        raw = upload.stream.read(posted.max_bytes + 1)
        if len(raw) > posted.max_bytes:
            posted.errors[path] = [f"The document is larger than {posted.max_bytes} bytes."]
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            posted.errors[path] = ["The file is not UTF-8 text."]
            return None
    posted.form = _with(posted.form, path, text)  # shown again as text, nothing lost
    if not text.strip():
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        posted.errors[path] = [f"Not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}."]
        return None
    if not isinstance(document, dict):
        posted.errors[path] = ["An OpenAPI document is a JSON object."]
        return None
    return document


def _with(form: MultiDict[str, str], key: str, value: str) -> MultiDict[str, str]:
    copy = MultiDict(form)
    copy[key] = value
    return copy


def load(
    entry_type: str, creating: bool, data: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The API's schema on the parsed form: its loaded data, or its messages by path."""
    try:
        return SCHEMAS[(entry_type, creating)]().load(data), {}
    except ValidationError as exc:
        return {}, flatten(exc.messages)


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's (or a ``ValidationFailed``'s) nested messages → {path: [messages]}.

    A dictionary's ``key``/``value`` levels are folded into the entry they are about
    (``title.sv``); ``_schema`` is the message of the enclosing thing."""
    found: dict[str, list[str]] = {}
    for path, text in _walk(messages, prefix):
        found.setdefault(path, []).append(text)
    return found


def _walk(messages: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(messages, str):
        yield path, messages
    elif isinstance(messages, list | tuple):
        for m in messages:
            yield from _walk(m, path)
    elif isinstance(messages, Mapping):
        for key, inner in messages.items():
            key = str(key)
            if key in ("key", "value", "_schema"):
                yield from _walk(inner, path)
            else:
                yield from _walk(inner, f"{path}.{key}" if path else key)


def place(errors: dict[str, list[str]], shown: set[str]) -> dict[str, list[str]]:
    """Each message on the nearest field the form shows (``endpoint_urls.1`` → the
    ``endpoint_urls`` box, "line 2: ..."); what fits none goes to "" (the form's top)."""
    placed: dict[str, list[str]] = {}
    for path, texts in errors.items():
        target = path
        while target and target not in shown:
            target = target.rpartition(".")[0]
        rest = path[len(target) :].lstrip(".")
        for text in texts:
            note = f"{_where(rest)}: {text}" if rest else text
            placed.setdefault(target, []).append(note)
    return placed


def _where(rest: str) -> str:
    first = rest.split(".")[0]
    return f"#{int(first) + 1}" if first.isdigit() else rest


#: What identifies a legal basis when two are compared (its URL and statute name follow from it).
BASIS_KEYS = ("role", "jurisdiction", "reference", "provision", "note")


def comparable(name: str, value: Any) -> Any:
    """A field's value as the entry shows it and as the input loads it, made comparable
    (JSON types; a legal basis by what identifies it; empty values alike)."""
    if name == "legal_basis":
        return [{k: b.get(k) for k in BASIS_KEYS} for b in value or []]
    return _pruned(json.loads(json.dumps(value, default=str, sort_keys=True)))


def _pruned(value: Any) -> Any:
    """Empty parts left out at every depth: an omitted key, null, "" and {} say the same."""
    if isinstance(value, dict):
        kept = {k: p for k, p in ((k, _pruned(v)) for k, v in value.items()) if p is not None}
        return kept or None
    if isinstance(value, list):
        return [_pruned(v) for v in value] or None
    return None if value == "" else value


# -- an entry → the form's values -----------------------------------------------------
def values_of(document: Mapping[str, Any], ws: tuple[Widget, ...]) -> dict[str, Any]:
    """The values to fill an edit form with, from the entry as the service shows it."""
    return {w.name: document[w.name] for w in ws if w.name in document and document[w.name] is not None}


def shown_paths(ws: tuple[Widget, ...], values: Mapping[str, Any], prefix: str = "") -> set[str]:
    """The paths the form shows for ``values`` (the rows given and one empty row)."""
    paths: set[str] = set()
    for w in ws:
        path = prefix + w.name
        paths.add(path)
        if w.kind == "langs" or w.kind == "langlists":
            paths.update(f"{path}.{lang}" for lang in LANGUAGES)
        elif w.kind == "group":
            paths |= shown_paths(w.children, values.get(w.name) or {}, path + ".")
        elif w.kind == "rows":
            rows = values.get(w.name) or []
            for i in range(len(rows) + ROWS_SHOWN_EMPTY):
                paths |= shown_paths(w.children, rows[i] if i < len(rows) else {}, f"{path}.{i}.")
    return paths


def schema_widgets(schema: Schema) -> tuple[Widget, ...]:
    """The widgets of any input schema, derived as an entry's are (the access request form
    of ``api.web.access_forms`` is the API's ``AccessRequestCreateSchema`` this way)."""
    return _schema_widgets(schema)
