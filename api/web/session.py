"""Who is reading a page: the person signed in, a bearer token's caller, or anonymous.

The pages act with the identity of the person signed in, through the same services and policy
as the API; without a session, the identity is anonymous (the lowest level). Every page module
asks here (``page_identity``) and nowhere else. docs/web.md explains the choice of a session
bound to the person over making the pages an OAuth client of our own authorization server.

The session is a cookie holding a signed (``TILLIT_SECRET_KEY``) record: a random session id,
the person's user id, when the session began and (the signature's time) when it was last used.
It holds no rights: on every request the person's identity is built afresh from the standing
of people and agencies (``security.authority.person_identity``), the very state every bearer
token is measured against, so a disabled person, a retired agency, a lowered clearance or a
taken role counts at the next request (within ``TILLIT_REVOCATION_SYNC_SECONDS`` in other
processes). Signing out puts the session id on the revoked-token deny-list
(``oauth_revoked_tokens``, ``authserver/revocation.py``'s list) until the session could have
expired anyway, so a copy of the cookie replayed later is refused everywhere.

Time-outs: idle (``TILLIT_WEB_SESSION_IDLE_SECONDS``, the signature's age; the cookie is
signed again when a page is answered more than a minute after its last signing) and absolute
(``TILLIT_WEB_SESSION_MAX_SECONDS`` from sign-in, whatever the use).

A request with an ``Authorization`` header keeps the bearer token's identity (``api.auth``):
a browser never sends one on its own, so it carries no CSRF risk, and tests and tools use it.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from flask import Response, current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.auth import current_identity
from api.wiring import db, tillit
from authserver.services.tokens import TokenService
from security.authority import PersonStanding, person_identity
from security.identity import Identity

SALT = "tillit.web-session"
#: A session used again within this many seconds of its last signing is not signed anew.
RESIGN_AFTER = 60


@dataclass(frozen=True)
class WebSession:
    """The session of this request's browser (its cookie, verified and within its time-outs)."""

    sid: str
    user_id: str
    started: int
    #: When the cookie was last signed (the idle clock).
    signed: int


def cookie_name() -> str:
    """``__Host-`` over https (no sibling host can plant or read it; Secure, path /)."""
    return "__Host-tillit-session" if _secure() else "tillit-session"


def _secure() -> bool:
    return request.is_secure or str(current_app.config["ISSUER"]).startswith("https://")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _idle() -> int:
    return int(current_app.config["WEB_SESSION_IDLE_SECONDS"])


def _longest() -> int:
    return int(current_app.config["WEB_SESSION_MAX_SECONDS"])


def web_session() -> WebSession | None:
    """This browser's live session, or None (no cookie, forged, timed out, signed out)."""
    if "web_session" in g:
        found: WebSession | None = g.web_session
        return found
    g.web_session = found = _read()
    return found


def _read() -> WebSession | None:
    raw = request.cookies.get(cookie_name())
    if not raw or len(raw) > 1024:
        return None
    try:
        data, signed = _serializer().loads(raw, max_age=_idle(), return_timestamp=True)
    except BadSignature:  # forged, or idle too long (SignatureExpired is a BadSignature)
        g.end_session_cookie = True
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("s", "u")):
        return None
    started = data.get("t")
    if not isinstance(started, int) or time.time() - started > _longest():
        g.end_session_cookie = True
        return None
    if data["s"] in tillit().deny_list:  # signed out (here or in another process)
        g.end_session_cookie = True
        return None
    return WebSession(data["s"], data["u"], started, int(signed.timestamp()))


def page_identity() -> Identity:
    """The identity a page acts with: a bearer token's when one is sent, else the signed-in
    person's as they stand now, else anonymous."""
    if "Authorization" in request.headers:
        return current_identity()
    identity: Identity | None = g.get("page_identity")
    if identity is None:
        identity = g.page_identity = _session_identity() or current_identity()
    return identity


def _session_identity() -> Identity | None:
    session = web_session()
    if session is None:
        return None
    ext = tillit()
    identity = person_identity(ext.scheme, ext.authority.current(), session.user_id, request.remote_addr)
    if identity is None:
        # Disabled, moved or their agency retired: the session ends for good (it would not
        # come back with the account).
        end_session(session)
        return None
    return identity


def signed_in_person() -> tuple[str, PersonStanding] | None:
    """(user id, standing) of the person signed in on this page, for the header; None otherwise."""
    session = web_session()
    if session is None or "Authorization" in request.headers:
        return None
    if page_identity().person != session.user_id:
        return None
    standing = tillit().authority.current().people.get(session.user_id)
    return (session.user_id, standing) if standing else None


def begin_session(response: Response, user_id: str) -> None:
    """A new session for ``user_id`` (always a new id: a session fixed before sign-in is
    never carried into it); the old one, if any, is ended."""
    old = web_session()
    if old is not None:
        end_session(old)
    now = int(time.time())
    g.web_session = WebSession(secrets.token_urlsafe(32), user_id, now, now)
    g.pop("page_identity", None)
    g.pop("end_session_cookie", None)
    _set_cookie(response, g.web_session)


def end_session(session: WebSession) -> None:
    """Revoke ``session`` (the deny-list, until it would have expired anyway); its cookie is
    removed from the answer."""
    expires = session.started + _longest() + 60
    TokenService(db(), on_revoke=tillit().deny_list.add).revoke_access(session.sid, expires)
    g.web_session = None
    g.pop("page_identity", None)
    g.end_session_cookie = True


def _set_cookie(response: Response, session: WebSession) -> None:
    value = _serializer().dumps({"s": session.sid, "u": session.user_id, "t": session.started})
    response.set_cookie(
        cookie_name(),
        value,
        max_age=_idle(),
        path="/",
        secure=_secure(),
        httponly=True,
        samesite="Lax",
    )


def keep_session(response: Response) -> Response:
    """After a page: sign a used session's cookie again (the idle clock starts over), or
    remove an ended one."""
    if g.get("end_session_cookie"):
        response.delete_cookie(cookie_name(), path="/", secure=_secure(), httponly=True, samesite="Lax")
        return response
    session = g.get("web_session")
    if session is not None and time.time() - session.signed > RESIGN_AFTER:
        _set_cookie(response, session)
    return response
