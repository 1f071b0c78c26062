"""``tillit sharing``: what an agency's entries may share, and under which law."""

from __future__ import annotations

import json
from typing import Any

import click

from api.cli.common import app_session, fail
from catalogue.compose import entry_service
from catalogue.errors import CatalogueError
from catalogue.orgnr import OrgnrError, normalise_orgnr
from catalogue.services.common import MAX_PER_PAGE
from catalogue.services.sharing import SharingService
from security.identity import system_identity

_HEADINGS = {
    "open": "Open (lowest level: anyone may read it)",
    "shareable": "Shareable (cites a disclosure basis)",
    "no_disclosure_basis": "No disclosure basis (sharing needs a new legal basis, a consent or a decision)",
}


@click.group()
def sharing() -> None:
    """Sharing status: which entries cite a legal basis for giving their data to another agency."""


@sharing.command("report")
@click.argument("orgnr")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (as the API gives it).")
def sharing_report(orgnr: str, as_json: bool) -> None:
    """The entries of the agency ORGNR (e.g. 202100-5448 or 974761076) grouped by
    sharing status (open, shareable, no_disclosure_basis), with the statutes and
    provisions they cite: the list to take to a legal department, or to the ministry
    when a law must change. Run on the server, it sees every entry but retired ones
    (GET /api/v1/agencies/ORGNR/sharing gives the same report to the agency's own
    people, within their clearance)."""
    try:
        number = normalise_orgnr(None, orgnr)
    except OrgnrError as exc:
        raise click.BadParameter(str(exc), param_hint="ORGNR") from exc
    with app_session() as (ext, session):
        service = SharingService(entry_service(session, ext.scheme, ext.indexer, ext.anchor))
        identity = system_identity(ext.scheme)
        items: list[dict[str, Any]] = []
        page_number = 1
        try:
            while True:  # every page: the command prints the whole report
                page = service.report(identity, number, page=page_number, per_page=MAX_PER_PAGE).as_dict()
                items += page["items"]
                if page_number * MAX_PER_PAGE >= page["total"]:
                    break
                page_number += 1
        except CatalogueError as exc:
            fail(exc)
    report = {"agency": page["agency"], "total": len(items), "groups": page["groups"], "items": items}
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    click.echo(f"Sharing report for {report['agency']}: {report['total']} entries.")
    for group in report["groups"]:
        click.echo("")
        click.echo(f"{_HEADINGS[group['status']]}: {group['count']}")
        for entry in items:
            if entry["sharing_status"] != group["status"]:
                continue
            click.echo(
                f"  - {_title(entry['title'])} [{entry['classification']}, {entry['status']}] {entry['id']}"
            )
        for statute in group["statutes"]:
            provisions = ", ".join(f"{p['provision']} ({p['role']})" for p in statute["provisions"])
            line = f"    {statute['jurisdiction']} {statute['reference']}"
            click.echo(
                f"{line}: {provisions or 'no provision'}; {statute['entries']} entries; {statute['url']}"
            )


def _title(title: dict[str, Any]) -> str:
    return next((title[lang] for lang in ("en", "sv", "nb", "nn") if title.get(lang)), "")
