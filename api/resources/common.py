"""Small helpers shared by the blueprints (the services: ``api.wiring.services``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Literal, TypeVar

from flask import request
from marshmallow import Schema, fields, validate

from api.openapi import ETAG_KIND

F = TypeVar("F", bound=Callable[..., Any])


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


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


def page_body(items: list[Any], total: int, page: int, per_page: int) -> dict[str, Any]:
    return {"total": total, "page": page, "per_page": per_page, "items": items}
