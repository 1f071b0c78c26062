"""``tillit access``: an agency's access requests and grants, and the daily expiry notice.

Each legal basis in a JSON line carries its statute's name beside its reference, in the
language of ``--lang`` (default: the statute's official language, as the API without
``Accept-Language``), named by the same ``StatuteService.name_bases`` as the API's
``/api/v1/access-requests`` and ``/api/v1/grants`` (docs/statutes.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import click

from api.cli.common import ORGNR, app_session, fail
from catalogue import access as rules
from catalogue.compose import entry_service, statute_service
from catalogue.errors import CatalogueError
from catalogue.services.access_request_views import RequestView
from catalogue.services.access_requests import AccessRequestService
from catalogue.services.common import Page
from catalogue.services.grants import GrantService, GrantView
from catalogue.services.statutes import StatuteService
from catalogue.shapes import LegalBasisSchema
from catalogue.statutes import NAME_LANGUAGES
from security.identity import Identity, system_identity

#: Items fetched a page at a time; every page is listed.
PER_PAGE = 100
T = TypeVar("T")


@click.group()
def access() -> None:
    """Access requests and grants (docs/access.md)."""


#: ``--lang``: the language statutes are named in (the API's ``?lang=``).
LANG_OPTION = click.option(
    "--lang",
    type=click.Choice(NAME_LANGUAGES),
    default=None,
    help="Name statutes in this language (default: the statute's official language).",
)
BASES = LegalBasisSchema(many=True)
Lines = list[dict[str, Any]]


def _listed(
    fetch: Callable[[int], Page[T]],
    line_of: Callable[[T], dict[str, Any]],
    text_of: Callable[[dict[str, Any]], str],
    as_json: bool,
    noun: str,
    name_bases: Callable[[Lines], object],
) -> None:
    """Every page of a listing (``fetch(page)``), a line an item: JSON (its statutes named a
    page at a time by ``name_bases``) or text, then the count."""
    number, shown = 1, 0
    while True:
        try:
            page = fetch(number)
        except CatalogueError as exc:
            fail(exc)
        lines = [line_of(item) for item in page.items]
        if as_json:
            name_bases(lines)
        for line in lines:
            click.echo(json.dumps(line, ensure_ascii=False) if as_json else text_of(line))
        shown += len(page.items)
        if not page.items or shown >= page.total:
            break
        number += 1
    if not as_json:
        click.echo(f"{page.total} {noun}(s).")


def _request_line(view: RequestView) -> dict[str, Any]:
    r = view.request
    return {
        "id": r.id,
        "state": r.state,
        "requester": r.requester_agency,
        "provider": r.provider_agency,
        "entry": r.entry_id,
        "operations": r.operations,
        "purpose_code": r.purpose_code,
        "processing_basis": BASES.dump(r.processing_basis),
        "grant": view.grant_id,
        "blocking": [f.code for f in view.flags if f.blocking],
    }


def _request_text(line: dict[str, Any]) -> str:
    flags = f" blocked: {', '.join(line['blocking'])}" if line["blocking"] else ""
    return (
        f"{line['id']} {line['state']:<13} {line['requester']} -> {line['provider']} {line['entry']}{flags}"
    )


def _grant_line(view: GrantView) -> dict[str, Any]:
    g = view.grant
    return {
        "id": g.id,
        "scope": view.scope,
        "state": view.state,
        "provider": g.provider_agency,
        "subject": g.subject_agency,
        "entry": g.entry_id,
        "valid_until": g.valid_until.isoformat(),
        "processing_basis": BASES.dump(g.processing_basis),
        "disclosure_basis": LegalBasisSchema().dump(g.disclosure_basis) if g.disclosure_basis else None,
    }


def _grant_text(line: dict[str, Any]) -> str:
    return (
        f"{line['id']} {line['state']:<8} {line['provider']} -> {line['subject']} {line['entry']} "
        f"until {line['valid_until']}"
    )


def _namer(statutes: StatuteService, acting: Identity, lang: str | None) -> Callable[[Lines], object]:
    """Names the statutes of a page of JSON lines for ``lang``, as the API does."""
    return lambda lines: statutes.name_bases(acting, lines, lang)


@access.command("requests")
@click.argument("orgnr", type=ORGNR)
@click.option("--incoming", is_flag=True, help="Requests made to the agency (its officers' queue).")
@click.option("--state", type=click.Choice(rules.STATES), help="Only requests in this state.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@LANG_OPTION
def access_requests(orgnr: str, incoming: bool, state: str | None, as_json: bool, lang: str | None) -> None:
    """The access requests of the agency ORGNR (made by it, or with --incoming made to it)."""
    with app_session() as (ext, session):
        service = AccessRequestService(entry_service(session, ext.scheme, ext.indexer, ext.anchor))
        acting = replace(system_identity(ext.scheme), agency=orgnr)
        _listed(
            lambda n: service.list_requests(
                acting, incoming=incoming, state=state, page=n, per_page=PER_PAGE
            ),
            _request_line,
            _request_text,
            as_json,
            "request",
            _namer(statute_service(session, ext.indexer, ext.anchor), acting, lang),
        )


@access.command("grants")
@click.argument("orgnr", type=ORGNR)
@click.option("--direction", type=click.Choice(["given", "received"]), help="Only grants given or received.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@LANG_OPTION
def access_grants(orgnr: str, direction: str | None, as_json: bool, lang: str | None) -> None:
    """The grants of the agency ORGNR: given (of its entries) and received."""
    with app_session() as (ext, session):
        service = GrantService(entry_service(session, ext.scheme, ext.indexer, ext.anchor))
        acting = replace(system_identity(ext.scheme), agency=orgnr)
        _listed(
            lambda n: service.list_grants(acting, direction=direction, page=n, per_page=PER_PAGE),
            _grant_line,
            _grant_text,
            as_json,
            "grant",
            _namer(statute_service(session, ext.indexer, ext.anchor), acting, lang),
        )


@access.command("notify-expiring")
def access_notify_expiring() -> None:
    """Tell both sides of each grant that ends within 30 days (once per grant; run daily)."""
    with app_session() as (ext, session):
        service = GrantService(entry_service(session, ext.scheme, ext.indexer, ext.anchor))
        count = service.notify_expiring(system_identity(ext.scheme))
    click.echo(f"Notified {count} expiring grant(s).")
