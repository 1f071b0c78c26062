"""Stored rows as Authlib sees them (clients, people, codes, refresh and access
tokens), and the scope rules a grant applies to them.

A scope is granted only when the client holds it, the client's agency is allowed
it and (for people) the person's roles and clearance grant it; asking for more
answers ``invalid_scope`` rather than silently granting less.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc6749.util import scope_to_list
from flask import g

from authserver.context import tillit
from authserver.services.clients import allowed_scopes, verify_secret
from authserver.services.users import UserService, user_scopes
from catalogue.models import Agency, OAuthClient
from catalogue.models_auth import AuthorizationCode, RefreshToken, User
from catalogue.services.grants import held_scopes
from security.identity import ACTION_SCOPES

SECRET_METHODS = ("client_secret_basic",)
TOKEN_AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]
#: Public clients (no secret) may use authorization_code and refresh_token only, with PKCE.
CODE_AUTH_METHODS = [*TOKEN_AUTH_METHODS, "none"]


class Client(ClientMixin):  # type: ignore[misc]  # Authlib ships no types
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
        readable, actions = client_allows(self)
        allowed = readable | set(actions) | self.held_grants()
        return " ".join(s for s in scope_to_list(scope or "") if s in allowed)

    def held_grants(self) -> set[str]:
        """The scopes of the access grants this client holds today (``grant:<id>``)."""
        return held_scopes(g.db, self.agency.orgnr, self.row.client_id)

    def granted_scopes(self) -> list[str]:
        """What this client may get now: its own scopes within its agency's allowance."""
        allowance = set(allowed_scopes(tillit().scheme, self.agency))
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


def query_client(client_id: str) -> Client | None:
    """An enabled client of an active agency, or None (Authlib's ``query_client``)."""
    session = g.db
    row = session.get(OAuthClient, client_id) if isinstance(client_id, str) else None
    if row is None or row.disabled:
        return None
    agency = session.get(Agency, row.agency)
    if agency is None or agency.retired:
        return None
    return Client(row, agency)


@dataclass(frozen=True)
class Person:
    """A local account as Authlib's "user"."""

    user: User
    agency: Agency

    def get_user_id(self) -> str:
        return self.user.id

    def scopes(self) -> list[str]:
        return list(user_scopes(tillit().scheme, self.user, self.agency))


def find_person(user_id: str) -> Person | None:
    """The active account with this id, or None (disabled, or its agency retired)."""
    found = UserService(g.db, tillit().scheme).active(user_id)
    return Person(*found) if found else None


class CodeRecord:
    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method
        self.family_id = row.family_id
        #: Its exchange is the sign-in that starts the family.
        self.family_started = None

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class RefreshRecord:
    def __init__(self, row: RefreshToken, family_key: str | None = None) -> None:
        self.row = row
        self.family_id = row.family_id
        self.family_started = row.family_started
        #: The family key of the token presented (None for one issued before keys).
        self.family_key = family_key

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope


@dataclass(frozen=True)
class AccessRecord:
    """A verified access token (a self-contained JWT) by its claims."""

    claims: dict[str, Any]

    def check_client(self, client: Client) -> bool:
        return bool(self.claims.get("client_id") == client.get_client_id())

    def is_expired(self) -> bool:
        return bool(self.claims["exp"] < time.time())

    def is_revoked(self) -> bool:
        return False  # the verifier refused revoked ones already


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


def client_allows(client: Client) -> tuple[set[str], list[str]]:
    """Read scopes up to the client's level (clearance is hierarchical), and its action scopes."""
    scheme = tillit().scheme
    granted = client.granted_scopes()
    readable = set(scheme.read_scopes_up_to(scheme.clearance_from_scopes(granted)))
    return readable, [s for s in granted if s in ACTION_SCOPES]


def person_scope(client: Client, person: Person, requested: str | None) -> str:
    """The scope a person gets through a client: the lower of the two clearances and
    the action scopes both hold. Asking for more is refused, never narrowed."""
    scheme = tillit().scheme
    client_read, client_actions = client_allows(client)
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
