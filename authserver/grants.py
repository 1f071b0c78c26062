"""The grants of the authorization server, and what they issue.

- ``client_credentials`` for agency systems;
- ``authorization_code`` with PKCE (S256 only, required for every client, confidential
  ones included) for people;
- ``refresh_token``: rotating refresh tokens in families (a reused one revokes its family),
  each family bounded by an absolute lifetime from its sign-in (``TokenService``).

Access tokens are RFC 9068 JWTs signed by the newest key in the key store;
refresh tokens are stored, hashed, by ``TokenService``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from flask import g
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from authserver.adapters import (
    CODE_AUTH_METHODS,
    TOKEN_AUTH_METHODS,
    Client,
    CodeRecord,
    Person,
    RefreshRecord,
    client_allows,
    find_person,
    person_scope,
)
from authserver.context import token_service
from authserver.services.tokens import family_key_of, family_token, new_secret
from catalogue.access import GRANT_SCOPE_PREFIX
from catalogue.db import begin_write
from catalogue.services.grants import remember_tokens
from security.identity import PERSON_SCOPES
from security.keys import SIGNING_ALG, KeyStore


class ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]  # Authlib ships no types
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
        # token that reads only up to internal (least privilege). More is refused,
        # and so is the scope of an access grant the client does not hold today.
        readable, actions = client_allows(client)
        held = client.held_grants() if any(s.startswith(GRANT_SCOPE_PREFIX) for s in requested) else set()
        refused = [s for s in requested if s not in readable and s not in actions and s not in held]
        if refused:
            raise InvalidScopeError(description="Not allowed for this client: " + " ".join(refused))
        self.request.scope = " ".join(dict.fromkeys(requested))

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        token = self.generate_token(scope=self.request.scope, include_refresh_token=False)
        self.save_token(token)
        granted = [s for s in scope_to_list(token.get("scope") or "") if s.startswith(GRANT_SCOPE_PREFIX)]
        if granted:
            # Remembered, so that revoking the grant denies this token by its jti.
            expires = datetime.now(UTC) + timedelta(seconds=int(token["expires_in"]))
            session = g.db
            begin_write(session)
            remember_tokens(session, issued_jti(token["access_token"]), granted, expires)
            session.commit()
        return 200, token, self.TOKEN_RESPONSE_HEADER


class S256Required(CodeChallenge):  # type: ignore[misc]  # Authlib ships no types
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


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]  # Authlib: no types
    TOKEN_ENDPOINT_AUTH_METHODS = CODE_AUTH_METHODS

    def validate_requested_scope(self) -> None:
        readable, actions = client_allows(self.request.client)
        allowed = readable | set(actions)
        refused = [s for s in scope_to_list(self.request.payload.scope or "") if s not in allowed]
        if refused:
            raise InvalidScopeError(description="Not allowed for this client: " + " ".join(refused))

    def create_authorization_response(self, redirect_uri: str, grant_user: Any) -> Any:
        if grant_user is not None:
            try:
                self.request.scope = person_scope(self.request.client, grant_user, self.request.payload.scope)
            except InvalidScopeError as error:
                error.redirect_uri = redirect_uri
                raise
        return super().create_authorization_response(redirect_uri, grant_user)

    def generate_token(self, *, include_refresh_token: bool = True, **kwargs: Any) -> dict[str, Any]:
        token: dict[str, Any] = super().generate_token(include_refresh_token=False, **kwargs)
        if include_refresh_token:
            # The exchange starts a family: its refresh token carries a new family key.
            token["refresh_token"] = family_token(new_secret())
        return token

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        token_service().save_code(
            code,
            client_id=request.client.get_client_id(),
            user_id=request.user.get_user_id(),
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
        )

    def query_authorization_code(self, code: str, client: Client) -> CodeRecord | None:
        row = token_service().take_code(code, client.get_client_id())
        return CodeRecord(row) if row else None

    def delete_authorization_code(self, authorization_code: CodeRecord) -> None:
        """Spent when it was taken; a second exchange is a replay."""

    def authenticate_user(self, authorization_code: CodeRecord) -> Person | None:
        return find_person(authorization_code.row.user_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]  # Authlib ships no types
    TOKEN_ENDPOINT_AUTH_METHODS = CODE_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshRecord | None:
        row = token_service().use_refresh(refresh_token, self.request.client.get_client_id())
        return RefreshRecord(row, family_key_of(refresh_token)) if row else None

    def authenticate_user(self, refresh_token: RefreshRecord) -> Person:
        person = find_person(refresh_token.row.user_id)
        if person is None:
            raise InvalidGrantError("The account behind this refresh token is disabled.")
        return person

    def issue_token(self, user: Person, refresh_token: RefreshRecord) -> dict[str, Any]:
        # Re-check today's allowance: roles, clearance or the client may have changed.
        requested = self.request.payload.scope or refresh_token.get_scope()
        scope = person_scope(self.request.client, user, requested)
        if not token_service().rotate(refresh_token.row):
            raise InvalidGrantError("The refresh token was used already.")
        token: dict[str, Any] = self.generate_token(user=user, scope=scope, include_refresh_token=False)
        # A family issued before keys gets one for its next tokens.
        token["refresh_token"] = family_token(refresh_token.family_key or new_secret())
        return token

    def revoke_old_credential(self, refresh_token: RefreshRecord) -> None:
        """Rotated in issue_token, before the new token exists."""


class TokenGenerator(JWTBearerTokenGenerator):  # type: ignore[misc]  # Authlib ships no types
    def __init__(self, keys: KeyStore, issuer: str, audience: str, lifetime: int) -> None:
        super().__init__(
            issuer=issuer,
            alg=SIGNING_ALG,
            # None: the grants mint refresh tokens, in their family (``family_token``).
            refresh_token_generator=None,
            expires_generator=lambda client, grant_type: lifetime,
        )
        self.keys = keys
        self.audience = audience

    def get_jwks(self) -> KeySet:
        # Only the newest key signs; a one-key set makes joserfc write its kid.
        return self.keys.signing_set()

    def get_audiences(self, client: Client, user: Any, scope: str) -> str:
        return self.audience

    def get_extra_claims(self, client: Client, grant_type: str, user: Any, scope: str) -> dict[str, Any]:
        agency = user.agency.orgnr if isinstance(user, Person) else client.agency.orgnr
        return {"agency": agency}


def save_token(token: dict[str, Any], request: Any) -> None:
    """Access tokens are self-contained JWTs; refresh tokens are stored (hashed) in families."""
    refresh = token.get("refresh_token")
    if not refresh:
        return
    parent = request.authorization_code or request.refresh_token
    token_service().issue_refresh(
        refresh,
        family_id=parent.family_id,
        family_started=parent.family_started,
        client_id=request.client.get_client_id(),
        user_id=request.user.get_user_id(),
        scope=token.get("scope", ""),
        access_jti=issued_jti(token["access_token"]),
    )


def issued_jti(access_token: str) -> str:
    """The ``jti`` of an access token this server has just signed, read from the token
    itself (no signature check: it never left the process). The refresh family keeps it,
    to deny the access token when a reused refresh token revokes the family."""
    claims = json.loads(extract_compact(access_token.encode("ascii")).payload)
    jti: str = claims["jti"]
    return jti
