"""What every page module shares: the language hooks, content in the page's language, links
that keep the reader's query when the language changes, and one way to answer "not found".

The page modules themselves: `search_page` (the catalogue's search, at /), `entry_page` (one
entry), `openapi_page` (an API's OpenAPI document rendered for people) and `agency_pages`
(agencies and themes). Names for codes (themes, levels, statuses ...) are in `labels`.
"""

from __future__ import annotations

from typing import Any, NoReturn
from urllib.parse import urlencode

from flask import Response, abort, request

from api.web import labels
from api.web.blueprint import bp, kept_query
from api.web.i18n import LANGS, page_language, pick, remember_language
from api.wiring import services


@bp.app_template_filter("pick")
def _pick(texts: dict[str, str] | None) -> str:
    return pick(texts, page_language())


@bp.app_template_global("statute_text")
def _statute_text(name: str, short_name: str | None) -> str:
    return labels.statute_text(name, short_name)


@bp.app_template_global("lang_url")
def lang_url(code: str) -> str:
    """This page in language ``code``, its query kept (filters survive a change of language).
    A page that validates its query (the search page) sets ``g.page_query`` to what it
    understood, and only that is kept: an unknown filter value is never echoed."""
    args = kept_query()
    return f"{request.path}?{urlencode([*args, ('lang', code if code in LANGS else 'en')])}"


@bp.before_request
def _language() -> None:
    page_language()


@bp.after_request
def _remember(response: Response) -> Response:
    return remember_language(response)


def not_found() -> NoReturn:
    """The one answer for a missing id, a hidden one, and one the reader may not open:
    the same status and page, so no page tells them apart."""
    abort(404)


@bp.app_context_processor
def _names() -> dict[str, Any]:
    """Names for codes, for every template (looked up only when a template asks)."""

    def level_label(key: str) -> str:
        return labels.level_label(services().entries.scheme, key, page_language())

    def type_label(code: str) -> str:
        return str(labels.TYPES.get(code, code))

    def theme_label(code: str) -> str:
        return labels.theme_label(code, page_language())

    return {"level_label": level_label, "type_label": type_label, "theme_label": theme_label}
