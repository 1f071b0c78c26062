"""Tables of the built-in authorization server: people, codes, refresh tokens,
revoked access tokens and spent client assertions.

Secrets (codes, refresh tokens) are stored as SHA-256 digests: a copy of the
database does not hand out live credentials.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from catalogue.db import Base
from catalogue.models import new_id, utcnow
from catalogue.timestamps import UtcDateTime

#: The password hash of accounts that sign in at an OpenID Connect provider: not
#: an Argon2 hash, so no password ever verifies against it.
NO_PASSWORD = "!federated"


class User(Base):
    """A local account: a person of an agency, with roles that map to scopes.

    An account either signs in with its password or is linked to one person at an
    OpenID Connect provider by (``issuer``, ``subject``); linked accounts have no
    password and take their roles from the provider's claims at every login."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.orgnr"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON)
    #: The person's own clearance; None means the agency's. Never above the agency's.
    clearance: Mapped[str | None] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: The OpenID Connect provider's issuer and the person's stable subject there.
    issuer: Mapped[str | None] = mapped_column(String(500))
    subject: Mapped[str | None] = mapped_column(String(255))
    #: The configured provider's short name, for people reading ``users list``.
    provider: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    last_login: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuthorizationCode(Base):
    """An issued authorization code (kept as its hash) awaiting exchange, with its PKCE challenge."""

    __tablename__ = "oauth_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    redirect_uri: Mapped[str] = mapped_column(String(1000))
    scope: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    #: The refresh-token family its exchange starts; revoked if the code is replayed.
    family_id: Mapped[str] = mapped_column(String(36), default=new_id)
    expires: Mapped[datetime] = mapped_column(UtcDateTime)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class RefreshToken(Base):
    """One refresh token of a family; each use rotates it, reuse revokes the family."""

    __tablename__ = "oauth_refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    #: When the sign-in that started the family happened: its absolute lifetime runs from it.
    family_started: Mapped[datetime] = mapped_column(UtcDateTime)
    #: Digest of the family's key, which each of its tokens carries (None before keys).
    family_key_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    scope: Mapped[str] = mapped_column(Text)
    #: The access token issued with it, denied when the family is revoked.
    access_jti: Mapped[str | None] = mapped_column(String(128))
    issued: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires: Mapped[datetime] = mapped_column(UtcDateTime)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class RevokedToken(Base):
    """The jti deny-list: a revoked access token is refused until it expires."""

    __tablename__ = "oauth_revoked_tokens"

    jti: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class SpentAssertion(Base):
    """Client assertions (private_key_jwt) already used: a replayed jti is refused."""

    __tablename__ = "oauth_spent_assertions"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    expires: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
