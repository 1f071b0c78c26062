"""A real OpenID Connect provider for the tests: a small Flask app built with
Authlib's own authorization server and its OpenID Connect code grant
(``authlib.oidc.core``), with its own RSA key, JWKS and discovery document,
served on a loopback port by werkzeug in a thread.

It signs people in with a user name and password on its own login form, issues
single-use codes (PKCE S256 required, ``nonce`` required), and ID tokens signed
with its key. ``misbehave`` makes it lie in the next ID tokens (other claims,
another key, ``alg: none``, HMAC) as a compromised or misconfigured provider would.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, Response, jsonify, request
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from werkzeug.serving import make_server

LOGIN_FORM = """<!doctype html><title>Agency sign-in</title>
<form method="post"><input name="username"><input name="password" type="password">
<button>Sign in</button></form>"""


@dataclass
class ProviderClient(ClientMixin):  # type: ignore[misc]
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Person:
    username: str
    password: str
    claims: dict[str, Any]

    def get_user_id(self) -> str:
        return str(self.claims["sub"])


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    person: Person
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    auth_time: int
    used: bool = False

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


@dataclass
class Misbehaviour:
    """How the next ID tokens differ from honest ones."""

    claims: dict[str, Any] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    header: dict[str, Any] = field(default_factory=dict)
    key: Any = None  # another signing key (RSAKey or OctKey)
    unsigned: bool = False  # alg: none


class OIDCProvider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, auto_kid=True)
        self.people: dict[str, Person] = {}
        self.clients: dict[str, ProviderClient] = {}
        self.codes: dict[str, Code] = {}
        self.access_tokens: dict[str, Person] = {}
        self.misbehaviour = Misbehaviour()
        self.token_requests = 0
        #: Claims the ID token leaves out and only the userinfo endpoint gives.
        self.userinfo_only: set[str] = set()
        self.issuer = ""  # known once it listens
        self.app = self._build()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # -- set-up by the tests -----------------------------------------------------
    def add_person(self, username: str, password: str, **claims: Any) -> None:
        claims.setdefault("sub", "sub-" + username)
        self.people[username] = Person(username, password, claims)

    def add_client(self, client_id: str, client_secret: str, redirect_uri: str) -> None:
        self.clients[client_id] = ProviderClient(client_id, client_secret, [redirect_uri])

    def misbehave(self, **kwargs: Any) -> None:
        self.misbehaviour = Misbehaviour(**kwargs)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False) | {"use": "sig", "alg": "RS256"}]}

    # -- serving -------------------------------------------------------------------
    def start(self) -> str:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.issuer

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- the app -------------------------------------------------------------------
    def _build(self) -> Flask:
        provider = self
        app = Flask("test-oidc-provider")
        app.config["SESSION_COOKIE_NAME"] = "provider_session"  # never Tillit's cookie

        class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

            def save_authorization_code(self, code: str, req: Any) -> None:
                data = req.payload.data
                provider.codes[code] = Code(
                    code=code,
                    client_id=req.client.get_client_id(),
                    redirect_uri=req.payload.redirect_uri,
                    scope=req.payload.scope,
                    person=req.user,
                    nonce=data.get("nonce"),
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                    auth_time=int(time.time()),
                )

            def query_authorization_code(self, code: str, client: ProviderClient) -> Code | None:
                found = provider.codes.get(code)
                if found is None or found.used or found.client_id != client.get_client_id():
                    return None
                return found

            def delete_authorization_code(self, authorization_code: Code) -> None:
                authorization_code.used = True  # single use: a replay is invalid_grant

            def authenticate_user(self, authorization_code: Code) -> Person:
                return authorization_code.person

        class IDTokens(OpenIDCode):  # type: ignore[misc]
            def resolve_client_private_key(self, client: ProviderClient) -> RSAKey:
                return provider.key

            def get_client_algorithm(self, client: ProviderClient) -> str:
                return "RS256"

            def get_encode_header(self, client: ProviderClient) -> dict[str, Any]:
                return {"alg": "RS256", "kid": provider.key.kid}

            def get_client_claims(self, client: ProviderClient) -> dict[str, Any]:
                now = int(time.time())
                return {"iss": provider.issuer, "aud": [client.get_client_id()], "iat": now, "exp": now + 300}

            def exists_nonce(self, nonce: str, req: Any) -> bool:
                return any(c.nonce == nonce for c in provider.codes.values())

            def generate_user_info(self, user: Person, scope: str) -> UserInfo:
                return UserInfo({k: v for k, v in user.claims.items() if k not in provider.userinfo_only})

            def encode_id_token(self, token: dict[str, Any], req: Any) -> str:
                honest = super().encode_id_token(token, req)
                bad = provider.misbehaviour
                if bad == Misbehaviour():
                    return str(honest)
                claims = jwt.decode(honest, provider.key).claims | bad.claims
                for name in bad.drop:
                    claims.pop(name, None)
                header = {"alg": "RS256", "kid": provider.key.kid} | bad.header
                if bad.unsigned:
                    return _unsigned(header | {"alg": "none"}, claims)
                key = bad.key if bad.key is not None else provider.key
                return str(jwt.encode(header, claims, key, algorithms=[header["alg"]]))

        server = AuthorizationServer(app, query_client=self.clients.get, save_token=self._save_token)
        server.register_grant(CodeGrant, [CodeChallenge(required=True), IDTokens(require_nonce=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Response:
            return jsonify(
                {
                    "issuer": provider.issuer,
                    "authorization_endpoint": provider.issuer + "/authorize",
                    "token_endpoint": provider.issuer + "/token",
                    "userinfo_endpoint": provider.issuer + "/userinfo",
                    "jwks_uri": provider.issuer + "/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                }
            )

        @app.get("/jwks")
        def jwks() -> Response:
            return jsonify(provider.jwks())

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize() -> Any:
            grant = server.get_consent_grant(end_user=None)
            if request.method == "GET":
                return LOGIN_FORM
            person = provider.people.get(request.form.get("username", ""))
            password = request.form.get("password", "")
            if person is None or not secrets.compare_digest(person.password, password):
                return LOGIN_FORM, 200
            return server.create_authorization_response(grant_user=person, grant=grant)

        @app.post("/token")
        def token() -> Any:
            provider.token_requests += 1
            return server.create_token_response()

        @app.get("/userinfo")
        def userinfo() -> Any:
            _, _, bearer = request.headers.get("Authorization", "").partition(" ")
            person = provider.access_tokens.get(bearer)
            if person is None:
                return jsonify({"error": "invalid_token"}), 401
            return jsonify(person.claims)

        return app

    def _save_token(self, token: dict[str, Any], req: Any) -> None:
        self.access_tokens[token["access_token"]] = req.user


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def hmac_key(secret: str) -> OctKey:
    return OctKey.import_key(secret.encode())
