"""OAuth clients of agencies: registration with the scopes the agency is allowed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from authserver.services.security_events import record_security_event
from catalogue.db import begin_write
from catalogue.errors import NotFound, PermissionDenied, ValidationFailed
from catalogue.models import Agency, OAuthClient
from security import policy
from security.identity import ACTION_SCOPES, PERSON_SCOPES, Identity
from security.levels import ClassificationScheme


@dataclass(frozen=True)
class IssuedClient:
    client: OAuthClient
    secret: str


def allowed_scopes(scheme: ClassificationScheme, agency: Agency) -> tuple[str, ...]:
    """The read scopes up to the agency's clearance, and the action scopes."""
    return (*scheme.read_scopes_up_to(agency.clearance), *ACTION_SCOPES)


SECRET_HASH_PREFIX = "sha256$"
GRANT_TYPES = ("client_credentials", "authorization_code", "refresh_token")
AUTH_METHODS = ("client_secret_basic", "private_key_jwt", "none")


def hash_secret(secret: str) -> str:
    """Client secrets are 256 random bits, so a fast hash is enough: there is no
    dictionary to try. A slow password KDF here would only hand attackers a cheap
    way to burn the token endpoint's CPU."""
    return SECRET_HASH_PREFIX + hashlib.sha256(secret.encode()).hexdigest()


def verify_secret(client: OAuthClient, secret: str) -> bool:
    stored = client.secret_hash
    if stored.startswith(SECRET_HASH_PREFIX):
        return hmac.compare_digest(stored, hash_secret(secret))
    return bool(stored) and check_password_hash(stored, secret)  # rows from before the change


def check_person_scopes(scopes: Iterable[str], grants: Iterable[str]) -> None:
    """A client that may act on its own (client_credentials) never holds a scope that
    only a person may use: review decisions are made by people, so one holder of two
    client secrets (one to write, one to review) cannot be both pairs of eyes."""
    personal = sorted(set(scopes) & PERSON_SCOPES)
    if personal and "client_credentials" in grants:
        raise ValidationFailed(
            {
                "scopes": [
                    ", ".join(personal) + " is for people only: register it on an authorization_code "
                    "client without client_credentials, and let security officers sign in."
                ]
            }
        )


