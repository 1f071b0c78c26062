"""The one blueprint every page module adds its routes to (`api/web/__init__.py` imports them),
and the query a link back to the page keeps."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request

bp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets"
)


def kept_query() -> list[tuple[str, str]]:
    """The query a link back to this page keeps (a language link, "Sign in"): what the page
    understood, when it says so in ``g.page_query`` (the search page does, so an unknown
    filter value is never echoed), else the query as sent; never ``lang``."""
    kept: Any = g.get("page_query")
    if kept is None:
        return [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return [
        (k, str(v))
        for k, values in kept.items()
        if k != "lang"
        for v in (values if isinstance(values, list | tuple) else [values])
        if v not in (None, "")
    ]
