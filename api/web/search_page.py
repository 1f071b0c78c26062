"""The search page (the catalogue's front page, /) and its type-ahead suggestions.

Everything goes through `services().search` with `page_identity()`, as the JSON API does
with the bearer identity, so the page can never show or count more than the API would:
facets are counted by the engine under the reader's read filter (search/backend.py), hits
are re-checked in the database, and full-field facets count only entries read whole.

Decisions:
- The page is for people following links: a filter value the page does not know (a theme
  that is not in the vocabulary, a malformed organisation number) filters nothing and is
  dropped from the links, rather than failing; a page number beyond the last is clamped.
  The JSON API (`/api/v1/search`) keeps its 422s for programs.
- Snippets come from the engines already escaped with `<mark>` around matches; they are
  escaped again here (`snippet`) so that only `<mark>` and `</mark>` can ever reach the page.
- Suggestions (`/search/suggest`) answer with the page's identity (the API's
  `/api/v1/search/suggest` sees only a bearer token), for `static/discover-suggest.js`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from math import ceil
from typing import Any
from urllib.parse import urlencode

from flask import g, jsonify, render_template, request, url_for
from markupsafe import Markup, escape

from api.web import labels
from api.web.blueprint import bp
from api.web.i18n import page_language
from api.web.session import page_identity
from api.wiring import services
from catalogue.orgnr import OrgnrError, normalise_orgnr
from catalogue.schemas import ENTRY_TYPES, THEMES
from catalogue.shapes import AUTH_TYPES, MAX_ELEMENT_KEY
from catalogue.sharing import SHARING_STATUSES
from search.backend import MAX_WINDOW, SORTS, SearchFilters, SearchQuery
from search.query import MAX_QUERY_LENGTH
from search.service import SearchPage
from security.identity import Identity
from security.policy import STATUSES

PER_PAGE = 20
#: Page numbers shown either side of the current one.
PAGE_SPAN = 2
MAX_VALUES = 20
SUGGEST_MAX = 100

FILTERS = tuple(labels.FACET_TITLES)
_MARK = re.compile(r"(</?mark>)")


@dataclass(frozen=True)
class FacetLink:
    value: str
    label: str
    count: int
    selected: bool
    href: str


@dataclass(frozen=True)
class PageLink:
    number: int | None  # None: a gap (…)
    href: str = ""
    current: bool = False


def snippet(fragment: str) -> Markup:
    """An engine's highlight as safe HTML: every character escaped except `<mark>` pairs."""
    out, open_mark = [], False
    for part in _MARK.split(fragment):
        if part == "<mark>" and not open_mark:
            out.append(part)
            open_mark = True
        elif part == "</mark>" and open_mark:
            out.append(part)
            open_mark = False
        elif part not in ("<mark>", "</mark>"):
            # The engines escaped the text already; unescape once so it is not shown twice.
            out.append(str(escape(html.unescape(part))))
    if open_mark:
        out.append("</mark>")
    return Markup("".join(out))  # noqa: S704 - each text part is escaped above; only <mark> pairs pass


def read_filters(args: Mapping[str, Sequence[str]], scheme_keys: Sequence[str]) -> dict[str, list[str]]:
    """The filters of the query string the page knows; anything else is left out."""
    known: dict[str, Any] = {
        "type": ENTRY_TYPES,
        "theme": THEMES,
        "sharing_status": SHARING_STATUSES,
        "auth": AUTH_TYPES,
        "status": STATUSES,
        "classification": scheme_keys,
        "personal_data": ("true", "false"),
    }
    out: dict[str, list[str]] = {}
    for name in FILTERS:
        values: list[str] = []
        for raw in args.get(name, ())[:MAX_VALUES]:
            value = _valid(name, raw.strip(), known.get(name))
            if value is not None and value not in values:
                values.append(value)
        if values:
            out[name] = values[:1] if name == "personal_data" else values
    return out


def _valid(name: str, value: str, allowed: Sequence[str] | None) -> str | None:
    if allowed is not None:
        return value if value in allowed else None
    if name == "publisher":
        try:
            return normalise_orgnr(None, value)
        except OrgnrError:
            return None
    if name == "format":
        return value.upper() if 0 < len(value) <= 64 else None
    if name == "element":
        return value if 0 < len(value) <= MAX_ELEMENT_KEY else None
    return value if 0 < len(value) <= 64 else None  # legal_basis: a bare reference


def search_filters(chosen: Mapping[str, list[str]], **fixed: tuple[str, ...]) -> SearchFilters:
    """The engine's filters for the chosen values (and ``fixed`` ones a page imposes)."""
    values: dict[str, Any] = {k: tuple(v) for k, v in chosen.items() if k != "personal_data"}
    if "personal_data" in chosen:
        values["personal_data"] = chosen["personal_data"][0] == "true"
    return SearchFilters(**{**values, **fixed})


def query_url(params: Mapping[str, Any], **changes: Any) -> str:
    """This page's URL with the query ``params`` (lists allowed) changed by ``changes``."""
    merged = {**params, **changes}
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        for v in value if isinstance(value, list | tuple) else [value]:
            if v is None or v == "" or (key == "page" and v == 1):
                continue  # page 1 is the page without a number
            pairs.append((key, str(v)))
    base = request.path
    return f"{base}?{urlencode(pairs)}" if pairs else base


