"""The attack table for search: nothing hidden leaks through any channel."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import func, select

from catalogue.models import OutboxEvent
from tests.conftest import LANTMATERIET, SKATTEETATEN, SKATTEVERKET
from tests.searchkit import create_entry

pytestmark = pytest.mark.both_databases  # the listing's SQL and the outbox's transaction beside the index


def _everything(client, headers=None, q=""):
    return client.get(f"/api/v1/search?q={q}&per_page=100", headers=headers or {}).json


def test_hidden_entries_leave_no_trace(app, client, token_for):
    create_entry(app, SKATTEVERKET, "Öppna inkomstuppgifter")
    hidden = create_entry(
        app, SKATTEETATEN, "Hemmelig grenseovervåking", classification="sensitive", themes=["JUST"], lang="nb"
    )
    public = token_for("public", agency=LANTMATERIET)
    for headers in ({}, public):
        body = _everything(client, headers)
        assert hidden not in [i["id"] for i in body["items"]] and body["total"] == 1
        for values in body["facets"].values():
            assert SKATTEETATEN not in [v["value"] for v in values]
            assert "sensitive" not in [v["value"] for v in values]
            assert "JUST" not in [v["value"] for v in values]
        assert _everything(client, headers, q="grenseovervåking")["total"] == 0
        assert _everything(client, headers, q="grense*")["total"] == 0
        r = client.get("/api/v1/search/suggest?q=hemmelig", headers=headers)
        assert r.json["items"] == []
        filtered = client.get(f"/api/v1/search?publisher={SKATTEETATEN}", headers=headers).json
        assert filtered["total"] == 0 and all(not v for v in filtered["facets"].values())
    assert _everything(client, token_for("sensitive"), q="grenseovervåking")["total"] == 1


def test_hidden_fields_of_redacted_entries_are_not_matchable(app, client, token_for):
    entry = create_entry(
        app,
        SKATTEVERKET,
        "Skyddade personuppgifter",
        classification="sensitive",
        listing_level="internal",
        keywords={"sv": ["kodord"]},
        themes=["JUST"],
        contains_personal_data=True,
        legal_basis=[
            {"role": "restriction", "jurisdiction": "SE", "reference": "2009:400"},
            {"role": "processing", "jurisdiction": "EU", "reference": "32016R0679"},
        ],
    )
    h = token_for("internal", agency=LANTMATERIET)
    assert _everything(client, h, q="kodord")["total"] == 0
    # An exclusion on a hidden keyword must not make the entry disappear.
    assert entry in [i["id"] for i in _everything(client, h, q="-kodord")["items"]]
    for query in ("theme=JUST", "legal_basis=2009:400", "personal_data=true"):
        assert client.get(f"/api/v1/search?{query}", headers=h).json["total"] == 0, query
    facets = _everything(client, h)["facets"]
    assert facets["theme"] == [] and facets["legal_basis"] == [] and facets["personal_data"] == []
    item = _everything(client, h, q="skyddade")["items"][0]
    assert item["redacted"] is True and "kodord" not in str(item)


def test_retiring_tightens_the_index_before_the_commit(app, client, token_for):
    """Even if indexing after the commit never happens, the retired entry is gone."""
    entry_id = create_entry(app, SKATTEVERKET, "Tillfälligt register")
    assert _everything(client, q="tillfälligt")["total"] == 1
    ext = app.extensions["tillit"]
    ext.indexer.changed = lambda ids: None  # the process "dies" right after the commit
    h = token_for("public", extra=("catalogue:write",))
    etag = client.get(f"/api/v1/datasets/{entry_id}", headers=h).headers["ETag"]
    assert client.delete(f"/api/v1/datasets/{entry_id}", headers={**h, "If-Match": etag}).status_code == 200
    assert _everything(client, q="tillfälligt")["total"] == 0
    assert client.get("/api/v1/search/suggest?q=tillf").json["items"] == []


def test_index_lagging_behind_the_database_never_shows_a_hit(app, client):
    """Hits are re-checked against the database: a stale document is dropped."""
    from tests.contract.docs import make_doc

    entry_id = create_entry(app, SKATTEVERKET, "Internt register", classification="internal")
    backend = app.extensions["tillit"].search
    stale = make_doc(entry_id, "Internt register", revision=99)  # claims: public, published
    backend.upsert([stale])
    body = _everything(client, q="internt")
    assert body["items"] == [] and body["total"] == 0


def test_a_crash_between_commit_and_index_write_is_repaired(app, database_url, tmp_path):
    """A separate process commits a change and is SIGKILLed before indexing."""
    script = textwrap.dedent(f"""
        import os, signal
        from catalogue.db import make_engine, make_session_factory
        from catalogue.schemas import DatasetCreateSchema
        from catalogue.compose import entry_service
        from security.identity import system_identity
        from security.levels import DEFAULT_SCHEME

        class DieBeforeIndexing:
            def changed(self, ids):
                os.kill(os.getpid(), signal.SIGKILL)

        sessions = make_session_factory(make_engine({database_url!r}))
        data = DatasetCreateSchema().load({{"publisher": "{SKATTEVERKET}",
            "title": {{"sv": "Kraschregistret"}}, "description": {{"sv": "x"}},
            "classification": "public"}})
        with sessions() as s:
            system = system_identity(DEFAULT_SCHEME)
            view = entry_service(s, DEFAULT_SCHEME, DieBeforeIndexing()).create(system, "dataset", data)
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=os.getcwd(), capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    ext = app.extensions["tillit"]
    with ext.sessions() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) == 1
    backend = ext.search
    from search.backend import SearchQuery
    from security.identity import system_identity
    from security.policy import read_filter

    rf = read_filter(system_identity(ext.scheme))
    assert backend.search(rf, SearchQuery(text="kraschregistret")).total == 0
    assert ext.indexer.drain() == 1
    assert backend.search(rf, SearchQuery(text="kraschregistret")).total == 1
    with ext.sessions() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) == 0


