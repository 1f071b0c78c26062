"""Cross-origin access (CORS) for browser apps of agencies on other origins.

Off unless ``TILLIT_CORS_ORIGINS`` names origins (comma-separated, or ``*`` for
any). It covers what a browser app calls: the API (``/api/``), the token,
revocation and introspection endpoints, the JWKS and the metadata; never the
pages or the login form.

- A preflight (OPTIONS with ``Origin`` and ``Access-Control-Request-Method``) is
  Flask's own OPTIONS answer for the route (``TillitFlask``: 204 with ``Allow``)
  plus the CORS headers; the methods allowed are the route's ``Allow``, so they
  are declared once, by the routes.
- Only an allowed origin is echoed; any other origin gets no CORS header, so the
  browser keeps the response from the script.
- ``Access-Control-Allow-Credentials`` is never sent, for ``*`` or for a named
  origin: the API and the token endpoint take credentials only in the
  ``Authorization`` header, which a script sets itself; cookies (the login
  page's session) must never ride along from another origin.
- ``Vary: Origin`` on every response of these paths while CORS is on, so a
  cache never hands one origin's answer to another.

Written here rather than taken from flask-cors: it sends ``Vary: Origin`` only
when several origins are configured (one allowed origin and any other still get
different answers), and the rules above fit in a few lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, Request, Response, request

from api.edge import vary

#: What a browser app calls (the paths of the token, revocation and introspection
#: endpoints, the JWKS and the metadata are those of ``authserver.endpoints``).
CORS_PATHS = (
    "/api/",
    "/oauth/token",
    "/oauth/revoke",
    "/oauth/introspect",
    "/oauth/jwks.json",
    "/.well-known/oauth-authorization-server",
)
ALLOWED_HEADERS = "Authorization, Content-Type, If-Match, If-None-Match"
EXPOSED_HEADERS = "ETag, Link, Location, WWW-Authenticate, Retry-After"
#: Seconds a browser may keep a preflight's answer (Chromium keeps at most 7200).
MAX_AGE = "600"


@dataclass(frozen=True)
class CorsPolicy:
    """The origins allowed, from the setting; ``any_origin`` for ``*``."""

    origins: frozenset[str]
    any_origin: bool

    @classmethod
    def from_setting(cls, value: str | None) -> CorsPolicy:
        """Parse ``TILLIT_CORS_ORIGINS``; an entry that is not an origin stops the start."""
        origins: set[str] = set()
        any_origin = False
        for entry in (value or "").split(","):
            entry = entry.strip()
            if not entry:
                continue
            if entry == "*":
                any_origin = True
                continue
            origins.add(_origin(entry))
        return cls(frozenset(origins), any_origin)

    @property
    def enabled(self) -> bool:
        return self.any_origin or bool(self.origins)

    def allow_origin(self, origin: str | None) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``, or None."""
        if not origin or origin == "null":
            return None
        if self.any_origin:
            return "*"
        return origin if origin.lower() in self.origins else None


def _origin(entry: str) -> str:
    parts = urlsplit(entry)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ValueError(
            f"TILLIT_CORS_ORIGINS: {entry!r} is not an origin (scheme://host[:port], no path) or *."
        )
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_preflight(req: Request) -> bool:
    return (
        req.method == "OPTIONS" and "Origin" in req.headers and "Access-Control-Request-Method" in req.headers
    )


def add_cors_headers(policy: CorsPolicy, req: Request, response: Response) -> None:
    if not policy.enabled or not req.path.startswith(CORS_PATHS):
        return
    vary(response, "Origin")
    allowed = policy.allow_origin(req.headers.get("Origin"))
    if allowed is None:
        return
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = allowed
    if is_preflight(req):
        if "Allow" in headers:  # the route exists and answered its methods
            headers["Access-Control-Allow-Methods"] = headers["Allow"]
            headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            headers["Access-Control-Max-Age"] = MAX_AGE
    else:
        headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS


def init_cors(app: Flask) -> None:
    """Check the setting now (a bad origin stops the start) and add the headers after every request."""
    policy = CorsPolicy.from_setting(app.config.get("CORS_ORIGINS"))
    if not policy.enabled:
        return

    @app.after_request
    def _cors(response: Response) -> Response:
        add_cors_headers(policy, request._get_current_object(), response)  # type: ignore[attr-defined]
        return response
