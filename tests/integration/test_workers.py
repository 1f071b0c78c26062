"""``tillit serve --workers 2`` on the embedded index: real processes, real HTTP, each
request sent to a chosen worker (tests/multiworker.py). The index writer is a process
of its own (search/writer.py); the workers read the index and reload when its commit
word moves (search/freshness.py). Nothing here times anything: waits poll with a deadline."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from catalogue.machinery.audit.chain import verify_chain
from catalogue.models import AuditEvent
from tests.conftest import SKATTEVERKET, register_client
from tests.factories import dataset_payload, publish
from tests.multiworker import DEADLINE, Served, Worker, serve
from tests.security.people import basic

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the writer's socket and /proc are Linux's")

READER = "974761076"  # Skatteetaten, another agency: its reads of Skatteverket's entries are audited


@pytest.fixture
def app_settings(app_settings):
    # This test process changes entries too (publishing): through the server's writer.
    return {**app_settings, "INDEX_WRITER": "process"}


@pytest.fixture
def served(app, app_settings):
    with serve(app_settings) as server:
        try:
            yield server
        finally:
            print(server.output())  # shown when the test fails


@pytest.fixture
def pair(served: Served):
    """Two connections, to the first and the second worker."""
    first, second = (served.connect(pid) for pid in served.workers)
    yield first, second
    first.close()
    second.close()


def _until(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"not within {DEADLINE:.0f} s: {what}")


def _search(worker: Worker, q: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    status, body = worker.request("GET", f"/api/v1/search?q={quote(q)}", headers)
    assert status == 200, body
    return dict(body)


def _published(app, worker: Worker, token: dict[str, str], title: str, **payload: Any) -> str:
    status, body = worker.request(
        "POST", "/api/v1/datasets", token, dataset_payload(title={"sv": title}, **payload)
    )
    assert status == 201, body
    publish(app, body["id"])  # through the services of this process, via the writer
    return str(body["id"])


def test_a_write_through_one_worker_is_searchable_through_the_other(app, pair, token_for):
    first, second = pair
    writer = token_for("public", extra=("catalogue:write",))
    assert _search(second, "fjällräven")["total"] == 0
    entry_id = _published(app, first, writer, "Fjällrävens lyor")
    # The worker that made the change sees it at once (it reloads after the drain)...
    assert [i["id"] for i in _search(first, "fjällräven")["items"]] == [entry_id]
    # ...the other within TILLIT_INDEX_REFRESH.
    found = _until(lambda: _search(second, "fjällräven")["items"], "the other worker finds the entry")
    assert [i["id"] for i in found] == [entry_id]


def test_a_statute_s_name_finds_its_entry_through_every_served_worker(app, pair, token_for):
    """Issue 16's question as a browser sends it to ``tillit serve``: the Swedish name,
    percent-encoded UTF-8, through each worker, for an internal reader of another agency.
    The statute's names come from the register into the document in the writer process."""
    first, second = pair
    reader = token_for("internal", agency=READER)
    writer = token_for("internal", extra=("catalogue:write",))
    navet = [
        {"role": "processing", "jurisdiction": "SE", "reference": "1991:481", "provision": "1 §"},
        {"role": "restriction", "jurisdiction": "SE", "reference": "2009:400", "provision": "22 kap. 1 §"},
    ]
    entry_id = _published(app, first, writer, "Navet", classification="internal", legal_basis=navet)

    def found(worker: Worker, q: str) -> list[dict[str, Any]] | None:
        # The reader's client was registered after the server started: each worker knows
        # it once its standing reloads (TILLIT_REVOCATION_SYNC_SECONDS); until then, 401.
        status, body = worker.request("GET", f"/api/v1/search?q={quote(q)}", reader)
        return list(body["items"]) if status == 200 else None

    for worker in (first, second):
        for q in ("folkbokföring", "Folkbokföringslagen", "folkbokforing", "OSL 22 kap"):
            hits = _until(lambda w=worker, q=q: found(w, q), f"{q!r} found through worker {worker.pid}")
            assert [i["id"] for i in hits] == [entry_id], (worker.pid, q)
        assert _search(worker, "folkbokföring")["total"] == 0  # anonymous: not even counted


def test_a_retired_entry_leaves_every_worker_s_search_before_its_next_answer(app, pair, token_for):
    """Tighten first, across processes: the writer takes the document out before the
    database commits and moves the word's narrowing count; every worker reloads before
    it answers its next search. No polling: the very next search must not show it."""
    first, second = pair
    writer = token_for("public", extra=("catalogue:write",))
    entry_id = _published(app, first, writer, "Renbetesfjällen")
    _until(lambda: _search(second, "renbetesfjällen")["total"] == 1, "the other worker finds it")
    assert _search(second, "renbetesfjällen")["total"] == 1  # the second worker's reader holds it

    status, body = first.request("DELETE", f"/api/v1/datasets/{entry_id}", {**writer, "If-Match": "*"})
    assert (status, body["status"]) == (200, "retired"), body

    for worker in (second, first):
        page = _search(worker, "renbetesfjällen")
        assert (page["total"], page["items"]) == (0, []), worker.pid
        assert page["facets"]["type"] == []


