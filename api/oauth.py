"""The built-in OAuth 2 authorization server (Authlib) and its metadata.

- ``client_credentials`` for agency systems; ``authorization_code`` with PKCE
  (S256 only, required for every client) and rotating refresh tokens for people.
- Client authentication: ``client_secret_basic``, ``private_key_jwt`` (RFC 7523),
  and ``none`` for public authorization-code clients (PKCE protects them).
- RFC 9068 JWT access tokens signed by the newest key in the key store.
- Revocation (RFC 7009) with a jti deny-list; introspection (RFC 7662) for
  registered resource servers only; RFC 8414 metadata; RFC 9207 ``iss``.

A scope is granted only when the client holds it, the client's agency is allowed
it and (for people) the person's roles and clearance grant it; asking for more
answers ``invalid_scope`` rather than silently granting less.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import Blueprint, Flask, current_app, g, jsonify, request, url_for
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from api.auth import standing_identity
from api.oauth_syntax import malformed_parameter
from api.ratelimit import limit_token, limit_token_refusals
from catalogue.db import begin_write
from catalogue.models import Agency, OAuthClient
from catalogue.models_auth import AuthorizationCode, RefreshToken, User
from catalogue.services.clients import allowed_scopes, verify_secret
from catalogue.services.security_events import RefusalTally, principal, record_security_event
from catalogue.services.tokens import TokenService, new_secret
from catalogue.services.users import UserService, user_scopes
from security.identity import ACTION_SCOPES, PERSON_SCOPES
from security.keys import SIGNING_ALG, KeyStore
from security.tokens import ALLOWED_ALGORITHMS, DenyList, InvalidToken

bp = Blueprint("oauth", __name__)

SECRET_METHODS = ("client_secret_basic",)
TOKEN_AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]
#: Public clients (no secret) may use authorization_code and refresh_token only, with PKCE.
CODE_AUTH_METHODS = [*TOKEN_AUTH_METHODS, "none"]
ASSERTION_MAX_LIFETIME = 120
ASSERTION_LEEWAY = 30
#: Seconds of one address's refused token requests aggregated into one audit event.
REFUSAL_WINDOW = 60.0


def _tillit() -> Any:
    return current_app.extensions["tillit"]


def _tokens() -> TokenService:
    return TokenService(g.db, on_revoke=_tillit().deny_list.add)


# -- adapters: stored rows as Authlib sees them ---------------------------------
class Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthClient, agency: Agency) -> None:
        self.row = row
        self.agency = agency

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        # No default: every authorization request names its redirect_uri, matched exactly.
        return None

    def get_allowed_scope(self, scope: str) -> str:
        # Authlib's token generator filters every issued scope through this; the
        # grants refuse (never narrow) before it, so nothing is dropped silently here.
        readable, actions = _client_allows(self)
        allowed = readable | set(actions)
        return " ".join(s for s in scope_to_list(scope or "") if s in allowed)

    def granted_scopes(self) -> list[str]:
        """What this client may get now: its own scopes within its agency's allowance."""
        allowance = set(allowed_scopes(_tillit().scheme, self.agency))
        return [s for s in self.row.scopes if s in allowance]

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in (self.row.redirect_uris or [])

    def check_client_secret(self, client_secret: str) -> bool:
        if self.row.token_endpoint_auth_method not in SECRET_METHODS:
            return False
        return verify_secret(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if method != self.row.token_endpoint_auth_method:
            return False
        if endpoint == "introspection":
            return self.row.resource_server and method != "none"
        return True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.row.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == "client_credentials" and self.row.token_endpoint_auth_method == "none":
            return False
        return grant_type in self.row.grant_types


@dataclass(frozen=True)
class Person:
    """A local account as Authlib's "user"."""

    user: User
    agency: Agency

    def get_user_id(self) -> str:
        return self.user.id

    def scopes(self) -> list[str]:
        return list(user_scopes(_tillit().scheme, self.user, self.agency))


def _person(user_id: str) -> Person | None:
    found = UserService(g.db, _tillit().scheme).active(user_id)
    return Person(*found) if found else None


class CodeRecord:
    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method
        self.family_id = row.family_id

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class RefreshRecord:
    def __init__(self, row: RefreshToken) -> None:
        self.row = row
        self.family_id = row.family_id

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope


def _client_allows(client: Client) -> tuple[set[str], list[str]]:
    """Read scopes up to the client's level (clearance is hierarchical), and its action scopes."""
    scheme = _tillit().scheme
    granted = client.granted_scopes()
    readable = set(scheme.read_scopes_up_to(scheme.clearance_from_scopes(granted)))
    return readable, [s for s in granted if s in ACTION_SCOPES]


def _person_scope(client: Client, person: Person, requested: str | None) -> str:
    """The scope a person gets through a client: the lower of the two clearances and
    the action scopes both hold. Asking for more is refused, never narrowed."""
    scheme = _tillit().scheme
    client_read, client_actions = _client_allows(client)
    own = person.scopes()
    level = scheme.highest(
        scheme.at_or_below(scheme.clearance_from_scopes(client_read))
        & scheme.at_or_below(scheme.clearance_from_scopes(own))
    )
    readable = set(scheme.read_scopes_up_to(level))
    actions = [s for s in client_actions if s in own]
    wanted = scope_to_list(requested or "")
    if wanted:
        refused = [s for s in wanted if s not in readable and s not in actions]
        if refused:
            raise InvalidScopeError(description="Not allowed for you via this client: " + " ".join(refused))
        return " ".join(dict.fromkeys(wanted))
    default = ([scheme.level(level).scope] if level else []) + actions
    if not default:
        raise InvalidScopeError(description="Nothing may be granted to you through this client.")
    return " ".join(default)


# -- grants -----------------------------------------------------------------------
class ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def validate_requested_scope(self) -> None:
        client: Client = self.request.client
        # A client acting on its own never gets a person's scope, even one stored on
        # it before registration refused that (review decisions are made by people).
        granted = [s for s in client.granted_scopes() if s not in PERSON_SCOPES]
        requested = scope_to_list(self.request.payload.scope or "")
        personal = [s for s in requested if s in PERSON_SCOPES]
        if personal:
            raise InvalidScopeError(
                description="Only a person may hold " + " ".join(personal) + "; sign in (authorization_code)."
            )
        if not requested:
            if not granted:
                raise InvalidScopeError(description="Nothing may be granted to this client now.")
            self.request.scope = " ".join(granted)
            return
        # Clearance is hierarchical: a client cleared for sensitive may ask for a
        # token that reads only up to internal (least privilege). More is refused.
        readable, actions = _client_allows(client)
        refused = [s for s in requested if s not in readable and s not in actions]
        if refused:
            raise InvalidScopeError(description="Not allowed for this client: " + " ".join(refused))
        self.request.scope = " ".join(dict.fromkeys(requested))

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        token = self.generate_token(scope=self.request.scope, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class S256Required(CodeChallenge):  # type: ignore[misc]
    """PKCE for every authorization-code client, confidential ones included, S256 only.

    Authlib's CodeChallenge makes PKCE optional for confidential clients and
    accepts ``plain``; both are downgrade paths."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge and code_challenge_method=S256.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is supported.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CODE_AUTH_METHODS

    def validate_requested_scope(self) -> None:
        readable, actions = _client_allows(self.request.client)
        allowed = readable | set(actions)
        refused = [s for s in scope_to_list(self.request.payload.scope or "") if s not in allowed]
        if refused:
            raise InvalidScopeError(description="Not allowed for this client: " + " ".join(refused))

    def create_authorization_response(self, redirect_uri: str, grant_user: Any) -> Any:
        if grant_user is not None:
            try:
                self.request.scope = _person_scope(
                    self.request.client, grant_user, self.request.payload.scope
                )
            except InvalidScopeError as error:
                error.redirect_uri = redirect_uri
                raise
        return super().create_authorization_response(redirect_uri, grant_user)

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        _tokens().save_code(
            code,
            client_id=request.client.get_client_id(),
            user_id=request.user.get_user_id(),
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
        )

    def query_authorization_code(self, code: str, client: Client) -> CodeRecord | None:
        row = _tokens().take_code(code, client.get_client_id())
        return CodeRecord(row) if row else None

    def delete_authorization_code(self, authorization_code: CodeRecord) -> None:
        """Spent when it was taken; a second exchange is a replay."""

    def authenticate_user(self, authorization_code: CodeRecord) -> Person | None:
        return _person(authorization_code.row.user_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CODE_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshRecord | None:
        row = _tokens().use_refresh(refresh_token, self.request.client.get_client_id())
        return RefreshRecord(row) if row else None

    def authenticate_user(self, refresh_token: RefreshRecord) -> Person:
        person = _person(refresh_token.row.user_id)
        if person is None:
            raise InvalidGrantError("The account behind this refresh token is disabled.")
        return person

    def issue_token(self, user: Person, refresh_token: RefreshRecord) -> dict[str, Any]:
        # Re-check today's allowance: roles, clearance or the client may have changed.
        scope = _person_scope(
            self.request.client, user, self.request.payload.scope or refresh_token.get_scope()
        )
        if not _tokens().rotate(refresh_token.row):
            raise InvalidGrantError("The refresh token was used already.")
        token: dict[str, Any] = self.generate_token(user=user, scope=scope, include_refresh_token=True)
        return token

    def revoke_old_credential(self, refresh_token: RefreshRecord) -> None:
        """Rotated in issue_token, before the new token exists."""


# -- client authentication: private_key_jwt --------------------------------------
class PrivateKeyJWT(JWTBearerClientAssertion):  # type: ignore[misc]
    """RFC 7523 client assertions signed with a key of the client's registered JWKS:
    a single ``aud`` equal to the issuer, at most 120 seconds of life, asymmetric
    algorithms only, and every ``jti`` accepted once."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, issuer: str) -> None:
        super().__init__(validate_jti=True, leeway=ASSERTION_LEEWAY)
        self.issuer = issuer

    def get_audiences(self) -> list[str]:
        return [self.issuer]

    def resolve_client_public_key(self, client: Client) -> KeySet:
        if client.row.token_endpoint_auth_method != self.CLIENT_AUTH_METHOD or not client.row.jwks:
            raise InvalidClientError(description="The client has no registered keys.")
        return KeySet.import_key_set(client.row.jwks)  # type: ignore[arg-type]

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> Any:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=list(ALLOWED_ALGORITHMS))
        except (JoseError, ValueError) as exc:
            raise InvalidClientError(description="The client assertion signature is invalid.") from exc
        self.verify_claims(token.claims)
        return token.claims

    def verify_claims(self, claims: Any) -> None:
        aud = claims.get("aud")
        if not (aud == self.issuer or aud == [self.issuer]):
            raise InvalidClientError(description="The assertion's aud must be exactly the issuer.")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int):
            raise InvalidClientError(description="The assertion needs numeric iat and exp.")
        if exp - iat > ASSERTION_MAX_LIFETIME:
            raise InvalidClientError(description="The assertion may live at most 120 seconds.")
        if iat > time.time() + ASSERTION_LEEWAY:
            raise InvalidClientError(description="The assertion was issued in the future.")
        super().verify_claims(claims)

    def validate_jti(self, claims: Any, jti: Any) -> bool:
        return isinstance(jti, str) and _tokens().spend_assertion(str(claims["sub"]), jti, int(claims["exp"]))


