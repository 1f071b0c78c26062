"""Every error as application/problem+json (RFC 9457).

Every problem is of type ``about:blank``, so its ``title`` is the status phrase of
RFC 9110 (RFC 9457 §4.2.1), derived here from the status: nothing else names it.
A refusal (403) of a caller that sent no credentials is a 401 with a ``Bearer``
challenge (RFC 9110 §15.5.2, RFC 6750 §3): a token is what it lacks.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from api.auth import InsufficientScope, Unauthorized
from catalogue.errors import CatalogueError, Unavailable, ValidationFailed
from catalogue.machinery.audit.chain import AuditUnavailable
from search.writer import WriterUnavailable
from security.tokens import TokenStateUnavailable

PROBLEM = "application/problem+json"
#: Where RFC 9110 renamed a status, the phrase Python's ``http`` module still has (3.11).
RFC9110_PHRASES = {
    413: "Content Too Large",
    414: "URI Too Long",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
}
#: The challenge of every 401 of the API (RFC 6750 §3).
BEARER_REALM = 'Bearer realm="tillit"'


def status_title(status: int) -> str:
    """The RFC 9110 reason phrase of ``status``."""
    return RFC9110_PHRASES.get(status) or HTTPStatus(status).phrase


def problem(
    status: int,
    detail: str,
    *,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": status_title(status),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _flatten_webargs(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs nests messages by location ({"json": {"title": [...]}}); the
    problem body maps fields directly, keeping the location only for
    body-level messages such as "Invalid JSON body."."""
    flat: dict[str, Any] = {}
    for location, value in messages.items():
        if isinstance(value, dict):
            flat.update(value)
        else:
            flat["body" if location == "json" else location] = value
    return flat


def register_problem_handlers(app: Flask) -> None:
    @app.errorhandler(CatalogueError)
    def _domain(exc: CatalogueError) -> Response:
        errors = exc.errors if isinstance(exc, ValidationFailed) else None
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Unavailable) else None
        if exc.status == 403 and "Authorization" not in request.headers:
            return _unauthorized(Unauthorized("This operation needs an access token.", error=None))
        return problem(exc.status, exc.detail, errors=errors, headers=headers)

    @app.errorhandler(Unauthorized)
    def _unauthorized(exc: Unauthorized) -> Response:
        challenge = BEARER_REALM
        if exc.error:
            safe = exc.detail.replace('"', "'")
            challenge += f', error="{exc.error}", error_description="{safe}"'
        return problem(401, exc.detail, headers={"WWW-Authenticate": challenge})

    @app.errorhandler(InsufficientScope)
    def _scope(exc: InsufficientScope) -> Response:
        challenge = f'{BEARER_REALM}, error="insufficient_scope", scope="{exc.scope}"'
        return problem(403, exc.detail, headers={"WWW-Authenticate": challenge})

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        data = getattr(exc, "data", None) or {}
        messages = data.get("messages")
        errors = _flatten_webargs(messages) if isinstance(messages, dict) else None
        detail = exc.description or ""
        if status == 422 and errors:
            detail = "The input is not valid; see errors."
        elif status == 400 and errors and "body" in errors:
            detail = "The request body is not valid JSON (UTF-8)."
        elif status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            detail = f"The request body is larger than the limit of {limit} bytes."
        headers = {}
        if status == 405 and exc.get_response().headers.get("Allow"):
            headers["Allow"] = exc.get_response().headers["Allow"]
        return problem(status, detail, errors=errors, headers=headers)

    @app.errorhandler(AuditUnavailable)
    def _audit_unavailable(exc: AuditUnavailable) -> Response:
        # Fail closed: a read whose audit event cannot be made durable is not answered.
        app.logger.error("Read refused, its audit event could not be written: %r", exc.__cause__)
        return problem(
            503,
            "The audit log cannot record reads right now, so nothing is shown. Try again shortly.",
            headers={"Retry-After": "1"},
        )

    @app.errorhandler(WriterUnavailable)
    def _index_writer_unavailable(exc: WriterUnavailable) -> Response:
        # Fail closed: a change that must take documents out of the index first is not made.
        app.logger.error("Change refused, the search index writer is unavailable: %s", exc)
        return problem(
            503,
            "The search index cannot take this change right now, so it was not made. Try again shortly.",
            headers={"Retry-After": "1"},
        )

    @app.errorhandler(TokenStateUnavailable)
    def _token_state_unavailable(exc: TokenStateUnavailable) -> Response:
        # Fail closed: a token is never judged against state nobody could read.
        app.logger.error("Token refused, %s: %r", exc, exc.__cause__)
        return problem(
            503,
            "Tokens cannot be checked right now, so nothing is answered. Try again shortly.",
            headers={"Retry-After": "1"},
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return problem(500, "Something went wrong on our side.")
