"""``tillit serve --workers 2`` spreads kept-alive connections over its workers
(api/cli/balance.py): real processes, real sockets, and the worker holding each
connection's server side read from /proc (tests/multiworker.py). gunicorn's own
threaded worker gives a run of connections to whichever worker wakes first (seen:
seven of eight sequential connections on one worker); nothing here times anything."""

from __future__ import annotations

import http.client
import os
import signal
import sys
import threading
from collections import Counter

import pytest

from tests.multiworker import DEADLINE, Served, serve

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the writer's socket and /proc are Linux's")


@pytest.fixture
def served(app, app_settings):
    with serve({**app_settings, "INDEX_WRITER": "process"}) as server:
        try:
            yield server
        finally:
            print(server.output())  # shown when the test fails


def _answered(conn: http.client.HTTPConnection) -> None:
    conn.request("GET", "/healthz")
    response = conn.getresponse()
    response.read()
    assert response.status == 200


def test_connections_opened_one_after_another_alternate_between_workers(served: Served) -> None:
    conns: list[http.client.HTTPConnection] = []
    try:
        held: Counter[int | None] = Counter()
        for _ in range(8):
            conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=DEADLINE)
            _answered(conn)
            conns.append(conn)
            held[served.served_by(conn)] += 1
            counts = [held[pid] for pid in served.workers]
            # after each new connection, neither worker holds more than one above the other
            assert max(counts) - min(counts) <= 1, held
        assert sorted(held.values()) == [4, 4] and set(held) == set(served.workers), held
    finally:
        for conn in conns:
            conn.close()


def test_connections_opened_at_once_are_shared(served: Served) -> None:
    conns = [http.client.HTTPConnection("127.0.0.1", served.port, timeout=DEADLINE) for _ in range(8)]
    start = threading.Barrier(len(conns))
    failed: list[BaseException] = []

    def ask(conn: http.client.HTTPConnection) -> None:
        try:
            start.wait()
            _answered(conn)
        except BaseException as exc:  # shown by the assertion below
            failed.append(exc)

    threads = [threading.Thread(target=ask, args=(conn,)) for conn in conns]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failed, failed
        held = Counter(served.served_by(conn) for conn in conns)
        # two workers racing for the same connections may each take one before they see
        # the other's count: no worse than five and three
        assert set(held) == set(served.workers) and min(held.values()) >= 3, held
    finally:
        for conn in conns:
            conn.close()


def test_a_stopped_worker_does_not_keep_the_other_from_accepting(served: Served) -> None:
    """A worker whose loop stops (here: SIGSTOP) is left out once its count is stale,
    so the other takes every new connection instead of waiting for it."""
    stopped, running = served.workers
    os.kill(stopped, signal.SIGSTOP)
    conns: list[http.client.HTTPConnection] = []
    try:
        for _ in range(4):
            conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=DEADLINE)
            _answered(conn)  # a connection the stopped worker took would never be answered
            conns.append(conn)
            # read at once: a connection idle for gunicorn's keep-alive (2 s) is closed
            assert served.served_by(conn) == running
    finally:
        os.kill(stopped, signal.SIGCONT)
        for conn in conns:
            conn.close()