# -- tokens -------------------------------------------------------------------------
class TokenGenerator(JWTBearerTokenGenerator):  # type: ignore[misc]
    def __init__(self, keys: KeyStore, issuer: str, audience: str, lifetime: int) -> None:
        super().__init__(
            issuer=issuer,
            alg=SIGNING_ALG,
            refresh_token_generator=lambda client, grant_type, user, scope: new_secret(),
            expires_generator=lambda client, grant_type: lifetime,
        )
        self.keys = keys
        self.audience = audience

    def get_jwks(self) -> KeySet:
        # Only the newest key signs; a one-key set makes joserfc write its kid.
        return self.keys.signing_set()

    def get_audiences(self, client: Client, user: Any, scope: str) -> str:
        return self.audience

    def get_jti(self, client: Client, grant_type: str, user: Any, scope: str) -> str:
        jti: str = super().get_jti(client, grant_type, user, scope)
        g.issued_jti = jti  # the refresh family remembers it, to deny it on reuse
        return jti

    def get_extra_claims(self, client: Client, grant_type: str, user: Any, scope: str) -> dict[str, Any]:
        agency = user.agency.orgnr if isinstance(user, Person) else client.agency.orgnr
        return {"agency": agency}


def _query_client(client_id: str) -> Client | None:
    session = g.db
    row = session.get(OAuthClient, client_id) if isinstance(client_id, str) else None
    if row is None or row.disabled:
        return None
    agency = session.get(Agency, row.agency)
    if agency is None or agency.retired:
        return None
    return Client(row, agency)


