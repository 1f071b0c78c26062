"""``tillit access``: an agency's access requests and grants, and the daily expiry notice."""

from __future__ import annotations

import json
from dataclasses import replace

import click

from api.cli.common import ORGNR, app_session, fail
from catalogue import access as rules
from catalogue.compose import entry_service
from catalogue.errors import CatalogueError
from catalogue.services.access_requests import AccessRequestService
from catalogue.services.grants import GrantService
from security.identity import system_identity


@click.group()
def access() -> None:
    """Access requests and grants (docs/access.md)."""


@access.command("requests")
@click.argument("orgnr", type=ORGNR)
@click.option("--incoming", is_flag=True, help="Requests made to the agency (its officers' queue).")
@click.option("--state", type=click.Choice(rules.STATES), help="Only requests in this state.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def access_requests(orgnr: str, incoming: bool, state: str | None, as_json: bool) -> None:
    """The access requests of the agency ORGNR (made by it, or with --incoming made to it)."""
    with app_session() as (ext, session):
        service = AccessRequestService(entry_service(session, ext.scheme, ext.indexer, ext.anchor))
        acting = replace(system_identity(ext.scheme), agency=orgnr)
        try:
            page = service.list_requests(acting, incoming=incoming, state=state, per_page=100)
        except CatalogueError as exc:
            fail(exc)
        for view in page.items:
            r = view.request
            line = {
                "id": r.id,
                "state": r.state,
                "requester": r.requester_agency,
                "provider": r.provider_agency,
                "entry": r.entry_id,
                "operations": r.operations,
                "purpose_code": r.purpose_code,
                "grant": view.grant_id,
                "blocking": [f.code for f in view.flags if f.blocking],
            }
            if as_json:
                click.echo(json.dumps(line, ensure_ascii=False))
            else:
                flags = f" blocked: {', '.join(line['blocking'])}" if line["blocking"] else ""
                click.echo(
                    f"{r.id} {r.state:<13} {r.requester_agency} -> {r.provider_agency} {r.entry_id}{flags}"
                )
    if not as_json:
        click.echo(f"{page.total} request(s).")


@access.command("grants")
@click.argument("orgnr", type=ORGNR)
@click.option("--direction", type=click.Choice(["given", "received"]), help="Only grants given or received.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def access_grants(orgnr: str, direction: str | None, as_json: bool) -> None:
    """The grants of the agency ORGNR: given (of its entries) and received."""
    with app_session() as (ext, session):
        service = GrantService(entry_service(session, ext.scheme, ext.indexer, ext.anchor))
        acting = replace(system_identity(ext.scheme), agency=orgnr)
        try:
            page = service.list_grants(acting, direction=direction, per_page=100)
        except CatalogueError as exc:
            fail(exc)
        for view in page.items:
            g = view.grant
            line = {
                "id": g.id,
                "scope": view.scope,
                "state": view.state,
                "provider": g.provider_agency,
                "subject": g.subject_agency,
                "entry": g.entry_id,
                "valid_until": g.valid_until.isoformat(),
                "disclosure_basis": g.disclosure_basis,
            }
            if as_json:
                click.echo(json.dumps(line, ensure_ascii=False))
            else:
                click.echo(
                    f"{g.id} {view.state:<8} {g.provider_agency} -> {g.subject_agency} {g.entry_id} "
                    f"until {line['valid_until']}"
                )
    if not as_json:
        click.echo(f"{page.total} grant(s).")


@access.command("notify-expiring")
def access_notify_expiring() -> None:
    """Tell both sides of each grant that ends within 30 days (once per grant; run daily)."""
    with app_session() as (ext, session):
        service = GrantService(entry_service(session, ext.scheme, ext.indexer, ext.anchor))
        count = service.notify_expiring(system_identity(ext.scheme))
    click.echo(f"Notified {count} expiring grant(s).")
