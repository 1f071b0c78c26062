"""State of the authorization server: codes, refresh-token families, the jti
deny-list and spent client assertions. Secrets are stored as SHA-256 digests.

A family is what one sign-in (an authorization code's exchange) starts: its refresh
token, and each rotation's. It lives at most ``family_lifetime`` from that sign-in
(``TILLIT_REFRESH_FAMILY_MAX_SECONDS``, default ``FAMILY_LIFETIME``), however often it is
refreshed: after it a refresh is refused (``invalid_grant``) and the person signs in
again: the bound Keycloak ("SSO Session Max"), Okta and Auth0 ("absolute lifetime") put on
a rotating family (RFC 6749 leaves lifetimes to the server; RFC 9700, 4.14.2, adds expiry
after inactivity). Each token is also refused ``REFRESH_LIFETIME`` after it was issued
(idle), and none is issued to expire after its family. Only people get refresh tokens
(``authorization_code``); a machine client asks for a new access token with its own
credentials (``client_credentials``) and has no family.

A refresh token is ``<family key>.<secret>``: every token of a family carries the
family's key, a random secret stored only as a digest (``family_key_hash``). So a rotated
token is recognised as its family's even once its own row is gone, and presenting it
still revokes the family (``use_refresh``). Tokens issued before the key existed (no
dot) are found by their own row only.

``purge_expired`` (``tillit tokens purge-expired``, run daily) deletes what no token needs
any more. A deny-list row, a spent assertion or a grant's remembered token goes once it
has expired: what it stood for is refused as expired anyway. Codes and refresh tokens go
a family at a time (a code and every refresh token its exchange and their rotations
issued), once the newest of them expired more than ``FAMILY_RETENTION`` ago. While a
family has a live token, its spent code and rotated refresh tokens are what detects a
replay (``take_code``, ``use_refresh``: a stolen copy presented after the holder moved
on revokes the family). A rotated token that carries its family's key is recognised by
that key instead, so its row goes once it expired more than ``FAMILY_RETENTION`` ago,
live family or not (its access token, which a revoked family must deny, expired long
before); a rotated token without a key keeps its row while its family lives. A revoked
family's tokens are refused as revoked, then as expired, and go with the rest. The
retention keeps a dead family for a day of questions (which client, which person) and
covers clocks that differ between hosts."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Delete, and_, delete, or_, select, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalogue.db import begin_write
from catalogue.models import new_id, utcnow
from catalogue.models_auth import AuthorizationCode, RefreshToken, RevokedToken, SpentAssertion
from catalogue.services.grants import prune_expired_tokens

CODE_LIFETIME = timedelta(minutes=2)
REFRESH_LIFETIME = timedelta(hours=8)
#: How long a family lives from its sign-in, however often it is refreshed: the default of
#: ``TILLIT_REFRESH_FAMILY_MAX_SECONDS`` (api/config.py).
FAMILY_LIFETIME = timedelta(days=30)
#: How long a family of codes and refresh tokens is kept after the newest of them expired.
FAMILY_RETENTION = timedelta(days=1)
#: What ``purge_expired`` deletes, kind by kind (table names), in this order.
PURGED_KINDS = (
    "oauth_revoked_tokens",
    "oauth_spent_assertions",
    "grant_tokens",
    "oauth_codes",
    "oauth_refresh_tokens",
)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def family_token(family_key: str) -> str:
    """A new refresh token of the family whose key is ``family_key`` (the module's docstring)."""
    return f"{family_key}.{new_secret()}"


def family_key_of(token: str) -> str | None:
    """The family key a refresh token carries; None for a token issued before keys."""
    key, dot, secret = token.partition(".")
    return key if dot and key and secret else None


class TokenService:
    def __init__(
        self,
        session: Session,
        on_revoke: Callable[[str, int], None] | None = None,
        family_lifetime: timedelta = FAMILY_LIFETIME,
    ) -> None:
        self.session = session
        #: Told of each access token revoked here (the in-memory deny-list).
        self.on_revoke = on_revoke or (lambda jti, exp: None)
        self.family_lifetime = family_lifetime

    # -- the jti deny-list ----------------------------------------------------
    def revoke_access(self, jti: str, expires_at: int) -> None:
        if self.session.get(RevokedToken, jti) is None:
            self.session.add(RevokedToken(jti=jti, expires=datetime.fromtimestamp(expires_at, UTC)))
            self.session.commit()
        self.on_revoke(jti, expires_at)

    def revoked_jtis(self) -> dict[str, int]:
        """Every revoked access token not yet expired: jti -> exp (seconds)."""
        rows = self.session.execute(
            select(RevokedToken.jti, RevokedToken.expires).where(RevokedToken.expires >= utcnow())
        ).all()
        return {jti: int(expires.timestamp()) for jti, expires in rows}

    def purge_expired(self, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
        """Delete the token state nothing needs any more (the module's docstring), kind by
        kind (``PURGED_KINDS``), each in a transaction of its own, told to ``progress`` as
        it is done; how many rows of each kind."""
        now = utcnow()
        cutoff = now - FAMILY_RETENTION
        # A family with a row newer than the cutoff is kept whole. Codes go first, then
        # refresh tokens: a dead family gets no new row (a code is exchanged, a refresh
        # token rotated, only while it is live), so both steps agree on which are dead.
        kept = union(
            select(AuthorizationCode.family_id).where(AuthorizationCode.expires >= cutoff),
            select(RefreshToken.family_id).where(RefreshToken.expires >= cutoff),
        )
        steps: dict[str, Callable[[], int]] = {
            "oauth_revoked_tokens": lambda: self._deleted(
                delete(RevokedToken).where(RevokedToken.expires < now)
            ),
            "oauth_spent_assertions": lambda: self._deleted(
                delete(SpentAssertion).where(SpentAssertion.expires < now)
            ),
            "grant_tokens": lambda: prune_expired_tokens(self.session, now),
            "oauth_codes": lambda: self._deleted(
                delete(AuthorizationCode).where(
                    AuthorizationCode.expires < cutoff, AuthorizationCode.family_id.not_in(kept)
                )
            ),
            "oauth_refresh_tokens": lambda: self._deleted(
                delete(RefreshToken).where(
                    RefreshToken.expires < cutoff,
                    or_(
                        RefreshToken.family_id.not_in(kept),
                        # Rotated out of a live family: its key still detects a replay.
                        and_(RefreshToken.used.is_(True), RefreshToken.family_key_hash.is_not(None)),
                    ),
                )
            ),
        }
        pruned: dict[str, int] = {}
        for kind in PURGED_KINDS:
            begin_write(self.session)
            pruned[kind] = steps[kind]()
            self.session.commit()
            if progress is not None:
                progress(kind, pruned[kind])
        return pruned

    def _deleted(self, statement: Delete) -> int:
        """How many rows ``statement`` deleted (a CursorResult's count; ``Session.execute``
        is typed as the plain Result)."""
        return int(getattr(self.session.execute(statement), "rowcount", 0) or 0)

    # -- authorization codes --------------------------------------------------
    def save_code(
        self,
        code: str,
        *,
        client_id: str,
        user_id: str,
        redirect_uri: str,
        scope: str,
        code_challenge: str,
        code_challenge_method: str,
    ) -> None:
        self.session.add(
            AuthorizationCode(
                code_hash=digest(code),
                client_id=client_id,
                user_id=user_id,
                redirect_uri=redirect_uri,
                scope=scope,
                code_challenge=code_challenge,
                code_challenge_method=code_challenge_method,
                family_id=new_id(),
                expires=utcnow() + CODE_LIFETIME,
                used=False,
            )
        )
        self.session.commit()

    def take_code(self, code: str, client_id: str) -> AuthorizationCode | None:
        """The code, spent now; None when unknown, expired, another client's, or
        replayed — and a replay revokes every token its first exchange produced."""
        row = self.session.get(AuthorizationCode, digest(code))
        if row is None or row.client_id != client_id:
            return None
        if row.used:
            self.revoke_family(row.family_id)
            return None
        claimed = self.session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.code_hash == row.code_hash, AuthorizationCode.used.is_(False))
            .values(used=True)
        )
        self.session.commit()
        # Lost a race with a replay. (An UPDATE answers a CursorResult, which has rowcount;
        # Session.execute is typed as the plain Result.)
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            self.revoke_family(row.family_id)
            return None
        if row.expires < utcnow():
            return None
        return row

    # -- refresh tokens -------------------------------------------------------
    def issue_refresh(
        self,
        token: str,
        *,
        family_id: str,
        family_started: datetime | None,
        client_id: str,
        user_id: str,
        scope: str,
        access_jti: str | None,
    ) -> None:
        """Store ``token`` in its family; ``family_started`` None starts the family now (a
        sign-in). It expires ``REFRESH_LIFETIME`` from now, or with its family if sooner."""
        now = utcnow()
        started = family_started or now
        key = family_key_of(token)
        self.session.add(
            RefreshToken(
                token_hash=digest(token),
                family_id=family_id,
                family_started=started,
                family_key_hash=digest(key) if key else None,
                client_id=client_id,
                user_id=user_id,
                scope=scope,
                access_jti=access_jti,
                issued=now,
                expires=min(now + REFRESH_LIFETIME, started + self.family_lifetime),
                used=False,
                revoked=False,
            )
        )
        self.session.commit()

    def find_refresh(self, token: str) -> RefreshToken | None:
        """The token's row; for a rotated token whose row was purged, a row of its family
        (found by the family key it carries), so that it still names the family."""
        row = self.session.get(RefreshToken, digest(token))
        key = family_key_of(token)
        if row is not None or key is None:
            return row
        return self.session.scalars(
            select(RefreshToken).where(RefreshToken.family_key_hash == digest(key)).limit(1)
        ).first()

    def use_refresh(self, token: str, client_id: str) -> RefreshToken | None:
        """The live refresh token, or None. Presenting a rotated (used) one is reuse:
        someone holds a stolen copy, so the whole family is revoked. Refused (None) past
        its own expiry or its family's lifetime."""
        row = self.find_refresh(token)
        if row is None or row.client_id != client_id:
            return None
        if row.used or row.revoked or row.token_hash != digest(token):
            self.revoke_family(row.family_id)
            return None
        now = utcnow()
        if row.expires < now or row.family_started + self.family_lifetime <= now:
            return None
        return row

    def rotate(self, row: RefreshToken) -> bool:
        """Mark ``row`` used; False when another request used it first (reuse)."""
        result = self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.token_hash == row.token_hash, RefreshToken.used.is_(False))
            .values(used=True)
        )
        self.session.commit()
        if result.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult: see take_code
            self.revoke_family(row.family_id)
            return False
        return True

    def revoke_family(self, family_id: str) -> None:
        rows = self.session.scalars(select(RefreshToken).where(RefreshToken.family_id == family_id)).all()
        horizon = int((utcnow() + timedelta(minutes=10)).timestamp())
        for row in rows:
            row.revoked = True
            if row.access_jti and self.session.get(RevokedToken, row.access_jti) is None:
                self.session.add(
                    RevokedToken(jti=row.access_jti, expires=datetime.fromtimestamp(horizon, UTC))
                )
        self.session.commit()
        for row in rows:
            if row.access_jti:
                self.on_revoke(row.access_jti, horizon)

    # -- private_key_jwt assertions ------------------------------------------
    def spend_assertion(self, client_id: str, jti: str, expires_at: int) -> bool:
        """True the first time a (client, jti) is seen; False on a replay."""
        self.session.add(
            SpentAssertion(key=f"{client_id}:{jti}"[:300], expires=datetime.fromtimestamp(expires_at, UTC))
        )
        try:
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            return False
        return True
