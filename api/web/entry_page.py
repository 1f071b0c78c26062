"""One entry's page: everything the reader may see of it, with names for its codes.

The view comes from `EntryService.get` with the page's identity, exactly as the API's
`GET /api/v1/{datasets,apis}/<id>`: the whole entry, or the redacted summary the reader's
clearance allows (then the page says plainly that more exists and whom to ask), or 404 for
a missing or hidden id alike. Statute names come with the rendering
(`catalogue.statutes.named_document`, in the page's language).

Linked entries are shown by title, and only those the reader may see: the datasets an API
serves (`views_of`, not audited as reads: titles only, as a summary shows them) and, on a
dataset, the APIs serving it that the reader may read whole (`EntryService.serving_apis`).

**The body is rendered once and kept** (`body_cache`, like the API's cached renderings in
`catalogue/machinery/readpath/rendering.py`). Everything in `discover/entry_body.html`
depends only on the view the service gave this reader (whole or summary, of one revision,
operations included: `EntryService.get` reads them checked against that revision), the
page's language, and the names looked up for it on this request (publisher, level and its
meaning, data elements), so the key holds exactly those: a reader is only ever given the
body of the very view the service decided for them, and any change — to the entry (its
revision moves on, statute renames included: docs/statutes.md), an agency's or an
element's name, the scheme — is a different key, never a stale page. What depends on who
reads (linked entries they may see, the tools, "Request access", the header) is rendered
on every request around it. The read is audited by `EntryService.get` on every request,
cached body or not, exactly as the API's read is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import render_template, request
from markupsafe import Markup

from api.web import labels
from api.web.blueprint import bp
from api.web.i18n import FALLBACK, LANGS, page_language
from api.web.pages import not_found
from api.web.session import page_identity
from api.wiring import services
from catalogue.errors import NotFound, ValidationFailed
from catalogue.machinery.readpath.lru import LRUCache
from catalogue.services.entry_views import EntryView
from catalogue.statutes import named_document

#: Rendered bodies: a few kilobytes each; the most read entries stay.
body_cache: LRUCache[tuple[Any, ...], Markup] = LRUCache(4096)


def keywords_in(keywords: Mapping[str, Sequence[str]] | None, lang: str) -> list[str]:
    """The keywords in the page's language, else in the nearest language that has some."""
    for code in FALLBACK.get(lang, LANGS):
        if keywords and keywords.get(code):
            return list(keywords[code])
    return []


def _link(view: EntryView) -> dict[str, Any]:
    return {"id": view.entry.id, "title": view.document.get("title"), "type": view.entry.type}


@bp.get("/entries/<entry_id>")
def entry(entry_id: str) -> Any:
    """One entry: the whole of it, or the summary the reader's clearance allows."""
    identity = page_identity()
    try:
        view = services().entries.get(identity, entry_id)
    except (NotFound, ValidationFailed):
        not_found()
    lang = page_language()
    doc = view.document
    scheme = services().entries.scheme
    served: list[Any] = []
    serving: list[Any] = []
    if view.full and doc.get("serves_datasets"):
        ids = [str(i) for i in doc["serves_datasets"]]
        views = services().entries.views_of(identity, ids, audit=False)
        served = [_link(views[i]) for i in ids if i in views]
    if view.full and doc.get("type") == "dataset":
        serving = [_link(v) for v in services().entries.serving_apis(identity, view.entry.id)]
    # Only the elements the entry names are looked up (most name none).
    named = {
        *(doc.get("data_elements") or ()),
        *(k for op in doc.get("operations") or () for k in op.get("data_elements") or ()),
    }
    elements = labels.element_labels(identity, lang, named) if named else {}
    publisher = labels.agency_names(identity, [doc["publisher"]], lang).get(
        doc["publisher"], doc["publisher"]
    )
    level = labels.level_label(scheme, doc["classification"], lang)
    level_meaning = labels.level_meaning(scheme, doc["classification"], lang)
    key = (
        view.entry.id, view.entry.revision, view.full, scheme.lowest, lang, request.script_root,
        publisher, level, level_meaning, tuple(sorted(elements.items())),
    )  # fmt: skip
    body = body_cache.get(key)
    if body is None:
        body = _body(view, lang, publisher, level, level_meaning, elements)
        body_cache.put(key, body)
    return render_template(
        "entry.html", e=doc, full=view.full, identity=identity, body=body, served=served, serving=serving
    )


def _body(
    view: EntryView, lang: str, publisher: str, level: str, level_meaning: str, elements: Mapping[str, str]
) -> Markup:
    """The cacheable part of the page (discover/entry_body.html), as HTML."""
    e = named_document(view.document, view.statutes, lang)
    operations = [
        {**op, "elements": [elements.get(k, k) for k in op.get("data_elements") or ()]}
        for op in e.get("operations") or ()
    ]
    html = render_template(
        "discover/entry_body.html",
        e=e,
        publisher=publisher,
        elements=elements,
        keywords=keywords_in(e.get("keywords"), lang),
        level=level,
        level_meaning=level_meaning,
        sharing=labels.SHARING,
        statuses=labels.STATUSES,
        sharing_meanings=labels.SHARING_MEANINGS,
        roles=labels.ROLES,
        auth=labels.AUTH,
        frequencies=labels.FREQUENCIES,
        lifecycles=labels.LIFECYCLES,
        operations=operations,
    )
    return Markup(html)  # noqa: S704  (a template's output: escaped by its autoescape)
