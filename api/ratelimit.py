"""Rate limits (Flask-Limiter) on the token endpoint, keyed by client, and on
login, keyed by account: brute force meets a wall whichever address it comes from.

Storage is in memory by default (per process); set TILLIT_RATELIMIT_STORAGE_URI
(for example redis://...) to share counters between workers.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

from authlib.oauth2.rfc6749.util import extract_basic_authorization
from flask import Flask, Response, current_app, request
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


def init_rate_limits(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    # Flask-Limiter resolves limits before every request (and adds headers and
    # releases its context after), though only the views decorated here carry
    # any; elsewhere that work cost more than reading an entry. Its hooks now run
    # around those views only (the rest pass straight).
    for hooks in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        funcs = hooks.setdefault(None, [])
        for i, hook in enumerate(funcs):
            if _is_limiters(hook):
                funcs[i] = _for_limited_views(hook)


def _is_limiters(hook: Any) -> bool:
    owner = getattr(hook, "__self__", None)
    if isinstance(hook, functools.partial):
        owner = hook.args[0] if hook.args else None
    return owner is limiter


def _for_limited_views(hook: Callable[..., Any]) -> Callable[..., Any]:
    """``hook``, called only for a view with a rate limit; else nothing, or the
    response passed on unchanged (an after-request hook)."""

    def around_limited_view(*args: Any) -> Any:
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, LIMITED, False):
            return hook(*args)
        return args[0] if args and isinstance(args[0], Response) else None

    return around_limited_view


def limit_token(view: F) -> F:
    return _mark(limiter.limit(lambda: current_app.config["RATE_LIMIT_TOKEN"], key_func=_client_key)(view))


def _login_limit() -> str:
    if request.form.get("provider") is not None:
        return str(current_app.config["RATE_LIMIT_OIDC_LOGIN"])
    return str(current_app.config["RATE_LIMIT_LOGIN"])


def limit_login(view: F) -> F:
    return _mark(limiter.limit(_login_limit, key_func=_account_key, methods=["POST"])(view))


def limit_federated_login(view: F) -> F:
    limit = limiter.limit(lambda: current_app.config["RATE_LIMIT_OIDC_LOGIN"], key_func=_federated_key)
    return _mark(limit(view))
