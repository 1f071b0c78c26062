"""Attack: stand in for the server Tillit means to call, over https. The fetcher
connects to the address it checked, not to the name (security/outbound.py); these
tests prove the name still governs the TLS side: SNI, the certificate's name and its
issuer, whatever the caller asks.

Real TLS servers on loopback, with certificates from throw-away CAs (trustme). The
name is ``localhost``, named in the policy (a named host may be loopback, over http
or https; nothing else may). ``no_way_out`` (imported) keeps every connection on
this machine.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import certifi
import pytest
import requests
import trustme

from api.app import create_app
from security.outbound import (
    IPAddress,
    OutboundFailed,
    OutboundPolicy,
    fetch,
    guarded_session,
    resolve,
    tls_context,
)
from tests.security.test_outbound import no_way_out  # noqa: F401  (autouse: nothing leaves the machine)

NAME = "localhost"


class TLSServer(ThreadingHTTPServer):
    """An https server that records, per connection, the address it came in on and
    the SNI the client sent, and each request's Host (a request only the client
    accepted the certificate)."""

    daemon_threads = True

    def __init__(self, address: IPAddress, context: ssl.SSLContext) -> None:
        self.context = context
        self.reached: list[str] = []
        self.sni: list[str | None] = []
        self.hosts: list[str | None] = []
        context.sni_callback = self._sni
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: a pooled connection could be reused

            def do_GET(self) -> None:
                outer.hosts.append(self.headers.get("Host"))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return None

        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        self.address_family = family
        super().__init__((str(address), 0), Handler)

    def _sni(self, sock: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        self.sni.append(name)

    def finish_request(self, request: Any, client_address: Any) -> None:
        self.reached.append(request.getsockname()[0])
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except OSError:
            return  # the client would not accept the certificate
        with tls, contextlib.suppress(OSError):
            super().finish_request(tls, client_address)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def bundle(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "internal-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def policy(bundle: str) -> OutboundPolicy:
    """As an operator would set it: TILLIT_OUTBOUND_HTTP_HOSTS=localhost and
    TILLIT_OUTBOUND_CA_BUNDLE naming the internal CA."""
    return OutboundPolicy.from_settings(NAME, 2, 1000, 0, bundle)


@pytest.fixture
def serve(policy: OutboundPolicy) -> Iterator[Callable[..., TLSServer]]:
    """start(ca, *names): a server with a certificate from ``ca`` for ``names``,
    listening on the address the fetcher checks for ``localhost``."""
    servers: list[TLSServer] = []
    address = resolve(NAME, 443, policy)

    def start(issuer: trustme.CA, *names: str) -> TLSServer:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        issuer.issue_cert(*names).configure_cert(context)
        server = TLSServer(address, context)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def failed(url: str, policy: OutboundPolicy) -> OutboundFailed:
    with pytest.raises(OutboundFailed) as caught:
        fetch(url, policy=policy)
    return caught.value


def test_the_named_host_is_reached_at_the_checked_address_under_its_name(serve, ca, policy):
    server = serve(ca, NAME)
    response = fetch(f"https://{NAME}:{server.port}/", policy=policy)
    assert (response.status, response.body) == (200, b"ok")
    assert server.reached == [str(resolve(NAME, server.port, policy))]
    assert server.sni == [NAME]
    assert server.hosts == [f"{NAME}:{server.port}"]


@pytest.mark.parametrize(
    "other",
    [
        "other.example",  # another name
        "127.0.0.1",  # the very address the connection is pinned to
    ],
)
def test_a_certificate_for_another_name_is_refused(serve, ca, policy, other):
    server = serve(ca, other)
    url = f"https://{NAME}:{server.port}/"
    assert failed(url, policy).reason == "tls"
    with guarded_session(policy) as session, pytest.raises(requests.exceptions.SSLError):
        session.get(url)  # Authlib's path (token exchange, userinfo)
    # The same address was reached (twice), and no request was sent to it.
    assert (server.reached, server.hosts) == ([str(resolve(NAME, server.port, policy))] * 2, [])


def test_a_certificate_from_an_untrusted_ca_is_refused(serve, ca, policy):
    server = serve(trustme.CA(), NAME)
    assert failed(f"https://{NAME}:{server.port}/", policy).reason == "tls"
    # And the internal CA is trusted only because the operator named its bundle.
    trusted = serve(ca, NAME)
    without_bundle = OutboundPolicy(frozenset({NAME}), timeout=2.0)
    assert failed(f"https://{NAME}:{trusted.port}/", without_bundle).reason == "tls"
    assert (server.hosts, trusted.hosts) == ([], [])


def test_a_caller_cannot_turn_the_check_off_or_bring_its_own_ca(serve, policy, tmp_path):
    rogue = trustme.CA()
    rogue_bundle = tmp_path / "rogue.pem"
    rogue.cert_pem.write_to_path(str(rogue_bundle))
    server = serve(rogue, NAME)
    url = f"https://{NAME}:{server.port}/"
    for verify in (False, str(rogue_bundle)):
        with guarded_session(policy) as session, pytest.raises(requests.exceptions.SSLError):
            session.get(url, verify=verify)
    assert server.hosts == []


def test_a_connection_checked_for_one_name_is_not_reused_for_another(serve, ca, bundle):
    """Both names are allowed and reach the same address and port; the certificate
    is for one of them. A pool keyed on the address alone would hand the second
    request the connection verified for the first."""
    both = OutboundPolicy.from_settings(f"{NAME} 127.0.0.1", 2, 1000, 0, bundle)
    server = serve(ca, NAME)
    with guarded_session(both) as session:
        assert session.get(f"https://{NAME}:{server.port}/").status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            session.get(f"https://127.0.0.1:{server.port}/")
    # A second connection was made (and refused), not the first one reused.
    assert (len(server.reached), server.sni) == (2, [NAME, None])
    assert server.hosts == [f"{NAME}:{server.port}"]


def _authorities(context: ssl.SSLContext) -> set[tuple[str, str]]:
    return {(repr(c["subject"]), str(c["serialNumber"])) for c in context.get_ca_certs()}


def test_the_bundle_is_trusted_besides_certifi(policy):
    """An internal CA does not cost the public ones: webhooks to public hosts still work."""
    certifi_store = _authorities(ssl.create_default_context(cafile=certifi.where()))
    with_bundle = _authorities(tls_context(policy))
    assert certifi_store < with_bundle and len(with_bundle - certifi_store) == 1
    assert _authorities(tls_context(OutboundPolicy())) == certifi_store


@pytest.mark.parametrize("content", [None, b"", b"not a certificate\n"], ids=["missing", "empty", "junk"])
def test_an_unreadable_bundle_stops_the_start(app_settings, tmp_path, content):
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError, match="TILLIT_OUTBOUND_CA_BUNDLE"):
        create_app(app_settings | {"OUTBOUND_CA_BUNDLE": str(path)})