def test_an_indexer_failure_keeps_the_outbox_and_check_repairs(app, client, monkeypatch):
    ext = app.extensions["tillit"]

    def broken(docs, **kw):
        raise RuntimeError("index down")

    monkeypatch.setattr(ext.search, "upsert", broken)
    create_entry(app, SKATTEVERKET, "Oindexerat register")  # the commit still succeeds
    monkeypatch.undo()
    assert _everything(client, q="oindexerat")["total"] == 0
    report = ext.indexer.check(repair=True)
    assert len(report.missing) == 1 and report.repaired
    assert _everything(client, q="oindexerat")["total"] == 1
    assert ext.indexer.drain() >= 1  # the stuck outbox rows drain idempotently
    assert ext.indexer.check(repair=False).in_step


def test_a_second_process_cannot_write_the_same_index(app, tmp_path):
    from search.embedded import EmbeddedBackend, SearchIndexLocked

    first = app.extensions["tillit"].search
    first.acquire()
    script = f"from search.embedded import EmbeddedBackend\nEmbeddedBackend({app.instance_path!r}).acquire()"
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode != 0 and b"Another Tillit process" in proc.stderr
    del EmbeddedBackend, SearchIndexLocked


def test_statute_names_match_and_name_facets_only_for_readers_of_the_whole_entry(app, client, token_for):
    """The cited statutes' names are part of the legal text: a *full* field. A caller who
    sees the entry only as a redacted summary, or not at all, cannot find it by them, and
    the legal-basis facet names only statutes it counts for the caller."""
    navet = [
        {"role": "processing", "jurisdiction": "SE", "reference": "1991:481", "provision": "1 §"},
        {"role": "restriction", "jurisdiction": "SE", "reference": "2009:400", "provision": "22 kap. 1 §"},
    ]
    entry = create_entry(
        app, SKATTEVERKET, "Navet", classification="sensitive", listing_level="internal", legal_basis=navet
    )
    for headers in ({}, token_for("public", agency=LANTMATERIET), token_for("internal", agency=LANTMATERIET)):
        for q in ("folkbokföring", "Folkbokföringslag", "OSL", "OSL 22 kap", "1991:481"):
            assert _everything(client, headers, q=q)["total"] == 0, q
        facets = _everything(client, headers)["facets"]
        assert facets.get("legal_basis", []) == []
    reader = token_for("sensitive")
    assert [i["id"] for i in _everything(client, reader, q="folkbokföring")["items"]] == [entry]
    facet = _everything(client, reader)["facets"]["legal_basis"]
    assert {f["value"]: f["statute"]["short_name"] for f in facet} == {
        "1991:481": "folkbokföringslagen",
        "2009:400": "OSL",
    }
    # The register itself is public law: the same answer for everyone, and no counts of entries.
    public = client.get("/api/v1/statutes/SE/1991:481")
    assert public.json == client.get("/api/v1/statutes/SE/1991:481", headers=reader).json
    assert "count" not in public.json and "entries" not in public.json
