"""The embedded index's writer in a process of its own (``TILLIT_INDEX_WRITER=process``,
what ``tillit serve`` runs), so that any number of web workers can search one index.

Why: tantivy allows one writer per index, and a writer belongs to one process. With
the writer inside a web worker, ``tillit serve`` could run one worker process, bound by
one interpreter lock, whatever the machine's cores. Now:

* **The writer process** (``python -m search.writer``, started and stopped by
  ``tillit serve``'s master before it forks the workers) takes the instance folder's
  lock (a second server on the folder stops there, with the lock's message), rebuilds
  an index of an older format, and then owns every write: it drains the outbox when a
  worker asks and every ``TILLIT_INDEX_REFRESH`` seconds anyway (changes made by
  ``tillit`` commands meanwhile), takes documents out before an access-label change
  commits ("tighten first") and puts them back after a rollback. After each commit it
  moves the commit word (search/freshness.py).
* **A web worker** opens the index for reading only. Its indexer (``RemoteIndexer``)
  sends each request to the writer and waits for the answer; after a drain it reloads
  at once, so whoever made a change finds it in the next search. Other workers reload
  when the commit word moves: within ``TILLIT_INDEX_REFRESH`` for added or changed
  documents, before their next search for removed ones. Hits are re-checked against the
  database in any case (search/service.py).

The two talk over a Unix socket in Linux's abstract namespace, named after the instance
folder (a path in the folder could exceed the 107 bytes a socket address may hold);
requests from another user are refused (``SO_PEERCRED``). One JSON line each way, a
connection per request: writes are rare beside reads, and a connection costs less than
sharing one between threads and forked workers. The writer watches its parent and
stops when the master is gone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session, sessionmaker

from catalogue.db import make_engine, make_session_factory
from search.embedded import EmbeddedBackend, SearchIndexLocked
from search.indexer import OutboxIndexer

log = logging.getLogger(__name__)

#: Seconds a worker waits for the writer's answer (a drain of a long outbox included).
ANSWER_TIMEOUT = 60.0
#: Seconds the writer is given to finish its commit when it is stopped.
STOP_TIMEOUT = 10.0
#: The longest request line the writer reads (ids of a tightened flush).
MAX_REQUEST = 4 * 1024 * 1024
_CREDENTIALS = struct.Struct("3i")  # pid, uid, gid of the peer (SO_PEERCRED)


class WriterUnavailable(RuntimeError):
    """The index writer process is not running or could not do what was asked."""


class WriterFailed(WriterUnavailable):
    """The index writer answered that it could not do what was asked."""


def address_for(instance_path: str | os.PathLike[str]) -> str:
    """The writer's socket address for this instance folder (abstract namespace)."""
    digest = hashlib.sha256(str(Path(instance_path).resolve()).encode()).hexdigest()[:32]
    return f"\0tillit-search-writer-{digest}"


class WriterClient:
    """A worker's side of the socket: one request, one answer."""

    def __init__(self, address: str, timeout: float = ANSWER_TIMEOUT) -> None:
        self.address = address
        self.timeout = timeout

    def call(self, op: str, ids: Sequence[str] = ()) -> dict[str, Any]:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(self.timeout)
                sock.connect(self.address)
                sock.sendall(json.dumps({"op": op, "ids": list(ids)}).encode() + b"\n")
                with sock.makefile("rb") as answers:
                    line = answers.readline()
        except OSError as exc:
            raise WriterUnavailable(f"The search index writer did not answer ({exc}).") from exc
        if not line:
            raise WriterUnavailable("The search index writer closed the connection.")
        reply: dict[str, Any] = json.loads(line)
        if reply.get("error"):
            raise WriterFailed(f"The search index writer could not {op}: {reply['error']}")
        return reply


