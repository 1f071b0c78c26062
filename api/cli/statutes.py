"""``tillit statutes``: the statute register (names and links of the laws entries cite)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from marshmallow import ValidationError

from api.cli.common import app_session, echo_rows, fail
from catalogue.compose import statute_service
from catalogue.errors import CatalogueError
from catalogue.legal import JURISDICTIONS
from catalogue.statute_schemas import StatuteCreateSchema, StatuteSchema
from catalogue.statutes import NAME_LANGUAGES, SEED_FILE, label
from security.identity import system_identity


@click.group()
def statutes() -> None:
    """The statute register: each statute by jurisdiction and reference, with its
    official names and short names in sv, nb, nn and en and the link to its official
    text. Entries cite statutes by reference; the register names them in responses
    and search. Changes reindex the entries citing the statute (run `tillit index
    sync` if no server is running)."""


@statutes.command("list")
@click.option(
    "--jurisdiction", type=click.Choice(JURISDICTIONS), default=None, help="Only this jurisdiction."
)
@click.option(
    "--lang",
    type=click.Choice(NAME_LANGUAGES),
    default=None,
    help="Show names in this language (default: official).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the statutes as JSON, all fields.")
def statutes_list(jurisdiction: str | None, lang: str | None, as_json: bool) -> None:
    """List the register: reference, short name and name."""
    rows = []
    with app_session() as (ext, session):
        service = statute_service(session, ext.indexer, ext.anchor)
        identity = system_identity(ext.scheme)
        page_number = 1
        while True:
            page = service.list_statutes(identity, jurisdiction=jurisdiction, page=page_number, per_page=100)
            rows += [StatuteSchema().dump(s) for s in page.items]
            if page_number * page.per_page >= page.total:
                break
            page_number += 1

    def line(row: dict[str, Any]) -> str:
        shown = label(row["jurisdiction"], row["names"], row["short_names"], lang)
        short = f" ({shown.short_name})" if shown and shown.short_name else ""
        return f"{row['jurisdiction']} {row['reference']}{short}  {shown.name if shown else ''}"

    echo_rows(rows, as_json, line)


@statutes.command("add")
@click.argument("jurisdiction", type=click.Choice(JURISDICTIONS))
@click.argument("reference")
@click.option(
    "--name",
    "names",
    multiple=True,
    required=True,
    metavar="LANG=NAME",
    help='Official name in one language, e.g. --name "sv=Offentlighets- och sekretesslag (2009:400)". '
    "Repeat per language.",
)
@click.option(
    "--short",
    "shorts",
    multiple=True,
    metavar="LANG=SHORT",
    help="A short name in one language, e.g. --short sv=OSL. "
    "Repeat for more; the first per language is shown.",
)
@click.option("--url", default=None, help="Link to the official text (default: derived from the reference).")
@click.option("--note", default=None, help="A note, e.g. which act replaced it.")
@click.option("--source", default=None, help="Where the names and link were checked.")
@click.option("--json", "as_json", is_flag=True, help="Print the statute as JSON.")
def statutes_add(
    jurisdiction: str,
    reference: str,
    names: tuple[str, ...],
    shorts: tuple[str, ...],
    url: str | None,
    note: str | None,
    source: str | None,
    as_json: bool,
) -> None:
    """Add a statute: JURISDICTION (SE, NO, EU) and REFERENCE (SFS number such as
    2009:400, Lovdata id such as LOV-2016-05-27-14, CELEX number such as 32016R0679)."""
    short_names: dict[str, list[str]] = {}
    for lang, short in map(_pair, shorts):
        short_names.setdefault(lang, []).append(short)
    raw = {
        "jurisdiction": jurisdiction,
        "reference": reference,
        "names": dict(map(_pair, names)),
        "short_names": short_names,
        "url": url,
        "note": note,
        "source": source,
    }
    try:
        data = StatuteCreateSchema().load(raw)
    except ValidationError as exc:
        raise click.ClickException(json.dumps(exc.messages, ensure_ascii=False)) from exc
    with app_session() as (ext, session):
        try:
            statute = statute_service(session, ext.indexer, ext.anchor).create(
                system_identity(ext.scheme), data
            )
        except CatalogueError as exc:
            fail(exc)
        out = StatuteSchema().dump(statute)
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        click.echo(f"Added {out['jurisdiction']} {out['reference']}.")


@statutes.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.option(
    "--replace", is_flag=True, help="Overwrite statutes the register has (default: only add new ones)."
)
def statutes_load(path: Path | None, replace: bool) -> None:
    """Load statutes from a JSON file (default: the packaged seed, which migration 0007
    loaded): a list of {jurisdiction, reference, names, short_names, url, note, source}."""
    try:
        records = json.loads((path or SEED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"Cannot read the file: {exc}") from exc
    with app_session() as (ext, session):
        try:
            added, replaced = statute_service(session, ext.indexer, ext.anchor).load(
                system_identity(ext.scheme),
                records if isinstance(records, list) else [records],
                replace=replace,
            )
        except CatalogueError as exc:
            fail(exc)
    click.echo(f"Added {added} statutes, replaced {replaced}.")


def _pair(value: str) -> tuple[str, str]:
    lang, sep, text = value.partition("=")
    if not sep or lang not in NAME_LANGUAGES or not text.strip():
        raise click.BadParameter(f"Expected LANG=TEXT with LANG one of {', '.join(NAME_LANGUAGES)}.")
    return lang, text.strip()