def facet_links(
    identity: Identity, result: SearchPage, chosen: Mapping[str, list[str]], params: Mapping[str, Any]
) -> list[tuple[str, str, list[FacetLink]]]:
    """(facet name, heading, values) with names for codes, in the page's order; only
    facets the engine counted (never above the reader's clearance) and chosen values."""
    lang = page_language()
    scheme = services().entries.scheme
    facets = result.facets
    values_of = {name: [f.value for f in facets.get(name, ())] for name in FILTERS}
    named: dict[str, dict[str, str]] = {
        "publisher": labels.agency_names(
            identity, values_of["publisher"] + chosen.get("publisher", []), lang
        ),
        "legal_basis": labels.statute_names(
            identity, values_of["legal_basis"] + chosen.get("legal_basis", []), lang
        ),
        "element": (
            labels.element_labels(identity, lang) if values_of["element"] or "element" in chosen else {}
        ),
    }
    groups = []
    for name in FILTERS:
        selected = chosen.get(name, [])
        counted = {f.value: f.count for f in facets.get(name, ())}
        links = []
        for value in [*counted, *(v for v in selected if v not in counted)]:
            on = value in selected
            others = [v for v in selected if v != value] if on else [*selected, value]
            links.append(
                FacetLink(
                    value,
                    labels.facet_label(name, value, lang, scheme, named.get(name, {})),
                    counted.get(value, 0),
                    on,
                    query_url(params, **{name: others, "page": None}),
                )
            )
        if links:
            groups.append((name, str(labels.FACET_TITLES[name]), links))
    return groups


def page_links(params: Mapping[str, Any], page: int, last: int) -> list[PageLink]:
    shown = sorted({1, last, *range(max(1, page - PAGE_SPAN), min(last, page + PAGE_SPAN) + 1)})
    links: list[PageLink] = []
    for number in shown:
        if links and links[-1].number is not None and number - (links[-1].number or 0) > 1:
            links.append(PageLink(None))
        links.append(PageLink(number, query_url(params, page=number), number == page))
    return links


@bp.get("/")
def home() -> Any:
    """Search the catalogue: a box, facets with names and counts, sorting and pages."""
    identity = page_identity()
    scheme = services().entries.scheme
    q = request.args.get("q", "").strip()[:MAX_QUERY_LENGTH]
    sort = request.args.get("sort", "relevance")
    sort = sort if sort in SORTS else "relevance"
    chosen = read_filters(request.args.to_dict(flat=False), scheme.enabled_keys)
    if "element" in chosen:  # only keys of the (public) vocabulary: an unknown one is never echoed
        known = labels.element_labels(identity, page_language())
        chosen["element"] = [key for key in chosen["element"] if key in known]
        if not chosen["element"]:
            del chosen["element"]
    max_page = MAX_WINDOW // PER_PAGE
    page = min(max(1, request.args.get("page", 1, type=int) or 1), max_page)
    query = SearchQuery(
        text=q, filters=search_filters(chosen), sort=sort, page=page, per_page=PER_PAGE, lang=page_language()
    )
    result = services().search.search(identity, query)
    last = min(max(1, ceil(result.total / PER_PAGE)), max_page)
    if page > last:  # past the end (the URL was typed, or entries went away): the last page
        page = last
        result = services().search.search(identity, replace(query, page=page))
    params: dict[str, Any] = {
        "q": q,
        **chosen,
        "sort": sort if sort != "relevance" else None,
        "lang": page_language(),
    }
    g.page_query = params  # the language links keep what the page understood, nothing else
    items = []
    for item in result.items:
        document = dict(item.view.document)
        document["snippets"] = {k: snippet(v) for k, v in item.highlights.items()}
        items.append(document)
    lang = page_language()
    return render_template(
        "home.html",
        q=q,
        sort=sort,
        sorts=[(s, query_url(params, sort=s if s != "relevance" else None, page=None)) for s in SORTS],
        items=items,
        total=result.total,
        page=page,
        pages=page_links(params, page, last),
        previous=query_url(params, page=page - 1) if page > 1 else None,
        next=query_url(params, page=page + 1) if page < last else None,
        facets=facet_links(identity, result, chosen, params),
        chosen=chosen,
        anonymous=identity.kind == "anonymous",
        agencies=labels.agency_names(identity, {d["publisher"] for d in items}, lang),
        scheme=scheme,
        params=params,
    )


@bp.get("/search/suggest")
def suggest() -> Any:
    """Titles that start with what was typed, of entries the reader may see (JSON)."""
    prefix = request.args.get("q", "").strip()[:SUGGEST_MAX]
    found = services().search.suggest(page_identity(), prefix, 8) if prefix else []
    response = jsonify(
        {
            "items": [
                {"title": s.title, "type": s.type, "url": url_for("web.entry", entry_id=s.id)} for s in found
            ]
        }
    )
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Authorization")
    return response
