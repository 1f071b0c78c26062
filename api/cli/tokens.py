"""``tillit tokens``: the authorization server's token state."""

from __future__ import annotations

import click

from api.cli.common import app_session
from authserver.services.tokens import TokenService


@click.group()
def tokens() -> None:
    """The authorization server's token state."""


@tokens.command("purge-expired")
def tokens_purge_expired() -> None:
    """Delete what only expired tokens needed: deny-list rows, spent client assertions and
    the tokens remembered for access grants (run daily)."""
    with app_session() as (_ext, session):
        pruned = TokenService(session).purge_expired()
    click.echo("Purged " + ", ".join(f"{count} {name}" for name, count in pruned.items()) + ".")
