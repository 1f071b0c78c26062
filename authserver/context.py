"""What the authorization server reads from the running app, typed.

``api.app`` builds the app's ``Tillit`` bundle; ``authserver`` may not import ``api``, so
it names what it uses of that bundle here as a protocol (``AppContext``) and reads it
through ``tillit()`` only. ``api.wiring`` checks, for mypy, that its ``Tillit`` satisfies
this protocol, so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol, cast

from authlib.integrations.flask_oauth2 import AuthorizationServer
from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from authserver.services.tokens import TokenService
from catalogue.machinery.audit.chain import HeadAnchor
from security.authority import Authority
from security.keys import KeyStore
from security.levels import ClassificationScheme
from security.outbound import OutboundPolicy
from security.tokens import DenyList, TokenVerifier


class AppContext(Protocol):
    """The parts of the app's ``Tillit`` bundle the authorization server uses."""

    scheme: ClassificationScheme
    sessions: sessionmaker[Session]
    keys: KeyStore
    #: Replaced once by ``init_oauth`` (bound to the deny-list), read by every token check.
    verifier: TokenVerifier
    anchor: HeadAnchor
    deny_list: DenyList
    authority: Authority
    outbound: OutboundPolicy
    #: Authlib's ``AuthorizationServer`` once ``init_oauth`` ran (typed Any in ``api``).
    oauth: Any


def tillit(app: Flask | None = None) -> AppContext:
    """The app's ``Tillit`` bundle (``current_app``'s unless ``app`` is given)."""
    return cast(AppContext, (app or current_app).extensions["tillit"])


def oauth_server() -> AuthorizationServer:
    """The app's Authlib authorization server."""
    return cast(AuthorizationServer, tillit().oauth)


def token_service() -> TokenService:
    """Tokens of this request's session; a revocation also reaches the in-memory deny-list."""
    lifetime = timedelta(seconds=int(current_app.config["REFRESH_FAMILY_MAX_SECONDS"]))
    return TokenService(g.db, on_revoke=tillit().deny_list.add, family_lifetime=lifetime)
