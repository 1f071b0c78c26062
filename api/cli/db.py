"""``tillit db``: the database schema, and the application role on PostgreSQL."""

from __future__ import annotations

import click

from api.cli.common import cli_app
from api.wiring import tillit
from catalogue.migrate import grant_app_role


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (safe to run again)."""
    with cli_app():
        pass
    click.echo("The database schema is up to date.")


@db.command("grant-app-role")
@click.argument("role")
def db_grant_app_role(role: str) -> None:
    """PostgreSQL: let ROLE (the app's login) use the tables, but only read and append
    the audit log (no UPDATE, DELETE or TRUNCATE)."""
    with cli_app() as app:
        grant_app_role(tillit(app).engine, role)
    click.echo(f"Granted {role}: audit_events is append-only for it.")
