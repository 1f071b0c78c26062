"""Command-line management of people, OAuth clients beyond the basic ones, and signing keys."""

from __future__ import annotations

import getpass
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import click

from authserver.services.clients import ClientService
from authserver.services.users import UserService
from catalogue.errors import CatalogueError
from security.identity import system_identity
from security.roles import ROLES


def register_auth_commands(main: click.Group) -> None:
    """Attach ``users``, ``clients register|list|disable`` and ``keys retire-expired|list``
    to ``tillit``."""
    main.add_command(users)
    clients = main.commands["clients"]
    assert isinstance(clients, click.Group)
    clients.add_command(clients_register)
    clients.add_command(clients_list)
    clients.add_command(clients_disable)
    keys = main.commands["keys"]
    assert isinstance(keys, click.Group)
    keys.add_command(keys_retire_expired)
    keys.add_command(keys_list)


def _app():  # type: ignore[no-untyped-def]
    from api.cli import _app as make

    return make()


def _fail(exc: CatalogueError) -> None:
    from api.cli import _fail as fail

    fail(exc)


# -- users ----------------------------------------------------------------------
@click.group()
def users() -> None:
    """Manage people (local accounts) and their roles."""


@users.command("create")
@click.option("--username", required=True, help="Login name (stored in lower case).")
@click.option("--agency", required=True, help="The person's agency (organisation number).")
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
    app = _app()
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
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
            _fail(exc)
        out = {"id": user.id, "username": user.username, "agency": user.agency, "roles": user.roles}
    click.echo(json.dumps(out) if as_json else f"Created {out['username']} ({out['id']}).")


