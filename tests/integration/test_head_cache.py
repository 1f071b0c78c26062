"""Entry heads kept in memory (catalogue/machinery/readpath/heads.py) never outlive a change to the entry:
not one made by another worker, not one made by another process, not one whose
writer dies between its commit and saying it is done. Real processes, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import event

from api.app import create_app
from catalogue.machinery.readpath.heads import WRITES_FILE, WriteGeneration
from catalogue.services import entry_reading
from catalogue.visibility import HEAD_BY_ID
from tests import searchkit
from tests.conftest import SKATTEVERKET
from tests.factories import create_entry, publish

pytestmark = pytest.mark.both_databases  # the head cache against writes by other connections and processes

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_settings(app_settings):
    # On for PostgreSQL too: these processes share one instance folder on one machine.
    return {**app_settings, "HEAD_CACHE_SECONDS": 60}


def _published(app, client, token_for) -> str:
    owner = token_for("sensitive", extra=("catalogue:write",))
    created = create_entry(client, owner)
    publish(app, created["id"])
    return str(created["id"])


class HeadLoads:
    """Counts the heads read from the database (the real reads, counted on the way)."""

    def __init__(self, monkeypatch) -> None:
        self.count = 0
        real = HEAD_BY_ID.first

        def first(*args, **kwargs):
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(HEAD_BY_ID, "first", first)


@pytest.fixture
def loads(monkeypatch) -> HeadLoads:
    return HeadLoads(monkeypatch)


def _statements_during(app, call) -> list[str]:
    """Every statement sent to SQLite (through SQLAlchemy or straight to the driver)."""
    engine = app.extensions["tillit"].engine
    seen: list[str] = []

    def trace(dbapi_connection, _record, _proxy) -> None:
        dbapi_connection.set_trace_callback(seen.append)

    event.listen(engine, "checkout", trace)
    try:
        call()
    finally:
        event.remove(engine, "checkout", trace)
    return seen


def _run(app_settings, code: str, *, wait: bool = True) -> subprocess.Popen[str]:
    """``code`` in a process of its own, with ``app`` built from the same settings."""
    script = "import json, os, sys\nfrom api.app import create_app\n"
    script += f"app = create_app(json.loads({json.dumps(json.dumps(app_settings))}))\n"
    script += textwrap.dedent(code)
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if wait:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    return proc


def _tighten_elsewhere(app_settings, entry_id: str) -> None:
    """Another process raises the entry to sensitive in the database (the index not told)."""
    _run(
        app_settings,
        f"""
        from sqlalchemy import update
        from catalogue.models import Entry
        with app.extensions["tillit"].sessions() as session:
            session.execute(update(Entry).where(Entry.id == {entry_id!r})
                            .values(classification="sensitive", listing_level="sensitive",
                                    revision=Entry.revision + 1))
            session.commit()
        """,
    )


def test_a_kept_head_answers_reads_without_the_database(app, client, token_for, loads):
    entry_id = _published(app, client, token_for)
    reader = token_for("public", agency="974761076")
    path = f"/api/v1/datasets/{entry_id}"
    loads.count = 0
    first = client.get(path, headers=reader)
    assert loads.count == 1
    again = client.get(path, headers=reader)
    assert first.status_code == again.status_code == 200 and first.json == again.json
    assert loads.count == 1
    if app.extensions["tillit"].engine.dialect.name == "sqlite":
        assert _statements_during(app, lambda: client.get(path, headers=reader)) == []
    # With the cache off, every read reads the head.
    app.extensions["tillit"].heads = None
    assert client.get(path, headers=reader).json == first.json
    assert loads.count == 2


def test_an_entry_citing_statutes_is_read_with_their_names_without_the_database(app, client, token_for):
    """The names of the statutes an entry cites are kept with its rendering (per revision),
    so a kept read of such an entry needs no statement either."""
    basis = {"role": "processing", "jurisdiction": "EU", "reference": "32016R0679"}  # public: no audited read
    entry_id = searchkit.create_entry(app, SKATTEVERKET, "Prov", classification="public", legal_basis=[basis])
    reader = token_for("public")
    path = f"/api/v1/datasets/{entry_id}"
    for lang in ("sv", "en"):
        first = client.get(path, headers={**reader, "Accept-Language": lang})
        assert first.json["legal_basis"][0]["statute"]["lang"] == lang
        again = client.get(path, headers={**reader, "Accept-Language": lang})
        assert again.json == first.json
        if app.extensions["tillit"].engine.dialect.name == "sqlite":
            assert _statements_during(app, lambda: client.get(path, headers=reader)) == []


def test_an_entry_retired_by_another_worker_is_gone_at_once(app, client, token_for, app_settings):
    entry_id = _published(app, client, token_for)
    reader = token_for("public", agency="974761076")
    path = f"/api/v1/datasets/{entry_id}"
    assert client.get(path, headers=reader).status_code == 200  # kept now
    # Another gunicorn worker on the same instance (the embedded search index has one
    # writer per folder, so this one lets go of it first).
    app.extensions["tillit"].search.close()
    other = create_app(app_settings)
    try:
        owner = token_for("sensitive", extra=("catalogue:write",))
        worker = other.test_client()
        etag = worker.get(path, headers=owner).headers["ETag"]
        retired = worker.delete(path, headers={**owner, "If-Match": etag})
        assert retired.status_code == 200, retired.json
    finally:
        other.extensions["tillit"].search.close()
        other.extensions["tillit"].engine.dispose()
    gone = client.get(path, headers=reader)
    assert gone.status_code == 404 and gone.content_type == "application/problem+json"


def test_a_change_committed_by_another_process_is_seen_at_once(app, client, token_for, app_settings):
    entry_id = _published(app, client, token_for)
    reader = token_for("public", agency="974761076")
    path = f"/api/v1/datasets/{entry_id}"
    assert client.get(path, headers=reader).status_code == 200
    _tighten_elsewhere(app_settings, entry_id)
    assert client.get(path, headers=reader).status_code == 404


def test_a_writer_that_dies_after_its_commit_leaves_no_stale_head(
    app, client, token_for, app_settings, loads
):
    """The writer raises the entry, is read from while its write is open, commits and
    dies before saying it is done. No head read meanwhile may be kept: every read
    goes to the database until the dead writer is found, then caching resumes."""
    entry_id = _published(app, client, token_for)
    reader = token_for("public", agency="974761076")
    path = f"/api/v1/datasets/{entry_id}"
    assert client.get(path, headers=reader).status_code == 200
    writer = _run(
        app_settings,
        f"""
        from sqlalchemy import update
        from catalogue.models import Entry
        conn = app.extensions["tillit"].engine.connect()
        conn.execute(update(Entry).where(Entry.id == {entry_id!r})
                     .values(classification="sensitive", listing_level="sensitive",
                             revision=Entry.revision + 1))
        print("written", flush=True)
        sys.stdin.readline()
        conn.commit()
        os._exit(0)  # dies before its connection goes back to the pool
        """,
        wait=False,
    )
    heads = app.extensions["tillit"].heads
    heads.REAP_EVERY = 3600  # found dead only when this test says so
    try:
        assert writer.stdout.readline().strip() == "written"
        # Open, uncommitted: the old head is still the truth, and is not kept.
        assert client.get(path, headers=reader).status_code == 200
        writer.stdin.write("commit\n")
        writer.stdin.flush()
        assert writer.wait(timeout=60) == 0
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.communicate()
    assert heads.generation.pending(heads.generation.word()) == 1  # its write never ended
    before = loads.count
    for _ in range(2):  # every read goes to the database while a write is pending
        assert client.get(path, headers=reader).status_code == 404
    assert loads.count == before + 2
    assert heads.generation.reap() == 1
    assert heads.generation.pending(heads.generation.word()) == 0
    owner = token_for("sensitive", extra=("catalogue:write",))
    assert client.get(path, headers=owner).status_code == 200  # read and kept again
    assert client.get(path, headers=owner).json["classification"] == "sensitive"
    assert loads.count == before + 3


def test_a_dead_writer_is_found_by_readers_on_their_own(app, client, token_for, app_settings):
    entry_id = _published(app, client, token_for)
    reader = token_for("public", agency="974761076")
    path = f"/api/v1/datasets/{entry_id}"
    _run(
        app_settings,
        f"""
        from sqlalchemy import update
        from catalogue.models import Entry
        conn = app.extensions["tillit"].engine.connect()
        conn.execute(update(Entry).where(Entry.id == {entry_id!r}).values(revision=Entry.revision + 1))
        conn.commit()
        os._exit(0)
        """,
    )
    heads = app.extensions["tillit"].heads
    heads.REAP_EVERY = 0
    generation = heads.generation
    assert generation.pending(generation.word()) == 1
    assert client.get(path, headers=reader).status_code == 200  # from the database; reaps
    assert generation.pending(generation.word()) == 0


def test_kept_heads_expire(app, client, token_for, loads):
    entry_id = _published(app, client, token_for)
    reader = token_for("public", agency="974761076")
    path = f"/api/v1/datasets/{entry_id}"
    heads = app.extensions["tillit"].heads
    now = [1000.0]
    heads.clock = lambda: now[0]
    loads.count = 0
    assert client.get(path, headers=reader).status_code == 200
    assert client.get(path, headers=reader).status_code == 200
    assert loads.count == 1
    now[0] += heads.seconds  # a change made by hand, past Tillit, is seen after this
    assert client.get(path, headers=reader).status_code == 200
    assert loads.count == 2


def test_every_process_shares_one_word(app, app_settings):
    mine = app.extensions["tillit"].heads.generation
    engine = app.extensions["tillit"].engine
    if engine.dialect.name == "sqlite":  # beside the database file, as its -wal and -shm
        assert mine.path == Path(engine.url.database).resolve().with_name("tillit.db-entry-writes")
    else:
        assert mine.path == Path(app.instance_path) / WRITES_FILE
    before = mine.word()
    _run(
        app_settings,
        """
        g = app.extensions["tillit"].heads.generation
        g.begin()
        g.end()
        """,
    )
    after = mine.word()
    assert after >> 16 >= (before >> 16) + 2 and mine.pending(after) == 0
    assert WriteGeneration(mine.path).word() == after


def test_search_hits_are_rechecked_with_kept_heads_and_a_change_elsewhere_is_seen_at_once(
    app, client, token_for, app_settings, monkeypatch
):
    """A page of hits is re-checked with kept heads, as a read is: the second search
    reads no head from the database, and an entry tightened by another process (the
    index not told: it lags) is dropped from the next page at once, although the
    engine's answer for the question is kept (search/result_cache.py)."""
    entry_id = searchkit.create_entry(app, SKATTEVERKET, "Kvarnstensregistret", classification="public")
    reader = token_for("public", agency="974761076")
    path = "/api/v1/search?q=kvarnstensregistret"
    reads: list[list[str]] = []
    real = entry_reading.head_rows_by_ids
    monkeypatch.setattr(
        entry_reading, "head_rows_by_ids", lambda session, ids: reads.append(list(ids)) or real(session, ids)
    )
    first = client.get(path, headers=reader)
    assert [item["id"] for item in first.json["items"]] == [entry_id]
    again = client.get(path, headers=reader)
    assert again.json == first.json
    assert reads == [[entry_id]]  # the second page's head was kept
    _tighten_elsewhere(app_settings, entry_id)
    after = client.get(path, headers=reader)
    assert after.status_code == 200 and after.json["items"] == [] and after.json["total"] == 0
    assert reads == [[entry_id], [entry_id]]
