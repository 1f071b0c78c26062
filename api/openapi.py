"""The OpenAPI 3.1 document at ``/api/v1/openapi.json``, made to tell the truth.

flask-smorest writes the document from the decorators; this module adds what follows
from facts a route already states, so that nothing is listed twice (docs/openapi.md):

- **Errors.** Every error is RFC 9457 ``application/problem+json`` (:mod:`api.problems`),
  described by one ``Problem`` schema. Which errors an operation can answer is derived
  from its shape: a token of the wrong kind or an unreadable token state (401, 503), a
  required scope (401, 403), a JSON body (400, 413, 415, 422), query arguments (422), a
  path parameter (404; also 422 where a converter of ours checks its form), a write
  guarded by If-Match (412, 428). What only the service can decide (403 and 409 of a
  business rule) a route adds with :func:`problems`.
- **Security.** ``require_scope`` marks the view; the operation then lists
  ``oauth2: [scope]``. Every other operation also takes anonymous callers (``{}``).
- **Headers.** A view marked by :func:`api.resources.common.etag` documents ``ETag`` on its
  answers, and If-None-Match (304) for a read or a required If-Match (412, 428) for a
  write; a page of items documents ``Link`` (RFC 8288); 201 and 202 answers ``Location``.
- **Schemas.** The marshmallow validators that JSON Schema can express are converted
  once (:func:`validators2properties`): language keys and non-empty text maps, unique
  themes, ``format: uri`` for URLs.
"""

from __future__ import annotations

import http
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import flask_smorest
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema, fields, validate
from werkzeug.routing import Map

from api.arguments import ArgumentsParser
from api.auth import REQUIRED_SCOPE
from api.problems import PROBLEM
from catalogue.shapes import LANGUAGES, LengthThen, non_empty_language_map, unique_themes
from security.identity import ACTION_SCOPES, ADMIN, AUDIT, REQUEST, REVIEW, WRITE
from security.levels import READ_SCOPE_PREFIX, ClassificationScheme

F = TypeVar("F", bound=Callable[..., Any])

#: Set on a view by :func:`api.resources.common.etag`: "answer", "read" or "write".
ETAG_KIND = "_tillit_etag"
#: Set on a view by :func:`problems`: the statuses only the service decides.
DOMAIN_PROBLEMS = "_tillit_problems"
#: Set on a view by ``Blueprint.arguments(..., location="query")``: the names of the
#: query arguments its schema documents (a page's Link headers keep only those).
QUERY_ARGUMENTS = "_tillit_query_arguments"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error (RFC 9457 problem details).",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference", "default": "about:blank"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "format": "uri-reference"},
        "errors": {
            "type": "object",
            "description": "Messages by field; a nested field's messages nest the same way "
            "(a list by its index, an object by its keys).",
            "additionalProperties": {"$ref": "#/components/schemas/FieldMessages"},
        },
    },
}
FIELD_MESSAGES_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/FieldMessages"}},
    ]
}

ETAG_HEADER = {"description": "The resource's entity tag.", "schema": {"type": "string"}}
LOCATION_HEADER = {"description": "Where the new resource is.", "schema": {"type": "string"}}
LINK_HEADER = {
    "description": "RFC 8288 links to the first, previous, next and last pages.",
    "schema": {"type": "string"},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "The ETag you read: 428 without it, 412 if the resource changed since.",
    "schema": {"type": "string", "minLength": 1},
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag you hold: 304 without a body while it is current.",
    "schema": {"type": "string"},
}


ACTION_SCOPE_TEXT = {
    WRITE: "Register and edit your agency's entries",
    REVIEW: "Decide classification reviews (a person's token only)",
    AUDIT: "Read the audit log",
    ADMIN: "Manage agencies and clients",
    REQUEST: "Ask other agencies for access on your agency's behalf, and follow its requests and grants",
}


