"""The application factory: the composition root of Tillit."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from flask import Flask, Response, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from api.auth import init_authority, init_federation
from api.config import load_settings
from api.converters import register_converters
from api.cors import init_cors
from api.delivery import deliver_after_commit
from api.edge import answer_not_modified, fields_of, json_too_deep, oversized_head, secure_response
from api.openapi import init_api
from api.problems import problem, register_problem_handlers
from api.resources import (
    access,
    agencies,
    audit,
    data_elements,
    entries,
    harvest_sources,
    health,
    notifications,
    people,
    reviews,
    statutes,
)
from api.resources import dcat as dcat_resource
from api.resources import scheme as scheme_resource
from api.resources import search as search_resource
from api.web import bp as web_pages
from api.web.i18n import init_languages
from api.wiring import Tillit, close_request_session, open_request_session
from authserver.login import init_login
from authserver.ratelimit import confine_rate_limits, init_rate_limits
from authserver.server import init_oauth
from catalogue.db import levels_in_use, listen, make_engine, make_session_factory, refresh_statistics
from catalogue.machinery.audit.chain import HeadAnchor, ReadLog, advance_anchors, discard_anchors
from catalogue.machinery.audit.refusals import RefusalLog
from catalogue.machinery.audit.writer import ProcessGroupWriter
from catalogue.machinery.children.openapi import OpenAPILimits
from catalogue.machinery.readpath.heads import HeadCache, WriteGeneration, watch_engine
from catalogue.services.entries import DEFAULT_REVIEW_INTERVALS
from dcat.export import ExportSettings
from dcat.vocabulary import AccessRights
from search.setup import make_backend, make_indexer
from security.keys import KeyStore
from security.levels import DEFAULT_SCHEME, ClassificationScheme, SchemeError
from security.outbound import OutboundPolicy
from security.tokens import TokenVerifier

JSON_METHODS = {"POST", "PUT", "PATCH"}


class OrderedJSON(DefaultJSONProvider):
    """Flask's JSON, with keys in the order the schemas declare them (not sorted)."""

    sort_keys = False


