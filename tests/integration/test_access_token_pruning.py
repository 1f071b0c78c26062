"""``tillit tokens purge-expired`` forgets the tokens remembered for a grant once they
have expired (``grant_tokens`` was never pruned), with the deny-list rows and spent
assertions nothing needs any more; revoking the grant still denies its live tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from authserver.grants import issued_jti
from catalogue.models_access import GrantToken
from catalogue.models_auth import RevokedToken
from tests.conftest import SKATTEETATEN, fetch_token, register_client
from tests.integration.test_access_story import (
    DECIDER,
    granted_through_the_api,
    resource_server,
)
from tests.security.conftest import bearer
from tests.security.people import basic

#: The counts are the drivers' row counts of a DELETE: both engines.
pytestmark = pytest.mark.both_databases


def _granted(client, app, token_for) -> tuple[str, tuple[str, str]]:
    """A grant to a Skatteetaten client: (grant id, the client's credentials)."""
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    return granted_through_the_api(client, app, token_for, system[0])["grant"], system


def _remembered(app) -> dict[str, datetime]:
    with app.extensions["tillit"].sessions() as session:
        return dict(session.execute(select(GrantToken.jti, GrantToken.expires)).all())


def test_expired_grant_tokens_are_purged_and_live_ones_still_denied(client, app, token_for, run_cli):
    grant_id, system = _granted(client, app, token_for)
    scope = f"catalogue:read:public grant:{grant_id}"
    old, live = fetch_token(client, *system, scope=scope), fetch_token(client, *system, scope=scope)
    assert set(_remembered(app)) == {issued_jti(old), issued_jti(live)}
    # The first token's lifetime has passed (as its row now says: a token past its exp is
    # refused by its own exp, so nothing needs to deny it).
    ext = app.extensions["tillit"]
    past = datetime.now(UTC) - timedelta(minutes=1)
    with ext.sessions() as session:
        session.execute(update(GrantToken).where(GrantToken.jti == issued_jti(old)).values(expires=past))
        session.add(RevokedToken(jti="expired-elsewhere", expires=past))
        session.commit()

    purged = run_cli("tokens", "purge-expired")
    assert purged.exit_code == 0, purged.output
    assert purged.stdout.strip() == (
        "Purged 1 oauth_revoked_tokens, 0 oauth_spent_assertions, 1 grant_tokens, "
        "0 oauth_codes, 0 oauth_refresh_tokens."
    )
    assert list(_remembered(app)) == [issued_jti(live)]
    with ext.sessions() as session:
        assert session.get(RevokedToken, "expired-elsewhere") is None
    assert run_cli("tokens", "purge-expired").stdout.strip() == (
        "Purged 0 oauth_revoked_tokens, 0 oauth_spent_assertions, 0 grant_tokens, "
        "0 oauth_codes, 0 oauth_refresh_tokens."
    )

    # Revoking the grant still denies the live token it was issued with.
    revoked = client.post(
        f"/api/v1/grants/{grant_id}/revoke",
        json={"reason": "Avtalet har upphört."},
        headers=token_for("sensitive", extra=DECIDER),
    )
    assert revoked.status_code == 200, revoked.json
    rs = resource_server(app)
    assert client.post("/oauth/introspect", data={"token": live}, headers=basic(*rs)).json == {
        "active": False
    }
    assert client.get("/api/v1/datasets", headers=bearer(live)).status_code == 401
