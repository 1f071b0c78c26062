"""``tillit serve --workers N`` in a process of its own, and HTTP requests sent to a
chosen worker: a keep-alive connection stays with the worker that accepted it, and
which one that is can be read from /proc (the worker holding the server side of the
connection). Linux only, as the index writer's socket is."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DEADLINE = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(name))
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Served:
    """A running ``tillit serve``: its master, workers and index writer."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc, self.port, self.log = proc, port, log

    @property
    def writer(self) -> list[int]:
        return [p for p in children(self.proc.pid) if "search.writer" in cmdline(p)]

    @property
    def workers(self) -> list[int]:
        return sorted(p for p in children(self.proc.pid) if "api.cli" in cmdline(p))

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def connect(self, worker: int) -> Worker:
        """A keep-alive connection served by ``worker`` (retried until one lands there)."""
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            if self.served_by(conn) == worker:
                return Worker(conn, worker, self)
            conn.close()
        raise AssertionError(f"no connection reached worker {worker}")

    def served_by(self, conn: http.client.HTTPConnection) -> int | None:
        assert conn.sock is not None
        ours = conn.sock.getsockname()[1]
        inode = None
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if int(local.split(":")[1], 16) == self.port and int(remote.split(":")[1], 16) == ours:
                inode = fields[9]
        for pid in self.workers:
            try:
                links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
            except OSError:
                continue
            if f"socket:[{inode}]" in links:
                return pid
        return None


class Worker:
    """Requests over one kept-alive connection to one worker. gunicorn closes a
    connection idle for 2 s: then a new one is made to the same worker."""

    def __init__(self, conn: http.client.HTTPConnection, pid: int, served: Served) -> None:
        self.conn, self.pid, self.served = conn, pid, served

    def request(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        form: str | None = None,
    ) -> tuple[int, Any]:
        """JSON ``body``, or a ``form`` (urlencoded); the status and the parsed answer."""
        try:
            return self._request(method, path, headers, body, form)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # Closed while idle, before it read this request (gunicorn reads a request as
            # soon as it arrives): sent again on a new connection to the same worker.
            self.conn.close()
            self.conn = self.served.connect(self.pid).conn
            return self._request(method, path, headers, body, form)

    def _request(
        self, method: str, path: str, headers: Mapping[str, str] | None, body: Any, form: str | None
    ) -> tuple[int, Any]:
        sent = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body)
            sent["Content-Type"] = "application/json"
        if form is not None:
            data = form
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=data, headers=sent)
        response = self.conn.getresponse()
        raw = response.read()
        if response.getheader("Connection", "").lower() == "close":
            raise AssertionError("the worker closed the connection")
        return response.status, json.loads(raw) if raw else None

    def close(self) -> None:
        self.conn.close()


@contextmanager
def serve(
    settings: Mapping[str, Any], workers: int = 2, env: Mapping[str, str] | None = None
) -> Iterator[Served]:
    """``tillit serve --workers N --threads 2`` on the test's instance folder and database."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TILLIT_")}
    environ.update(
        {
            "TILLIT_INSTANCE_PATH": settings["INSTANCE_PATH"],
            "TILLIT_DATABASE_URL": settings["DATABASE_URL"],
            "TILLIT_ISSUER": settings["ISSUER"],
            **(env or {}),
        }
    )
    log = Path(settings["INSTANCE_PATH"]).parent / f"serve-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "api.cli",
                "serve",
                "--port",
                str(port),
                "--threads",
                "2",
                "--workers",
                str(workers),
            ],
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(proc, port, log)
    try:
        deadline = time.monotonic() + DEADLINE
        while len(served.workers) < workers or not _healthy(port):
            assert proc.poll() is None, served.output()
            assert time.monotonic() < deadline, served.output()
            time.sleep(0.1)
        yield served
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _healthy(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()
