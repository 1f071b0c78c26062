"""``tillit tokens purge-expired`` also forgets authorization codes and refresh tokens
(nothing did), a family at a time: every code and refresh token of a family goes once the
newest of them expired more than ``FAMILY_RETENTION`` ago, revoked or not. A family with a
live token keeps its spent code; its rotated tokens go once they expired more than
``FAMILY_RETENTION`` ago, and their replay still revokes it (the reuse detection of
``TokenService.use_refresh`` and ``take_code``: a rotated token is recognised by the family
key it carries; tests/integration/test_refresh_family_lifetime.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from authserver.services.tokens import FAMILY_RETENTION, digest
from catalogue.models_auth import AuthorizationCode, RefreshToken
from tests.security.people import (
    auth_params,
    full_login,
    login,
    make_app_client,
    make_user,
    pkce,
    redirect_params,
    refresh,
)

#: The counts are the drivers' row counts of a DELETE, and the rule one SQL query: both engines.
pytestmark = pytest.mark.both_databases


def _family(app, refresh_token: str) -> str:
    with app.extensions["tillit"].sessions() as session:
        return session.get(RefreshToken, digest(refresh_token)).family_id


def _code_family(app, code: str) -> str:
    with app.extensions["tillit"].sessions() as session:
        return session.get(AuthorizationCode, digest(code)).family_id


def _expired(app, family: str, ago: timedelta, *, keep: str | None = None) -> None:
    """Every code and refresh token of ``family`` (but the refresh token ``keep``) expired ``ago``."""
    when = datetime.now(UTC) - ago
    with app.extensions["tillit"].sessions() as session:
        session.execute(
            update(AuthorizationCode).where(AuthorizationCode.family_id == family).values(expires=when)
        )
        tokens = update(RefreshToken).where(RefreshToken.family_id == family)
        if keep is not None:
            tokens = tokens.where(RefreshToken.token_hash != digest(keep))
        session.execute(tokens.values(expires=when))
        session.commit()


def _rows(app) -> Counter[tuple[str, str]]:
    """(family, kind) → how many rows."""
    with app.extensions["tillit"].sessions() as session:
        codes = session.scalars(select(AuthorizationCode.family_id)).all()
        tokens = session.scalars(select(RefreshToken.family_id)).all()
    return Counter([(f, "code") for f in codes] + [(f, "refresh") for f in tokens])


def test_dead_families_go_and_live_or_recent_ones_stay(client, app, run_cli):
    make_user(app, "alice")
    creds = make_app_client(app)
    past = FAMILY_RETENTION + timedelta(hours=1)

    # Dead: a code exchanged, its refresh token rotated once; all of it expired long ago.
    dead = full_login(client, creds)
    assert refresh(client, creds, dead["refresh_token"]).status_code == 200
    dead_family = _family(app, dead["refresh_token"])
    _expired(app, dead_family, past)
    # Revoked (a rotated token presented again) and expired long ago; and revoked only now,
    # its tokens not yet expired: refused as revoked, it goes once expired past the retention.
    revoked_families = []
    for ago in (past, None):
        stolen = full_login(client, creds)
        assert refresh(client, creds, stolen["refresh_token"]).status_code == 200
        assert refresh(client, creds, stolen["refresh_token"]).json["error"] == "invalid_grant"
        revoked_families.append(_family(app, stolen["refresh_token"]))
        if ago is not None:
            _expired(app, revoked_families[-1], ago)
    # A code never exchanged, expired long ago.
    _, challenge = pkce()
    abandoned = _code_family(app, redirect_params(login(client, auth_params(creds[0], challenge)))["code"])
    _expired(app, abandoned, past)
    # Recent: expired within the retention.
    recent = full_login(client, creds)
    recent_family = _family(app, recent["refresh_token"])
    _expired(app, recent_family, timedelta(hours=1))
    # Live: its code and first refresh token expired long ago, the rotated one is live; the
    # rotated-out one goes (its replay is recognised by the family key it carries).
    live = full_login(client, creds)
    newest = refresh(client, creds, live["refresh_token"]).json
    live_family = _family(app, live["refresh_token"])
    _expired(app, live_family, past, keep=newest["refresh_token"])
    before = _rows(app)
    assert before[(dead_family, "code")] == 1 and before[(dead_family, "refresh")] == 2
    assert before[(abandoned, "code")] == 1

    purged = run_cli("tokens", "purge-expired")
    assert purged.exit_code == 0, purged.output
    assert purged.stdout.strip() == (
        "Purged 0 oauth_revoked_tokens, 0 oauth_spent_assertions, 0 grant_tokens, "
        "3 oauth_codes, 5 oauth_refresh_tokens."
    )
    assert "Purging expired token state" in purged.stderr
    after = _rows(app)
    gone = (dead_family, abandoned, revoked_families[0])
    assert after == Counter({k: n for k, n in before.items() if k[0] not in gone}) - Counter(
        {(live_family, "refresh"): 1}
    )
    assert after[(revoked_families[1], "code")] == 1 and after[(revoked_families[1], "refresh")] == 2
    assert after[(live_family, "code")] == 1 and after[(live_family, "refresh")] == 1
    assert after[(recent_family, "code")] == 1 and after[(recent_family, "refresh")] == 1
    assert run_cli("tokens", "purge-expired").stdout.strip() == (
        "Purged 0 oauth_revoked_tokens, 0 oauth_spent_assertions, 0 grant_tokens, "
        "0 oauth_codes, 0 oauth_refresh_tokens."
    )

    # The live family's rotated token is gone, yet presenting it is still reuse, and revokes
    # the family, the newest token with it.
    reuse = refresh(client, creds, live["refresh_token"])
    assert (reuse.status_code, reuse.json["error"]) == (400, "invalid_grant")
    assert refresh(client, creds, newest["refresh_token"]).json["error"] == "invalid_grant"