class RemoteIndexer(OutboxIndexer):
    """The catalogue's ``Indexer`` in a web worker: every write goes to the writer.

    A writer that does not answer (it died) is started again by the worker that finds
    it gone (``revive``): the folder's lock lets one of several such workers win, and
    the others' requests go to the winner. Reads (``pending``, ``count_entries``) stay
    local; ``reindex`` and ``check`` need the index's lock, which the writer holds: run
    them with the server stopped."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        backend: EmbeddedBackend,
        lowest: str,
        client: WriterClient,
        revive: Callable[[], WriterProcess] | None = None,
    ) -> None:
        super().__init__(sessions, backend, lowest)
        self.client = client
        self._revive = revive
        self._revived: list[WriterProcess] = []
        self._revive_lock = threading.Lock()

    def drain(self) -> int:
        drained = int(self._call("drain")["drained"])
        self.backend.refresh()  # read your writes: this worker sees the commit now
        return drained

    def tighten(self, entry_ids: Sequence[str]) -> None:
        # Raises when the writer cannot: the flush fails, and the change with it
        # (fail closed, as a failing index write does in process).
        self._call("tighten", entry_ids)
        self.backend.refresh()

    def restore(self, entry_ids: Sequence[str]) -> None:
        self._call("restore", entry_ids)
        self.backend.refresh()

    def _call(self, op: str, ids: Sequence[str] = ()) -> dict[str, Any]:
        try:
            return self.client.call(op, ids)
        except WriterFailed:
            raise  # it answered: it is there, and could not
        except WriterUnavailable:
            if self._revive is None:
                raise
        with self._revive_lock:  # one start per worker at a time; the lock decides between workers
            try:
                self.client.call("ping")  # another thread of this worker was first
            except WriterUnavailable:
                log.warning("The search index writer did not answer: starting it again.")
                try:
                    self._revived.append(self._revive())
                except WriterUnavailable:
                    log.warning("Another process started the search index writer first.")
        return self.client.call(op, ids)


# -- the writer process ----------------------------------------------------------------
class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        try:
            request = json.loads(self.rfile.readline(MAX_REQUEST))
            reply = self.server.answer(str(request["op"]), [str(i) for i in request.get("ids", [])])
        except Exception as exc:  # answered: the worker decides what failing means
            log.exception("The search index writer could not answer a request.")
            reply = {"error": type(exc).__name__}
        self.wfile.write(json.dumps(reply).encode() + b"\n")


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, address: str, indexer: OutboxIndexer) -> None:
        self.indexer = indexer
        super().__init__(address, _Handler)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        raw = request.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CREDENTIALS.size)
        return bool(_CREDENTIALS.unpack(raw)[1] == os.getuid())

    def answer(self, op: str, ids: list[str]) -> dict[str, Any]:
        if op == "ping":
            return {"pid": os.getpid()}
        if op == "drain":
            return {"drained": self.indexer.drain()}
        if op == "tighten":
            self.indexer.tighten(ids)
            return {}
        if op == "restore":
            self.indexer.restore(ids)
            return {}
        raise ValueError("unknown operation")


def run(config: dict[str, Any]) -> int:
    """The writer process's life; returns its exit status."""
    engine = make_engine(config["database_url"], pool_size=4)
    backend = EmbeddedBackend(config["instance_path"], refresh=float(config["refresh"]))
    try:
        try:
            backend.acquire()
        except SearchIndexLocked as exc:
            click.echo(str(exc), err=True)
            return 3
        indexer = OutboxIndexer(make_session_factory(engine), backend, config["lowest"])
        if backend.needs_rebuild:
            click.echo("The search index was written by an older version of Tillit: rebuilding it.", err=True)
            with click.progressbar(
                length=indexer.count_entries(), label="Indexing entries", file=sys.stderr
            ) as bar:
                indexer.reindex(progress=bar.update)
        indexer.drain()
        server = _Server(address_for(config["instance_path"]), indexer)
        threading.Thread(target=server.serve_forever, name="tillit-index-writer", daemon=True).start()
        try:
            _drain_until_stopped(indexer, float(config["refresh"]) or 0.5)
        finally:
            server.shutdown()
            server.server_close()
        return 0
    finally:
        backend.close()
        engine.dispose()


def _drain_until_stopped(indexer: OutboxIndexer, interval: float) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Ctrl-C reaches the whole process group: the master stops us once its workers are done.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    while not stop.wait(interval):
        if os.getppid() != parent:
            return  # the master is gone
        try:
            indexer.drain()
        except Exception:
            log.exception("Search indexing failed; the outbox keeps the changes for the next drain.")


class WriterProcess:
    """The master's handle on the writer process (``tillit serve``)."""

    def __init__(self, database_url: str, instance_path: str, lowest: str, refresh: float) -> None:
        self.config = {
            "database_url": database_url,
            "instance_path": instance_path,
            "lowest": lowest,
            "refresh": refresh,
        }
        self.address = address_for(instance_path)
        self._process: subprocess.Popen[bytes] | None = None
        self._owner = os.getpid()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self, sleep: Callable[[float], None] = time.sleep) -> None:
        """Start the writer and return once it answers (after a rebuild, if one is due);
        raise ``WriterUnavailable`` if it stops instead (the lock's message is on stderr)."""
        # The settings (a database password among them) go on a pipe, never the command line.
        process = subprocess.Popen([sys.executable, "-m", "search.writer"], stdin=subprocess.PIPE)
        self._process, self._owner = process, os.getpid()
        assert process.stdin is not None
        process.stdin.write(json.dumps(self.config).encode() + b"\n")
        process.stdin.close()
        client = WriterClient(self.address, timeout=5.0)
        while True:
            status = process.poll()
            if status is not None:
                raise WriterUnavailable(f"The search index writer stopped (exit status {status}).")
            try:
                if client.call("ping").get("pid") == process.pid:  # ours, not another server's
                    return
            except WriterUnavailable:
                pass
            sleep(0.05)

    def stop(self) -> None:
        """Stop the writer (only the process that started it may: gunicorn's workers are
        forks of the master and run its clean-up code too)."""
        process = self._process
        if process is None or os.getpid() != self._owner:
            return
        self._process = None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [index writer] %(levelname)s %(message)s")
    config = json.loads(sys.stdin.readline())
    sys.stdin.close()
    sys.exit(run(config))


if __name__ == "__main__":
    main()
