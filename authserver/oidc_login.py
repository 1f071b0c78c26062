"""Delegated login at an agency's own OpenID Connect provider (Authlib's client);
the providers and their documents are ``authserver.oidc_providers``.

1. The login page offers "Sign in with <provider>": a CSRF-protected POST to the
   authorization endpoint itself, so the Tillit authorization request is
   validated before anyone is sent away.
2. ``start``: a fresh ``state``, ``nonce`` and PKCE verifier (S256). They travel,
   with the pending Tillit authorization request, in a short-lived cookie signed
   with the secret key and named after the state: nothing is kept on the server,
   and a callback whose state has no cookie in this browser is refused (the
   callback is bound to the browser that started it).
3. ``callback``: the code is exchanged (with the verifier) at the provider's
   token endpoint; the ID token is verified against the provider's JWKS
   (``security.oidc``); the claims map onto a local account linked by (issuer,
   subject) (``UserService.sign_in_federated``); then the pending authorization
   request goes on exactly as after a password login.

Every refusal is an audit event and an error page; none creates a session.

The web pages' own sign-in (``api.web.signin``) starts the same flow with ``finish``: the
name of a *finisher* it registered (``register_finisher``), which the callback calls with
the person instead of answering a pending authorization request. The flow is the same to
the provider and every check above is made; only what happens after differs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Request
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749.errors import OAuth2Error
from flask import Blueprint, Flask, Request, Response, current_app, g, render_template, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.test import EnvironBuilder

from authserver.adapters import Person
from authserver.context import oauth_server, tillit
from authserver.errors import error_response
from authserver.oidc_providers import (
    ProviderClient,
    ProviderUnavailable,
    configure_providers,
    provider_clients,
)
from authserver.ratelimit import limit_federated_login
from authserver.services.security_events import principal, record_security_event
from authserver.services.users import LoginRefused, UserService
from security.oidc import ClaimRefused, InvalidIDToken, verify_id_token
from security.outbound import OutboundError

bp = Blueprint("oidc", __name__, template_folder="templates")

#: How long a started sign-in may take at the provider.
FLOW_LIFETIME = 600
MAX_PENDING = 2048
COOKIE_SALT = "tillit.oidc-login"
#: The error page's: the web application's stylesheet and icon (its frame, ``auth_layout``), nothing else.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
#: Claims of the ID token that the userinfo response may not override.
PROTECTED_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "azp", "auth_time")


#: app.extensions key: finisher name -> what answers a signed-in person (``register_finisher``).
FINISHERS = "tillit.oidc_finishers"
Finisher = Callable[[Person, str], Response]


def register_finisher(app: Flask, name: str, finish: Finisher) -> None:
    """``finish(person, pending)`` answers a delegated sign-in started with ``start(...,
    finish=name, pending=...)`` (``pending`` is what the starter passed, e.g. a page to go on to)."""
    app.extensions.setdefault(FINISHERS, {})[name] = finish


def init_oidc(app: Flask) -> None:
    """Read and check TILLIT_OIDC_PROVIDERS (refusing to start when it is wrong), and
    serve the providers' callbacks."""
    configure_providers(app)
    app.register_blueprint(bp)


# -- the flow ---------------------------------------------------------------------
def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=COOKIE_SALT)


def _secure_cookies() -> bool:
    return str(current_app.config["ISSUER"]).startswith("https://")


def _cookie(state: str) -> tuple[str, str]:
    """(name, path) of the cookie for one sign-in. Over https it is a ``__Host-``
    cookie: no other host (a sibling subdomain) can plant one."""
    digest = hashlib.sha256(state.encode()).hexdigest()[:24]
    if _secure_cookies():
        return f"__Host-tillit-oidc-{digest}", "/"
    return f"tillit-oidc-{digest}", "/oauth/login/"


