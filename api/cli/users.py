"""``tillit users``: people (local accounts and those linked to a provider) and
their roles (through ``authserver``'s UserService)."""

from __future__ import annotations

import getpass
import json
import os

import click

from api.cli.common import ORGNR, app_session, echo_rows, fail
from authserver.services.users import UserService
from catalogue.errors import CatalogueError
from security.identity import system_identity
from security.roles import ROLES


@click.group()
def users() -> None:
    """Manage people (local accounts) and their roles."""


@users.command("create")
@click.option("--username", required=True, help="Login name (stored in lower case).")
@click.option("--agency", required=True, type=ORGNR, help="The person's agency (organisation number).")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), help="A role; repeat for several.")
@click.option("--clearance", default=None, help="Personal clearance (default: the agency's).")
@click.option(
    "--password-env",
    default=None,
    help="Read the password from this environment variable instead of prompting.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the user as JSON.")
def users_create(
    username: str,
    agency: str,
    name: str,
    roles: tuple[str, ...],
    clearance: str | None,
    password_env: str | None,
    as_json: bool,
) -> None:
    """Create a local account. The password is prompted for (never an argument)."""
    if password_env:
        password = os.environ.get(password_env, "")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise click.ClickException("The passwords differ.")
    with app_session() as (ext, session):
        try:
            user = UserService(session, ext.scheme).create(
                system_identity(ext.scheme),
                username=username,
                agency=agency,
                name=name,
                roles=roles,
                password=password,
                clearance=clearance,
            )
        except CatalogueError as exc:
            fail(exc)
        out = {"id": user.id, "username": user.username, "agency": user.agency, "roles": user.roles}
    click.echo(json.dumps(out) if as_json else f"Created {out['username']} ({out['id']}).")


@users.command("list")
@click.option("--agency", default=None, type=ORGNR, help="Only this agency's people.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def users_list(agency: str | None, as_json: bool) -> None:
    """List people with their roles, how they sign in (local or a provider) and state."""
    with app_session() as (ext, session):
        rows = [
            {
                "id": u.id,
                "username": u.username,
                "agency": u.agency,
                "name": u.name,
                "roles": u.roles,
                "clearance": u.clearance,
                "disabled": u.disabled,
                # How the person signs in: a password, or the named OpenID Connect provider.
                "sign_in": u.provider or "local",
            }
            for u in UserService(session, ext.scheme).list(system_identity(ext.scheme), agency)
        ]
    echo_rows(
        rows,
        as_json,
        lambda r: (
            f"{r['username']}\t{r['agency']}\t{r['sign_in']}\t{','.join(r['roles']) or '-'}"
            + (" (disabled)" if r["disabled"] else "")
        ),
    )


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable an account: it can no longer sign in or refresh tokens."""
    with app_session() as (ext, session):
        try:
            UserService(session, ext.scheme).disable(system_identity(ext.scheme), username)
        except CatalogueError as exc:
            fail(exc)
    click.echo(f"Disabled {username}.")
