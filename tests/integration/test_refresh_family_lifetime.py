"""A person's refresh-token family lives at most ``TILLIT_REFRESH_FAMILY_MAX_SECONDS`` from
its sign-in, however often it is refreshed; and ``tillit tokens purge-expired`` drops the
rotated-out tokens of a live family once they expired more than ``FAMILY_RETENTION`` ago,
while a replay of one still revokes the family: every token carries its family's key
(authserver/services/tokens.py; docs/security.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import column, insert, select, table, update

from api.config import load_settings
from authserver.services.tokens import FAMILY_LIFETIME, FAMILY_RETENTION, TokenService, digest, new_secret
from catalogue.db import make_engine, make_session_factory
from catalogue.migrate import alembic_config
from catalogue.models import new_id
from catalogue.models_auth import RefreshToken
from catalogue.timestamps import UtcDateTime
from tests.security.conftest import bearer
from tests.security.people import basic, full_login, make_app_client, make_user, refresh

#: The purge's DELETE and the migration's backfill are SQL that could differ by engine;
#: the token flows are not (docs/testing.md).
both_databases = pytest.mark.both_databases


def _family(app, token: str) -> str:
    with app.extensions["tillit"].sessions() as session:
        row = session.get(RefreshToken, digest(token))
        assert row is not None
        return row.family_id


def _signed_in(app, family: str, ago: timedelta) -> None:
    """The family's sign-in moved ``ago`` into the past (as if it had been refreshed since)."""
    with app.extensions["tillit"].sessions() as session:
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family)
            .values(family_started=datetime.now(UTC) - ago)
        )
        session.commit()


def _expired(app, tokens: list[str], ago: timedelta) -> None:
    with app.extensions["tillit"].sessions() as session:
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.token_hash.in_([digest(t) for t in tokens]))
            .values(expires=datetime.now(UTC) - ago)
        )
        session.commit()


def _hashes(app, family: str) -> set[str]:
    with app.extensions["tillit"].sessions() as session:
        return set(session.scalars(select(RefreshToken.token_hash).where(RefreshToken.family_id == family)))


@pytest.fixture
def alice(app) -> str:
    return make_user(app, "alice")


@pytest.fixture
def creds(app, alice):
    return make_app_client(app)


def test_a_family_is_refused_after_its_lifetime_however_often_it_was_refreshed(client, app, creds):
    assert app.config["REFRESH_FAMILY_MAX_SECONDS"] == FAMILY_LIFETIME.total_seconds() == 30 * 86400
    tokens = full_login(client, creds)
    family = _family(app, tokens["refresh_token"])
    # An hour before the family ends: refreshed, and the new token dies with its family,
    # not eight hours later.
    _signed_in(app, family, FAMILY_LIFETIME - timedelta(hours=1))
    for _ in range(3):
        tokens = refresh(client, creds, tokens["refresh_token"]).json
        assert "access_token" in tokens, tokens
    with app.extensions["tillit"].sessions() as session:
        newest = session.get(RefreshToken, digest(tokens["refresh_token"]))
        assert newest is not None
        assert newest.expires == newest.family_started + FAMILY_LIFETIME
        assert newest.expires < datetime.now(UTC) + timedelta(hours=1)
    # Past its lifetime: refused, the person signs in again (a new family).
    _signed_in(app, family, FAMILY_LIFETIME + timedelta(minutes=1))
    late = refresh(client, creds, tokens["refresh_token"])
    assert (late.status_code, late.json["error"]) == (400, "invalid_grant")
    again = full_login(client, creds)
    assert _family(app, again["refresh_token"]) != family
    assert refresh(client, creds, again["refresh_token"]).status_code == 200


def test_the_setting_bounds_the_family(client, app, creds, monkeypatch):
    monkeypatch.setitem(app.config, "REFRESH_FAMILY_MAX_SECONDS", 3600)
    tokens = full_login(client, creds)
    with app.extensions["tillit"].sessions() as session:
        first = session.get(RefreshToken, digest(tokens["refresh_token"]))
        assert first is not None and first.expires == first.family_started + timedelta(hours=1)
    family = _family(app, tokens["refresh_token"])
    _signed_in(app, family, timedelta(minutes=59))
    tokens = refresh(client, creds, tokens["refresh_token"]).json
    assert "refresh_token" in tokens, tokens
    _signed_in(app, family, timedelta(minutes=61))
    assert refresh(client, creds, tokens["refresh_token"]).json["error"] == "invalid_grant"


@pytest.mark.parametrize("value", [0, 59, 366 * 86400 + 1, "a month"])
def test_a_lifetime_out_of_range_stops_the_start(value):
    with pytest.raises(ValueError, match="TILLIT_REFRESH_FAMILY_MAX_SECONDS"):
        load_settings({"REFRESH_FAMILY_MAX_SECONDS": value})


