"""``tillit data-elements``: the once-only vocabulary (list it, extend it)."""

from __future__ import annotations

import json

import click
from marshmallow import ValidationError

from api.cli.common import app_session, echo_rows, fail
from catalogue.compose import entry_service
from catalogue.errors import CatalogueError
from catalogue.schemas import DataElementCreateSchema, DataElementSchema
from catalogue.services.data_elements import DataElementService
from security.identity import system_identity


@click.group("data-elements")
def data_elements() -> None:
    """The data elements entries are tagged with (who holds what, once-only)."""


@data_elements.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the elements as JSON.")
def data_elements_list(as_json: bool) -> None:
    """Every data element: key, URI and English label."""
    with app_session() as (ext, session):
        service = DataElementService(entry_service(session, ext.scheme, ext.indexer, ext.anchor))
        rows = DataElementSchema(many=True).dump(service.list_elements(system_identity(ext.scheme)))
    echo_rows(rows, as_json, lambda r: f"{r['key']}\t{r['uri']}\t{r['labels'].get('en', '')}")


@data_elements.command("add")
@click.option("--key", required=True, help="Stable key, e.g. driving-licence.")
@click.option(
    "--uri", required=True, help="Stable URI: a public vocabulary's, or urn:tillit:data-element:<key>."
)
@click.option("--vocabulary", required=True, help="Where the URI comes from, e.g. 'SEMIC Core Person 2.1.2'.")
@click.option(
    "--label", "labels", multiple=True, required=True, help="LANG=TEXT; sv, nb and en are required."
)
@click.option("--note", default=None, help="What the element covers, its close matches, its sources.")
def data_elements_add(key: str, uri: str, vocabulary: str, labels: tuple[str, ...], note: str | None) -> None:
    """Add a data element to the vocabulary."""
    pairs = [label.partition("=") for label in labels]
    if any(not sep for _lang, sep, _text in pairs):
        raise click.BadParameter(
            "Give each label as LANG=TEXT, e.g. en='driving licence'.", param_hint="--label"
        )
    raw = {
        "key": key,
        "uri": uri,
        "vocabulary": vocabulary,
        "note": note,
        "labels": {k: v for k, _s, v in pairs},
    }
    try:
        data = DataElementCreateSchema().load(raw)
    except ValidationError as exc:
        raise click.ClickException(json.dumps(exc.messages, ensure_ascii=False)) from exc
    with app_session() as (ext, session):
        service = DataElementService(entry_service(session, ext.scheme, ext.indexer, ext.anchor))
        try:
            element = service.add(system_identity(ext.scheme), data)
        except CatalogueError as exc:
            fail(exc)
        click.echo(f"Added {element.key} ({element.uri}).")
