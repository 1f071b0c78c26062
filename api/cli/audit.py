"""``tillit audit``: verify and export the tamper-evident audit log."""

from __future__ import annotations

import sys
from typing import Any

import click

from api.cli.common import app_session
from catalogue.compose import audit_service
from catalogue.machinery.audit.chain import verify_chain
from catalogue.services.audit import as_json_lines
from security.identity import system_identity


@click.group()
def audit() -> None:
    """The tamper-evident audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Walk the hash chain; exit 1 naming the first broken event."""
    with app_session() as (ext, session):
        result = verify_chain(session, ext.anchor)
    if result.ok:
        click.echo(f"The audit chain is intact: {result.checked} events.")
        return
    where = f"at event {result.broken_seq}" if result.broken_seq else "at its head"
    click.echo(
        f"The audit chain is broken {where}: {result.reason} ({result.checked} events before it are intact).",
        err=True,
    )
    sys.exit(1)


@audit.command("export")
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File to write (default: standard output).",
)
def audit_export(output: Any) -> None:
    """Write every event, oldest first, as JSON Lines."""
    with app_session() as (ext, session):
        events = audit_service(session, ext.anchor).export(system_identity(ext.scheme))
        for line in as_json_lines(events):
            output.write(line)