class TillitFlask(Flask):
    """Flask, with its per-hook coroutine check done once per function.

    Flask asks ``inspect.iscoroutinefunction`` of every before-, after- and
    teardown-request function on every request; the answer
    never changes for a function, so it is kept."""

    json_provider_class = OrderedJSON

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Weakly: a bound method or closure made per request (a class-based view)
        # leaves with its last use instead of growing the cache without end.
        self._sync: WeakKeyDictionary[Callable[..., Any], bool] = WeakKeyDictionary()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            if self._sync[func]:
                return func
        except (KeyError, TypeError):  # not asked yet, or not weakly referenceable
            pass
        found = super().ensure_sync(func)
        with suppress(TypeError):
            self._sync[func] = found is func  # (not ``found``: it would keep ``func`` alive)
        return found

    def make_default_options_response(self) -> Response:
        """OPTIONS (not a CORS preflight, see ``api.cors``) answers 204 with ``Allow``
        and no body, instead of Flask's 200 with an empty text/html one."""
        response = super().make_default_options_response()
        response.status_code = 204
        del response.headers["Content-Type"]
        return response


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions (the login form's CSRF token), with the
    signer built once per key instead of once per request, and no signer at all
    for a request without the cookie (every API call)."""

    _signer: tuple[Any, Any] | None = None

    def open_session(self, app: Flask, request: Any) -> Any:
        # (no Cookie header at all: not even the cookies parsed)
        if app.secret_key and (
            "HTTP_COOKIE" not in request.environ or not request.cookies.get(self.get_cookie_name(app))
        ):
            return self.session_class()
        return super().open_session(app, request)

    def get_signing_serializer(self, app: Flask) -> Any:
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._signer
        if cached is None or cached[0] != key:
            cached = self._signer = (key, super().get_signing_serializer(app))
        return cached[1]


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    settings = load_settings(overrides)
    app = TillitFlask("tillit", instance_path=settings["INSTANCE_PATH"])
    app.session_interface = CookieSessions()
    if int(settings["TRUSTED_PROXIES"]):  # else X-Forwarded-For is ignored: it would escape the limits
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # wrapping wsgi_app is how Flask takes middleware
            app.wsgi_app, x_for=int(settings["TRUSTED_PROXIES"])
        )
    app.config.update(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    scheme = (
        ClassificationScheme.load(settings["CLASSIFICATION_SCHEME"])
        if settings["CLASSIFICATION_SCHEME"]
        else DEFAULT_SCHEME
    )
    # Checked before the database is opened: a bad setting stops the start, leaking nothing.
    outbound = OutboundPolicy.from_settings(
        *(
            settings["OUTBOUND_" + k]
            for k in ("HTTP_HOSTS", "TIMEOUT_SECONDS", "MAX_BYTES", "MAX_REDIRECTS", "CA_BUNDLE")
        )
    )
    engine = make_engine(settings["DATABASE_URL"], pool_size=int(settings["DATABASE_POOL_SIZE"]))
    refresh_statistics(engine)
    stranded = sorted(k for k in levels_in_use(engine) if not scheme.is_enabled(k))
    if stranded:
        engine.dispose()
        raise SchemeError(
            "The classification scheme disables or lacks levels still in use: "
            + ", ".join(stranded)
            + ". Reclassify those entries (and agencies' clearances) before changing the scheme."
        )
    keys = KeyStore.in_folder(app.instance_path, float(settings["REVOCATION_SYNC_SECONDS"]))
    keys.ensure()
    verifier = TokenVerifier(
        keys=keys.private_set,
        issuer=settings["ISSUER"],
        audience=settings["AUDIENCE"],
        leeway=int(settings["TOKEN_LEEWAY"]),
        max_lifetime=int(settings["ACCESS_TOKEN_LIFETIME"]),
    )
    # Every process says when it writes entries, so that no process keeps a head too
    # long, whether or not it keeps heads itself.
    writes = WriteGeneration.for_database(settings["DATABASE_URL"], app.instance_path)
    watch_engine(engine, writes)
    sessions = make_session_factory(engine)
    # The audit chain's external anchor moves only after a commit.
    listen(sessions, "after_commit", advance_anchors)
    listen(sessions, "after_rollback", discard_anchors)
    anchor = HeadAnchor.in_folder(app.instance_path)
    read_log = ReadLog(sessions, anchor, _audit_writer(settings))
    tillit = Tillit(
        scheme=scheme,
        engine=engine,
        sessions=sessions,
        keys=keys,
        verifier=verifier,
        anchor=anchor,
        read_log=read_log,
        refusals=RefusalLog(read_log.append_records),
        review_intervals=_review_intervals(settings["REVIEW_INTERVALS"]),
        openapi_limits=OpenAPILimits(
            int(settings["OPENAPI_MAX_BYTES"]),
            int(settings["OPENAPI_MAX_OPERATIONS"]),
            float(settings["OPENAPI_VALIDATION_SECONDS"]),
        ),
        heads=HeadCache(writes, settings["HEAD_CACHE_SECONDS"]) if settings["HEAD_CACHE_SECONDS"] else None,
        outbound=outbound,
        access_four_eyes=settings["ACCESS_FOUR_EYES"],
        dcat=ExportSettings(
            base=settings["ISSUER"],
            access_rights=AccessRights.from_setting(scheme.enabled_keys, str(settings["DCAT_ACCESS_RIGHTS"])),
            publisher=str(settings["DCAT_PUBLISHER"]) or None,
        ),
    )
    app.extensions["tillit"] = tillit
    _wire_search(tillit, settings)
    deliver_after_commit(app, sessions)

    @app.before_request
    def _bound_head() -> None:
        # First of all: nothing is read or opened for a request refused by its size.
        oversized = oversized_head(request.environ)
        if oversized is not None:
            raise oversized

    @app.before_request
    def _open_session() -> Response | None:
        open_request_session()
        if request.method not in JSON_METHODS:
            return None  # no body to check
        if (
            request.path.startswith("/api/")
            and request.content_length != 0
            and (request.content_length or request.data)
            and not (request.mimetype == "application/json" or request.mimetype.endswith("+json"))
        ):
            return problem(415, "Send the request body as application/json.")
        depth = int(app.config["MAX_JSON_DEPTH"])
        if request.is_json and json_too_deep(request.get_data(), depth):
            return problem(400, f"The JSON body nests deeper than {depth} levels.")
        return None

    @app.teardown_request
    def _close_session(_exc: BaseException | None) -> None:
        close_request_session()

    @app.after_request
    def _after(response: Response) -> Response:
        # The request itself, not its proxy (read many times there). The ignore: Flask types
        # the proxy as the Request, which has no _get_current_object.
        current = request._get_current_object()  # type: ignore[attr-defined]
        fields = fields_of(response)
        answer_not_modified(current, response, fields)
        secure_response(current, response, fields)
        return response

    init_cors(app)
    tillit.oauth = init_oauth(app, keys)
    init_login(app)
    init_rate_limits(app)
    init_authority(app)
    init_federation(app)

    api = init_api(app, scheme)
    register_converters(app, api)
    api.register_blueprint(scheme_resource.blp)
    api.register_blueprint(agencies.blp)
    api.register_blueprint(statutes.blp)
    api.register_blueprint(entries.datasets)
    api.register_blueprint(entries.apis)
    api.register_blueprint(reviews.blp)
    api.register_blueprint(audit.blp)
    api.register_blueprint(notifications.blp)
    api.register_blueprint(people.blp)
    api.register_blueprint(search_resource.blp)
    api.register_blueprint(data_elements.blp)
    api.register_blueprint(access.requests_blp)
    api.register_blueprint(access.grants_blp)
    api.register_blueprint(dcat_resource.blp)
    api.register_blueprint(harvest_sources.blp)
    app.register_blueprint(health.bp)
    app.register_blueprint(web_pages)
    init_languages(app)
    register_problem_handlers(app)
    confine_rate_limits(app)  # once every view is registered
    return app


def _review_intervals(value: Any) -> dict[str, int]:
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else {}
    intervals = {**DEFAULT_REVIEW_INTERVALS, **(value or {})}
    return {str(k): int(v) for k, v in intervals.items()}


def _audit_writer(settings: dict[str, Any]) -> ProcessGroupWriter | None:
    """TILLIT_AUDIT_WRITER=process: groups of read events written by a child process."""
    if settings["AUDIT_WRITER"] != "process":
        return None
    return ProcessGroupWriter(settings["DATABASE_URL"], settings["INSTANCE_PATH"])


def _wire_search(tillit: Tillit, settings: dict[str, Any]) -> None:
    """The search backend, and the outbox indexer behind the catalogue's Indexer port."""
    backend = make_backend(settings)
    indexer = make_indexer(settings, tillit.sessions, backend, tillit.scheme.lowest)
    indexer.install(tillit.sessions)
    tillit.search = backend
    tillit.indexer = indexer
    tillit.search_ready = backend.ready
