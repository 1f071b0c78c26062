"""Browse by publisher and by theme: /agencies, /agencies/<orgnr>, /themes, /themes/<code>.

Agencies are public facts (`AgencyService`). Their entries, and the counts beside agencies
and themes, come from `services().search` with the page's identity, like the search page,
so nothing above the reader's clearance is listed or counted: a theme is a full field, so a
theme's count and list hold only entries the reader may read whole (search/backend.py).
An organisation number in any common form finds its agency; a malformed one, like an
unknown one, is a 404. Entries are listed newest first.
"""

from __future__ import annotations

from math import ceil
from typing import Any

from flask import redirect, render_template, request, url_for

from api.web import labels
from api.web.blueprint import bp
from api.web.i18n import page_language, pick
from api.web.pages import not_found
from api.web.search_page import PER_PAGE, page_links, query_url
from api.web.session import page_identity
from api.wiring import services
from catalogue.errors import NotFound
from catalogue.orgnr import OrgnrError, normalise_orgnr
from catalogue.schemas import THEMES
from search.backend import MAX_WINDOW, SearchFilters, SearchQuery
from security.identity import Identity

#: Agencies on one page of /agencies (there are tens, not thousands).
AGENCIES_PER_PAGE = 100


def _counts(identity: Identity, facet: str) -> dict[str, int]:
    """Entries per value of ``facet`` that the reader may see (the engine's own facet)."""
    result = services().search.search(identity, SearchQuery(per_page=1, lang=page_language()))
    return {f.value: f.count for f in result.facets.get(facet, ())}


def _entries(identity: Identity, filters: SearchFilters) -> dict[str, Any]:
    """A page of entries under ``filters``, newest first, with its pager."""
    max_page = MAX_WINDOW // PER_PAGE
    page = min(max(1, request.args.get("page", 1, type=int) or 1), max_page)
    query = SearchQuery(filters=filters, sort="modified", page=page, per_page=PER_PAGE, facets=False)
    result = services().search.search(identity, query)
    last = min(max(1, ceil(result.total / PER_PAGE)), max_page)
    params = {"lang": page_language()}
    items = [dict(i.view.document) for i in result.items]
    return {
        "items": items,
        "total": result.total,
        "pages": page_links(params, page, last),
        "previous": query_url(params, page=page - 1) if page > 1 else None,
        "next": query_url(params, page=page + 1) if page < last else None,
        "agencies": labels.agency_names(identity, {d["publisher"] for d in items}, page_language()),
    }


@bp.get("/agencies")
def agencies() -> Any:
    """Every agency, by name, with how many entries the reader may see of each."""
    identity = page_identity()
    lang = page_language()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    listing = services().agencies.list_agencies(identity, page=page, per_page=AGENCIES_PER_PAGE)
    counts = _counts(identity, "publisher")
    rows = sorted(
        ({"orgnr": a.orgnr, "name": pick(a.name, lang) or a.orgnr, "country": a.country,
          "count": counts.get(a.orgnr, 0), "retired": a.retired} for a in listing.items),
        key=lambda r: str(r["name"]).casefold(),
    )  # fmt: skip
    last = max(1, ceil(listing.total / AGENCIES_PER_PAGE))
    params = {"lang": lang}
    return render_template(
        "agencies.html",
        agencies=rows,
        pages=page_links(params, min(page, last), last),
        previous=query_url(params, page=page - 1) if page > 1 else None,
        next=query_url(params, page=page + 1) if page < last else None,
    )


@bp.get("/agencies/<orgnr>")
def agency(orgnr: str) -> Any:
    """One agency and its entries (those the reader may see), newest first."""
    identity = page_identity()
    try:
        canonical = normalise_orgnr(None, orgnr)
        found = services().agencies.get(identity, canonical)
    except (OrgnrError, NotFound):
        not_found()
    if canonical != orgnr:  # one address per agency
        query = request.query_string.decode("ascii", "replace")
        return redirect(url_for("web.agency", orgnr=canonical) + (f"?{query}" if query else ""), code=301)
    return render_template(
        "agency.html",
        agency=found,
        name=pick(found.name, page_language()) or found.orgnr,
        **_entries(identity, SearchFilters(publisher=(canonical,))),
    )


@bp.get("/themes")
def themes() -> Any:
    """The EU data themes, with how many entries the reader may read whole in each."""
    counts = _counts(page_identity(), "theme")
    lang = page_language()
    rows = sorted(
        ({"code": t, "label": labels.theme_label(t, lang), "count": counts.get(t, 0)} for t in THEMES),
        key=lambda r: str(r["label"]).casefold(),
    )
    return render_template("themes.html", themes=rows)


@bp.get("/themes/<code>")
def theme(code: str) -> Any:
    """The entries of one theme that the reader may read whole, newest first."""
    if code not in THEMES:
        not_found()
    return render_template(
        "theme.html",
        code=code,
        label=labels.theme_label(code, page_language()),
        **_entries(page_identity(), SearchFilters(theme=(code,))),
    )
