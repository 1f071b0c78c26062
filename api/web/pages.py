"""Browse, search and read entries in a browser."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, g, render_template, request

from api.web.blueprint import bp
from api.web.i18n import page_language, pick, remember_language
from api.web.session import page_identity
from api.wiring import db, services
from catalogue.errors import NotFound
from catalogue.models import Agency
from search.backend import SearchFilters, SearchQuery


@bp.app_template_filter("pick")
def _pick(texts: dict[str, str] | None) -> str:
    return pick(texts, page_language())


@bp.before_request
def _language() -> None:
    page_language()


@bp.after_request
def _remember(response: Response) -> Response:
    return remember_language(response)


def _agency_names() -> dict[str, str]:
    return {a.orgnr: pick(a.name, g.lang) for a in db().query(Agency).all()}


def _element_labels() -> dict[str, str]:
    """Data-element key → its label in the reader's language (the vocabulary is public)."""
    elements = services().data_elements.list_elements(page_identity())
    return {e.key: pick(e.labels, g.lang) for e in elements}


@bp.get("/")
def home() -> Any:
    """The catalogue: search, or the newest entries."""
    identity = page_identity()
    q = request.args.get("q", "").strip()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    entry_type = request.args.get("type") or None
    labels = _element_labels()
    element = request.args.get("element") or None
    if element not in labels:  # a key not in the vocabulary filters nothing
        element = None
    if q or entry_type or element:
        filters = SearchFilters(
            type=(entry_type,) if entry_type in ("dataset", "api") else (),
            element=(element,) if element else (),
        )
        result = services().search.search(
            identity, SearchQuery(text=q[:200], filters=filters, page=page, per_page=20)
        )
        items = [dict(i.view.document) for i in result.items]
        total = result.total
    else:
        listing = services().entries.list_entries(identity, page=page, per_page=20)
        items = [dict(v.document) for v in listing.items]
        total = listing.total
    return render_template(
        "home.html",
        items=items,
        total=total,
        q=q,
        page=page,
        entry_type=entry_type or "",
        element=element or "",
        elements=labels,
        agencies=_agency_names(),
    )


@bp.get("/entries/<entry_id>")
def entry(entry_id: str) -> Any:
    """One entry: the whole of it, or the summary the reader's clearance allows."""
    try:
        view = services().entries.get(page_identity(), entry_id)
    except NotFound:
        abort(404)
    data = dict(view.document)
    return render_template("entry.html", e=data, agencies=_agency_names(), elements=_element_labels())
