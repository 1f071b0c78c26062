"""A data service's ``dcat:endpointDescription`` is harvested as its ``openapi_url``: the
harvest records the URL and fetches nothing (its services' OpenAPI source is
``FetchLater``); ``tillit harvest openapi-due`` fetches the document afterwards, outside
any harvest transaction. The export writes the URL back (export → harvest → export keeps
it), a changed record with the same URL keeps the fetched copy, a new URL replaces it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT
from sqlalchemy import select

from catalogue.models import Entry
from catalogue.models_harvest import HarvestRecord
from tests.agencies import LANTMATERIET, SKATTEVERKET
from tests.factories import MINIMAL_OPENAPI, api_payload
from tests.integration.test_harvest import PREFIXES, _Pages, harvest, pages  # noqa: F401  (a fixture)


def _export(client: FlaskClient, headers: dict[str, str], orgnr: str) -> str:
    response = client.get(f"/api/v1/dcat/catalog?publisher={orgnr}&format=ttl&per_page=100", headers=headers)
    assert response.status_code == 200, response.data
    return response.get_data(as_text=True)


def _descriptions(turtle: str) -> set[str]:
    graph = Graph().parse(data=turtle, format="turtle")
    return {str(o) for o in graph.objects(None, DCAT.endpointDescription) if isinstance(o, URIRef)}


def _harvested(app: Flask, uri: str) -> Entry:
    with app.extensions["tillit"].sessions() as session:
        entry = session.scalars(
            select(Entry)
            .join(HarvestRecord, HarvestRecord.entry_id == Entry.id)
            .where(HarvestRecord.uri == uri)
        ).one()
        session.expunge(entry)
        return entry


def test_export_then_harvest_keeps_the_openapi_url(
    app: Flask, client: FlaskClient, token_for: Any, run_cli: Any, tmp_path: Path
) -> None:
    writer = token_for("public", agency=SKATTEVERKET, extra=("catalogue:write",))
    created = client.post("/api/v1/apis", json=api_payload(SKATTEVERKET), headers=writer)
    assert created.status_code == 201, created.json
    api_id = created.json["id"]
    copy_url = f"http://tillit.test/api/v1/apis/{api_id}/openapi"
    # An uploaded document is exported as Tillit's copy of it.
    exported = _export(client, token_for("public", agency=SKATTEVERKET), SKATTEVERKET)
    assert _descriptions(exported) == {copy_url}
    source = tmp_path / "skatteverket.ttl"
    source.write_text(exported, encoding="utf-8")
    report = harvest(run_cli, source, LANTMATERIET, "--no-submit")
    assert report["counts"]["created"] == 1, report
    entry = _harvested(app, f"http://tillit.test/api/v1/apis/{api_id}")
    # The URL is recorded; nothing was fetched during the harvest.
    assert (entry.openapi_url, entry.openapi, entry.openapi_fetched) == (copy_url, None, None)
    # Exported again by the harvesting agency: the same URL.
    assert _descriptions(_export(client, token_for("public", agency=LANTMATERIET), LANTMATERIET)) == {
        copy_url
    }


def _service(description: str, title: str = "Tjänst") -> str:
    return PREFIXES + (
        "<https://data.example.se/api/1> a dcat:DataService ;\n"
        f'  dct:title "{title}"@sv ; dct:description "Om tjänsten."@sv ;\n'
        "  dcat:endpointURL <https://api.example.se/v1> ;\n"
        f"  dcat:endpointDescription <{description}> .\n"
    )


def test_the_refresh_fetches_and_a_changed_record_keeps_or_replaces_the_copy(
    app: Flask,
    run_cli: Any,
    tmp_path: Path,
    pages: str,  # noqa: F811
) -> None:
    _Pages.pages = {"/openapi.json": json.dumps(MINIMAL_OPENAPI).encode()}
    uri = "https://data.example.se/api/1"
    source = tmp_path / "catalog.ttl"
    source.write_text(_service(f"{pages}/openapi.json"), encoding="utf-8")
    assert harvest(run_cli, source, SKATTEVERKET, "--no-submit")["counts"]["created"] == 1
    assert _harvested(app, uri).openapi is None
    # The scheduled refresh fetches the recorded URL (the entry has no copy yet).
    refreshed = run_cli("harvest", "openapi-due", "--json")
    assert refreshed.exit_code == 0, refreshed.output
    assert [json.loads(line)["error"] for line in refreshed.output.splitlines()] == [None]
    fetched = _harvested(app, uri)
    assert fetched.openapi == MINIMAL_OPENAPI and fetched.openapi_fetched is not None
    # The record changes, its URL does not: the fetched copy stays.
    source.write_text(_service(f"{pages}/openapi.json", title="Tjänsten"), encoding="utf-8")
    assert harvest(run_cli, source, SKATTEVERKET, "--no-submit")["counts"]["updated"] == 1
    kept = _harvested(app, uri)
    assert (kept.title, kept.openapi, kept.openapi_fetched) == (
        {"sv": "Tjänsten"},
        MINIMAL_OPENAPI,
        fetched.openapi_fetched,
    )
    # A new URL: recorded, the old copy let go, the refresh fetches the new one later.
    source.write_text(_service(f"{pages}/v2.json", title="Tjänsten"), encoding="utf-8")
    assert harvest(run_cli, source, SKATTEVERKET, "--no-submit")["counts"]["updated"] == 1
    moved = _harvested(app, uri)
    assert (moved.openapi_url, moved.openapi, moved.openapi_fetched) == (f"{pages}/v2.json", None, None)
