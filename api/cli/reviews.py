"""``tillit reviews``: classification reviews that are due."""

from __future__ import annotations

import click

from api.cli.common import cli_app
from catalogue.services.reviews import ReviewService
from security.identity import system_identity


@click.group()
def reviews() -> None:
    """Classification reviews."""


@reviews.command("schedule")
def reviews_schedule() -> None:
    """Open a periodic review for every entry whose review is due (run daily)."""
    with cli_app() as app, app.extensions["tillit"].sessions() as session:
        ext = app.extensions["tillit"]
        service = ReviewService(session, ext.scheme, ext.indexer, ext.anchor, ext.review_intervals)
        count = service.schedule_due(system_identity(ext.scheme))
    click.echo(f"Opened {count} periodic review(s).")