def _save_token(token: dict[str, Any], request: Any) -> None:
    """Access tokens are self-contained JWTs; refresh tokens are stored (hashed) in families."""
    refresh = token.get("refresh_token")
    if not refresh:
        return
    parent = request.authorization_code or request.refresh_token
    _tokens().issue_refresh(
        refresh,
        family_id=parent.family_id,
        client_id=request.client.get_client_id(),
        user_id=request.user.get_user_id(),
        scope=token.get("scope", ""),
        access_jti=g.pop("issued_jti", None),
    )


# -- revocation and introspection --------------------------------------------------
@dataclass(frozen=True)
class AccessRecord:
    claims: dict[str, Any]

    def check_client(self, client: Client) -> bool:
        return bool(self.claims.get("client_id") == client.get_client_id())

    def is_expired(self) -> bool:
        return bool(self.claims["exp"] < time.time())

    def is_revoked(self) -> bool:
        return False  # the verifier refused revoked ones already


def _looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = CODE_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        if _looks_like_jwt(token_string):
            try:
                # Revoking is allowed for any token we issued and that still verifies.
                claims = replace(_tillit().verifier, is_revoked=lambda jti: False).verify(token_string)
            except InvalidToken:
                return None
            return AccessRecord(claims)
        row = _tokens().find_refresh(token_string)
        return RefreshRecord(row) if row else None

    def revoke_token(self, token: Any, request: Any) -> None:
        if isinstance(token, AccessRecord):
            _tokens().revoke_access(str(token.claims["jti"]), int(token.claims["exp"]))
        else:
            _tokens().revoke_family(token.family_id)


