"""``tillit index sync|check`` and ``tillit reindex``: keeping the search index in step."""

from __future__ import annotations

import click
from flask import Flask

from api.cli.common import load_app
from api.wiring import tillit
from search.indexer import OutboxIndexer


def outbox_indexer(app: Flask | None = None) -> OutboxIndexer:
    if app is None:
        app = load_app()
    indexer = tillit(app).indexer
    if not isinstance(indexer, OutboxIndexer):  # the app always wires one; say so if not
        raise click.ClickException(f"This app has no search indexer (it has {type(indexer).__name__}).")
    return indexer


@click.group("index")
def index() -> None:
    """The search index: drain the outbox, check against the database."""


@index.command("sync")
def index_sync() -> None:
    """Index every change still waiting in the outbox (a stuck queue)."""
    indexer = outbox_indexer()
    drained = indexer.drain()
    click.echo(f"Drained {drained} outbox event(s); {indexer.pending()} left.")


@index.command("check")
@click.option("--no-repair", is_flag=True, help="Only report the differences.")
def index_check(no_repair: bool) -> None:
    """Report differences between the database and the index, and repair them.

    Exits 1 when differences were found and not repaired."""
    report = outbox_indexer().check(repair=not no_repair)
    if report.in_step:
        click.echo("The search index is in step with the database.")
        return
    for label, ids in (("missing", report.missing), ("stale", report.stale), ("extra", report.extra)):
        if ids:
            shown = ", ".join(ids[:10]) + (" …" if len(ids) > 10 else "")
            click.echo(f"{len(ids)} {label}: {shown}")
    if report.repaired:
        click.echo("Repaired.")
    else:
        raise SystemExit(1)


def rebuild_if_needed(app: Flask) -> int | None:
    """After an upgrade that changed the embedded index's format, the index starts
    over empty: fill it from the database before serving. None when not needed."""
    ext = tillit(app)
    if not getattr(ext.search, "needs_rebuild", False):
        return None
    indexer = outbox_indexer(app)
    click.echo("The search index was written by an older version of Tillit: rebuilding it.")
    with click.progressbar(length=indexer.count_entries(), label="Indexing entries") as bar:
        count = indexer.reindex(progress=bar.update)
    return count


@click.command("reindex")
def reindex() -> None:
    """Rebuild the whole search index from the database (searches keep working)."""
    indexer = outbox_indexer()
    total = indexer.count_entries()
    with click.progressbar(length=total, label="Indexing entries") as bar:
        count = indexer.reindex(progress=bar.update)
    click.echo(f"Indexed {count} entries.")
