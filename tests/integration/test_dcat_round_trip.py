"""Issue 18's round trip: the demo catalogue exported in each profile over HTTP, and
harvested into an empty instance, reproduces every public entry.

The source is the demo, served on a loopback port (the only place the outbound rules let
a test reach, ``TILLIT_OUTBOUND_HTTP_HOSTS``) and read anonymously, as a national portal
reads it. For each profile, a new instance holding only the demo's agencies harvests each
agency's own catalogue (``GET /api/v1/dcat/catalog?publisher=ORGNR&profile=…``) with
``tillit harvest URL --publisher ORGNR``, through the safe fetcher and following Hydra
paging (pages of 2 entries, so every agency with more than two spans pages).

For every public published entry of the demo, the harvested entry has the same type,
titles, descriptions, themes, legal bases as (role, jurisdiction, reference, provision),
and the proposed classification public, in review. Keywords, update frequency and spatial
coverage are compared too, since they travel the same way.

Exceptions, principled and said in docs/dcat.md: none for public entries. Entries the
export shows as summaries (listed publicly, classified higher) are harvested with the
access right they carry and no restriction basis (a summary has none), so the harvest
rejects them (an entry above the lowest level must cite one): that is the rule that a
harvest never makes a restricted entry out of less than its basis, and it is asserted
below rather than hidden.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from rdflib import Graph, Namespace
from sqlalchemy import select
from werkzeug.serving import make_server

import api.cli
from api.app import create_app
from catalogue.models import Agency, Entry
from catalogue.models_harvest import HarvestRecord
from catalogue.services.agencies import AgencyService
from security.identity import system_identity
from security.keys import KEYS_FILE
from tests.conftest import copy_demo, fetch_token, register_client

PROFILES = ("dcat-ap", "dcat-ap-se", "dcat-ap-no")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
pytestmark = pytest.mark.xdist_group("dcat_round_trip")  # the module-wide source and harvests, made once


def _app(
    folder: Path, sqlite_template: Path, signing_keys: Path, issuer: str, demo: Path | None = None
) -> Flask:
    """An app on a copy of the migrated template, or of the ``demo`` template."""
    instance = folder / "instance"
    instance.mkdir(parents=True)
    shutil.copy(signing_keys, instance / KEYS_FILE)
    settings = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{folder / 'tillit.db'}",
        "ISSUER": issuer,
        "TESTING": True,
    }
    if demo is None:
        shutil.copy(sqlite_template, folder / "tillit.db")
    else:
        copy_demo(demo, settings)
    return create_app(settings)


def _close(app: Flask) -> None:
    ext = app.extensions["tillit"]
    if ext.search is not None:
        ext.search.close()
    ext.refusals.close()
    if ext.read_log.writer is not None:
        ext.read_log.writer.close()
    ext.engine.dispose()


def _facts(entry: Entry) -> dict[str, Any]:
    """What the round trip must keep of an entry."""
    return {
        "type": entry.type,
        "title": entry.title,
        "description": entry.description,
        "keywords": {k: sorted(v) for k, v in (entry.keywords or {}).items()},
        "themes": sorted(entry.themes or []),
        "update_frequency": entry.update_frequency,
        "spatial": entry.spatial,
        "legal_bases": sorted(
            (b.role, b.jurisdiction, b.reference, b.provision or "") for b in entry.legal_bases
        ),
    }


@pytest.fixture(scope="module")
def source(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, signing_keys: Path, demo_template: Path
) -> Iterator[tuple[str, dict[str, dict[str, Any]], dict[str, str], list[dict[str, Any]], Flask]]:
    """The demo served over HTTP: its base URL, the public entries' facts by their DCAT
    URI, each public entry's publisher by URI, the demo's agencies, and the app."""
    app_holder: dict[str, Flask] = {}
    server = make_server("127.0.0.1", 0, lambda env, start: app_holder["app"](env, start), threaded=True)
    base = f"http://127.0.0.1:{server.port}"
    app = _app(tmp_path_factory.mktemp("source"), sqlite_template, signing_keys, base, demo_template)
    app_holder["app"] = app
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        public = session.scalars(
            select(Entry).where(Entry.classification == "public", Entry.status == "published")
        ).all()
        kinds = {"dataset": "datasets", "api": "apis"}
        facts = {f"{base}/api/v1/{kinds[e.type]}/{e.id}": _facts(e) for e in public}
        publishers = {f"{base}/api/v1/{kinds[e.type]}/{e.id}": e.publisher for e in public}
        agencies = [
            {"orgnr": a.orgnr, "country": a.country, "name": a.name, "clearance": a.clearance}
            for a in session.scalars(select(Agency))
        ]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, facts, publishers, agencies, app
    finally:
        server.shutdown()
        _close(app)


def _target(folder: Path, sqlite_template: Path, signing_keys: Path, agencies: list[dict[str, Any]]) -> Flask:
    """An empty instance that knows the demo's agencies, and nothing else."""
    app = _app(folder, sqlite_template, signing_keys, "http://tillit.test")
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        service = AgencyService(session, ext.scheme)
        for agency in agencies:
            service.create(system_identity(ext.scheme), agency)
    return app


