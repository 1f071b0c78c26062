"""Signing in and out of the pages: a password, or the agency's OpenID Connect provider.

The password check is the authorization server's (``UserService.sign_in``: Argon2id, the
lockout of an address out of an account, a ``login.success``/``login.failure`` audit event),
under the same rate limits (``authserver.ratelimit.limit_login``, the same buckets as its own
login page, so the two pages share one budget per account and address). A delegated sign-in
runs the authorization server's flow (``authserver.oidc_login``) and comes back through its
callback to ``_finish_delegated`` here. Either way the person gets a new session
(``session.begin_session``) and a new CSRF token: nothing set before sign-in carries over.

These routes are a blueprint of their own, nested in the pages' one, so that the rate
limiter's hooks (``confine_rate_limits``) run here only, not on every page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, Response, current_app, g, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask.sansio.blueprints import BlueprintSetupState
from flask_babel import gettext, lazy_gettext

from api.web.blueprint import bp
from api.web.session import begin_session, end_session, page_identity, web_session
from api.wiring import db, tillit
from authserver.adapters import Person
from authserver.oidc_login import register_finisher, start
from authserver.oidc_providers import form_action_origins, login_choices
from authserver.ratelimit import NOT_A_GUESS, limit_login
from authserver.services.security_events import record_security_event
from authserver.services.users import UserService
from catalogue.models import Agency

F = TypeVar("F", bound=Callable[..., Any])

signin = Blueprint("signin", __name__)
FINISHER = "web"
#: One message for every refusal: unknown person, wrong password, locked, disabled.
LOGIN_FAILED = lazy_gettext("Wrong user name or password, or the account is locked or disabled.")
FORM_MAX = {"username": 120, "password": 1024}


def safe_next(target: str | None) -> str:
    """A page of this site to go on to (never another site: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or len(target) > 2000:
        return url_for("web.home")
    if any(ord(c) < 32 for c in target) or "\\" in target:
        return url_for("web.home")
    return target


def requires_sign_in(view: F) -> F:
    """A page for signed-in people only: anonymous readers are sent to sign in first."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.no_store = True
        if page_identity().kind == "anonymous":
            return redirect(url_for("web.signin.sign_in", next=request.full_path.rstrip("?")), 302)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def _page(error: str | None = None, status: int = 200) -> Response:
    g.no_store = True
    # "Sign in with <provider>" posts here and is redirected to the provider: browsers
    # apply form-action to that redirect, so the providers' origins are allowed.
    origins = form_action_origins()
    if origins:
        g.csp_relax = {"form-action": origins}
    html = render_template(
        "signin.html",
        error=error,
        next=safe_next(request.values.get("next")),
        password_login=current_app.config["PASSWORD_LOGIN"],
        providers=login_choices(),
    )
    return Response(html, status=status, mimetype="text/html")


@signin.get("/signin")
def sign_in() -> Response:
    return _page()


@signin.post("/signin")
@limit_login
def sign_in_post() -> Response:
    """The CSRF token was checked before (the pages' ``before_request``)."""
    target = safe_next(request.form.get("next"))
    provider = request.form.get("provider")
    if provider is not None:
        if provider not in dict(login_choices()):
            return _page(gettext("No such sign-in provider."), 400)
        return start(provider, finish=FINISHER, pending=target)
    if not current_app.config["PASSWORD_LOGIN"]:
        return _page(gettext("Sign in at your agency's provider."), 400)
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    too_long = any(len(request.form.get(k, "")) > n for k, n in FORM_MAX.items())
    if not username.strip() or not password or too_long:
        return _page(gettext("Give your user name and your password."), 400)
    attempt = UserService(db(), tillit().scheme).sign_in(username, password, request.remote_addr)
    user = attempt.user
    agency = db().get(Agency, user.agency) if user else None
    if user is None or agency is None or agency.retired:
        page = _page(str(LOGIN_FAILED), 200)
        setattr(page, NOT_A_GUESS, attempt.locked)
        return page
    return _signed_in(user.id, target)


def _signed_in(user_id: str, target: str) -> Response:
    # 302: the rate limiter's mark of a success.
    response = Response(status=302, headers={"Location": safe_next(target)})
    begin_session(response, user_id)
    cookie_session.pop("csrf_token", None)  # a new CSRF token for the new session
    return response


def _finish_delegated(person: Person, pending: str) -> Response:
    return _signed_in(person.user.id, pending)


@signin.post("/signout")
def sign_out() -> Response:
    session = web_session()
    if session is not None:
        identity = page_identity()
        end_session(session)
        if identity.person == session.user_id:
            record_security_event(db(), identity, "logout", {"via": "web"}, anchor=tillit().anchor)
    cookie_session.pop("csrf_token", None)
    return Response(status=302, headers={"Location": url_for("web.home")})


def _register(state: BlueprintSetupState) -> None:
    register_finisher(cast(Flask, state.app), FINISHER, _finish_delegated)


signin.record_once(_register)
bp.register_blueprint(signin)
