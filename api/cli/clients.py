"""``tillit clients``: register, list and disable OAuth clients of agencies
(through ``authserver``'s ClientService)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from api.cli.common import ORGNR, app_session, echo_rows, fail
from authserver.services.clients import ClientService
from catalogue.errors import CatalogueError
from security.identity import system_identity


@click.group()
def clients() -> None:
    """Manage OAuth clients of agencies."""


@clients.command("create")
@click.option("--agency", required=True, type=ORGNR, help="The owning agency's organisation number.")
@click.option("--name", required=True, help="A name for the client.")
@click.option("--scopes", required=True, help='Space-separated scopes, e.g. "catalogue:read:internal".')
@click.option("--json", "as_json", is_flag=True, help="Print client_id and client_secret as JSON.")
def clients_create(agency: str, name: str, scopes: str, as_json: bool) -> None:
    """Register a confidential client (client_secret_basic). The secret is shown once."""
    with app_session() as (ext, session):
        try:
            issued = ClientService(session, ext.scheme).create(
                system_identity(ext.scheme), agency=agency, name=name, scopes=scopes.split()
            )
        except CatalogueError as exc:
            fail(exc)
    if as_json:
        click.echo(json.dumps({"client_id": issued.client.client_id, "client_secret": issued.secret}))
    else:
        click.echo(f"client_id={issued.client.client_id}\nclient_secret={issued.secret}")


@clients.command("register")
@click.option("--agency", required=True, type=ORGNR, help="The owning agency's organisation number.")
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
    with app_session() as (ext, session):
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
            fail(exc)
    out = {"client_id": issued.client.client_id}
    if issued.secret:
        out["client_secret"] = issued.secret
    click.echo(json.dumps(out) if as_json else "\n".join(f"{k}={v}" for k, v in out.items()))


@clients.command("list")
@click.option("--agency", default=None, type=ORGNR, help="Only this agency's clients (organisation number).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a list of objects).")
def clients_list(agency: str | None, as_json: bool) -> None:
    """List OAuth clients: id, agency, name, scopes, grants, how each authenticates and
    whether it is disabled. Secrets are stored hashed and never shown.

    Lines: CLIENT_ID, AGENCY, NAME, SCOPES, then "(disabled)" for a disabled client."""
    with app_session() as (ext, session):
        try:
            found = ClientService(session, ext.scheme).list(system_identity(ext.scheme), agency)
        except CatalogueError as exc:
            fail(exc)
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
    echo_rows(
        rows,
        as_json,
        lambda r: (
            f"{r['client_id']}\t{r['agency']}\t{r['name']}\t{' '.join(r['scopes'])}"
            + ("\t(disabled)" if r["disabled"] else "")
        ),
    )


@clients.command("disable")
@click.argument("client_id")
def clients_disable(client_id: str) -> None:
    """Disable the client CLIENT_ID for good (see `tillit clients list`).

    It gets no more tokens and cannot refresh the ones it has, and running servers
    refuse the access tokens it already holds within TILLIT_REVOCATION_SYNC_SECONDS
    (default 1 s). Recorded in the audit log (client.disable). To let the agency's
    system in again, register a new client."""
    with app_session() as (ext, session):
        try:
            client = ClientService(session, ext.scheme).disable(system_identity(ext.scheme), client_id)
        except CatalogueError as exc:
            fail(exc)
        agency = client.agency
    click.echo(f"Disabled {client_id} (agency {agency}).")
