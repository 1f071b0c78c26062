"""What the authorization server reads from the running app: the ``Tillit`` bundle
(scheme, keys, verifier, anchor, deny-list, the Authlib server) that ``api.app``
builds, and the token service bound to this request's session."""

from __future__ import annotations

from typing import Any

from flask import current_app, g

from authserver.services.tokens import TokenService


def tillit() -> Any:
    """The app's ``api.app.Tillit`` (typed Any: ``authserver`` may not import ``api``)."""
    return current_app.extensions["tillit"]


def token_service() -> TokenService:
    """Tokens of this request's session; a revocation also reaches the in-memory deny-list."""
    return TokenService(g.db, on_revoke=tillit().deny_list.add)
