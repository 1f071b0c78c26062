"""Rate limits of the authorization server (Flask-Limiter) on the token endpoint, keyed by client, and on
login, keyed by account: brute force meets a wall whichever address it comes from.
Failed logins and refused token requests are also limited per client address, so
one address cannot try many accounts or flood the audit chain with refusals.

Storage is in memory by default (per process); set TILLIT_RATELIMIT_STORAGE_URI
(for example redis://...) to share counters between workers.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar, cast

from authlib.oauth2.rfc6749.util import extract_basic_authorization
from flask import Flask, current_app, request
from flask_limiter import Limiter
from joserfc.jws import extract_compact

F = TypeVar("F", bound=Callable[..., Any])


def _client_key() -> str:
    """The client the request claims to be (verified later; this only picks a bucket)."""
    client_id, _ = extract_basic_authorization(request.headers)
    if not client_id:
        client_id = request.form.get("client_id")
    assertion = request.form.get("client_assertion")
    if not client_id and assertion:
        try:
            client_id = str(json.loads(extract_compact(assertion.encode()).payload).get("sub"))
        except Exception:  # any garbage shares one bucket
            client_id = "invalid-assertion"
    return "client:" + (client_id or "anonymous")[:100]


def _account_key() -> str:
    provider = request.form.get("provider")
    if provider is not None:  # "Sign in with <provider>": no account to guess at
        return _federated_key(provider)
    return "account:" + (request.form.get("username") or "").strip().lower()[:120]


def _federated_key(provider: str | None = None) -> str:
    """Delegated login has no password to guess; this only keeps one address from
    making Tillit hammer a provider's token endpoint. Keyed by provider and
    address, with its own (larger) limit: a whole agency may sit behind one NAT."""
    name = provider if provider is not None else (request.view_args or {}).get("name", "")
    return f"oidc:{str(name)[:32]}:{request.remote_addr}"


limiter = Limiter(key_func=_client_key, storage_uri="memory://", default_limits=[])
LIMITED = "_tillit_rate_limited"


def _mark(view: F) -> F:
    setattr(view, LIMITED, True)
    return view


#: Answers that may carry ``Retry-After`` (RFC 9110 §10.2.3; RFC 6585 §4).
RETRY_AFTER_STATUSES = frozenset({429, 503})


def init_rate_limits(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Registered before the limiter's own hook, so it runs after it (Flask runs
    # after-request hooks in reverse), also once confined to a blueprint (whose
    # hooks run before the app's).
    app.after_request(_retry_after_only_when_refused)
    limiter.init_app(app)


def _retry_after_only_when_refused(response: Any) -> Any:
    """Flask-Limiter's headers name the window on every answer, ``Retry-After`` too;
    on a 200 it would tell a client to wait that was not refused. The
    ``X-RateLimit-*`` headers keep saying where the window stands."""
    # (``getlist`` first: Werkzeug's ``pop`` and ``get`` of an absent field raise and catch a KeyError)
    if response.status_code not in RETRY_AFTER_STATUSES and response.headers.getlist("Retry-After"):
        del response.headers["Retry-After"]
    return response


def confine_rate_limits(app: Flask) -> None:
    """Flask-Limiter resolves limits before every request (and adds headers and
    releases its context after), though only the views decorated here carry any;
    elsewhere that work cost more than reading an entry. Once every view is
    registered, its hooks move from the whole app to the blueprints that hold a
    rate-limited view (a limited view outside any blueprint keeps them app-wide)."""
    limited = [name for name, view in app.view_functions.items() if getattr(view, LIMITED, False)]
    blueprints = sorted({name.rpartition(".")[0] for name in limited})
    if not blueprints or "" in blueprints:
        return
    # Typed Any: the three registries hold differently typed hooks, moved alike.
    registries: tuple[dict[Any, list[Any]], ...] = (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
    )
    for hooks in registries:
        funcs = hooks.get(None, [])
        moved = [hook for hook in funcs if _is_limiters(hook)]
        funcs[:] = [hook for hook in funcs if not _is_limiters(hook)]
        for name in blueprints:
            hooks.setdefault(name, []).extend(moved)


def _is_limiters(hook: Any) -> bool:
    owner = getattr(hook, "__self__", None)
    if isinstance(hook, functools.partial):
        owner = hook.args[0] if hook.args else None
    return owner is limiter


def limit_token(view: F) -> F:
    return _mark(
        cast(F, limiter.limit(lambda: current_app.config["RATE_LIMIT_TOKEN"], key_func=_client_key)(view))
    )


def _login_limit() -> str:
    if request.form.get("provider") is not None:
        return str(current_app.config["RATE_LIMIT_OIDC_LOGIN"])
    return str(current_app.config["RATE_LIMIT_LOGIN"])


#: Set on a login response whose attempt checked no password (its address is locked
#: out of the account): it does not spend the account's budget, so one address
#: cannot keep the account at its limit for everyone else.
NOT_A_GUESS = "_tillit_not_a_guess"


def _spends_account(response: Any) -> bool:
    if request.form.get("provider") is not None:
        return True
    return bool(response.status_code != 302) and not getattr(response, NOT_A_GUESS, False)


def _address_key() -> str:
    return f"address:{request.remote_addr}"


def _failed(response: Any) -> bool:
    """Only failures count per address: a whole agency may sign in from one NAT."""
    return bool(response.status_code != 302)


def limit_login(view: F) -> F:
    per_account = limiter.limit(
        _login_limit, key_func=_account_key, methods=["POST"], deduct_when=_spends_account
    )
    per_address = limiter.limit(
        lambda: current_app.config["RATE_LIMIT_LOGIN_ADDRESS"],
        key_func=lambda: "login-" + _address_key(),
        methods=["POST"],
        exempt_when=lambda: request.form.get("provider") is not None,
        deduct_when=_failed,
    )
    return _mark(cast(F, per_address(per_account(view))))


def _refused(response: Any) -> bool:
    return bool(response.status_code != 200)


def limit_token_refusals(view: F) -> F:
    """Refused token requests per address: over the limit, 429 before anything is
    read or written (no audit event either)."""
    limit = limiter.limit(
        lambda: current_app.config["RATE_LIMIT_TOKEN_REFUSALS"],
        key_func=lambda: "token-refusals-" + _address_key(),
        deduct_when=_refused,
    )
    return _mark(cast(F, limit(view)))


def limit_federated_login(view: F) -> F:
    limit = limiter.limit(lambda: current_app.config["RATE_LIMIT_OIDC_LOGIN"], key_func=_federated_key)
    return _mark(cast(F, limit(view)))
