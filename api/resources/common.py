"""Small helpers shared by the blueprints (the services: ``api.wiring.services``).

A page of a list is answered in one place, ``page_response``: the body's
``total``, ``page``, ``per_page`` and ``items``, and beside them ``Link`` headers
(RFC 8288) to the ``first``, ``prev``, ``next`` and ``last`` pages. The links are
path-absolute references (behind any proxy they resolve against the URL the
client used) and keep every other query argument of the request, repeated ones
too, so a filtered list pages through the same filter.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Literal, TypeVar
from urllib.parse import urlencode

from flask import Response, current_app, json, jsonify, request
from marshmallow import Schema, fields, validate

from api.openapi import ETAG_KIND, QUERY_ARGUMENTS
from catalogue.shapes import LANGUAGES

F = TypeVar("F", bound=Callable[..., Any])


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


def reader_language() -> str | None:
    """The language the reader asked for: ``?lang=`` if it is one of the catalogue's,
    else the best of Accept-Language, else None (then each text falls back in its own order)."""
    environ = request.environ
    # Each asked for only when sent: parsing an absent query or header is most of the cost.
    if environ.get("QUERY_STRING"):
        asked = request.args.get("lang")
        if asked in LANGUAGES:
            return asked
    if not environ.get("HTTP_ACCEPT_LANGUAGE"):
        return None  # what best_match answers for no Accept-Language
    return request.accept_languages.best_match(LANGUAGES)


def etag(kind: Literal["answer", "read", "write"]) -> Callable[[F], F]:
    """The view's answer carries the resource's ETag. A ``read`` may answer 304 to
    If-None-Match; a ``write`` is given ``if_match``, the request's If-Match header
    (the service answers 428 without it and 412 if it is stale). The OpenAPI document
    follows from the mark (api/openapi.py)."""

    def decorator(view: F) -> F:
        if kind == "write":

            @wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                return view(*args, if_match=request.headers.get("If-Match"), **kwargs)

            marked: Any = wrapper
        else:
            marked = view
        setattr(marked, ETAG_KIND, kind)
        return marked  # type: ignore[no-any-return]

    return decorator


def tagged_response(body: Any, etag: str, status: int = 200) -> Response:
    """One resource's JSON answer with its ETag (for the views marked ``etag``)."""
    response = jsonify(body)
    response.status_code = status
    response.headers["ETag"] = etag
    return response


def page_response(
    items: list[Any] | str,
    total: int,
    page: int,
    per_page: int,
    *,
    extra: dict[str, Any] | None = None,
    max_items: int | None = None,
) -> Response:
    """A page of a list, body and ``Link`` headers together.

    ``items`` are JSON-ready values, or the items already serialised and joined
    with commas (cached renderings are joined, not re-encoded). ``extra`` adds
    fields after ``items`` (search's facets). ``max_items`` bounds how deep
    paging may go (search's result window), and so the ``last`` link."""
    encoded = items if isinstance(items, str) else ",".join(json.dumps(item) for item in items)
    tail = "".join(f",{json.dumps(key)}:{json.dumps(value)}" for key, value in (extra or {}).items())
    body = f'{{"total":{total},"page":{page},"per_page":{per_page},"items":[{encoded}]{tail}}}'
    response = current_app.response_class(body, mimetype="application/json")
    response.headers.add("Link", page_links(total, page, per_page, max_items))  # (new: no Link yet)
    return response


#: Read by every answer that names things in the reader's language (``reader_language``).
READER_ARGUMENTS = ("lang",)


def _documented_arguments() -> set[str]:
    """The query arguments a page's links keep: those the view's query schema documents
    (``api.openapi.QUERY_ARGUMENTS``) and ``lang``, never ``page``/``per_page`` (the
    links set them) nor anything else the request carried (an unknown argument is not
    repeated into every link)."""
    view = current_app.view_functions.get(request.endpoint or "")
    documented = {*getattr(view, QUERY_ARGUMENTS, ()), *READER_ARGUMENTS}
    return documented - {"page", "per_page"}


def page_links(total: int, page: int, per_page: int, max_items: int | None = None) -> str:
    """The ``Link`` header value of a page (RFC 8288 §3): first and last always,
    prev from the second page on, next while a later page exists."""
    last = max(1, -(-total // per_page))
    if max_items is not None:
        last = max(1, min(last, max_items // per_page))
    documented = _documented_arguments()
    # Encoded once for the four links (urlencode of the whole list joins the same parts with "&").
    kept = urlencode([(k, v) for k, v in request.args.items(multi=True) if k in documented])
    base = request.script_root + request.path + "?" + (kept + "&" if kept else "")

    def link(number: int, rel: str) -> str:
        return f'<{base}page={number}&per_page={per_page}>; rel="{rel}"'

    links = [link(1, "first")]
    if page > 1:
        links.append(link(page - 1, "prev"))
    if page < last:
        links.append(link(page + 1, "next"))
    links.append(link(last, "last"))
    return ", ".join(links)
