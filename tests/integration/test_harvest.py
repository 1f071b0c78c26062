"""``tillit harvest``: the official DCAT-AP-SE and DCAT-AP-NO examples (tests/data/dcat,
ORIGIN.md) and hand-written catalogues, harvested into entries through the services.

What each official example gives:

- ``rekommenderat.ttl`` / ``.rdf`` (DIGG, recommended properties): two entries. The
  dataset "Bibliotek i Sverige" / "Libraries in Sweden" (sv, en) with its description,
  keywords (bibliotek / library), theme EDUC, temporal 2010-01-01..2012-01-01, contact
  point with email, the CC0 licence, two distributions (CSV download, JSON API) and
  classification public (accessRights PUBLIC); the data service "API exempel" with its
  endpoint, serving that dataset (its distribution names the service as accessService),
  described by its title (the example gives no description: a note says so).
- ``obligatoriskt.ttl`` / ``.rdf`` (DIGG, mandatory properties): the dataset
  "Matvaruaffärer i Sverige" with one distribution and a contact point, and the data
  service "Exempel API"; no accessRights, so the lowest level is proposed, with a note.
- ``DCAT-AP-NO2.0-examples.ttl`` (Digdir): one dataset, "Bygninger - et eksempeldatasett" /
  "Buildings - an example dataset" (nb, en), theme GOVE.
- ``dataset-series-example.ttl`` (Digdir): the three yearly budget datasets (2018-2020,
  en, theme ECON); the series itself is not an entry (Tillit has no series).
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from flask import Flask
from sqlalchemy import func, select

from catalogue.models import AuditEvent, Entry, OutboxEvent, Review
from catalogue.models_harvest import HarvestRecord, HarvestState
from tests.agencies import SKATTEETATEN, SKATTEVERKET

DATA = Path(__file__).resolve().parent.parent / "data" / "dcat"
EU = "http://publications.europa.eu/resource/authority/"
PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix cpsv: <http://purl.org/vocab/cpsv#> .
@prefix dcatap: <http://data.europa.eu/r5r/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
"""


def harvest(run_cli: Callable[..., Any], source: str | Path, publisher: str, *extra: str) -> dict[str, Any]:
    result = run_cli("harvest", str(source), "--publisher", publisher, "--json", *extra)
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


def entries(app: Flask) -> dict[str, Entry]:
    """The harvested entries by their source URI."""
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        rows = session.execute(
            select(HarvestRecord.uri, Entry).join(Entry, Entry.id == HarvestRecord.entry_id)
        )
        found = {}
        for uri, entry in rows:
            _ = (entry.legal_bases, entry.distributions, entry.served_dataset_ids)  # loaded while open
            found[uri] = entry
        return found


