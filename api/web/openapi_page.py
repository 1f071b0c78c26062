"""An API's OpenAPI document rendered for people (Swagger UI, vendored under
static/vendor/swagger-ui/), fed from the page's own endpoint for the document.

Only a reader cleared for the whole API gets either: anyone else gets the 404 of an id that
does not exist (`EntryService.openapi_document(..., summary_as_missing=True)` refuses a
summary reader with NotFound, as `operations` does, and its audit record says 404, the
answer given), so the viewer tells nothing the entry page does not. The viewer has no
"Try it out": the CSP's `connect-src` is `'self'` and the
catalogue is not the place to call another agency's API from.

CSP: Swagger UI runs as a static script under `script-src 'self'`. It sets styles through
the DOM (element.style), which `style-src 'self'` allows, so no relaxation is needed; the
browser test (tests/e2e/test_discover_journeys.py) loads it under the strict policy and
fails on a CSP violation.

Accessibility: `static/discover-openapi.js` gives Swagger UI our own layout (no second
`<main>`, no unlabelled server `<select>`, headings in order) and `static/discover.css`
darkens its colours that miss WCAG AA contrast; the browser test runs axe on the viewer.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, render_template

from api.web.blueprint import bp
from api.web.pages import not_found
from api.web.session import page_identity
from api.wiring import services
from catalogue.errors import NotFound, PermissionDenied, ValidationFailed


def _document(entry_id: str) -> dict[str, Any]:
    try:
        return services().entries.openapi_document(page_identity(), entry_id, summary_as_missing=True)
    except (NotFound, PermissionDenied, ValidationFailed):
        not_found()


@bp.get("/entries/<entry_id>/openapi")
def openapi(entry_id: str) -> Any:
    """The viewer page (the document is fetched by static/discover-openapi.js): one read of
    the entry, refused as the document is (``EntryService.openapi_view``)."""
    try:
        view = services().entries.openapi_view(page_identity(), entry_id, summary_as_missing=True)
    except (NotFound, PermissionDenied, ValidationFailed):
        not_found()
    if not view.document.get("has_openapi"):
        not_found()
    return render_template("openapi.html", e=view.document)


@bp.get("/entries/<entry_id>/openapi.json")
def openapi_document(entry_id: str) -> Any:
    """The registered OpenAPI document, for readers of the whole API."""
    response = jsonify(_document(entry_id))
    response.headers["Cache-Control"] = "no-store"
    return response