def problems(*statuses: int) -> Callable[[F], F]:
    """Errors a service decides for this route beyond those its shape implies."""

    def mark(view: F) -> F:
        setattr(view, DOMAIN_PROBLEMS, (*getattr(view, DOMAIN_PROBLEMS, ()), *statuses))
        return view

    return mark


class OneOfSchemas(fields.Raw):
    """A value that is one of several schemas (an entry or its redacted summary)."""

    def __init__(self, *schemas: type[Schema], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schemas = schemas


class PageSchema(Schema):
    """A page of a listing; :func:`page_of` makes one per kind of item."""

    total = fields.Integer(required=True, metadata={"description": "Items you may see, on all pages."})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


def page_of(item: type[Schema] | fields.Field[Any], name: str) -> type[PageSchema]:
    """``{total, page, per_page, items}`` of ``item``; named ``<name>Page`` in the document."""
    inner = item if isinstance(item, fields.Field) else fields.Nested(item)
    return type(name + "PageSchema", (PageSchema,), {"items": fields.List(inner, required=True)})


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint, documenting what each route's shape implies; its
    query arguments parsed once per distinct query string (api/arguments.py)."""

    ARGUMENTS_PARSER = ArgumentsParser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_tillit_doc)

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Callable[[F], F]:
        """flask-smorest's ``arguments``; a query schema also marks the view with the
        names of the arguments it documents (``QUERY_ARGUMENTS``)."""
        decorator = super().arguments(schema, location=location, **kwargs)
        if location != "query":
            return decorator
        fields_ = (schema() if isinstance(schema, type) else schema).fields
        names = tuple(f.data_key or name for name, f in fields_.items() if not f.dump_only)

        def marked(view: F) -> F:
            wrapped = decorator(view)
            setattr(wrapped, QUERY_ARGUMENTS, (*getattr(wrapped, QUERY_ARGUMENTS, ()), *names))
            return wrapped

        return marked

    def add_url_rule(
        self, rule: str, endpoint: Any = None, view_func: Any = None, *a: Any, **kw: Any
    ) -> None:
        super().add_url_rule(rule, endpoint, view_func, *a, **kw)
        facts = {
            "path_parameters": "<" in rule,
            # A converter of ours (not werkzeug's) checks the value's form: 422 when it is malformed.
            "checked_path": any(
                name not in Map.default_converters for name in re.findall(r"<(\w+)(?:\([^)]*\))?:\w+>", rule)
            ),
            "scope": getattr(view_func, REQUIRED_SCOPE, None),
            "etag": getattr(view_func, ETAG_KIND, None),
            "problems": getattr(view_func, DOMAIN_PROBLEMS, ()),
        }
        for operation in self._docs[self._endpoints[-1]].values():
            if isinstance(operation, dict):
                operation["tillit"] = facts

    @staticmethod
    def _prepare_tillit_doc(doc: dict[str, Any], doc_info: dict[str, Any], **_: Any) -> dict[str, Any]:
        facts = doc_info["tillit"]
        responses = doc.setdefault("responses", {})
        statuses = {401, 503, *facts["problems"]}
        if facts["scope"]:
            statuses |= {403}
            # Alternatives: any one of the scopes will do (OpenAPI's list of requirements).
            doc["security"] = [{"oauth2": [scope]} for scope in facts["scope"]]
        else:
            doc["security"] = [{}, {"oauth2": []}]
        if "requestBody" in doc:
            statuses |= {400, 413, 415, 422}
        if any(p.get("in") == "query" for p in doc.get("parameters", []) if isinstance(p, dict)):
            statuses |= {422}
        if facts["path_parameters"]:
            statuses |= {404}
        if facts["checked_path"]:
            statuses |= {422}
        kind = facts["etag"]
        if kind == "write":
            statuses |= {412, 428}
            doc.setdefault("parameters", []).append(IF_MATCH)
        elif kind == "read":
            doc.setdefault("parameters", []).append(IF_NONE_MATCH)
            responses["304"] = {"description": "Not modified", "headers": {"ETag": ETAG_HEADER}}
        for status, response in responses.items():
            if not isinstance(response, dict) or not str(status).startswith("2"):
                continue
            headers = response.setdefault("headers", {})
            if kind:
                headers["ETag"] = ETAG_HEADER
            if str(status) in ("201", "202"):
                headers["Location"] = LOCATION_HEADER
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if _is_page(schema):
                headers["Link"] = LINK_HEADER
            if not headers:
                del response["headers"]
        for status in statuses:
            if status not in responses and str(status) not in responses:
                responses[str(status)] = http.HTTPStatus(status).name
        doc["responses"] = dict(sorted(responses.items(), key=lambda item: str(item[0])))
        return doc


def _is_page(schema: Any) -> bool:
    cls = schema if isinstance(schema, type) else type(schema)
    return isinstance(cls, type) and issubclass(cls, PageSchema)


class Api(flask_smorest.Api):
    """flask-smorest's Api with problem+json errors instead of its ``Error`` schema,
    and blueprints documented in the spec when it is first read, not when they are
    registered: writing the operations (schemas resolved, deep copies of every view's
    doc) was about half of ``create_app``, paid by every app, while only the apps asked
    for ``/api/v1/openapi.json`` (or a test reading ``api.spec``) need it. The document
    is the same: the blueprints are documented in the order they were registered, by
    flask-smorest's own ``register_views_in_doc``, once, under a lock."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._spec: Any = None
        self._undocumented: list[tuple[flask_smorest.Blueprint, str, Any]] = []
        self._documenting = threading.Lock()
        super().__init__(*args, **kwargs)

    @property
    def spec(self) -> Any:
        if self._undocumented:
            with self._documenting:
                while self._undocumented:
                    blp, name, parameters = self._undocumented[0]
                    blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
                    self._spec.tag({"name": name, "description": blp.description})
                    del self._undocumented[0]
        return self._spec

    @spec.setter
    def spec(self, value: Any) -> None:  # flask-smorest's init_app sets it
        self._spec = value

    def register_blueprint(
        self, blp: flask_smorest.Blueprint, *, parameters: Any = None, **options: Any
    ) -> None:
        """flask-smorest's ``register_blueprint``, with the documenting left to ``spec``."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def _register_pagination_header(self) -> None:
        """Not flask-smorest's X-Pagination: pages say ``total`` in the body and link by ``Link``."""

    def _register_responses(self) -> None:
        self.spec.components.schema("FieldMessages", FIELD_MESSAGES_SCHEMA)
        self.spec.components.schema("Problem", PROBLEM_SCHEMA)
        for status in http.HTTPStatus:
            if status >= 400:
                content = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
                self.spec.components.response(
                    status.name, {"description": status.phrase, "content": content}, lazy=True
                )


def validators2properties(
    self: Any, field: fields.Field[Any], ret: dict[str, Any], **_: Any
) -> dict[str, Any]:
    """The rules of our validators that JSON Schema can say, for apispec's converter."""
    out: dict[str, Any] = {}
    if isinstance(field, OneOfSchemas):
        out["oneOf"] = [self.resolve_nested_schema(schema) for schema in field.schemas]
    if isinstance(field, fields.Constant):  # tells the whole entry from its redacted summary
        out["const"] = field.constant
    validators = list(field.validators)
    if any(isinstance(v, LengthThen) and v.then is unique_themes for v in validators):
        out["uniqueItems"] = True
    if isinstance(field, fields.Dict) and field.key_field is not None:
        keys = [v for v in field.key_field.validators if isinstance(v, validate.OneOf)]
        if keys and tuple(keys[0].choices) == LANGUAGES:
            out["propertyNames"] = {"enum": list(LANGUAGES)}
        if non_empty_language_map in validators:
            # At least one language, each text more than blanks: a little stricter than
            # the rule (one such text is enough), never looser.
            out["minProperties"] = 1
            out["additionalProperties"] = {**ret.get("additionalProperties", {}), "pattern": r"\S"}
    for url in (v for v in validators if isinstance(v, validate.URL)):
        out["pattern"] = "^(" + "|".join(sorted(url.schemes)) + ")://"
    return out


class TillitMarshmallowPlugin(MarshmallowPlugin):
    """apispec's plugin, plus a schema's own ``json_schema_rules`` (rules across its
    fields, such as a reference's pattern by jurisdiction) merged into its component."""

    # apispec's BasePlugin calls the second parameter ``definition``, MarshmallowPlugin ``_``:
    # no name satisfies both.
    def schema_helper(  # type: ignore[override]
        self, name: str, definition: Any, schema: Any = None, **kwargs: Any
    ) -> Any:
        # apispec's MarshmallowPlugin.schema_helper has no annotations.
        json_schema = super().schema_helper(name, definition, schema=schema, **kwargs)  # type: ignore[no-untyped-call]
        rules = getattr(schema, "json_schema_rules", None)
        if json_schema is not None and rules:
            json_schema = {**json_schema, **rules}
        return json_schema


def init_api(app: Flask, scheme: ClassificationScheme) -> Api:
    """The document's Api; register the blueprints on it afterwards."""
    app.config.update(
        API_TITLE="Tillit",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    issuer = app.config["ISSUER"].rstrip("/")
    api = Api(
        app,
        spec_kwargs={
            "marshmallow_plugin": TillitMarshmallowPlugin(schema_name_resolver=_schema_name),
            "info": {
                "description": "Tillit: the cross-agency catalogue of datasets and APIs, "
                "with their security classification and legal basis. Errors are "
                "application/problem+json (RFC 9457).",
            },
            "servers": [{"url": issuer}],
            "components": {"securitySchemes": security_schemes(issuer, scheme)},
        },
    )
    # URL fields as the standard format (apispec says "url"), and our validators' rules.
    # The ignores: apispec's MarshmallowPlugin.map_to_openapi_type and
    # OpenAPIConverter.add_attribute_function have no annotations.
    api.ma_plugin.map_to_openapi_type(fields.URL, "string", "uri")  # type: ignore[no-untyped-call]
    converter = api.ma_plugin.converter
    assert converter is not None  # set by the plugin's init_spec, which Api(app) ran
    converter.add_attribute_function(validators2properties)  # type: ignore[no-untyped-call]
    return api


def _schema_name(schema: Any) -> str:
    """Component names: the class name without "Schema", "Patch" for partial ones."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    if not isinstance(schema, type) and schema.partial:
        name += "Patch"
    if not isinstance(schema, type) and schema.many:
        name += "List"
    return name


def security_schemes(issuer: str, scheme: ClassificationScheme) -> dict[str, Any]:
    """The oauth2 flows of authserver (metadata.py): a client's own token, and a person's
    through an app (authorization code with PKCE, S256)."""
    scopes = {
        s: "Read entries classified up to " + s.removeprefix(READ_SCOPE_PREFIX) for s in scheme.read_scopes
    }
    scopes.update({scope: ACTION_SCOPE_TEXT[scope] for scope in ACTION_SCOPES})
    return {
        "oauth2": {
            "type": "oauth2",
            "description": "Bearer access tokens (RFC 9068) of this server; authorization code "
            "needs PKCE with S256. Metadata: /.well-known/oauth-authorization-server.",
            "flows": {
                "clientCredentials": {"tokenUrl": issuer + "/oauth/token", "scopes": scopes},
                "authorizationCode": {
                    "authorizationUrl": issuer + "/oauth/authorize",
                    "tokenUrl": issuer + "/oauth/token",
                    "refreshUrl": issuer + "/oauth/token",
                    "scopes": scopes,
                },
            },
        }
    }