def _cli(app: Flask) -> Callable[..., Any]:
    def run(*args: str) -> Any:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("TILLIT_INSTANCE_PATH", app.instance_path)
            patch.setenv("TILLIT_DATABASE_URL", app.config["DATABASE_URL"])
            patch.setenv("TILLIT_ISSUER", app.config["ISSUER"])
            patch.setenv("TILLIT_OUTBOUND_HTTP_HOSTS", "127.0.0.1")
            return CliRunner().invoke(api.cli.main, list(args))

    return run


@pytest.fixture(scope="module", params=PROFILES)
def harvested(
    request: pytest.FixtureRequest,
    source: tuple[str, dict[str, dict[str, Any]], dict[str, str], list[dict[str, Any]]],
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    signing_keys: Path,
) -> Iterator[tuple[str, dict[str, Any], dict[str, tuple[dict[str, Any], str, str]]]]:
    """An empty instance (the demo's agencies only) that harvested each agency's
    catalogue in one profile: the profile, the reports by agency, and the harvested
    entries' facts, classification and status by source URI."""
    profile = request.param
    base, _, publishers, agencies, _ = source
    app = _target(tmp_path_factory.mktemp(f"target-{profile}"), sqlite_template, signing_keys, agencies)
    ext = app.extensions["tillit"]
    run = _cli(app)
    reports = {}
    for orgnr in sorted(set(publishers.values())):
        url = f"{base}/api/v1/dcat/catalog?profile={profile}&publisher={orgnr}&per_page=2"
        result = run("harvest", url, "--publisher", orgnr, "--profile", profile, "--json")
        assert result.exit_code == 0, result.output
        reports[orgnr] = json.loads(result.output)
    with ext.sessions() as session:
        found = {
            uri: (_facts(entry), entry.classification, entry.status)
            for uri, entry in session.execute(
                select(HarvestRecord.uri, Entry).join(Entry, Entry.id == HarvestRecord.entry_id)
            )
        }
    try:
        yield profile, reports, found
    finally:
        _close(app)


def test_every_public_entry_is_reproduced(source: Any, harvested: Any) -> None:
    _, facts, _, _, _ = source
    profile, _, found = harvested
    assert len(facts) >= 50
    # The demo's public entries give the comparison something to hold: both kinds, every
    # language but nn's rarity, provisions, and the roles public entries cite.
    bases = [b for f in facts.values() for b in f["legal_bases"]]
    assert {f["type"] for f in facts.values()} == {"dataset", "api"}
    assert {b[0] for b in bases} == {"processing", "disclosure"}
    assert {b[1] for b in bases} == {"SE", "NO", "EU"} and any(b[3] for b in bases)
    assert any("nb" in f["title"] for f in facts.values()) and any("sv" in f["title"] for f in facts.values())
    missing = sorted(set(facts) - set(found))
    assert missing == [], profile
    for uri, expected in facts.items():
        got, classification, status = found[uri]
        assert got == expected, (profile, uri)
        # Proposed for review at the level the access right says, never published.
        assert (classification, status) == ("public", "in_review"), (profile, uri)