INTROSPECTED = ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "agency")


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> AccessRecord | None:
        if not _looks_like_jwt(token_string):
            return None  # refresh tokens are nobody's business but their client's
        try:
            claims = _tillit().verifier.verify(token_string)
            # Withdrawn authority: inactive; a lowered clearance: the scope it has now.
            scopes = standing_identity(claims).scopes
        except InvalidToken:
            return None
        if scopes != frozenset(str(claims.get("scope", "")).split()):
            claims = {**claims, "scope": " ".join(sorted(scopes))}
        return AccessRecord(claims)

    def check_permission(self, token: AccessRecord, client: Client, request: Any) -> bool:
        return client.row.resource_server

    def introspect_token(self, token: AccessRecord) -> dict[str, Any]:
        c = token.claims
        return {
            "active": True,
            "token_type": "Bearer",
            **{
                k: c[k]
                for k in ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "agency")
                if k in c
            },
        }


class Issuer(IssuerParameter):  # type: ignore[misc]
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer


def init_oauth(app: Flask, keys: KeyStore) -> AuthorizationServer:
    issuer = app.config["ISSUER"].rstrip("/")
    tillit = app.extensions["tillit"]
    sessions = tillit.sessions

    def load_revoked() -> dict[str, int]:
        with sessions() as session:
            return TokenService(session).revoked_jtis()

    tillit.deny_list = DenyList(load_revoked, float(app.config["REVOCATION_SYNC_SECONDS"]))
    tillit.verifier = replace(tillit.verifier, is_revoked=tillit.deny_list.__contains__)
    server = AuthorizationServer(app, query_client=_query_client, save_token=_save_token)
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
    app.extensions["tillit_token_refusals"] = RefusalTally(REFUSAL_WINDOW)
    app.register_blueprint(bp)
    return server


