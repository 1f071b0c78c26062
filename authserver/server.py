"""The built-in OAuth 2 authorization server (Authlib), assembled.

- Grants (``authserver.grants``): ``client_credentials`` for agency systems;
  ``authorization_code`` with PKCE (S256 only, required for every client) and
  rotating refresh tokens for people.
- Client authentication: ``client_secret_basic``, ``private_key_jwt`` (RFC 7523,
  ``authserver.client_auth``), and ``none`` for public authorization-code clients
  (PKCE protects them).
- RFC 9068 JWT access tokens signed by the newest key in the key store.
- Revocation (RFC 7009) with a jti deny-list; introspection (RFC 7662) for
  registered resource servers only; RFC 8414 metadata; RFC 9207 ``iss``.
"""

from __future__ import annotations

from dataclasses import replace

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import Flask

from authserver import context, endpoints
from authserver.adapters import query_client
from authserver.client_auth import PrivateKeyJWT
from authserver.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
    S256Required,
    TokenGenerator,
    save_token,
)
from authserver.introspection import Introspection
from authserver.revocation import Revocation
from authserver.services.security_events import RefusalTally
from authserver.services.tokens import TokenService
from security.keys import KeyStore
from security.tokens import DenyList


class Issuer(IssuerParameter):  # type: ignore[misc]  # Authlib ships no types
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer


def init_oauth(app: Flask, keys: KeyStore) -> AuthorizationServer:
    """The server for ``app``; wires the app's deny-list to the database and the
    token verifier to the deny-list, and registers the endpoints."""
    issuer = app.config["ISSUER"].rstrip("/")
    tillit = context.tillit(app)
    sessions = tillit.sessions

    def load_revoked() -> dict[str, int]:
        with sessions() as session:
            return TokenService(session).revoked_jtis()

    tillit.deny_list = DenyList(load_revoked, float(app.config["REVOCATION_SYNC_SECONDS"]))
    tillit.verifier = replace(tillit.verifier, is_revoked=tillit.deny_list.__contains__)
    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_client_auth_method("private_key_jwt", PrivateKeyJWT(issuer))
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(AuthorizationCodeGrant, [S256Required(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    server.register_extension(Issuer(issuer))
    server.register_token_generator(
        "default",
        TokenGenerator(
            keys,
            issuer=app.config["ISSUER"],
            audience=app.config["AUDIENCE"],
            lifetime=int(app.config["ACCESS_TOKEN_LIFETIME"]),
        ),
    )
    app.extensions[endpoints.REFUSALS_EXTENSION] = RefusalTally(endpoints.REFUSAL_WINDOW)
    app.register_blueprint(endpoints.bp)
    return server
