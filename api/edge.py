"""What every response and request passes at the HTTP edge: security headers, the
cache rules for what a caller's credentials let it see, conditional GET, the
bounds on a request's head, and the bound on how deep a JSON body may nest
(deeper ones overflow Python's recursion in the parser and in everything that
walks the result).

The head's bounds (URL, each header field, the number of fields) are Tillit's own,
answered 414 and 431 as problems like every other error. The server in front
(gunicorn, set by ``tillit serve``, ``api/cli/serve.py``) has larger ones, so its
text/html refusals are not what a client meets first.

Conditional GET (RFC 9110 §13.1.2): a GET or HEAD whose ``If-None-Match`` names
the ETag of the answer is a 304 without a body. The ETag is compared only on a
200 that carries one, after the read succeeded: an entry hidden from the caller
stays a 404 whatever ETag it sends (a 404 has none to compare)."""

from __future__ import annotations

import re

from flask import Request, Response
from werkzeug.exceptions import HTTPException, RequestHeaderFieldsTooLarge, RequestURITooLarge
from werkzeug.http import unquote_etag

#: The web pages (issue 17's contract, docs/web.md): their own scripts, styles and images
#: only, nothing inline, never framed. ``api/web/headers.py`` merges a view's ``g.csp_relax``.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
#: Anything else (JSON, problems, CSS) runs nothing and is framed nowhere.
OTHER_CSP = "default-src 'none'; frame-ancestors 'none'"

#: The longest URL (path and query, as sent) in bytes: 414 above.
MAX_URL_BYTES = 8000
#: The longest header field ("Name: value", repeated fields joined) in bytes: 431 above.
MAX_HEADER_BYTES = 8000
#: The most header fields: 431 above.
MAX_HEADER_FIELDS = 100

_STRINGS = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


def json_too_deep(body: bytes, limit: int) -> bool:
    """Whether arrays and objects nest deeper than ``limit`` (brackets inside
    strings do not count). A body that is not JSON is left to the parser."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for byte in _STRINGS.sub(b"", body).translate(None, _NOT_BRACKETS):
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return True
    return False


def oversized_head(environ: dict[str, object]) -> HTTPException | None:
    """414 or 431 when the request's URL or headers pass Tillit's bounds."""
    url = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not isinstance(url, str):  # a server that keeps neither: rebuild it
        query = environ.get("QUERY_STRING") or ""
        url = f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}" + (
            f"?{query}" if query else ""
        )
    if len(url) > MAX_URL_BYTES:  # WSGI strings hold bytes as latin-1: one char, one byte
        return RequestURITooLarge(f"The URL is longer than {MAX_URL_BYTES} bytes.")
    fields = [
        (key, value)
        for key, value in environ.items()
        if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")
    ]
    if len(fields) > MAX_HEADER_FIELDS:
        return RequestHeaderFieldsTooLarge(f"The request has more than {MAX_HEADER_FIELDS} header fields.")
    for key, value in fields:
        # "Name: value": the name as sent is as long as its CGI form less any "HTTP_".
        if len(key.removeprefix("HTTP_")) + 2 + len(str(value)) > MAX_HEADER_BYTES:
            return RequestHeaderFieldsTooLarge(
                f"A request header field is longer than {MAX_HEADER_BYTES} bytes."
            )
    return None


def fields_of(response: Response) -> dict[str, str]:
    """The response's header fields by lower-case name (the first value of each), in
    one pass. Werkzeug answers ``get``, ``in`` and ``pop`` of an absent field by
    raising and catching a KeyError, which costs several times a lookup here; the
    hooks every answer passes ask this instead."""
    found: dict[str, str] = {}
    for name, value in response.headers:
        found.setdefault(name.lower(), value)
    return found


def _put(response: Response, fields: dict[str, str], name: str, value: str) -> None:
    """Set ``name`` (replacing it if ``fields`` has it, else appended without a search)."""
    if name.lower() in fields:
        response.headers[name] = value
    else:
        response.headers.add(name, value)
    fields[name.lower()] = value


def vary(response: Response, names: str, fields: dict[str, str] | None = None) -> None:
    """Add ``names`` (comma-separated) to ``Vary``, once each (field names compared
    whole: ``Accept`` is not ``Accept-Language``). Cheaper than ``response.vary``,
    which parses the header and writes it again for every name added. ``fields``:
    the response's ``fields_of``, kept up to date."""
    fields = fields_of(response) if fields is None else fields
    current = fields.get("vary")
    present = {v.strip().lower() for v in current.split(",")} if current else ()
    missing = [n for n in names.split(", ") if n.lower() not in present]
    if missing:
        _put(response, fields, "Vary", ", ".join([current, *missing] if current else missing))


def answer_not_modified(request: Request, response: Response, fields: dict[str, str] | None = None) -> None:
    """304 for a GET or HEAD whose If-None-Match names the answer's ETag (weak
    comparison, as RFC 9110 §13.1.2 asks; ``*`` matches any current answer)."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return
    if "HTTP_IF_NONE_MATCH" not in request.environ:
        return
    etag = (fields_of(response) if fields is None else fields).get("etag")
    if etag is None:
        return
    tag, _weak = unquote_etag(etag)
    if request.if_none_match.contains_weak(tag):
        response.status_code = 304  # Werkzeug sends no body and no content headers then
        response.set_data(b"")


def secure_response(request: Request, response: Response, fields: dict[str, str] | None = None) -> None:
    """nosniff everywhere; a CSP that forbids framing on every response; and no
    shared cache keeps what a bearer token or a session let the caller see.
    ``fields``: the response's ``fields_of``, if the caller has them."""
    fields = fields_of(response) if fields is None else fields
    _put(response, fields, "X-Content-Type-Options", "nosniff")
    if "content-security-policy" not in fields:
        csp = PAGE_CSP if response.mimetype == "text/html" else OTHER_CSP
        _put(response, fields, "Content-Security-Policy", csp)
    if (request.endpoint or "").endswith("static"):
        return  # the stylesheet is the same for everyone
    api = request.path.startswith(("/api/", "/oauth/"))
    # The API reads no cookie; pages may (the login form's session).
    vary(response, "Authorization" if request.path.startswith("/api/") else "Authorization, Cookie", fields)
    environ = request.environ
    credentials = (
        "HTTP_AUTHORIZATION" in environ
        or ("HTTP_COOKIE" in environ and bool(request.cookies))
        or "set-cookie" in fields
    )
    # (a response's Cache-Control is parsed only when it has one)
    public = "cache-control" in fields and response.cache_control.public
    if credentials or (api and not public):
        _put(response, fields, "Cache-Control", "no-store")
