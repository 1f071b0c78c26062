"""The built-in OAuth 2 authorization server (Authlib) and its metadata.

Agency systems get RFC 9068 JWT access tokens through ``client_credentials``,
authenticated by ``client_secret_basic``. A scope is granted only when the
client holds it and the client's agency is allowed it; asking for more answers
``invalid_scope`` rather than silently granting less.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from flask import Blueprint, Flask, current_app, g, jsonify, url_for

from catalogue.models import Agency, OAuthClient
from catalogue.services.clients import allowed_scopes, verify_secret
from security.keys import SIGNING_ALG, KeyStore

bp = Blueprint("oauth", __name__)


class Client(ClientMixin):  # type: ignore[misc]
    """Adapts the stored client to Authlib's ClientMixin."""

    def __init__(self, row: OAuthClient, agency: Agency) -> None:
        self.row = row
        self.agency = agency

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        allowed = set(self.granted_scopes())
        return " ".join(s for s in scope_to_list(scope or "") if s in allowed)

    def granted_scopes(self) -> list[str]:
        """What this client may get now: its own scopes within its agency's allowance."""
        allowance = set(allowed_scopes(current_app.extensions["tillit"].scheme, self.agency))
        return [s for s in self.row.scopes if s in allowance]

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return verify_secret(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.row.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.row.grant_types


class ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]  # noqa: RUF012

    def validate_requested_scope(self) -> None:
        client: Client = self.request.client
        granted = client.granted_scopes()
        requested = scope_to_list(self.request.payload.scope or "")
        if not requested:
            if not granted:
                raise InvalidScopeError(description="Nothing may be granted to this client now.")
            self.request.scope = " ".join(granted)
            return
        refused = [s for s in requested if s not in granted]
        if refused:
            raise InvalidScopeError(description="Not allowed for this client: " + " ".join(refused))
        self.request.scope = " ".join(dict.fromkeys(requested))

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        token = self.generate_token(scope=self.request.scope, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class TokenGenerator(JWTBearerTokenGenerator):  # type: ignore[misc]
    def __init__(self, keys: KeyStore, issuer: str, audience: str, lifetime: int) -> None:
        super().__init__(
            issuer=issuer,
            alg=SIGNING_ALG,
            expires_generator=lambda client, grant_type: lifetime,
        )
        self.keys = keys
        self.audience = audience

    def get_jwks(self) -> Any:
        # Only the newest key signs; a key set would let joserfc pick any.
        return self.keys.signing_key()

    def get_audiences(self, client: Client, user: Any, scope: str) -> str:
        return self.audience

    def get_extra_claims(self, client: Client, grant_type: str, user: Any, scope: str) -> dict[str, Any]:
        return {"agency": client.agency.orgnr}

    def access_token_generator(self, client: Client, grant_type: str, user: Any, scope: str) -> str:
        token: str = super().access_token_generator(client, grant_type, user, scope)
        return token


def _query_client(client_id: str) -> Client | None:
    session = g.db
    row = session.get(OAuthClient, client_id)
    if row is None or row.disabled:
        return None
    agency = session.get(Agency, row.agency)
    if agency is None or agency.retired:
        return None
    return Client(row, agency)


def _save_token(token: dict[str, Any], request: Any) -> None:
    # JWT access tokens are self-contained; nothing to store.
    return None


def init_oauth(app: Flask, keys: KeyStore) -> AuthorizationServer:
    server = AuthorizationServer(app, query_client=_query_client, save_token=_save_token)
    server.register_grant(ClientCredentialsGrant)
    server.register_token_generator(
        "default",
        TokenGenerator(
            keys,
            issuer=app.config["ISSUER"],
            audience=app.config["AUDIENCE"],
            lifetime=int(app.config["ACCESS_TOKEN_LIFETIME"]),
        ),
    )
    app.register_blueprint(bp)
    return server


@bp.post("/oauth/token")
def issue_token() -> Any:
    server: AuthorizationServer = current_app.extensions["tillit"].oauth
    response = server.create_token_response()
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.get("/oauth/jwks.json")
def jwks() -> Any:
    return jsonify(current_app.extensions["tillit"].keys.public_jwks())


@bp.get("/.well-known/oauth-authorization-server")
def metadata() -> Any:
    config = current_app.config
    issuer = config["ISSUER"].rstrip("/")
    scheme = current_app.extensions["tillit"].scheme
    return jsonify(
        {
            "issuer": issuer,
            "token_endpoint": issuer + url_for("oauth.issue_token"),
            "jwks_uri": issuer + url_for("oauth.jwks"),
            "scopes_supported": [
                *scheme.read_scopes,
                "catalogue:write",
                "catalogue:review",
                "catalogue:audit",
                "catalogue:admin",
            ],
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "response_types_supported": [],
            "code_challenge_methods_supported": ["S256"],
            "service_documentation": issuer + "/api/v1/openapi.json",
        }
    )
