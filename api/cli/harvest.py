"""``tillit harvest``: read an agency's DCAT-AP catalogue into its entries (docs/harvest.md).

``tillit harvest SOURCE --publisher ORGNR`` harvests once; ``tillit harvest run-due``
harvests every registered source whose time has come (for cron). The source is read and
parsed whole before anything is written, so a malformed, slow or oversized source
changes nothing.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click
from flask import Flask

from api.cli.common import ORGNR, cli_app, fail
from api.wiring import tillit
from catalogue.errors import CatalogueError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dcat.harvest.running import HarvestRun

PROFILES = ("dcat-ap", "dcat-ap-se", "dcat-ap-no")


class _SourceOrCommand(click.Group):
    """``harvest SOURCE …`` runs the hidden ``once`` command; ``harvest run-due`` its own."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["once", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_SourceOrCommand)
def harvest() -> None:
    """Harvest DCAT-AP catalogues (DCAT-AP, DCAT-AP-SE, DCAT-AP-NO; Turtle, RDF/XML, JSON-LD).

    \b
    tillit harvest SOURCE --publisher ORGNR [--profile dcat-ap-se] [--json]
    tillit harvest run-due [--json]
    """


@harvest.command("once", hidden=True)
@click.argument("source")
@click.option("--publisher", "orgnr", type=ORGNR, required=True, help="The agency whose entries these are.")
@click.option(
    "--profile",
    type=click.Choice(PROFILES),
    default="dcat-ap",
    show_default=True,
    help="The profile the source follows (the language of untagged text).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--no-submit", is_flag=True, help="Leave new entries as drafts instead of submitting them for review."
)
def harvest_once(source: str, orgnr: str, profile: str, as_json: bool, no_submit: bool) -> None:
    """Harvest SOURCE (a file or an https URL) as the entries of the agency ORGNR."""
    with cli_app() as app, _closing_search(app), tillit(app).sessions() as session:
        run = _run(app, session)
        try:
            loaded = run.load(source, orgnr, profile)
            records = run.read(loaded, profile)
            with click.progressbar(
                length=len(records), label="Harvesting", file=io.StringIO() if as_json else None
            ) as bar:
                report = run.write(orgnr, loaded, records, progress=bar.update, submit=not no_submit)
        except CatalogueError as exc:
            fail(exc)
    _show(report.as_dict(), as_json)


@harvest.command("run-due")
@click.option("--json", "as_json", is_flag=True, help="Print each source's report as JSON (one per line).")
def harvest_run_due(as_json: bool) -> None:
    """Harvest every registered source whose time has come, and schedule its next run."""
    with cli_app() as app, _closing_search(app), tillit(app).sessions() as session:
        outcomes = _run(app, session).run_due()
    for outcome in outcomes:
        if as_json:
            click.echo(json.dumps(outcome, ensure_ascii=False))
        elif "error" in outcome:
            click.echo(f"{outcome['agency']} {outcome['url']}: failed: {outcome['error']}")
        else:
            counts = ", ".join(f"{k} {v}" for k, v in outcome["report"]["counts"].items())
            click.echo(f"{outcome['agency']} {outcome['url']}: {counts}")
    if not outcomes and not as_json:
        click.echo("No source is due.")


@harvest.command("openapi-due")
@click.option("--json", "as_json", is_flag=True, help="Print each API's outcome as JSON (one per line).")
def harvest_openapi_due(as_json: bool) -> None:
    """Fetch again the OpenAPI documents given by URL whose copy is older than
    TILLIT_OPENAPI_REFRESH_HOURS (for cron, beside run-due)."""
    from catalogue.services.openapi_refresh import OpenAPIRefresh
    from security.identity import system_identity

    with cli_app() as app, _closing_search(app), tillit(app).sessions() as session:
        ext = tillit(app)
        try:
            hours = float(app.config.get("OPENAPI_REFRESH_HOURS", 24))
        except (TypeError, ValueError):
            hours = -1.0
        if not 0 < hours <= 8760:
            raise click.UsageError(
                "TILLIT_OPENAPI_REFRESH_HOURS must be a number of hours, above 0 and at most 8760."
            )
        from catalogue.compose import entry_service
        from catalogue.models import utcnow

        entries = entry_service(
            session,
            ext.scheme,
            ext.indexer,
            ext.anchor,
            ext.review_intervals,
            openapi_limits=ext.openapi_limits,
            outbound=ext.outbound,
        )
        outcomes = OpenAPIRefresh(entries).refresh_due(system_identity(ext.scheme), utcnow(), hours)
    for outcome in outcomes:
        if as_json:
            click.echo(json.dumps({"entry": outcome.entry_id, "error": outcome.error}, ensure_ascii=False))
        else:
            click.echo(
                f"{outcome.entry_id}: " + (f"failed: {outcome.error}" if outcome.error else "refreshed")
            )
    if not outcomes and not as_json:
        click.echo("No OpenAPI document is due.")


@contextmanager
def _closing_search(app: Flask) -> Iterator[None]:
    """The search index is let go when the command ends (the harvest writes to it once,
    at its end; the embedded engine holds a lock until closed)."""
    try:
        yield
    finally:
        search = tillit(app).search
        if search is not None:
            search.close()


def _run(app: Flask, session: Session) -> HarvestRun:
    """The harvest's steps on the app's services and settings (a usage error if a setting is wrong)."""
    from catalogue.compose import entry_service
    from catalogue.services.entries import EntryService
    from catalogue.services.reviews import ReviewService
    from dcat.harvest.running import DeferredIndexer, HarvestRun, limits_from_settings

    ext = tillit(app)
    try:
        limits = limits_from_settings(app.config)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    # The index is nudged once, when the harvest ends (DeferredIndexer); each batch's
    # services are built on the batch's session, with the app's machines.
    indexer = DeferredIndexer(ext.indexer)

    def build(on: Session) -> tuple[EntryService, ReviewService]:
        # OpenAPI URLs (dcat:endpointDescription) are recorded, never fetched in a batch:
        # the refresh (openapi-due) fetches them (docs/harvest.md).
        entries = entry_service(
            on,
            ext.scheme,
            indexer,
            ext.anchor,
            ext.review_intervals,
            openapi_limits=ext.openapi_limits,
            openapi_later=True,
        )
        return entries, ReviewService(entries)

    entries, reviews = build(session)
    run = HarvestRun(
        entries,
        reviews,
        ext.outbound,
        limits,
        str(app.config.get("DCAT_ACCESS_RIGHTS", "")),
        build=build,
        anchor=ext.anchor,
        indexer=indexer,
    )
    try:
        run.access  # noqa: B018  (TILLIT_DCAT_ACCESS_RIGHTS read now: a wrong one is a usage error)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    return run


def _show(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    counts = report["counts"]
    click.echo(
        f"Harvested {report['source']} for {report['publisher']} ({report['pages']} page(s)): "
        + ", ".join(f"{counts[k]} {k}" for k in ("created", "updated", "unchanged", "retired", "rejected"))
    )
    for item in report["rejected"]:
        click.echo(f"Rejected {item['uri']}:")
        for field_name, reasons in item["reasons"].items():
            for reason in reasons:
                click.echo(f"  {field_name}: {reason}")
    for item in report["notes"]:
        click.echo(f"Notes on {item['uri']}:")
        for note in item["notes"]:
            click.echo(f"  {note}")