def test_agencies_span_pages_and_only_summaries_are_refused(source: Any, harvested: Any) -> None:
    _, facts, publishers, _, _ = source
    _, reports, found = harvested
    assert max(report["pages"] for report in reports.values()) > 1  # Hydra paging was followed
    # A summary (listed publicly, classified higher) carries no restriction basis: the
    # harvest rejects it, for the legal basis it lacks and nothing else.
    rejected = [r for report in reports.values() for r in report["rejected"]]
    assert {r["uri"] for r in rejected}.isdisjoint(facts)
    assert all(set(r["reasons"]) == {"legal_basis"} for r in rejected), rejected
    # Each agency's catalogue gave its own entries only.
    for uri, orgnr in publishers.items():
        assert uri in found and reports[orgnr]["counts"]["created"] >= 1


def test_a_cleared_reader_s_export_round_trips_every_published_entry(
    source: Any, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, signing_keys: Path
) -> None:
    """Beyond the issue's public entries: a reader cleared for every level exports each
    agency's catalogue (DCAT-AP-NO, pages joined into one file), and an empty instance
    harvests it. Every published entry, internal and sensitive ones included, comes back
    with its legal bases by role (restriction bases too, from ``cpsv:follows``
    ``ruleForNonDisclosure``) and its classification proposed from ``dct:accessRights``
    (the lowest level exported as that right, which the demo's levels each are)."""
    base, _, _, agencies, app = source
    ext = app.extensions["tillit"]
    access = ext.dcat.access_rights
    with ext.sessions() as session:
        published = session.scalars(select(Entry).where(Entry.status == "published")).all()
        kinds = {"dataset": "datasets", "api": "apis"}
        # The reader's own agency's drafts and entries in review are listed to it too.
        unpublished = {
            f"{base}/api/v1/{kinds[e.type]}/{e.id}"
            for e in session.scalars(select(Entry).where(Entry.status != "published"))
        }
        expected = {
            f"{base}/api/v1/{kinds[e.type]}/{e.id}": (
                _facts(e),
                access.proposed_level(str(access.uri(e.classification))),
            )
            for e in published
        }
        by_publisher: dict[str, int] = {}
        for e in published:
            by_publisher[e.publisher] = by_publisher.get(e.publisher, 0) + 1
    assert {level for _, level in expected.values()} == {"public", "internal", "sensitive"}
    top = ext.scheme.enabled_keys[-1]
    client = app.test_client()
    client_id, secret = register_client(app, agencies[0]["orgnr"], [f"catalogue:read:{top}"])
    headers = {"Authorization": f"Bearer {fetch_token(client, client_id, secret)}"}
    target = _target(tmp_path_factory.mktemp("target-cleared"), sqlite_template, signing_keys, agencies)
    folder = tmp_path_factory.mktemp("cleared-files")
    run = _cli(target)
    try:
        for orgnr in sorted(by_publisher):
            graph = Graph()
            url: str | None = f"/api/v1/dcat/catalog?profile=dcat-ap-no&publisher={orgnr}&per_page=50"
            while url is not None:
                response = client.get(url, headers=headers)
                assert response.status_code == 200
                page = Graph().parse(data=response.get_data(as_text=True), format="turtle")
                graph += page
                following = page.value(None, HYDRA.next)
                url = str(following).removeprefix(base) if following is not None else None
            path = folder / f"{orgnr}.ttl"
            graph.serialize(path, format="turtle")
            result = run("harvest", str(path), "--publisher", orgnr, "--profile", "dcat-ap-no", "--json")
            assert result.exit_code == 0, result.output
            report = json.loads(result.output)
            assert report["rejected"] == [], report["rejected"]
            assert report["counts"]["created"] >= by_publisher[orgnr]
        with target.extensions["tillit"].sessions() as session:
            found = {
                uri: (_facts(entry), entry.classification)
                for uri, entry in session.execute(
                    select(HarvestRecord.uri, Entry).join(Entry, Entry.id == HarvestRecord.entry_id)
                )
            }
    finally:
        _close(target)
    assert set(expected) <= set(found) and set(found) - set(expected) <= unpublished
    assert any(b[0] == "restriction" for facts, _ in expected.values() for b in facts["legal_bases"])
    mismatches = {
        uri: {
            key: (want[0][key], found[uri][0][key]) for key in want[0] if want[0][key] != found[uri][0][key]
        }
        | ({"classification": (want[1], found[uri][1])} if want[1] != found[uri][1] else {})
        for uri, want in expected.items()
        if found[uri] != want
    }
    assert mismatches == {}, json.dumps(mismatches, indent=1, ensure_ascii=False)
