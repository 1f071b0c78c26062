"""``tillit notifications``: deliver what is waiting (run by cron)."""

from __future__ import annotations

import click

from api.cli.common import cli_app
from api.delivery import deliver_now


@click.group()
def notifications() -> None:
    """Notifications of waiting work."""


@notifications.command("send")
def notifications_send() -> None:
    """Deliver pending notifications by e-mail and webhook (retries failures; run by cron)."""
    with cli_app() as app:
        count = deliver_now(app)
    click.echo(f"Delivered {count} notification(s).")
