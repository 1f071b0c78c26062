"""State of the authorization server: codes, refresh-token families, the jti
deny-list and spent client assertions. Secrets are stored as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalogue.db import begin_write
from catalogue.models import new_id, utcnow
from catalogue.models_auth import AuthorizationCode, RefreshToken, RevokedToken, SpentAssertion
from catalogue.services.grants import prune_expired_tokens

CODE_LIFETIME = timedelta(minutes=2)
REFRESH_LIFETIME = timedelta(hours=8)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class TokenService:
    def __init__(self, session: Session, on_revoke: Callable[[str, int], None] | None = None) -> None:
        self.session = session
        #: Told of each access token revoked here (the in-memory deny-list).
        self.on_revoke = on_revoke or (lambda jti, exp: None)

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

    def purge_expired(self) -> dict[str, int]:
        """Delete the token state nothing needs once its token has expired, and say how
        much: deny-list rows and spent client assertions (an expired token or assertion
        is refused anyway) and the tokens remembered for grants (``prune_expired_tokens``)."""
        now = utcnow()
        begin_write(self.session)
        pruned = {
            table.__tablename__: int(
                getattr(self.session.execute(delete(table).where(table.expires < now)), "rowcount", 0) or 0
            )
            for table in (RevokedToken, SpentAssertion)
        }
        pruned["grant_tokens"] = prune_expired_tokens(self.session, now)
        self.session.commit()
        return pruned

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
        self, token: str, *, family_id: str, client_id: str, user_id: str, scope: str, access_jti: str | None
    ) -> None:
        self.session.add(
            RefreshToken(
                token_hash=digest(token),
                family_id=family_id,
                client_id=client_id,
                user_id=user_id,
                scope=scope,
                access_jti=access_jti,
                expires=utcnow() + REFRESH_LIFETIME,
                used=False,
                revoked=False,
            )
        )
        self.session.commit()

    def find_refresh(self, token: str) -> RefreshToken | None:
        return self.session.get(RefreshToken, digest(token))

    def use_refresh(self, token: str, client_id: str) -> RefreshToken | None:
        """The live refresh token, or None. Presenting a rotated (used) one is reuse:
        someone holds a stolen copy, so the whole family is revoked."""
        row = self.find_refresh(token)
        if row is None or row.client_id != client_id:
            return None
        if row.used or row.revoked:
            self.revoke_family(row.family_id)
            return None
        if row.expires < utcnow():
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
