"""``tillit keys``: the token signing keys: rotate, retire, list."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from api.cli.common import app_session, load_app
from api.wiring import tillit
from authserver.services.security_events import record_security_event
from catalogue.timestamps import format_timestamp
from security.identity import system_identity


@click.group()
def keys() -> None:
    """Manage the token signing keys."""


@keys.command("rotate")
def keys_rotate() -> None:
    """Add a new signing key; new tokens use it, older keys still verify."""
    with app_session() as (ext, session):
        kid = ext.keys.add_key()
        record_security_event(
            session, system_identity(ext.scheme), "key.rotate", {"kid": kid}, anchor=ext.anchor
        )
    click.echo(f"New signing key {kid}.")


@keys.command("retire-expired")
@click.option(
    "--now",
    "at_once",
    is_flag=True,
    help="Retire every key that no longer signs, at once, with the tokens it signed (for "
    "keys that may have been exposed: run `tillit keys rotate` first).",
)
def keys_retire_expired(at_once: bool) -> None:
    """Remove keys that stopped signing longer ago than any token lives."""
    app = load_app(migrate=False)
    ext = tillit(app)
    max_age = -1 if at_once else int(app.config["ACCESS_TOKEN_LIFETIME"]) + int(app.config["TOKEN_LEEWAY"])
    retired = ext.keys.retire_expired(max_age)
    if retired:
        with ext.sessions() as session:
            record_security_event(
                session, system_identity(ext.scheme), "key.retire", {"kids": retired}, anchor=ext.anchor
            )
    ext.engine.dispose()
    click.echo(f"Retired {len(retired)} key(s){': ' + ', '.join(retired) if retired else ''}.")


@keys.command("list")
def keys_list() -> None:
    """Show the keys, oldest first; the last one signs new tokens."""
    app = load_app(migrate=False)
    for item in tillit(app).keys.describe():
        created = format_timestamp(datetime.fromtimestamp(int(item["iat"] or 0), UTC))
        click.echo(f"{item['kid']}\t{created}")