def test_a_kept_head_never_outlives_a_change_made_in_another_worker(app, pair, token_for):
    first, second = pair
    writer = token_for("public", extra=("catalogue:write",))
    reader = token_for("public")
    entry_id = _published(app, first, writer, "Lavskrikan")
    path = f"/api/v1/datasets/{entry_id}"
    for _ in range(3):  # read, and read again from the kept head
        status, body = second.request("GET", path, reader)
        assert (status, body["status"]) == (200, "published")
    status, _ = first.request("DELETE", path, {**writer, "If-Match": "*"})
    assert status == 200
    status, body = second.request("GET", path, reader)
    assert (status, body["status"]) == (200, "retired")


def test_a_token_revoked_through_one_worker_is_refused_by_the_other(app, pair):
    first, second = pair
    creds = register_client(app, SKATTEVERKET, ["catalogue:read:public"])
    token = _token(first, creds)
    bearer = {"Authorization": f"Bearer {token}"}
    assert second.request("GET", "/api/v1/datasets", bearer)[0] == 200
    status, _ = first.request("POST", "/oauth/revoke", basic(*creds), form=f"token={token}")
    assert status == 200
    assert first.request("GET", "/api/v1/datasets", bearer)[0] == 401  # at once where revoked
    # Elsewhere within TILLIT_REVOCATION_SYNC_SECONDS (1 s by default).
    _until(lambda: second.request("GET", "/api/v1/datasets", bearer)[0] == 401, "the other worker refuses")


def _token(worker: Worker, creds: tuple[str, str]) -> str:
    status, body = worker.request("POST", "/oauth/token", basic(*creds), form="grant_type=client_credentials")
    assert status == 200, body
    return str(body["access_token"])


def test_audited_reads_in_both_workers_make_one_chain(app, pair, token_for, served):
    """Each worker has its own audit writer process; both append to one chain, every
    read is answered only once its event is written, and the chain verifies."""
    writer = token_for("sensitive", extra=("catalogue:write",))
    reader = token_for("sensitive", agency=READER)
    first, second = pair
    status, body = first.request(
        "POST",
        "/api/v1/datasets",
        writer,
        dataset_payload(classification="sensitive", listing_level="internal"),
    )
    assert status == 201, body
    entry_id = body["id"]
    publish(app, entry_id)
    path = f"/api/v1/datasets/{entry_id}"
    statuses: list[int] = []

    def read(worker: Worker) -> None:
        for _ in range(15):
            statuses.append(worker.request("GET", path, reader)[0])

    threads = [threading.Thread(target=read, args=(w,)) for w in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 30
    with app.extensions["tillit"].sessions() as session:
        reads = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entry_id == entry_id, AuditEvent.action == "entry.read")
            .where(AuditEvent.actor_agency == READER)
        )
        assert reads == 30
        verdict = verify_chain(session)
    assert verdict.ok, verdict.reason


def test_a_second_server_on_the_same_folder_stops_with_a_clear_message(served, app_settings):
    env = {
        "TILLIT_INSTANCE_PATH": app_settings["INSTANCE_PATH"],
        "TILLIT_DATABASE_URL": app_settings["DATABASE_URL"],
        "PATH": "/usr/bin:/bin",
    }
    second = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--port", "1", "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode != 0
    assert "Another Tillit process is using the search index in" in second.stderr
    assert served.proc.poll() is None and len(served.writer) == 1  # the first one serves on


def test_a_writer_that_died_is_started_again_by_the_worker_that_needs_it(app, pair, token_for, served):
    first, second = pair
    writer = token_for("public", extra=("catalogue:write",))
    entry_id = _published(app, first, writer, "Myrmarkerna")
    _until(lambda: _search(second, "myrmarkerna")["total"] == 1, "the other worker finds it")
    (dead,) = served.writer
    os.kill(dead, signal.SIGKILL)
    _until(lambda: dead not in served.writer, "the writer is gone")

    # The retirement must take the document out first: the worker starts a new writer.
    status, body = first.request("DELETE", f"/api/v1/datasets/{entry_id}", {**writer, "If-Match": "*"})
    assert (status, body["status"]) == (200, "retired"), body
    assert _search(second, "myrmarkerna")["total"] == 0
    found = _published(app, second, writer, "Myrmarkernas fåglar")
    _until(lambda: _search(first, "fåglar")["total"] == 1, "a new entry is indexed by the new writer")
    assert found


def test_rate_limits_in_memory_are_counted_per_worker(app, app_settings):
    """Documented (docs/search.md, "Several workers"; README): with the default
    TILLIT_RATELIMIT_STORAGE_URI=memory:// each worker counts on its own, so N workers
    allow up to N × a limit; shared storage (redis://) counts once."""
    with serve(app_settings, env={"TILLIT_RATE_LIMIT_TOKEN_REFUSALS": "2/minute"}) as server:
        first, second = (server.connect(pid) for pid in server.workers)
        wrong = {"Authorization": "Basic " + base64.b64encode(b"nobody:wrong").decode()}
        form = "grant_type=client_credentials"
        statuses = [first.request("POST", "/oauth/token", wrong, form=form)[0] for _ in range(3)]
        assert statuses == [401, 401, 429]
        assert second.request("POST", "/oauth/token", wrong, form=form)[0] == 401  # its own count
        first.close()
        second.close()