def counted(app: Flask, model: Any) -> int:
    with app.extensions["tillit"].sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_recommended_se_example_gives_its_dataset_and_service(app: Flask, run_cli: Any) -> None:
    report = harvest(run_cli, DATA / "rekommenderat.ttl", SKATTEVERKET, "--profile", "dcat-ap-se")
    assert report["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "retired": 0, "rejected": 0}
    found = entries(app)
    dataset = found["https://example.com/dataset1"]
    assert dataset.type == "dataset" and dataset.publisher == SKATTEVERKET
    assert dataset.title == {"sv": "Bibliotek i Sverige", "en": "Libraries in Sweden"}
    assert dataset.description == {"sv": "Plats och öppettider för alla bibliotek i Sverige"}
    assert dataset.keywords == {"sv": ["bibliotek"], "en": ["library"]}
    assert dataset.themes == ["EDUC"]
    assert (str(dataset.temporal_start), str(dataset.temporal_end)) == ("2010-01-01", "2012-01-01")
    assert dataset.contact_point == {
        "name": "Öppna data gruppen på exempel organisationen",
        "email": "oppnadata@exemple.com",
        "url": None,
    }
    assert dataset.licence == "http://creativecommons.org/publicdomain/zero/1.0/"
    assert sorted((d.access_url, d.download_url, d.media_type) for d in dataset.distributions) == [
        ("http://example.com/api", None, "application/json"),
        ("http://example.com/download", "http://example.com/download", "text/csv"),
    ]
    # Proposed, never published: the harvest submits every entry for review.
    assert (dataset.classification, dataset.status) == ("public", "in_review")
    service = found["https://example.com/dataservice1"]
    assert service.type == "api" and service.title == {"sv": "API exempel"}
    assert service.endpoint_urls == ["http://example.com/api"]
    assert service.served_dataset_ids == [dataset.id]
    assert service.status == "in_review"
    assert report["notes"] == [
        {
            "uri": "https://example.com/dataservice1",
            "notes": ["description: the source gives none; the title stands in."],
        }
    ]
    assert len(report["reviews"]) == 2 and counted(app, Review) == 2


def test_turtle_and_rdf_xml_of_one_example_give_the_same_entries(
    app: Flask, run_cli: Any, tmp_path: Path
) -> None:
    shutil.copy(DATA / "obligatoriskt.ttl", tmp_path / "catalog.ttl")
    first = harvest(run_cli, tmp_path / "catalog.ttl", SKATTEVERKET, "--profile", "dcat-ap-se")
    assert first["counts"]["created"] == 2
    dataset = entries(app)["https://example.com/dataset1"]
    assert dataset.title == {"sv": "Matvaruaffärer i Sverige"}
    assert [d.access_url for d in dataset.distributions] == ["http://example.com/api"]
    # The same catalogue as RDF/XML, from the same place: nothing to change.
    (tmp_path / "catalog.ttl").unlink()
    shutil.copy(DATA / "obligatoriskt.rdf", tmp_path / "catalog.ttl")
    second = harvest(run_cli, tmp_path / "catalog.ttl", SKATTEVERKET, "--profile", "dcat-ap-se")
    # The RDF/XML names the publisher "Exampel organization." (a full stop the Turtle has
    # not), which Tillit does not keep: the entries are the same.
    assert second["counts"] == {"created": 0, "updated": 0, "unchanged": 2, "retired": 0, "rejected": 0}


def test_the_norwegian_examples(app: Flask, run_cli: Any) -> None:
    report = harvest(run_cli, DATA / "DCAT-AP-NO2.0-examples.ttl", SKATTEETATEN, "--profile", "dcat-ap-no")
    assert report["counts"]["created"] == 1
    buildings = entries(app)["https://examples.org/dcatno_Examples#dsBuildings"]
    assert buildings.title == {
        "en": "Buildings - an example dataset",
        "nb": "Bygninger - et eksempeldatasett",
    }
    assert buildings.description == {"en": "An example dataset.", "nb": "Et eksempeldatasett."}
    assert buildings.themes == ["GOVE"]
    series = harvest(run_cli, DATA / "dataset-series-example.ttl", SKATTEETATEN, "--profile", "dcat-ap-no")
    assert series["counts"]["created"] == 3
    budget = {u: e for u, e in entries(app).items() if "budget" in u}
    assert sorted(budget) == [f"http://example.org/budget-{y}" for y in (2018, 2019, 2020)]
    assert budget["http://example.org/budget-2019"].title == {"en": "Budget data for year 2019"}
    assert all(e.themes == ["ECON"] for e in budget.values())
    # Another source of the same agency: the first one's entry is not retired by it.
    assert buildings.id in {e.id for e in entries(app).values() if e.status == "in_review"}


# Batches of savepoints and the audit chain's lock differ by database.
@pytest.mark.both_databases
def test_harvesting_twice_changes_nothing(app: Flask, run_cli: Any) -> None:
    harvest(run_cli, DATA / "rekommenderat.ttl", SKATTEVERKET, "--profile", "dcat-ap-se")
    before = (counted(app, AuditEvent), counted(app, OutboxEvent), counted(app, Review))
    revisions = {u: e.revision for u, e in entries(app).items()}
    again = harvest(run_cli, DATA / "rekommenderat.ttl", SKATTEVERKET, "--profile", "dcat-ap-se")
    assert again["counts"] == {"created": 0, "updated": 0, "unchanged": 2, "retired": 0, "rejected": 0}
    assert (counted(app, AuditEvent), counted(app, OutboxEvent), counted(app, Review)) == before
    assert {u: e.revision for u, e in entries(app).items()} == revisions
    # The batches' events are chained and the anchor names the committed head.
    verified = run_cli("audit", "verify")
    assert verified.exit_code == 0, verified.output


def _catalogue(*datasets: str) -> str:
    return PREFIXES + "\n".join(datasets)


def _dataset(n: int, title: str = "Datamängd", extra: str = "") -> str:
    return (
        f"<https://data.example.se/ds/{n}> a dcat:Dataset ;\n"
        f'  dct:title "{title} {n}"@sv ; dct:description "Om {n}."@sv ;\n'
        f"  dct:accessRights <{EU}access-right/PUBLIC> {extra} .\n"
    )


# Batches of savepoints and the audit chain's lock differ by database.
@pytest.mark.both_databases
def test_changed_records_are_updated_and_gone_ones_retired(app: Flask, run_cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "catalog.ttl"
    source.write_text(_catalogue(_dataset(1), _dataset(2), _dataset(3)))
    assert harvest(run_cli, source, SKATTEVERKET)["counts"]["created"] == 3
    ids = {u: e.id for u, e in entries(app).items()}
    source.write_text(_catalogue(_dataset(1, "Ny titel"), _dataset(2)))
    report = harvest(run_cli, source, SKATTEVERKET, "--no-submit")
    assert report["counts"] == {"created": 0, "updated": 0, "unchanged": 1, "retired": 1, "rejected": 1}
    # An entry in review is frozen: its change waits, and is harvested after the decision.
    assert report["rejected"] == [
        {
            "uri": "https://data.example.se/ds/1",
            "reasons": {"status": ["The entry is in review; its change is harvested after the decision."]},
        }
    ]
    found = entries(app)
    assert found["https://data.example.se/ds/3"].status == "retired"  # kept, never erased
    assert {u: e.id for u, e in found.items()} == ids


def test_a_draft_is_updated_with_a_new_revision(app: Flask, run_cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "catalog.ttl"
    source.write_text(_catalogue(_dataset(1)))
    harvest(run_cli, source, SKATTEVERKET, "--no-submit")
    before = entries(app)["https://data.example.se/ds/1"]
    assert (before.status, before.revision) == ("draft", 1)
    source.write_text(_catalogue(_dataset(1, "Ny titel", '; dcat:keyword "skatt"@sv')))
    report = harvest(run_cli, source, SKATTEVERKET, "--no-submit")
    assert report["counts"]["updated"] == 1
    after = entries(app)["https://data.example.se/ds/1"]
    assert after.title == {"sv": "Ny titel 1"} and after.keywords == {"sv": ["skatt"]}
    assert after.revision == 2 and after.id == before.id
    # The source dropping the keyword drops it here too (a harvested field is the source's).
    source.write_text(_catalogue(_dataset(1, "Ny titel")))
    harvest(run_cli, source, SKATTEVERKET, "--no-submit")
    assert entries(app)["https://data.example.se/ds/1"].keywords == {}


NO_RULES = """
  cpsv:follows [ a cpsv:Rule ; dct:type <https://data.norge.no/vocabulary/rule-type#ruleForNonDisclosure> ;
      cpsv:implements <https://lovdata.no/NL/lov/2006-05-19-16/§13> ] ,
    [ a cpsv:Rule ; dct:type <https://data.norge.no/vocabulary/rule-type#ruleForDataProcessing> ;
      cpsv:implements <https://lovdata.no/NL/lov/2016-12-09-88/§1-1> ] ;
  dcatap:applicableLegislation <http://data.europa.eu/eli/reg/2016/679/oj>,
    <https://example.org/some-law-we-do-not-know> ;
"""


# Batches of savepoints and the audit chain's lock differ by database.
@pytest.mark.both_databases
def test_legal_bases_by_role_and_access_rights_proposed_for_review(
    app: Flask, run_cli: Any, tmp_path: Path
) -> None:
    source = tmp_path / "catalog.ttl"
    restricted = (
        "<https://data.example.no/ds/folkeregister> a dcat:Dataset ;\n"
        '  dct:title "Folkeregisteret"@nb ; dct:description "Opplysninger om personer."@nb ;\n'
        + NO_RULES
        + f"  dct:accessRights <{EU}access-right/NON_PUBLIC> .\n"
    )
    bare = (
        "<https://data.example.no/ds/bare> a dcat:Dataset ;\n"
        '  dct:title "Uten hjemmel"@nb ; dct:description "Ingen lov."@nb ;\n'
        f"  dct:accessRights <{EU}access-right/NON_PUBLIC> .\n"
    )
    source.write_text(_catalogue(restricted, bare))
    report = harvest(run_cli, source, SKATTEETATEN, "--profile", "dcat-ap-no")
    assert report["counts"]["created"] == 1 and report["counts"]["rejected"] == 1
    # Rejected field by field: above the lowest level needs a restriction basis.
    assert report["rejected"][0]["uri"] == "https://data.example.no/ds/bare"
    assert list(report["rejected"][0]["reasons"]) == ["legal_basis"]
    entry = entries(app)["https://data.example.no/ds/folkeregister"]
    assert [(b.role, b.jurisdiction, b.reference, b.provision) for b in entry.legal_bases] == [
        ("restriction", "NO", "LOV-2006-05-19-16", "§ 13"),
        ("processing", "NO", "LOV-2016-12-09-88", "§ 1-1"),
        ("processing", "EU", "32016R0679", None),
    ]
    # NON_PUBLIC proposes the lowest level exported as NON_PUBLIC (sensitive), for review:
    assert (entry.classification, entry.status) == ("sensitive", "in_review")
    # What cannot be recognised is kept and reported, never dropped.
    note = (
        "legal_basis (processing): applicableLegislation names no statute Tillit recognises "
        "(https://example.org/some-law-we-do-not-know)."
    )
    assert {"uri": "https://data.example.no/ds/folkeregister", "notes": [note]} in report["notes"]
    with app.extensions["tillit"].sessions() as session:
        kept = session.scalar(select(HarvestRecord.notes).where(HarvestRecord.entry_id == entry.id))
    assert kept == [note]


def test_shapes_are_checked_as_for_any_input(app: Flask, run_cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "catalog.ttl"
    source.write_text(
        _catalogue(
            _dataset(1, extra="; dcat:distribution [ dcat:accessURL <file:///etc/passwd> ]"),
            '<https://data.example.se/ds/untitled> a dcat:Dataset ; dct:description "x"@sv .',
        )
    )
    report = harvest(run_cli, source, SKATTEVERKET)
    assert report["counts"]["rejected"] == 2
    reasons = {r["uri"]: r["reasons"] for r in report["rejected"]}
    assert "distributions" in reasons["https://data.example.se/ds/1"]
    assert reasons["https://data.example.se/ds/untitled"] == {
        "title": ["The source gives no title in sv, nb, nn or en."]
    }
    assert counted(app, Entry) == 0
    # A harvest with rejections is not "clean": the same bytes are read and tried again.
    assert harvest(run_cli, source, SKATTEVERKET)["counts"]["rejected"] == 2


def test_an_unchanged_source_after_a_clean_harvest_is_not_read_again(app: Flask, run_cli: Any) -> None:
    harvest(run_cli, DATA / "rekommenderat.ttl", SKATTEVERKET, "--profile", "dcat-ap-se")
    with app.extensions["tillit"].sessions() as session:
        state = session.scalars(select(HarvestState)).one()
        assert (state.pages, state.clean) == (1, True)
    again = harvest(run_cli, DATA / "rekommenderat.ttl", SKATTEVERKET, "--profile", "dcat-ap-se")
    assert again["counts"]["unchanged"] == 2
    # Another profile reads the bytes differently (untagged text): they are read again.
    other = harvest(run_cli, DATA / "rekommenderat.ttl", SKATTEVERKET, "--profile", "dcat-ap-no")
    assert other["counts"]["unchanged"] == 2 and other["notes"]


def test_a_malformed_source_fails_clearly_and_changes_nothing(
    app: Flask, run_cli: Any, tmp_path: Path
) -> None:
    source = tmp_path / "catalog.ttl"
    source.write_text(_catalogue(_dataset(1)))
    harvest(run_cli, source, SKATTEVERKET)
    before = (counted(app, Entry), counted(app, AuditEvent))
    source.write_text(_catalogue(_dataset(1)) + "<https://broken")
    result = run_cli("harvest", str(source), "--publisher", SKATTEVERKET)
    assert result.exit_code == 1
    assert "The source is not valid Turtle." in result.output
    assert (counted(app, Entry), counted(app, AuditEvent)) == before
    assert entries(app)["https://data.example.se/ds/1"].status == "in_review"  # not retired


def test_an_unknown_publisher_is_a_clear_error(app: Flask, run_cli: Any) -> None:
    result = run_cli("harvest", str(DATA / "obligatoriskt.ttl"), "--publisher", "202100-6255")
    assert result.exit_code == 1 and "No agency with that organisation number" in result.output


def test_json_ld_with_an_inline_context(app: Flask, run_cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "catalog.jsonld"
    source.write_text(
        json.dumps(
            {
                "@context": {"dct": "http://purl.org/dc/terms/", "dcat": "http://www.w3.org/ns/dcat#"},
                "@graph": [
                    {
                        "@id": "https://data.example.se/ds/j",
                        "@type": "dcat:Dataset",
                        "dct:title": {"@value": "JSON-LD", "@language": "sv"},
                        "dct:description": {"@value": "Läst som JSON-LD.", "@language": "sv"},
                    }
                ],
            }
        )
    )
    assert harvest(run_cli, source, SKATTEVERKET)["counts"]["created"] == 1
    assert entries(app)["https://data.example.se/ds/j"].title == {"sv": "JSON-LD"}


# -- over the network: through the safe fetcher, Hydra paging ---------------------------
class _Pages(BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, bytes]] = {}
    delay: ClassVar[float] = 0.0

    def do_GET(self) -> None:
        time.sleep(type(self).delay)
        body = type(self).pages.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/turtle")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        return None


class _Quiet(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # a client that gave up (the timeout test) is the point, not an error


@pytest.fixture
def pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    _Pages.pages, _Pages.delay = {}, 0.0
    server = _Quiet(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # Plain http to this loopback host only: what the outbound rules allow tests.
    monkeypatch.setenv("TILLIT_OUTBOUND_HTTP_HOSTS", "127.0.0.1")
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def _page(base: str, n: int, following: int | None) -> bytes:
    view = ""
    if following is not None:
        view = (
            f"<{base}/catalog?page={n}> a hydra:PartialCollectionView ;"
            f" hydra:next <{base}/catalog?page={following}> .\n"
        )
    return (_catalogue(_dataset(n)) + view).encode()


def test_hydra_pages_are_followed(app: Flask, run_cli: Any, pages: str) -> None:
    _Pages.pages = {
        "/catalog": _page(pages, 1, 2),
        "/catalog?page=2": _page(pages, 2, 3),
        "/catalog?page=3": _page(pages, 3, None),
    }
    report = harvest(run_cli, f"{pages}/catalog", SKATTEVERKET)
    assert report["pages"] == 3 and report["counts"]["created"] == 3


def test_a_slow_or_large_source_fails_and_changes_nothing(
    app: Flask, run_cli: Any, pages: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _Pages.pages = {"/catalog": _page(pages, 1, 2), "/catalog?page=2": _page(pages, 2, None) + b"#" * 5000}
    monkeypatch.setenv("TILLIT_HARVEST_MAX_BYTES", "2000")
    result = run_cli("harvest", f"{pages}/catalog", "--publisher", SKATTEVERKET)
    assert result.exit_code == 1 and "larger than 2000 bytes" in result.output
    assert counted(app, Entry) == 0  # the first page was read, and nothing written
    monkeypatch.setenv("TILLIT_HARVEST_MAX_BYTES", "100000")
    monkeypatch.setenv("TILLIT_HARVEST_TIMEOUT_SECONDS", "0.5")
    _Pages.delay = 2.0
    result = run_cli("harvest", f"{pages}/catalog", "--publisher", SKATTEVERKET)
    assert result.exit_code == 1 and "did not arrive in time" in result.output
    assert counted(app, Entry) == 0


def test_a_url_outside_the_outbound_rules_is_refused(app: Flask, run_cli: Any) -> None:
    result = run_cli("harvest", "https://10.1.2.3/catalog.ttl", "--publisher", SKATTEVERKET)
    assert result.exit_code == 1 and "private address" in result.output
