"""The authorization endpoint and its minimal login page (server-rendered, CSRF-protected).

People sign in with a local account, or at their agency's OpenID Connect
provider (``authserver.oidc_login``) when one is configured; the authorization server then
redirects back to the client's exactly registered redirect URI with a code and
``iss`` (RFC 9207). Nothing is remembered between requests: no login session to steal.

The page's look is the application's: the template extends ``auth_layout`` when the
application gives one (the web pages give theirs, with Tillit's header, footer and
stylesheet: api/web/templates/auth_frame.html), else a bare frame. Its CSP stays
``default-src 'none'`` and allows only this origin's stylesheet and icon (``style-src
'self'; img-src 'self'``): no script, no inline style, nothing from elsewhere.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749.errors import OAuth2Error
from flask import Blueprint, Flask, Response, current_app, g, render_template, request
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from authserver.adapters import Person
from authserver.context import tillit
from authserver.errors import error_response, malformed_request_error
from authserver.oidc_login import init_oidc, start
from authserver.oidc_providers import form_action_origins, login_choices
from authserver.ratelimit import NOT_A_GUESS, limit_login
from authserver.services.users import UserService
from catalogue.models import Agency

bp = Blueprint("login", __name__, template_folder="templates")
SECRET_KEY_FILE = "secret-key"
CSP = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"
LOGIN_FAILED = "Wrong user name or password, or the account is locked or disabled."
PASSWORD_LOGIN_OFF = "Sign in at your agency's provider."


class LoginForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no types
    username = StringField("User name", validators=[DataRequired(), Length(max=120)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class ProviderForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no types
    """ "Sign in with <provider>": a button, with the CSRF token."""

    provider = StringField("Provider", validators=[DataRequired(), Length(max=32)])


def _secret_key(instance: str) -> str:
    """TILLIT_SECRET_KEY, or one generated once and kept in the instance folder."""
    path = Path(instance) / SECRET_KEY_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


def init_login(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.register_blueprint(bp)
    init_oidc(app)


def _page(form: LoginForm, grant: Any, error: str | None = None, status: int = 200) -> Response:
    html = render_template(
        "login.html",
        form=form,
        client_name=grant.client.row.name,
        scope=grant.request.payload.scope or "",
        action=request.full_path,
        error=error,
        password_login=current_app.config["PASSWORD_LOGIN"],
        providers=login_choices(),
    )
    response = Response(html, status=status, mimetype="text/html")
    # The form posts here, and a successful login redirects to the client's
    # (exactly matched) redirect URI: browsers apply form-action to that redirect
    # too, so its origin must be allowed or the login can never finish.
    # "Sign in with <provider>" redirects to the provider's authorization endpoint.
    redirect = urlsplit(grant.redirect_uri or "")
    targets = [f"{redirect.scheme}://{redirect.netloc}"] if redirect.scheme and redirect.netloc else []
    targets += form_action_origins()
    allowed = "".join(f" {t}" for t in dict.fromkeys(targets))
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        f"form-action 'self'{allowed}; frame-ancestors 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@limit_login
def authorize() -> Response:
    server = tillit().oauth
    malformed = malformed_request_error()
    if malformed is not None:  # never redirected: its redirect_uri may be the malformed one
        return error_response(malformed)
    try:
        grant = server.get_consent_grant(end_user=None)
    except OAuth2Error as error:
        return error_response(error)
    form = LoginForm()
    if request.method == "GET":
        return _page(form, grant)
    if "provider" in request.form:
        if not ProviderForm().validate_on_submit():
            return _page(form, grant, "The form expired or was incomplete; please sign in again.", 400)
        return start(request.form["provider"])
    if not current_app.config["PASSWORD_LOGIN"]:
        return _page(LoginForm(formdata=None), grant, PASSWORD_LOGIN_OFF, 400)
    if not form.validate_on_submit():
        return _page(form, grant, "The form expired or was incomplete; please sign in again.", 400)
    users = UserService(g.db, tillit().scheme)
    attempt = users.sign_in(form.username.data or "", form.password.data or "", request.remote_addr)
    user = attempt.user
    agency = g.db.get(Agency, user.agency) if user else None
    if user is None or agency is None or agency.retired:
        page = _page(LoginForm(formdata=None), grant, LOGIN_FAILED, 200)
        setattr(page, NOT_A_GUESS, attempt.locked)
        return page
    response: Response = server.create_authorization_response(grant_user=Person(user, agency), grant=grant)
    response.headers["Cache-Control"] = "no-store"
    return response
