"""``tillit agencies``: register agencies."""

from __future__ import annotations

import json

import click
from marshmallow import ValidationError

from api.cli.common import app_session, fail
from catalogue.errors import CatalogueError
from catalogue.schemas import AgencyCreateSchema, AgencySchema
from catalogue.services.agencies import AgencyService
from security.identity import system_identity


@click.group()
def agencies() -> None:
    """Manage agencies."""


@agencies.command("create")
@click.option("--orgnr", required=True, help="Organisation number, e.g. 202100-5448.")
@click.option("--name", required=True, help="The agency's name.")
@click.option("--country", required=True, type=click.Choice(["SE", "NO", "FI", "DK"]))
@click.option("--clearance", default=None, help="Highest level its clients may get (default: lowest).")
@click.option(
    "--lang", default=None, help="Language of --name (default: sv for SE, nb for NO, en otherwise)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the agency as JSON.")
def agencies_create(
    orgnr: str, name: str, country: str, clearance: str | None, lang: str | None, as_json: bool
) -> None:
    """Register an agency."""
    language = lang or {"SE": "sv", "NO": "nb"}.get(country, "en")
    try:
        data = AgencyCreateSchema().load(
            {"orgnr": orgnr, "name": {language: name}, "country": country, "clearance": clearance}
        )
    except ValidationError as exc:
        raise click.ClickException(json.dumps(exc.messages, ensure_ascii=False)) from exc
    with app_session() as (ext, session):
        try:
            agency = AgencyService(session, ext.scheme).create(system_identity(ext.scheme), data)
        except CatalogueError as exc:
            fail(exc)
        out = AgencySchema().dump(agency)
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        click.echo(f"Registered {out['orgnr']} ({name}), clearance {out['clearance']}.")
