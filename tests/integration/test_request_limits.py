"""Oversized request heads: Tillit's own 414 and 431 are problems, and under
``tillit serve`` gunicorn's bounds sit above them, so a client never meets
gunicorn's text/html refusals first."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from api.cli.serve import GUNICORN_LIMITS, gunicorn_settings
from api.cli.serve_worker import ProblemWorker
from api.edge import MAX_HEADER_BYTES, MAX_HEADER_FIELDS, MAX_URL_BYTES


def _problem(response, status, title):
    assert response.status_code == status, response.data[:200]
    assert response.mimetype == "application/problem+json"
    assert response.json["title"] == title and response.json["status"] == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def _url(length: int) -> str:
    base = "/api/v1/datasets?q="
    return base + "x" * (length - len(base))


def test_a_url_over_the_bound_is_a_414_problem(client):
    _problem(client.get(_url(MAX_URL_BYTES + 1)), 414, "URI Too Long")
    assert client.get(_url(MAX_URL_BYTES)).status_code == 200  # (an unknown argument is ignored)


def test_a_header_field_over_the_bound_is_a_431_problem(client):
    name = "X-Padding"
    value = "v" * (MAX_HEADER_BYTES - len(name) - 2)
    assert client.get("/api/v1/datasets", headers={name: value}).status_code == 200
    _problem(
        client.get("/api/v1/datasets", headers={name: value + "v"}), 431, "Request Header Fields Too Large"
    )
    # A bearer token past the bound is refused for its size, before anything reads it.
    huge = {"Authorization": "Bearer " + "a" * MAX_HEADER_BYTES}
    _problem(client.get("/api/v1/audit", headers=huge), 431, "Request Header Fields Too Large")


def test_too_many_header_fields_is_a_431_problem(client):
    many = {f"X-Field-{i}": "1" for i in range(MAX_HEADER_FIELDS + 1)}
    _problem(client.get("/api/v1/datasets", headers=many), 431, "Request Header Fields Too Large")


def test_gunicorns_bounds_are_above_tillits():
    # The request line: a method of at most 20 characters (gunicorn's own bound),
    # the URL, " HTTP/1.1" and the spaces between.
    assert 20 + 1 + MAX_URL_BYTES + len(" HTTP/1.1") < GUNICORN_LIMITS["limit_request_line"] <= 8190
    assert GUNICORN_LIMITS["limit_request_field_size"] > MAX_HEADER_BYTES + len("\r\n")
    assert GUNICORN_LIMITS["limit_request_fields"] > MAX_HEADER_FIELDS


# -- under gunicorn ---------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _raw(port: int, head: bytes) -> tuple[int, bytes, bytes]:
    """Send a raw request head; the status, the headers block and the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    headers, _, body = data.partition(b"\r\n\r\n")
    return int(headers.split(b" ", 2)[1]), headers.lower(), body


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    """``tillit serve`` in a process of its own, on a free port (one for the module: no
    test here changes anything)."""
    tmp_path = tmp_path_factory.mktemp("served")
    instance = tmp_path / "instance"
    instance.mkdir()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLIT_")}
    env["TILLIT_INSTANCE_PATH"] = str(instance)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--threads", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            try:
                if _raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("tillit serve did not start")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_under_gunicorn_the_client_meets_tillits_problems(served):
    def get(target: str, headers: str = "") -> tuple[int, bytes, bytes]:
        head = f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\r\n"
        return _raw(served, head.encode())

    # Just past Tillit's bounds, and as far as gunicorn lets a request come.
    longest = GUNICORN_LIMITS["limit_request_line"] - len("GET  HTTP/1.1")
    for length in (MAX_URL_BYTES + 1, longest):
        status, headers, body = get(_url(length))
        assert status == 414 and b"content-type: application/problem+json" in headers, body[:200]
    field_room = GUNICORN_LIMITS["limit_request_field_size"] - len("X-Padding: \r\n")
    for size in (MAX_HEADER_BYTES, field_room):
        status, headers, body = get("/api/v1/datasets", f"X-Padding: {'v' * size}\r\n")
        assert status == 431 and b"content-type: application/problem+json" in headers, body[:200]
    many = "".join(f"X-Field-{i}: 1\r\n" for i in range(GUNICORN_LIMITS["limit_request_fields"] - 3))
    status, headers, body = get("/api/v1/datasets", many)
    assert status == 431 and b"content-type: application/problem+json" in headers, body[:200]
    status, headers, _ = get(_url(MAX_URL_BYTES))
    assert status == 200


FIELDS = GUNICORN_LIMITS["limit_request_fields"]


@pytest.mark.parametrize(
    ("head", "status"),
    [
        ("GET /api/v1/search?q=<b>folkbokföring</b> HTTP/1.1\r\nHost: x\r\n", 400),  # raw UTF-8
        ("G<script>ET / HTTP/1.1\r\nHost: x\r\n", 400),  # a method gunicorn refuses
        ("GET / HTTP/9.<i>\r\nHost: x\r\n", 400),
        ("GET / HTTP/1.1\r\nZq<Hdr>: 1\r\nHost: x\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\n" + "X-Many: 1\r\n" * (1 + FIELDS), 431),
        ("GET /" + "<i>" * 4000 + " HTTP/1.1\r\nHost: x\r\n", 414),
    ],
)
def test_a_request_gunicorn_cannot_read_is_a_problem_that_echoes_nothing(served, head, status):
    """What gunicorn refuses before Tillit sees it is answered as Tillit answers: a
    problem+json, and nothing of the request (its line, method or header names) in it."""
    got, headers, body = _raw(served, (head + "Connection: close\r\n\r\n").encode())
    assert got == status and b"content-type: application/problem+json" in headers, body[:300]
    problem = json.loads(body)
    assert problem["status"] == status
    for echo in (b"<", b"folkbok", b"script", b"Zq", b"HTTP/9", b"X-Many"):
        assert echo not in body, body[:300]


def test_tillit_serve_s_gunicorn_settings_are_gunicorn_s_and_turn_off_its_control_socket():
    """gunicornc's socket is one path per user, shared by every server: none is opened.
    Every setting is one gunicorn knows (Config.set fails on any other)."""
    from gunicorn.config import Config

    settings = gunicorn_settings("127.0.0.1", 5000, 2, 8)
    assert settings["control_socket_disable"] is True
    assert settings["worker_class"] == "api.cli.serve_worker.ProblemWorker"
    config = Config()
    for name, value in settings.items():
        config.set(name, value)
    assert config.worker_class is ProblemWorker and config.control_socket_disable is True
    assert config.limit_request_line == GUNICORN_LIMITS["limit_request_line"]
