"""Attack: make Tillit fetch something it must not (SSRF). Every outbound request goes
through security/outbound.py; none of these reaches its target.

Real servers on loopback only. No test may send a packet off this machine even if
the fetcher were broken: ``no_way_out`` makes any connection to a non-loopback
address fail (and records it) before the kernel is asked, and the loopback
targets below are real servers that count the connections they get.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from api.app import create_app
from security.oidc import OIDCConfigError
from security.outbound import OutboundPolicy, OutboundRefused, fetch, guarded_session


class Server(ThreadingHTTPServer):
    """A loopback HTTP server that counts the connections it accepts."""

    daemon_threads = True

    def __init__(self, host: str, routes: dict[str, Callable[[BaseHTTPRequestHandler], None]]) -> None:
        self.routes = routes
        self.connections = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = outer.routes.get(self.path, ok)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    route(self)

            def log_message(self, *args: Any) -> None:
                return None

        super().__init__((host, 0), Handler)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.connections += 1
        return True

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def ok(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "2")
    handler.end_headers()
    handler.wfile.write(b"ok")


def redirect_to(location: str) -> Callable[[BaseHTTPRequestHandler], None]:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def big(declared: bool) -> Callable[[BaseHTTPRequestHandler], None]:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        if declared:
            handler.send_header("Content-Length", "5000")
        handler.end_headers()
        handler.wfile.write(b"x" * 5000)

    return route


def trickle(handler: BaseHTTPRequestHandler) -> None:
    """A byte at a time, each well within any per-read timeout, forever."""
    handler.send_response(200)
    handler.end_headers()
    for _ in range(600):
        handler.wfile.write(b"x")
        handler.wfile.flush()
        time.sleep(0.05)


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(host: str = "127.0.0.1", **routes: Callable[[BaseHTTPRequestHandler], None]) -> Server:
        server = Server(host, {"/" + k.replace("_", "-"): v for k, v in routes.items()})
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def no_way_out(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Connections beyond this machine fail before any packet leaves, and are recorded."""
    attempts: list[Any] = []
    original = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            ip = ipaddress.ip_address(str(address[0]).split("%", 1)[0])
            mapped = getattr(ip, "ipv4_mapped", None) or ip
            if not (mapped.is_loopback or mapped.is_unspecified):
                attempts.append(address)
                raise AssertionError(f"the test tried to connect to {address!r}")
        original(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


LOCAL = OutboundPolicy(frozenset({"127.0.0.1"}), timeout=2.0, max_bytes=1000, max_redirects=3)


def refused(url: str, policy: OutboundPolicy = LOCAL, **kwargs: Any) -> OutboundRefused:
    with pytest.raises(OutboundRefused) as caught:
        fetch(url, policy=policy, **kwargs)
    return caught.value


def test_a_named_http_host_is_reached(serve):
    """The control: the servers below do answer, so a refusal is the fetcher's."""
    server = serve()
    response = fetch(f"http://127.0.0.1:{server.port}/", policy=LOCAL)
    assert (response.status, response.body, server.connections) == (200, b"ok", 1)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",  # loopback, when not named
        "[::1]",
        "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
        "0.0.0.0",  # "this host"
        "2130706433",  # 127.0.0.1 written as one number
        "0x7f.1",  # and in inet_aton's hexadecimal short form
        "localhost",  # a name that resolves to loopback
    ],
)
def test_loopback_is_refused_before_connecting(serve, host):
    server = serve()
    error = refused(f"https://{host}:{server.port}/", OutboundPolicy())
    assert error.reason == "address"
    assert server.connections == 0


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.1",
        "172.16.0.1",
        "192.168.0.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "224.0.0.1",  # multicast
        "240.0.0.1",  # reserved
        "[fd00::1]",  # unique local
        "[fe80::1]",  # link-local
        "[::ffff:169.254.169.254]",
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
        "[2002:a00:1::]",  # 6to4 of 10.0.0.1
    ],
)
def test_private_and_reserved_addresses_are_refused(no_way_out, host):
    for policy in (OutboundPolicy(), LOCAL):
        assert refused(f"https://{host}/latest/meta-data/", policy).reason == "address"
    assert no_way_out == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1:{port}/",
        "gopher://127.0.0.1:{port}/_",
        "dict://127.0.0.1:{port}/",
    ],
)
def test_other_schemes_are_refused(serve, url):
    server = serve()
    assert refused(url.format(port=server.port)).reason == "scheme"
    assert server.connections == 0


def test_plain_http_only_to_named_hosts(serve):
    server = serve()
    assert refused(f"http://localhost:{server.port}/").reason == "scheme"
    assert server.connections == 0


def test_credentials_in_the_url_are_refused(serve):
    server = serve()
    assert refused(f"http://user:pw@127.0.0.1:{server.port}/").reason == "url"
    assert server.connections == 0


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.2:{port}/",  # plain http to a host not named
        "https://127.0.0.2:{port}/",  # loopback, not named
        "https://localhost:{port}/",  # a name that resolves to loopback
        "file:///etc/passwd",
    ],
)
def test_a_redirect_is_checked_like_the_first_request(serve, location):
    target = serve("127.0.0.2")
    allowed = serve(hop=redirect_to(location.format(port=target.port)))
    url = f"http://127.0.0.1:{allowed.port}/hop"
    with pytest.raises(OutboundRefused):
        fetch(url, policy=LOCAL)
    # Authlib's client follows redirects itself: the same checks apply to its hops.
    with (
        guarded_session(LOCAL) as session,
        pytest.raises((OutboundRefused, requests.exceptions.InvalidSchema)),
    ):
        session.get(url)
    assert allowed.connections == 2
    assert target.connections == 0


def test_redirects_are_limited(serve):
    server = serve()
    server.routes["/loop"] = redirect_to(f"http://127.0.0.1:{server.port}/loop")
    assert refused(f"http://127.0.0.1:{server.port}/loop").reason == "redirects"
    assert server.connections == LOCAL.max_redirects + 1


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "unannounced"])
def test_a_body_over_the_cap_is_refused(serve, declared):
    server = serve(big=big(declared))
    assert refused(f"http://127.0.0.1:{server.port}/big").reason == "too_large"
    with guarded_session(LOCAL) as session, pytest.raises(OutboundRefused):
        session.get(f"http://127.0.0.1:{server.port}/big")


def test_a_body_that_trickles_past_the_deadline_is_cut_off(serve):
    server = serve(slow=trickle)
    quick = OutboundPolicy(frozenset({"127.0.0.1"}), timeout=0.5, max_bytes=1_000_000)
    assert refused(f"http://127.0.0.1:{server.port}/slow", quick).reason == "too_slow"


def test_no_proxy_from_the_environment(serve, monkeypatch):
    proxy, server = serve(), serve()
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert fetch(f"http://127.0.0.1:{server.port}/", policy=LOCAL).status == 200
    assert (server.connections, proxy.connections) == (1, 0)


def test_an_oidc_provider_over_plain_http_must_be_named(app_settings):
    provider = {
        "name": "skv",
        "agency": "202100-5448",
        "issuer": "http://127.0.0.1:9",
        "client_id": "tillit",
        "client_secret": "s3cret",
    }
    with pytest.raises(OIDCConfigError, match="TILLIT_OUTBOUND_HTTP_HOSTS"):
        create_app(app_settings | {"OIDC_PROVIDERS": [provider]})