def start(name: str, *, finish: str | None = None, pending: str | None = None) -> Response:
    """Send the browser to the provider; the caller has validated the Tillit
    authorization request (in this request's query string) and the CSRF token, or
    names the ``finish``-er that answers the person (with ``pending``) instead."""
    client = provider_clients().get(name)
    if client is None:
        return error_page(400, _("No such sign-in provider."))
    if pending is None:
        pending = request.query_string.decode("ascii", "replace")
    if len(pending) > MAX_PENDING:
        return error_page(400, _("The authorization request is too long."))
    try:
        metadata = client.metadata()
    except ProviderUnavailable:
        _audit_failure(client, "unavailable")
        return error_page(502, _unreachable(client.provider.label))
    state, nonce, verifier = (secrets.token_urlsafe(32) for _n in range(3))
    with client.session() as session:
        url, _returned_state = session.create_authorization_url(
            metadata["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
        )
    flow = {"p": name, "s": state, "n": nonce, "v": verifier, "q": pending}
    if finish is not None:
        flow["f"] = finish
    response = Response(status=303, headers={"Location": url})
    cookie, path = _cookie(state)
    response.set_cookie(
        cookie,
        _serializer().dumps(flow),
        max_age=FLOW_LIFETIME,
        path=path,
        secure=_secure_cookies(),
        httponly=True,
        samesite="Lax",  # sent on the provider's top-level redirect back, never on cross-site posts
    )
    _harden(response)
    return response


@dataclass(frozen=True)
class Flow:
    provider: str
    state: str
    nonce: str
    verifier: str
    pending: str
    #: The finisher of a flow not started by /oauth/authorize (``register_finisher``).
    finish: str | None = None


def _read_flow(name: str, state: str | None) -> Flow | None:
    if not state or len(state) > 200:
        return None
    cookie, _path = _cookie(state)
    raw = request.cookies.get(cookie)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=FLOW_LIFETIME)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("p") != name:
        return None
    if not hmac.compare_digest(str(data.get("s", "")).encode(), state.encode()):
        return None
    finish = data.get("f")
    return Flow(name, state, str(data["n"]), str(data["v"]), str(data["q"]), str(finish) if finish else None)


@bp.get("/oauth/login/<name>/callback")
@limit_federated_login
def callback(name: str) -> Response:
    client = provider_clients().get(name)
    if client is None:
        return error_page(404, _("No such sign-in provider."))
    state = request.args.get("state")
    flow = _read_flow(name, state)
    if flow is None:
        _audit_failure(client, "state")
        return error_page(
            400,
            _(
                "This sign-in was not started in this browser, or it expired. Please start again "
                "from the application you were signing in to."
            ),
        )
    response = _finish(client, flow)
    cookie, path = _cookie(flow.state)
    response.delete_cookie(cookie, path=path, secure=_secure_cookies(), httponly=True, samesite="Lax")
    return response


