# Types for flask-smorest, which ships none (docs/architecture.md, "Types").
#
# The view decorators keep the decorated function's type: Flask, not our code, calls a
# view, so what mypy needs is the view's own body checked with its annotations, not the
# wrapper's signature (`arguments` inserts the parsed body before the URL's arguments).
# `mypy.stubtest` compares this file with the installed library (./dev test), so a
# release that changes a signature we declare fails there, not in production.
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any, TypeVar

import flask
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask.typing import RouteCallable
from marshmallow import Schema
from webargs.flaskparser import abort as abort
from werkzeug.routing import BaseConverter

from .pagination import Page as Page

_View = TypeVar("_View", bound=Callable[..., Any])
_SchemaArg = type[Schema] | Schema
_ResponseSchema = _SchemaArg | str | dict[str, Any] | None
_Status = int | str | HTTPStatus

class Blueprint(flask.Blueprint):
    description: str
    # Not public API, but what a subclass adding to the documentation builds on (the
    # OpenAPI document's own facts per route): a release may change them; stubtest and
    # the OpenAPI tests would tell.
    _docs: dict[str, dict[str, Any]]
    _endpoints: list[str]
    _prepare_doc_cbks: list[Callable[..., dict[str, Any]]]
    # What Api.register_blueprint calls; api.openapi.Api calls it when the spec is first read.
    def register_views_in_doc(
        self, api: Api, app: flask.Flask, spec: APISpec, *, name: str, parameters: Any
    ) -> None: ...
    def __init__(
        self, name: str, import_name: str, *args: Any, description: str = ..., **kwargs: Any
    ) -> None: ...
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        *,
        parameters: list[str | dict[str, Any]] | None = None,
        tags: list[str] | None = None,
        **options: Any,
    ) -> None: ...
    def route(
        self,
        rule: str,
        *,
        parameters: list[str | dict[str, Any]] | None = None,
        tags: list[str] | None = None,
        **options: Any,
    ) -> Callable[[_View], _View]: ...
    def arguments(
        self,
        schema: _SchemaArg,
        *,
        location: str = "json",
        content_type: str | None = None,
        required: bool = True,
        description: str | None = None,
        example: Any = None,
        examples: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Callable[[_View], _View]: ...
    def response(
        self,
        status_code: _Status,
        schema: _ResponseSchema = None,
        *,
        content_type: str | None = None,
        description: str | None = None,
        example: Any = None,
        examples: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> Callable[[_View], _View]: ...
    def alt_response(
        self,
        status_code: _Status,
        response: str | None = None,
        *,
        schema: _ResponseSchema = None,
        content_type: str | None = None,
        description: str | None = None,
        example: Any = None,
        examples: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        success: bool = False,
    ) -> Callable[[_View], _View]: ...
    def paginate(
        self,
        pager: type[Page] | None = None,
        *,
        page: int | None = None,
        page_size: int | None = None,
        max_page_size: int | None = None,
    ) -> Callable[[_View], _View]: ...
    def etag(self, obj: _View) -> _View: ...
    def check_etag(self, etag_data: Any, etag_schema: _SchemaArg | None = None) -> None: ...
    def set_etag(self, etag_data: Any, etag_schema: _SchemaArg | None = None) -> None: ...
    @staticmethod
    def doc(**kwargs: Any) -> Callable[[_View], _View]: ...

class Api:
    spec: APISpec
    # Not public API: the app init_app was given (api.openapi.Api registers through it).
    _app: flask.Flask
    #: apispec's marshmallow plugin: custom fields and validators map to OpenAPI through it.
    ma_plugin: MarshmallowPlugin
    config_prefix: str
    def __init__(
        self,
        app: flask.Flask | None = None,
        *,
        spec_kwargs: Mapping[str, Any] | None = None,
        config_prefix: str = "",
    ) -> None: ...
    def init_app(self, app: flask.Flask, *, spec_kwargs: Mapping[str, Any] | None = None) -> None: ...
    def register_blueprint(
        self,
        blp: Blueprint,
        *,
        parameters: Iterable[str | dict[str, Any]] | None = None,
        **options: Any,
    ) -> None: ...
    def register_converter(self, converter: type[BaseConverter], func: Callable[..., Any]) -> None: ...
    def register_field(self, field: type[Any], *args: Any) -> None: ...
