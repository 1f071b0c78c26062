"""One entry's page: everything the reader may see of it, with names for its codes.

The view comes from `EntryService.get` with the page's identity, exactly as the API's
`GET /api/v1/{datasets,apis}/<id>`: the whole entry, or the redacted summary the reader's
clearance allows (then the page says plainly that more exists and whom to ask), or 404 for
a missing or hidden id alike. Statute names come with the rendering
(`catalogue.statutes.named_document`, in the page's language).

Linked entries are shown by title, and only those the reader may see: the datasets an API
serves (`views_of`, not audited as reads: titles only, as a summary shows them) and, on a
dataset, the APIs serving it that the reader may read whole (`EntryService.serving_apis`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import render_template

from api.web import labels
from api.web.blueprint import bp
from api.web.i18n import FALLBACK, LANGS, page_language
from api.web.pages import not_found
from api.web.session import page_identity
from api.wiring import services
from catalogue.errors import NotFound, ValidationFailed
from catalogue.services.entry_views import EntryView
from catalogue.statutes import named_document


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
    e = named_document(view.document, view.statutes, lang)
    scheme = services().entries.scheme
    served: list[Any] = []
    serving: list[Any] = []
    if view.full and e.get("serves_datasets"):
        ids = [str(i) for i in e["serves_datasets"]]
        views = services().entries.views_of(identity, ids, audit=False)
        served = [_link(views[i]) for i in ids if i in views]
    if view.full and e.get("type") == "dataset":
        serving = [_link(v) for v in services().entries.serving_apis(identity, view.entry.id)]
    # The vocabulary is read only when the entry names elements (most do not).
    named = e.get("data_elements") or any(op.get("data_elements") for op in e.get("operations") or ())
    elements = labels.element_labels(identity, lang) if named else {}
    operations = [
        {**op, "elements": [elements.get(k, k) for k in op.get("data_elements") or ()]}
        for op in e.get("operations") or ()
    ]
    return render_template(
        "entry.html",
        e=e,
        full=view.full,
        identity=identity,
        publisher=labels.agency_names(identity, [e["publisher"]], lang).get(e["publisher"], e["publisher"]),
        elements=elements,
        keywords=keywords_in(e.get("keywords"), lang),
        level=labels.level_label(scheme, e["classification"], lang),
        level_meaning=labels.level_meaning(scheme, e["classification"], lang),
        sharing=labels.SHARING,
        statuses=labels.STATUSES,
        sharing_meanings=labels.SHARING_MEANINGS,
        roles=labels.ROLES,
        auth=labels.AUTH,
        frequencies=labels.FREQUENCIES,
        lifecycles=labels.LIFECYCLES,
        operations=operations,
        served=served,
        serving=serving,
    )