def _finish(client: ProviderClient, flow: Flow) -> Response:
    provider = client.provider
    finisher = current_app.extensions.get(FINISHERS, {}).get(flow.finish) if flow.finish else None
    if flow.finish and finisher is None:
        return error_page(400, _("This sign-in cannot be finished here."))
    retry = None if finisher else "/oauth/authorize?" + flow.pending
    if request.args.get("error"):
        error = re.sub(r"[^a-z_]", "", request.args["error"])[:40] or "error"
        _audit_failure(client, "provider_error", {"error": error})
        told = _("%(provider)s did not sign you in (%(error)s).", provider=provider.label, error=error)
        return error_page(400, told, retry)
    code = request.args.get("code")
    if not code:
        _audit_failure(client, "no_code")
        return error_page(400, _("%(provider)s sent no authorization code.", provider=provider.label), retry)
    try:
        metadata = client.metadata()
        with client.session() as session:
            token = session.fetch_token(
                metadata["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=flow.verifier,
                redirect_uri=client.redirect_uri,
            )
            claims = verify_id_token(token.get("id_token"), client.keys, provider=provider, nonce=flow.nonce)
            if provider.userinfo:
                claims = _with_userinfo(session, metadata["userinfo_endpoint"], claims)
    except OAuthError as exc:
        _audit_failure(client, "token_exchange", {"error": str(exc.error)[:60]})
        refused = _(
            "%(provider)s refused to complete the sign-in. Please start again.", provider=provider.label
        )
        return error_page(400, refused, retry)
    except ProviderUnavailable:
        _audit_failure(client, "unavailable")
        return error_page(502, _unreachable(provider.label), retry)
    except (requests.RequestException, OutboundError):
        _audit_failure(client, "unavailable")
        return error_page(502, _unreachable(provider.label), retry)
    except InvalidIDToken as exc:
        _audit_failure(client, "id_token", {"check": exc.reason})
        unverified = _("The sign-in at %(provider)s could not be verified.", provider=provider.label)
        return error_page(403, unverified)
    try:
        person = provider.map_claims(claims)
    except ClaimRefused as exc:
        _audit_failure(client, exc.reason, {"subject": str(claims.get("sub"))[:200]})
        return error_page(403, _(str(exc)))  # in the catalogue (tests/integration/web/catalogues.py)
    ext = tillit()
    try:
        user, agency = UserService(g.db, ext.scheme).sign_in_federated(
            provider=provider.name,
            issuer=provider.issuer,
            agency=provider.agency,
            person=person,
            clearance=provider.clearance,
            address=request.remote_addr,
        )
    except LoginRefused as exc:
        return error_page(403, _(str(exc)))  # in the catalogue (tests/integration/web/catalogues.py)
    if finisher is not None:
        return _harden(finisher(Person(user, agency), flow.pending))
    return _continue_authorization(flow.pending, Person(user, agency))


def _with_userinfo(session: OAuth2Session, endpoint: str, claims: dict[str, Any]) -> dict[str, Any]:
    response = session.get(endpoint)
    if response.status_code != 200:
        raise ProviderUnavailable("The userinfo endpoint did not answer.")
    info = response.json()
    # OpenID Connect Core §5.3.2: the userinfo sub must be the ID token's.
    if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
        raise InvalidIDToken("userinfo_sub", "The provider's userinfo is about someone else.")
    # Fresher group memberships come from userinfo; who and for whom, from the ID token.
    merged = dict(claims)
    merged.update({k: v for k, v in info.items() if k not in PROTECTED_CLAIMS})
    return merged


def _continue_authorization(pending: str, person: Person) -> Response:
    """The pending Tillit authorization request, validated again now (the client may
    have changed meanwhile) and answered as the password login answers it."""
    server = oauth_server()
    # The same host as this request, as the password login sees it (Authlib checks the transport).
    environ = EnvironBuilder(
        path="/oauth/authorize", base_url=request.host_url, query_string=pending
    ).get_environ()
    oauth_request = FlaskOAuth2Request(Request(environ))
    try:
        grant = server.get_authorization_grant(oauth_request)
        grant.validate_no_multiple_request_parameter(oauth_request)
        grant.validate_consent_request()
    except OAuth2Error as error:
        error.state = oauth_request.payload.state
        return error_response(error)
    response: Response = server.create_authorization_response(
        request=oauth_request, grant_user=person, grant=grant
    )
    _harden(response)
    return response


def _audit_failure(client: ProviderClient, reason: str, extra: dict[str, Any] | None = None) -> None:
    ext = tillit()
    who = principal(ext.scheme, f"oidc:{client.provider.name}", None, address=request.remote_addr)
    details = {"provider": client.provider.name, "reason": reason, **(extra or {})}
    record_security_event(g.db, who, "login.failure", details, decision="deny", anchor=ext.anchor)


def _harden(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def _unreachable(provider: str) -> str:
    return str(_("%(provider)s cannot be reached just now; please try again later.", provider=provider))


def error_page(status: int, message: str, retry: str | None = None) -> Response:
    """The page a failed sign-in ends on, in the reader's language and the web application's
    frame (``message`` is translated by the caller)."""
    html = render_template("login_error.html", message=message, retry=retry)
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CSP
    return _harden(response)