@users.command("list")
@click.option("--agency", default=None, help="Only this agency's people.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def users_list(agency: str | None, as_json: bool) -> None:
    """List people with their roles, how they sign in (local or a provider) and state."""
    app = _app()
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        rows = [
            {
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
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        state = " (disabled)" if r["disabled"] else ""
        click.echo(f"{r['username']}\t{r['agency']}\t{r['sign_in']}\t{','.join(r['roles']) or '-'}{state}")


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable an account: it can no longer sign in or refresh tokens."""
    app = _app()
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        try:
            UserService(session, ext.scheme).disable(system_identity(ext.scheme), username)
        except CatalogueError as exc:
            _fail(exc)
    click.echo(f"Disabled {username}.")


# -- clients --------------------------------------------------------------------
@click.command("register")
@click.option("--agency", required=True, help="The owning agency's organisation number.")
@click.option("--name", required=True, help="A name for the client (shown on the login page).")
@click.option("--scopes", required=True, help="Space-separated scopes.")
@click.option(
    "--grant",
    "grants",
    multiple=True,
    type=click.Choice(["client_credentials", "authorization_code", "refresh_token"]),
    help="A grant type; repeat for several (default: client_credentials).",
)
@click.option(
    "--auth-method",
    type=click.Choice(["client_secret_basic", "private_key_jwt", "none"]),
    default="client_secret_basic",
    show_default=True,
)
@click.option("--redirect-uri", "redirect_uris", multiple=True, help="Exact redirect URI; repeat.")
@click.option("--jwks", "jwks_path", type=click.Path(exists=True, dir_okay=False), help="Public JWKS.")
@click.option("--resource-server", is_flag=True, help="May call the introspection endpoint.")
@click.option("--json", "as_json", is_flag=True, help="Print client_id (and client_secret) as JSON.")
def clients_register(
    agency: str,
    name: str,
    scopes: str,
    grants: tuple[str, ...],
    auth_method: str,
    redirect_uris: tuple[str, ...],
    jwks_path: str | None,
    resource_server: bool,
    as_json: bool,
) -> None:
    """Register any kind of client: authorization-code apps (PKCE S256 is always
    required), private_key_jwt systems, resource servers."""
    jwks = json.loads(Path(jwks_path).read_text(encoding="utf-8")) if jwks_path else None
    app = _app()
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        try:
            issued = ClientService(session, ext.scheme).create(
                system_identity(ext.scheme),
                agency=agency,
                name=name,
                scopes=scopes.split(),
                grant_types=grants or ("client_credentials",),
                auth_method=auth_method,
                redirect_uris=redirect_uris,
                jwks=jwks,
                resource_server=resource_server,
            )
        except CatalogueError as exc:
            _fail(exc)
    out = {"client_id": issued.client.client_id}
    if issued.secret:
        out["client_secret"] = issued.secret
    click.echo(json.dumps(out) if as_json else "\n".join(f"{k}={v}" for k, v in out.items()))


@click.command("list")
@click.option("--agency", default=None, help="Only this agency's clients (organisation number).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a list of objects).")
def clients_list(agency: str | None, as_json: bool) -> None:
    """List OAuth clients: id, agency, name, scopes, grants, how each authenticates and
    whether it is disabled. Secrets are stored hashed and never shown.

    Lines: CLIENT_ID, AGENCY, NAME, SCOPES, then "(disabled)" for a disabled client."""
    app = _app()
    ext = app.extensions["tillit"]
    try:
        with ext.sessions() as session:
            try:
                found = ClientService(session, ext.scheme).list(system_identity(ext.scheme), agency)
            except CatalogueError as exc:
                _fail(exc)
            rows = [
                {
                    "client_id": c.client_id,
                    "agency": c.agency,
                    "name": c.name,
                    "scopes": list(c.scopes),
                    "grant_types": list(c.grant_types),
                    "auth_method": c.token_endpoint_auth_method,
                    "resource_server": c.resource_server,
                    "disabled": c.disabled,
                }
                for c in found
            ]
    finally:
        ext.engine.dispose()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        state = "\t(disabled)" if r["disabled"] else ""
        click.echo(f"{r['client_id']}\t{r['agency']}\t{r['name']}\t{' '.join(r['scopes'])}{state}")


@click.command("disable")
@click.argument("client_id")
def clients_disable(client_id: str) -> None:
    """Disable the client CLIENT_ID for good (see `tillit clients list`).

    It gets no more tokens and cannot refresh the ones it has, and running servers
    refuse the access tokens it already holds within TILLIT_REVOCATION_SYNC_SECONDS
    (default 1 s). Recorded in the audit log (client.disable). To let the agency's
    system in again, register a new client."""
    app = _app()
    ext = app.extensions["tillit"]
    try:
        with ext.sessions() as session:
            try:
                client = ClientService(session, ext.scheme).disable(system_identity(ext.scheme), client_id)
            except CatalogueError as exc:
                _fail(exc)
            agency = client.agency
    finally:
        ext.engine.dispose()
    click.echo(f"Disabled {client_id} (agency {agency}).")


# -- keys -----------------------------------------------------------------------
@click.command("retire-expired")
@click.option(
    "--now",
    "at_once",
    is_flag=True,
    help="Retire every key that no longer signs, at once, with the tokens it signed (for "
    "keys that may have been exposed: run `tillit keys rotate` first).",
)
def keys_retire_expired(at_once: bool) -> None:
    """Remove keys that stopped signing longer ago than any token lives."""
    from api.app import create_app
    from authserver.services.security_events import record_security_event
    from security.identity import system_identity

    app = create_app()
    ext = app.extensions["tillit"]
    max_age = -1 if at_once else int(app.config["ACCESS_TOKEN_LIFETIME"]) + int(app.config["TOKEN_LEEWAY"])
    retired = ext.keys.retire_expired(max_age)
    if retired:
        with ext.sessions() as session:
            record_security_event(
                session, system_identity(ext.scheme), "key.retire", {"kids": retired}, anchor=ext.anchor
            )
    ext.engine.dispose()
    click.echo(f"Retired {len(retired)} key(s){': ' + ', '.join(retired) if retired else ''}.")


@click.command("list")
def keys_list() -> None:
    """Show the keys, oldest first; the last one signs new tokens."""
    from api.app import create_app

    app = create_app()
    for item in app.extensions["tillit"].keys.describe():
        created = datetime.fromtimestamp(int(item["iat"] or 0), UTC).isoformat()
        click.echo(f"{item['kid']}\t{created}")