def malformed_request_error() -> InvalidRequestError | None:
    """invalid_request for a parameter outside its RFC 6749 syntax (api.oauth_syntax)."""
    bad = malformed_parameter(request.values)
    return InvalidRequestError(f"The {bad} parameter is malformed.") if bad else None


def _no_store(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.post("/oauth/token")
@limit_token_refusals
@limit_token
def issue_token() -> Any:
    server = _tillit().oauth
    malformed = malformed_request_error()
    if malformed is not None:
        response = server.handle_error_response(None, malformed)
    else:
        response = server.create_token_response()
    _audit_token_response(response)
    return _no_store(response)


def _audit_token_response(response: Any) -> None:
    """Every token issued is an audit event (who, which client, scope, jti); refused
    requests are events too."""
    ext = _tillit()
    body = response.get_json(silent=True) or {}
    grant = request.form.get("grant_type", "")
    if response.status_code == 200 and body.get("access_token"):
        # Our own token, just signed: its claims need no second verification.
        claims = jwt.decode(body["access_token"], ext.keys.private_set()).claims
        who = principal(
            ext.scheme,
            str(claims.get("sub")),
            claims.get("agency"),
            client_id=claims.get("client_id"),
            address=request.remote_addr,
        )
        details = {"grant_type": grant, "scope": claims.get("scope", ""), "jti": claims.get("jti")}
        record_security_event(g.db, who, "token.issue", details, anchor=ext.anchor)
    else:
        details = {"grant_type": grant[:40], "error": str(body.get("error", response.status_code))[:60]}
        _audit_refusal(details)


def _audit_refusal(details: dict[str, Any]) -> None:
    """The first refusal of an address's window at once; the rest of a window as
    one event with their count, once it has closed (RefusalTally)."""
    ext = _tillit()
    tally: RefusalTally = current_app.extensions["tillit_token_refusals"]
    first, closed = tally.note(request.remote_addr, time.time())
    if not first and not closed:
        return
    begin_write(g.db)
    for address, count, start in closed:
        who = principal(ext.scheme, "unauthenticated", None, address=address)
        summary = {"repeated": count, "window_start": int(start), "window_seconds": int(tally.window)}
        record_security_event(
            g.db, who, "token.refuse", summary, decision="deny", anchor=ext.anchor, own_transaction=False
        )
    if first:
        who = principal(ext.scheme, "unauthenticated", None, address=request.remote_addr)
        record_security_event(
            g.db, who, "token.refuse", details, decision="deny", anchor=ext.anchor, own_transaction=False
        )
    g.db.commit()


@bp.post("/oauth/revoke")
def revoke_token() -> Any:
    return _no_store(_tillit().oauth.create_endpoint_response("revocation"))


@bp.post("/oauth/introspect")
def introspect_token() -> Any:
    return _no_store(_tillit().oauth.create_endpoint_response("introspection"))


@bp.get("/oauth/jwks.json")
def jwks() -> Any:
    return jsonify(_tillit().keys.public_jwks())


@bp.get("/.well-known/oauth-authorization-server")
def metadata() -> Any:
    issuer = current_app.config["ISSUER"].rstrip("/")
    scheme = _tillit().scheme
    return jsonify(
        {
            "issuer": issuer,
            "authorization_endpoint": issuer + "/oauth/authorize",
            "token_endpoint": issuer + url_for("oauth.issue_token"),
            "jwks_uri": issuer + url_for("oauth.jwks"),
            "introspection_endpoint": issuer + url_for("oauth.introspect_token"),
            "revocation_endpoint": issuer + url_for("oauth.revoke_token"),
            "scopes_supported": [*scheme.read_scopes, *ACTION_SCOPES],
            "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": CODE_AUTH_METHODS,
            "token_endpoint_auth_signing_alg_values_supported": list(ALLOWED_ALGORITHMS),
            "revocation_endpoint_auth_methods_supported": CODE_AUTH_METHODS,
            "introspection_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
            "authorization_response_iss_parameter_supported": True,
            "service_documentation": issuer + "/api/v1/openapi.json",
        }
    )
