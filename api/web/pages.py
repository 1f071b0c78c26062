"""Browse, search and read entries in a browser."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, render_template, request

from api.auth import current_identity
from api.wiring import db, services
from catalogue.errors import NotFound
from catalogue.models import Agency
from search.backend import SearchFilters, SearchQuery

bp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets"
)

LANG_ORDER = ("sv", "nb", "nn", "en")


def pick(texts: dict[str, str] | None, lang: str) -> str:
    """The text in the reader's language, else the first one there is."""
    if not texts:
        return ""
    if texts.get(lang):
        return texts[lang]
    for code in ("en", *LANG_ORDER):
        if texts.get(code):
            return texts[code]
    return next(iter(texts.values()), "")


@bp.app_template_filter("pick")
def _pick(texts: dict[str, str] | None) -> str:
    return pick(texts, g.get("lang", "en"))


@bp.before_request
def _language() -> None:
    wanted = request.args.get("lang") or request.accept_languages.best_match(["sv", "nb", "en"])
    g.lang = wanted if wanted in ("sv", "nb", "en") else "en"


def _agency_names() -> dict[str, str]:
    return {a.orgnr: pick(a.name, g.lang) for a in db().query(Agency).all()}


def _element_labels() -> dict[str, str]:
    """Data-element key → its label in the reader's language (the vocabulary is public)."""
    elements = services().data_elements.list_elements(current_identity())
    return {e.key: pick(e.labels, g.lang) for e in elements}


@bp.get("/")
def home() -> Any:
    """The catalogue: search, or the newest entries."""
    identity = current_identity()
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
        view = services().entries.get(current_identity(), entry_id)
    except NotFound:
        abort(404)
    data = dict(view.document)
    return render_template("entry.html", e=data, agencies=_agency_names(), elements=_element_labels())
