"""``tillit tokens``: the authorization server's token state."""

from __future__ import annotations

import sys

import click

from api.cli.common import app_session
from authserver.services.tokens import PURGED_KINDS, TokenService


@click.group()
def tokens() -> None:
    """The authorization server's token state."""


@tokens.command("purge-expired")
def tokens_purge_expired() -> None:
    """Delete the token state nothing needs any more (run daily): expired deny-list rows,
    spent client assertions and tokens remembered for access grants; authorization
    codes and refresh tokens a family at a time, once the family's newest expired more
    than a day ago; and a live family's rotated-out refresh tokens that expired more than
    a day ago (a replay of one is still detected by the family key it carries).

    Shows its progress on standard error and prints how many of each kind went."""
    progress = click.progressbar(
        length=len(PURGED_KINDS),
        label="Purging expired token state",
        item_show_func=lambda kind: kind,
        file=sys.stderr,
    )
    with app_session() as (_ext, session), progress as bar:
        pruned = TokenService(session).purge_expired(progress=lambda kind, _count: bar.update(1, kind))
    click.echo("Purged " + ", ".join(f"{count} {name}" for name, count in pruned.items()) + ".")
