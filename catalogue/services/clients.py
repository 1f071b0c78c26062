"""OAuth clients of agencies: registration with the scopes the agency is allowed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from catalogue.errors import NotFound, PermissionDenied, ValidationFailed
from catalogue.models import Agency, OAuthClient
from security import policy
from security.identity import ACTION_SCOPES, Identity
from security.levels import ClassificationScheme


@dataclass(frozen=True)
class IssuedClient:
    client: OAuthClient
    secret: str


def allowed_scopes(scheme: ClassificationScheme, agency: Agency) -> tuple[str, ...]:
    """The read scopes up to the agency's clearance, and the action scopes."""
    return (*scheme.read_scopes_up_to(agency.clearance), *ACTION_SCOPES)


SECRET_HASH_PREFIX = "sha256$"


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


class ClientService:
    def __init__(self, session: Session, scheme: ClassificationScheme) -> None:
        self.session = session
        self.scheme = scheme

    def create(self, identity: Identity, *, agency: str, name: str, scopes: Iterable[str]) -> IssuedClient:
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
        secret = secrets.token_urlsafe(32)
        client = OAuthClient(
            client_id="tillit-" + secrets.token_hex(12),
            secret_hash=hash_secret(secret),
            agency=owner.orgnr,
            name=name,
            scopes=requested,
            grant_types=["client_credentials"],
            token_endpoint_auth_method="client_secret_basic",
        )
        self.session.add(client)
        self.session.commit()
        return IssuedClient(client, secret)

    def get(self, client_id: str) -> OAuthClient:
        client = self.session.get(OAuthClient, client_id)
        if client is None:
            raise NotFound("No such client.")
        return client

    def list_for_agency(self, identity: Identity, agency: str) -> list[OAuthClient]:
        if not policy.can_admin(identity):
            raise PermissionDenied("Listing clients needs the catalogue:admin scope.")
        return list(self.session.scalars(select(OAuthClient).where(OAuthClient.agency == agency)).all())
