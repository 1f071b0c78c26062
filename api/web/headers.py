"""What every page answer carries, and what a person's browser gets instead of a problem.

- **Headers** (``page_headers``): a strict Content-Security-Policy (no inline script or
  style, nothing from elsewhere, never framed), merged per response with ``g.csp_relax``
  (directive → extra sources) for a view that truly needs more; ``nosniff``;
  ``Referrer-Policy``; and ``Cache-Control: no-store`` on every page answered to someone
  signed in or holding a bearer token, or marked private by its view (``g.no_store``), so
  no shared or back-button cache keeps what a clearance let someone see.
- **CSRF**: Flask-WTF's ``CSRFProtect`` checks every unsafe request to the pages (the API
  and the authorization server's endpoints are not pages, and take no cookies).
- **Errors for people** (``page_for_people``): a problem (``api/problems.py``) answered to a
  browser (it prefers text/html) on a path outside the API and the OAuth endpoints becomes
  an HTML page in the reader's language, same status (a 401, which a page without a token
  can only mean as "sign in", is a 403 page offering sign-in). The API keeps problem+json.
"""

from __future__ import annotations

from typing import cast

from flask import Flask, Response, g, render_template, request
from flask_wtf.csrf import CSRFProtect

from api.edge import PAGE_CSP
from api.problems import PROBLEM
from api.web.blueprint import bp
from api.web.i18n import page_language
from api.web.session import keep_session

#: The pages' policy, directive → sources (declared once, as ``api.edge.PAGE_CSP``).
CSP: dict[str, tuple[str, ...]] = {
    name: tuple(sources) for name, *sources in (part.split() for part in PAGE_CSP.split(";") if part.strip())
}
#: Never relaxed, whatever a view asks.
FIXED = frozenset({"object-src", "base-uri", "frame-ancestors"})
#: Paths that answer programs, never people.
NOT_PAGES = ("/api/", "/oauth/", "/.well-known/")
#: Statuses that have a page of their own (others get the nearest: 4xx → 400, 5xx → 500).
PAGES = frozenset({400, 403, 404, 405, 413, 429, 500, 502, 503})

csrf = CSRFProtect()


def content_security_policy() -> str:
    """The pages' policy with this response's ``g.csp_relax`` merged in."""
    directives = {name: list(sources) for name, sources in CSP.items()}
    for name, extra in (g.get("csp_relax") or {}).items():
        if name in FIXED or not isinstance(extra, list | tuple):
            continue
        merged = directives.setdefault(name, [])
        merged.extend(s for s in extra if s not in merged and isinstance(s, str) and ";" not in s)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def page_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy()
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    private = (
        "Authorization" in request.headers
        or g.get("no_store")
        or g.get("web_session") is not None
        or request.cookies.get("session") is not None  # the CSRF token's cookie
        or "Set-Cookie" in headers
    )
    if private:
        headers["Cache-Control"] = "no-store"
    vary = headers.get("Vary", "")
    for name in ("Cookie", "Authorization"):
        if name.lower() not in vary.lower():
            vary = f"{vary}, {name}" if vary else name
    headers["Vary"] = vary
    return response


def _after_page(response: Response) -> Response:
    if request.endpoint == "web.static":
        return response
    return page_headers(keep_session(response))


def _check_csrf() -> None:
    # A request with an Authorization header acts with its bearer token's identity, never the
    # session cookie's (session.page_identity): a browser cannot be made to send that header
    # cross-site, so there is nothing to forge, and tools posting with a token need no form token.
    if request.method not in ("GET", "HEAD", "OPTIONS") and "Authorization" not in request.headers:
        csrf.protect()


def wants_page() -> bool:
    if request.path.startswith(NOT_PAGES):
        return False
    best = request.accept_mimetypes.best_match(["text/html", PROBLEM, "application/json"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > 0


def page_for_people(response: Response) -> Response:
    """A problem answered to a person's browser becomes a page (see the module docstring)."""
    if response.mimetype != PROBLEM or not wants_page():
        return response
    status = response.status_code
    if status == 401 and "Authorization" not in request.headers:
        status = 403
    shown = 403 if status == 401 else status if status in PAGES else (500 if status >= 500 else 400)
    # Nothing that could fail again on the way: the database after a 5xx, the refused
    # bearer token after its 401 (the frame would ask for the identity once more).
    g.bare_page = status >= 500 or (status == 401 and "Authorization" in request.headers)
    page_language()  # (a path outside the pages' blueprint has not chosen it yet)
    html = render_template("error.html", status=shown)
    page = Response(html, status=status, mimetype="text/html")
    for name in ("Allow", "Retry-After"):
        if name in response.headers:
            page.headers[name] = response.headers[name]
    page.headers["Cache-Control"] = "no-store"
    return page_headers(page)


def init_page_headers(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # only the pages (``_check_csrf``)
    # The CSRF token's cookie (Flask's session) is Secure when Tillit is served over https.
    app.config.setdefault("SESSION_COOKIE_SECURE", str(app.config["ISSUER"]).startswith("https://"))
    csrf.init_app(app)


bp.before_request(_check_csrf)
bp.after_request(_after_page)
bp.after_app_request(page_for_people)
bp.record_once(lambda state: init_page_headers(cast(Flask, state.app)))