class ClientService:
    def __init__(self, session: Session, scheme: ClassificationScheme) -> None:
        self.session = session
        self.scheme = scheme

    def create(
        self,
        identity: Identity,
        *,
        agency: str,
        name: str,
        scopes: Iterable[str],
        grant_types: Iterable[str] = ("client_credentials",),
        auth_method: str = "client_secret_basic",
        redirect_uris: Iterable[str] = (),
        jwks: dict[str, Any] | None = None,
        resource_server: bool = False,
    ) -> IssuedClient:
        """Register a client. The secret (client_secret_basic only) is returned once."""
        if not policy.can_admin(identity):
            raise PermissionDenied("Registering clients needs the catalogue:admin scope.")
        owner = self.session.get(Agency, agency)
        if owner is None:
            raise ValidationFailed({"agency": ["No agency with that organisation number."]})
        requested = list(dict.fromkeys(s for s in scopes if s))
        if not requested:
            raise ValidationFailed({"scopes": ["Give at least one scope."]})
        allowed = allowed_scopes(self.scheme, owner)
        refused = [s for s in requested if s not in allowed]
        if refused:
            raise ValidationFailed(
                {
                    "scopes": [
                        f"Not allowed for agency {owner.orgnr} (clearance {owner.clearance!r}): "
                        + ", ".join(refused)
                        + ". Allowed: "
                        + " ".join(allowed)
                        + "."
                    ]
                }
            )
        grants = list(dict.fromkeys(grant_types))
        uris = list(dict.fromkeys(redirect_uris))
        self._check_registration(grants, auth_method, uris, jwks)
        check_person_scopes(requested, grants)
        secret = secrets.token_urlsafe(32) if auth_method == "client_secret_basic" else ""
        client = OAuthClient(
            client_id="tillit-" + secrets.token_hex(12),
            secret_hash=hash_secret(secret) if secret else "",
            agency=owner.orgnr,
            name=name,
            scopes=requested,
            grant_types=grants,
            token_endpoint_auth_method=auth_method,
            redirect_uris=uris,
            jwks=jwks,
            resource_server=resource_server,
        )
        self.session.add(client)
        self.session.flush()
        record_security_event(
            self.session,
            identity,
            "client.create",
            {
                "client": client.client_id,
                "agency": owner.orgnr,
                "scopes": requested,
                "grant_types": grants,
                "auth_method": auth_method,
            },
            own_transaction=False,
        )
        self.session.commit()
        return IssuedClient(client, secret)

    @staticmethod
    def _check_registration(
        grants: list[str], auth_method: str, uris: list[str], jwks: dict[str, Any] | None
    ) -> None:
        errors: dict[str, list[str]] = {}
        unknown = [gt for gt in grants if gt not in GRANT_TYPES]
        if unknown or not grants:
            errors["grant_types"] = [f"Choose from {', '.join(GRANT_TYPES)}."]
        if auth_method not in AUTH_METHODS:
            errors["auth_method"] = [f"Choose from {', '.join(AUTH_METHODS)}."]
        if auth_method == "none" and "client_credentials" in grants:
            errors["auth_method"] = ["A public client (no authentication) cannot use client_credentials."]
        if "refresh_token" in grants and "authorization_code" not in grants:
            errors["grant_types"] = ["refresh_token comes with authorization_code."]
        if "authorization_code" in grants:
            if not uris:
                errors["redirect_uris"] = ["An authorization-code client needs at least one redirect URI."]
            for uri in uris:
                parsed = urlsplit(uri)
                local = parsed.hostname in ("127.0.0.1", "localhost", "::1")
                if (
                    parsed.fragment
                    or not parsed.netloc
                    or not (parsed.scheme == "https" or (parsed.scheme == "http" and local))
                ):
                    errors.setdefault("redirect_uris", []).append(
                        f"{uri!r}: use an absolute https URI (http only for 127.0.0.1), without fragment."
                    )
        if auth_method == "private_key_jwt":
            try:
                keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]  # plain JSON, checked here
                if any(key.is_private for key in keys) or any(k.key_type == "oct" for k in keys):
                    errors["jwks"] = ["Register public keys only (RSA or EC), never private or shared ones."]
            except Exception:
                errors["jwks"] = ["private_key_jwt needs a JWK set with the client's public keys."]
        if errors:
            raise ValidationFailed(errors)

    def get(self, client_id: str) -> OAuthClient:
        client = self.session.get(OAuthClient, client_id)
        if client is None:
            raise NotFound("No such client.")
        return client

    def list(self, identity: Identity, agency: str | None = None) -> list[OAuthClient]:
        """Every client (or one agency's), by agency and name; secrets are never shown."""
        if not policy.can_admin(identity):
            raise PermissionDenied("Listing clients needs the catalogue:admin scope.")
        query = select(OAuthClient).order_by(OAuthClient.agency, OAuthClient.name, OAuthClient.client_id)
        if agency:
            query = query.where(OAuthClient.agency == agency)
        return list(self.session.scalars(query).all())

    def disable(self, identity: Identity, client_id: str) -> OAuthClient:
        """Disable a client for good: it gets no more tokens (nor refreshes them), and the
        access tokens it holds are refused within TILLIT_REVOCATION_SYNC_SECONDS
        (security.authority). Disabling a disabled client changes nothing."""
        if not policy.can_admin(identity):
            raise PermissionDenied("Managing clients needs the catalogue:admin scope.")
        begin_write(self.session)
        client = self.get(client_id)
        if not client.disabled:
            client.disabled = True
            record_security_event(
                self.session,
                identity,
                "client.disable",
                {"client": client.client_id, "agency": client.agency},
                own_transaction=False,
            )
        self.session.commit()
        return client