@both_databases
@pytest.mark.parametrize("replay", ["refresh", "revoke"])
def test_purge_drops_rotated_tokens_of_a_live_family_and_their_replay_still_revokes_it(
    client, app, creds, run_cli, replay
):
    chain = [full_login(client, creds)]
    for _ in range(3):
        chain.append(refresh(client, creds, chain[-1]["refresh_token"]).json)
    family = _family(app, chain[0]["refresh_token"])
    assert all(t["refresh_token"].startswith(chain[0]["refresh_token"].split(".")[0] + ".") for t in chain)
    # The first two rotated-out tokens expired long ago; the third expired within the
    # retention; the newest is live.
    _expired(app, [t["refresh_token"] for t in chain[:2]], FAMILY_RETENTION + timedelta(hours=1))
    _expired(app, [chain[2]["refresh_token"]], timedelta(hours=1))

    purged = run_cli("tokens", "purge-expired")
    assert purged.exit_code == 0, purged.output
    assert purged.stdout.strip().endswith("0 oauth_codes, 2 oauth_refresh_tokens.")
    assert _hashes(app, family) == {digest(t["refresh_token"]) for t in chain[2:]}

    # A stolen copy of the first token, presented after its row went: the family is revoked,
    # the newest token and its access token with it.
    newest = chain[-1]
    if replay == "refresh":
        answer = refresh(client, creds, chain[0]["refresh_token"])
        assert (answer.status_code, answer.json["error"]) == (400, "invalid_grant")
    else:
        answer = client.post(
            "/oauth/revoke", data={"token": chain[0]["refresh_token"]}, headers=basic(*creds)
        )
        assert answer.status_code == 200
    assert refresh(client, creds, newest["refresh_token"]).json["error"] == "invalid_grant"
    assert client.get("/api/v1/datasets", headers=bearer(newest["access_token"])).status_code == 401


@both_databases
def test_a_family_from_before_keys_keeps_its_rotated_tokens_and_gets_a_key(
    client, app, alice, creds, run_cli
):
    """A token stored before family keys (no dot) still refreshes; its successor carries a
    key; its own row stays while the family lives, so its replay still revokes it."""
    old = new_secret()
    with app.extensions["tillit"].sessions() as session:
        TokenService(session).issue_refresh(
            old,
            family_id=new_id(),
            family_started=None,
            client_id=creds[0],
            user_id=alice,
            scope="catalogue:read:sensitive",
            access_jti=None,
        )
    newer = refresh(client, creds, old).json
    assert "." in newer["refresh_token"] and "." not in old
    family = _family(app, old)
    _expired(app, [old], FAMILY_RETENTION + timedelta(hours=1))
    assert run_cli("tokens", "purge-expired").stdout.strip().endswith("0 oauth_refresh_tokens.")
    assert _hashes(app, family) == {digest(old), digest(newer["refresh_token"])}
    assert refresh(client, creds, old).json["error"] == "invalid_grant"
    assert refresh(client, creds, newer["refresh_token"]).json["error"] == "invalid_grant"


def test_another_client_cannot_revoke_a_family_by_its_key(client, app, creds):
    tokens = full_login(client, creds)
    key = tokens["refresh_token"].split(".")[0]
    other = make_app_client(app)
    forged = refresh(client, other, key + "." + new_secret())
    assert (forged.status_code, forged.json["error"]) == (400, "invalid_grant")
    client.post("/oauth/revoke", data={"token": key + "." + new_secret()}, headers=basic(*other))
    assert refresh(client, creds, tokens["refresh_token"]).status_code == 200


def _migrate(engine, how: str, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, how)(config, revision)


@both_databases
def test_the_migration_dates_stored_families_by_their_oldest_token(app, alice, database_url):
    engine = make_engine(database_url)
    script = ScriptDirectory.from_config(alembic_config(engine))
    before = str(script.get_revision("0015_refresh_family_lifetime").down_revision)
    try:
        _migrate(engine, "downgrade", before)
        stored = table(
            "oauth_refresh_tokens",
            *(column(name) for name in ("token_hash", "family_id", "client_id", "user_id", "scope")),
            *(column(name, UtcDateTime()) for name in ("issued", "expires")),
            column("used"),
            column("revoked"),
        )
        signed_in = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
        rows = [
            ("a", "one", signed_in),
            ("b", "one", signed_in + timedelta(hours=5)),
            ("c", "two", signed_in),
        ]
        with engine.begin() as connection:
            for token, family, issued in rows:
                connection.execute(
                    insert(stored).values(
                        token_hash=digest(token), family_id=family, client_id="app", user_id=alice, scope="",
                        issued=issued, expires=issued + timedelta(hours=8), used=token == "a", revoked=False,
                    )
                )  # fmt: skip
        _migrate(engine, "upgrade", "head")
        with make_session_factory(engine)() as session:
            migrated = {r.token_hash: r for r in session.scalars(select(RefreshToken))}
        assert {migrated[digest(t)].family_started for t in "abc"} == {signed_in}
        assert {migrated[digest(t)].family_key_hash for t in "abc"} == {None}
        _migrate(engine, "downgrade", before)
        _migrate(engine, "upgrade", "head")
    finally:
        engine.dispose()
