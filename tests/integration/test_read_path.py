"""The read path's shortcuts keep the rules: a list's order and total, an entry that
changes between its head and its loading, reads without a transaction, the pool."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, text, update

from catalogue.compose import entry_service
from catalogue.models import AuditEvent, Entry
from catalogue.visibility import EntryHead, heads_by_ids
from security import policy
from security.identity import build_identity
from tests.factories import create_entry, publish

pytestmark = pytest.mark.both_databases  # the read path's SQL: order, totals, reads without a transaction


def _reader(ext, level: str):
    """A client of Skatteetaten (another agency) cleared for ``level``."""
    return build_identity(
        ext.scheme, kind="client", subject=f"reader-{level}", agency="974761076",
        scopes=[f"catalogue:read:{level}"],
    )  # fmt: skip


def _ids(client, headers, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/datasets?per_page=100{query}", headers=headers)
    assert response.status_code == 200
    return [item["id"] for item in response.json["items"]]


def test_pages_come_newest_change_first_ties_by_id(app, client, token_for):
    owner = token_for("sensitive", extra=("catalogue:write",))
    ids = [create_entry(client, owner)["id"] for _ in range(7)]
    for entry_id in ids:
        publish(app, entry_id)
    # Modified times set in SQL: three share one instant (ties go by id), the rest differ.
    base = datetime(2026, 1, 1, tzinfo=UTC)
    stamps = [base, base, base, base + timedelta(days=2), base - timedelta(days=1), base + timedelta(days=1)]
    stamps.append(base + timedelta(microseconds=1))
    with app.extensions["tillit"].sessions() as session:
        for entry_id, stamp in zip(ids, stamps, strict=True):
            session.execute(update(Entry).where(Entry.id == entry_id).values(modified=stamp))
        session.commit()
    expected = sorted(ids)  # by id, then (stable) newest change first
    expected.sort(key=lambda i: stamps[ids.index(i)], reverse=True)
    reader = token_for("public", agency="974761076")
    assert _ids(client, reader) == expected
    # Page by page: the same order, nothing twice, nothing left out.
    paged = []
    for n in (1, 2, 3):
        response = client.get(f"/api/v1/datasets?per_page=3&page={n}", headers=reader)
        assert response.json["total"] == 7
        paged += [item["id"] for item in response.json["items"]]
    assert paged == expected


def test_heads_by_ids_returns_only_existing_entries(app, client, token_for):
    owner = token_for("sensitive", extra=("catalogue:write",))
    created = create_entry(client, owner, classification="internal")
    with app.extensions["tillit"].sessions() as session:
        heads = heads_by_ids(session, [created["id"], "00000000-0000-4000-8000-000000000000"])
    assert [(h.id, h.classification, h.revision, h.status) for h in heads] == [
        (created["id"], "internal", created["revision"], "draft")
    ]


def test_an_entry_raised_after_its_head_was_read_is_not_shown(app, client, token_for):
    """A read decides on the entry's head; when the rendering is not cached, the whole
    entry is loaded in a later transaction and decided again on its own facts."""
    owner = token_for("sensitive", extra=("catalogue:write",))
    created = create_entry(client, owner)
    publish(app, created["id"])
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        stale = EntryHead(
            *session.execute(
                text(
                    "SELECT id, type, revision, status, classification, listing_level, publisher "
                    "FROM entries WHERE id = :id"
                ),
                {"id": created["id"]},
            ).one()
        )
        # Raised to sensitive, listed only from sensitive up, after the head was read.
        session.execute(
            update(Entry)
            .where(Entry.id == created["id"])
            .values(classification="sensitive", listing_level="sensitive", revision=Entry.revision + 1)
        )
        session.commit()
    reader = _reader(ext, "public")
    assert policy.can_list(reader, stale.facts)  # the stale head would have shown it
    with ext.sessions() as session:
        service = entry_service(session, ext.scheme)
        assert service.reading.views(reader, [stale]) == []
        cleared = _reader(ext, "sensitive")
        [view] = service.reading.views(cleared, [stale])
        assert view.entry.revision == stale.revision + 1 and view.full
    # Through the API: the public caller gets the same 404 as for a missing entry.
    response = client.get(
        f"/api/v1/datasets/{created['id']}", headers=token_for("public", agency="974761076")
    )
    assert response.status_code == 404


@pytest.mark.parametrize("kept_heads", [True, False], ids=["heads-kept", "heads-read"])
def test_reading_and_listing_cached_entries_opens_no_transaction_on_sqlite(
    app, client, token_for, kept_heads
):
    if not kept_heads:
        app.extensions["tillit"].heads = None  # TILLIT_HEAD_CACHE_SECONDS=0
    owner = token_for("sensitive", extra=("catalogue:write",))
    created = create_entry(client, owner)
    publish(app, created["id"])
    reader = token_for("public", agency="974761076")
    path = f"/api/v1/datasets/{created['id']}"
    assert client.get(path, headers=reader).status_code == 200  # renders and caches
    statements: list[str] = []
    engine = app.extensions["tillit"].engine

    def trace(dbapi_connection, _record, _proxy):  # every checkout, new connection or reused
        if engine.dialect.name == "sqlite":
            dbapi_connection.set_trace_callback(statements.append)

    assert client.get("/api/v1/datasets", headers=reader).json["total"] == 1  # counts and caches
    event.listen(engine, "checkout", trace)
    try:
        first = client.get(path, headers=reader)
        second = client.get(path, headers=reader)
        listed = client.get("/api/v1/datasets", headers=reader)
    finally:
        event.remove(engine, "checkout", trace)
    assert first.status_code == second.status_code == 200
    assert first.json == second.json and first.json["id"] == created["id"]
    assert listed.json["total"] == 1 and listed.json["items"] == [first.json]
    if engine.dialect.name == "sqlite":
        reads = [s for s in statements if "FROM entries" in s]
        # A read: its head, unless kept from the first read (catalogue/machinery/readpath/heads.py).
        # A list: one statement (version and page heads).
        assert len(reads) == len(statements) == (1 if kept_heads else 3), statements
        assert "catalogue_version" in reads[-1] and "count(" not in reads[-1]
        assert not [s for s in statements if s.split()[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK")]


def test_the_pool_keeps_the_configured_connections(app_settings):
    from api.app import create_app

    app = create_app({**app_settings, "DATABASE_POOL_SIZE": 24})
    try:
        assert app.extensions["tillit"].engine.pool.size() == 24
    finally:
        app.extensions["tillit"].engine.dispose()


@pytest.mark.parametrize(("threads", "setting", "expected"), [(8, None, 16), (40, None, 42), (40, "12", 12)])
def test_tillit_serve_keeps_a_connection_per_thread(tmp_path, monkeypatch, threads, setting, expected):
    from click.testing import CliRunner
    from gunicorn.app.base import BaseApplication

    from api.cli import main

    environ = {k: v for k, v in os.environ.items() if not k.startswith("TILLIT_")}
    environ["TILLIT_INSTANCE_PATH"] = str(tmp_path)
    if setting is not None:
        environ["TILLIT_DATABASE_POOL_SIZE"] = setting
    monkeypatch.setattr(os, "environ", environ)  # what serve sets stays in this test
    served = {}

    def run(server):  # instead of gunicorn's loop: what would it serve?
        app = server.load()
        served["pool"] = app.extensions["tillit"].engine.pool.size()
        served["threads"] = server.cfg.threads
        served["audit writer"] = type(app.extensions["tillit"].read_log.writer).__name__
        app.extensions["tillit"].engine.dispose()

    monkeypatch.setattr(BaseApplication, "run", run)
    result = CliRunner().invoke(main, ["serve", "--threads", str(threads)])
    assert result.exit_code == 0, result.output
    assert served == {"pool": expected, "threads": threads, "audit writer": "ProcessGroupWriter"}


def test_a_kept_identity_still_records_each_requests_address(app, client, token_for):
    """The identity a token turns into is kept between requests (api.auth): the audit
    log still names the address each read came from. (A revoked token is refused at
    once all the same: tests/security/test_revocation_keys.py.)"""
    owner = token_for("sensitive", extra=("catalogue:write",))
    created = create_entry(client, owner, classification="sensitive", listing_level="internal")
    publish(app, created["id"])
    reader = token_for("sensitive", agency="974761076")
    path = f"/api/v1/datasets/{created['id']}"
    for address in ("10.2.0.1", "10.2.0.2", "10.2.0.1"):
        assert client.get(path, headers=reader, environ_base={"REMOTE_ADDR": address}).status_code == 200
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        addresses = session.scalars(
            select(AuditEvent.address)
            .where(AuditEvent.entry_id == created["id"], AuditEvent.action == "entry.read")
            .order_by(AuditEvent.seq)
        ).all()
    assert addresses[-3:] == ["10.2.0.1", "10.2.0.2", "10.2.0.1"]


def test_the_apps_coroutine_check_keeps_functions_only(app):
    """Flask asks ensure_sync of every hook on every request; the answer is kept for
    plain functions, and never for callables made anew each time (bound methods,
    closures), which would make the cache grow without end."""

    class View:
        def dispatch(self) -> str:
            return "ok"

    size = len(app._sync)
    for _ in range(50):
        assert app.ensure_sync(View().dispatch)() == "ok"
        assert app.ensure_sync(lambda: "ok")() == "ok"
    assert len(app._sync) == size
    hook = app.before_request_funcs[None][0]
    assert app.ensure_sync(hook) is app.ensure_sync(hook) and hook in app._sync
