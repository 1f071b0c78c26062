"""``tillit reviews``: classification reviews that are due."""

from __future__ import annotations

import click

from api.cli.common import app_session
from catalogue.compose import entry_service
from catalogue.services.reviews import ReviewService
from security.identity import system_identity


@click.group()
def reviews() -> None:
    """Classification reviews."""


@reviews.command("schedule")
def reviews_schedule() -> None:
    """Open a periodic review for every entry whose review is due (run daily)."""
    with app_session() as (ext, session):
        entries = entry_service(session, ext.scheme, ext.indexer, ext.anchor, ext.review_intervals)
        service = ReviewService(entries)
        count = service.schedule_due(system_identity(ext.scheme))
    click.echo(f"Opened {count} periodic review(s).")
