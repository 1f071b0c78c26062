"""The one way Tillit makes a request on someone's behalf (webhooks, OpenID Connect
discovery, keys and token exchange; later OpenAPI documents and DCAT catalogues).

- ``https`` only; plain ``http`` only to hosts the operator names
  (``TILLIT_OUTBOUND_HTTP_HOSTS``, for development and tests); no other scheme,
  no user name or password in the URL, no proxy from the environment.
- The host is resolved once, when the connection is made; every address it
  resolves to must be global unicast (the stdlib ``ipaddress`` classifies them,
  including IPv4 inside IPv6: mapped, 6to4, NAT64), and the connection
  goes to exactly that address, while the Host header, SNI and the certificate
  check keep the name. A name that resolves elsewhere a moment later (DNS
  rebinding) changes nothing. A host named in the http setting may also be
  loopback (over http or https), and nothing else is.
- The certificate is always checked, for the name, against certifi's store plus
  the operator's CA bundle (``TILLIT_OUTBOUND_CA_BUNDLE``, e.g. an internal CA);
  a caller's ``verify`` (False, or a bundle of its own) is ignored.
- Redirects are followed by ``fetch`` for GET and HEAD only, at most
  ``max_redirects`` times, each hop checked like the first; credentials are not
  carried to another origin.
- The body is read under a size cap, and the whole request under a deadline (not
  a timeout per read: a server that trickles a byte at a time is cut off too).

Refusals raise ``OutboundRefused``; a network failure ``OutboundFailed``. Their
messages name the rule, never anything the other side sent.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

import certifi
import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool
from urllib3.exceptions import HTTPError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
REDIRECTS = (301, 302, 303, 307, 308)
CHUNK = 16_384
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_CREDENTIALS = ("authorization", "cookie", "proxy-authorization")


class OutboundError(Exception):
    """An outbound request did not succeed. ``reason`` is a short code for logs."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class OutboundRefused(OutboundError):
    """The request breaks a rule (scheme, address, size, time, redirects) and was not
    made, or was cut off."""


class OutboundFailed(OutboundError):
    """The request was allowed but failed on the network (refused, reset, TLS)."""


@dataclass(frozen=True)
class OutboundPolicy:
    """The rules every outbound request obeys: which hosts may use http, the time, size and redirect caps."""

    #: Hosts that may be reached over plain http, and may be loopback (lower case).
    http_hosts: frozenset[str] = frozenset()
    #: Seconds for the whole request, redirects included.
    timeout: float = 10.0
    max_bytes: int = 1_000_000
    max_redirects: int = 3
    #: A PEM file of CA certificates trusted besides certifi's (empty: certifi's alone).
    ca_bundle: str = ""

    @classmethod
    def from_settings(
        cls,
        http_hosts: str | Iterable[str],
        timeout: Any,
        max_bytes: Any,
        max_redirects: Any,
        ca_bundle: str = "",
    ) -> OutboundPolicy:
        """The policy from its TILLIT_OUTBOUND_* settings; ValueError if out of range or unreadable."""
        names = http_hosts.replace(",", " ").split() if isinstance(http_hosts, str) else http_hosts
        policy = cls(
            frozenset(n.strip().lower().rstrip(".").strip("[]") for n in names if n.strip()),
            float(timeout),
            int(max_bytes),
            int(max_redirects),
            str(ca_bundle or "").strip(),
        )
        if not (0 < policy.timeout <= 300 and policy.max_bytes > 0 and 0 <= policy.max_redirects <= 10):
            raise ValueError(
                "TILLIT_OUTBOUND_TIMEOUT_SECONDS must be 0-300, TILLIT_OUTBOUND_MAX_BYTES positive "
                "and TILLIT_OUTBOUND_MAX_REDIRECTS 0-10."
            )
        try:
            tls_context(policy)  # a bundle that cannot be read is a start-up error, not a failed delivery
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(
                "TILLIT_OUTBOUND_CA_BUNDLE must name a readable PEM file of CA certificates."
            ) from exc
        return policy

    def named(self, host: str) -> bool:
        """Whether ``host`` is one of the hosts named for plain http (and loopback)."""
        return host.lower().rstrip(".") in self.http_hosts


@dataclass(frozen=True)
class FetchedResponse:
    """A response read under the policy's caps: its final URL, status, headers and whole body."""

    url: str
    status: int
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)

    def json(self) -> Any:
        """The body parsed as JSON; ValueError if it is not."""
        return json.loads(self.body)


# -- the rules ------------------------------------------------------------------
def address_refusal(address: IPAddress, *, loopback_allowed: bool = False) -> str | None:
    """Why a connection to ``address`` is refused, or None for a global unicast address."""
    if loopback_allowed and address.is_loopback:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_refusal(embedded, loopback_allowed=loopback_allowed)
        if address.is_site_local:
            return "a site-local address"
    for attribute, label in (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(address, attribute):
            return label
    if not address.is_global:
        return "a non-global address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, NAT64). Teredo needs
    none: ``is_private`` refuses its whole prefix."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def check_url(url: str, policy: OutboundPolicy) -> SplitResult:
    """The URL's own rules, without any network: scheme, host, no credentials, and a
    host written as an address (in any form the resolver accepts) must be allowed.
    Also what a form or an API checks before storing a URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused("url", "The URL is malformed.") from exc
    host = parts.hostname
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not policy.named(host or "")):
        raise OutboundRefused("scheme", "Only https URLs are allowed.")
    if not host:
        raise OutboundRefused("url", "The URL names no host.")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("url", "The URL may not carry a user name or password.")
    if port == 0:
        raise OutboundRefused("url", "The URL names port 0.")
    literal = _numeric(host)
    if literal is not None:
        refusal = address_refusal(literal, loopback_allowed=policy.named(host))
        if refusal:
            raise OutboundRefused("address", f"The URL names {refusal}.")
    return parts


def _numeric(host: str) -> IPAddress | None:
    """The address a host written as a number stands for (inet_aton forms such as
    ``2130706433`` or ``0x7f.1`` included), without a DNS query; None for a name."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError):
        return None
    return ipaddress.ip_address(str(infos[0][4][0]).split("%", 1)[0])


def resolve(host: str, port: int, policy: OutboundPolicy) -> IPAddress:
    """Resolve once; every address must be allowed (a name that also resolves to a
    private address is refused, whichever address would be tried first)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundFailed("dns", "The host name does not resolve.") from exc
    addresses = list(dict.fromkeys(ipaddress.ip_address(str(i[4][0]).split("%", 1)[0]) for i in infos))
    if not addresses:
        raise OutboundFailed("dns", "The host name does not resolve.")
    for address in addresses:
        refusal = address_refusal(address, loopback_allowed=policy.named(host))
        if refusal:
            raise OutboundRefused("address", f"The host resolves to {refusal}.")
    return addresses[0]


# -- the transport --------------------------------------------------------------
def tls_context(policy: OutboundPolicy) -> ssl.SSLContext:
    """The one TLS context of outbound https: certifi's store (what requests trusts by
    default) plus the policy's bundle, certificates required, no common-name fallback."""
    return _tls_context(policy.ca_bundle)


@functools.lru_cache(maxsize=4)
def _tls_context(ca_bundle: str) -> ssl.SSLContext:
    # Shared by every connection (loading the store per connection costs more than
    # the request). The name is matched by urllib3 against ``assert_hostname`` (the
    # name, not the address connected to); urllib3 turns check_hostname off on the
    # context for that anyway, so it starts off rather than changing on first use.
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    context.check_hostname = False
    context.hostname_checks_common_name = False
    return context


class GuardedAdapter(HTTPAdapter):
    """requests' adapter, connecting only to checked addresses and reading under the
    caps. The pool is opened for the checked address, with the name kept for SNI and
    the certificate (urllib3's ``server_hostname``/``assert_hostname``)."""

    def __init__(self, policy: OutboundPolicy) -> None:
        super().__init__(max_retries=0)
        self.policy = policy

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: bool | str,
        proxies: Mapping[str, str] | None = None,
        cert: Any = None,
    ) -> HTTPConnectionPool:
        """A pool for the checked address of the request's host, TLS verified against the host's name."""
        parts = check_url(str(request.url), self.policy)
        host = str(parts.hostname)
        address = resolve(host, parts.port or (443 if parts.scheme == "https" else 80), self.policy)
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        host_params["host"] = f"[{address}]" if address.version == 6 else str(address)
        if parts.scheme == "https":
            pool_kwargs["server_hostname"] = host
            pool_kwargs["assert_hostname"] = host
            pool_kwargs["ssl_context"] = tls_context(self.policy)
            pool_kwargs["cert_reqs"] = "CERT_REQUIRED"
            pool_kwargs.pop("ca_certs", None)
            pool_kwargs.pop("ca_cert_dir", None)
        pool: HTTPConnectionPool = self.poolmanager.connection_from_host(
            **host_params, pool_kwargs=pool_kwargs
        )
        return pool

    def cert_verify(self, conn: Any, url: str, verify: bool | str, cert: Any) -> None:
        """Keep the policy's TLS context and its certificate check, whatever ``verify`` the caller gave."""
        # requests would put its own bundle (or the caller's) on the pool, or turn the
        # check off for verify=False; the pool keeps the policy's context, always checked.
        super().cert_verify(conn, url, False, cert)
        if url.lower().startswith("https"):
            conn.cert_reqs = "CERT_REQUIRED"

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send the request to a checked address under the caps; OutboundRefused if a rule is broken."""
        if proxies and any(proxies.values()):
            raise OutboundRefused("proxy", "Outbound requests do not go through a proxy.")
        parts = check_url(str(request.url), self.policy)
        request = request.copy()  # a redirect copies the request: the Host must not travel
        request.headers["Host"] = parts.netloc
        budget = self.policy.timeout
        if isinstance(timeout, int | float):
            budget = min(timeout, budget)
        deadline = time.monotonic() + budget
        response = super().send(request, stream=True, timeout=(budget, budget), verify=verify, cert=cert)
        try:
            # requests reads ``content`` from ``_content`` when set: the capped body
            # is put there (tests/security/test_outbound.py breaks if that changes).
            response._content = _read_capped(response, deadline, self.policy.max_bytes)
            response._content_consumed = True
        finally:
            response.close()
        return response


def _read_capped(response: requests.Response, deadline: float, max_bytes: int) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise OutboundRefused("too_large", f"The response is larger than {max_bytes} bytes.")
    raw = response.raw
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise OutboundRefused("too_slow", "The response did not arrive in time.")
        connection = getattr(raw, "connection", None)
        sock = getattr(connection, "sock", None)
        if sock is not None:
            sock.settimeout(remaining)  # one read may not outlast the deadline
        try:
            chunk = raw.read1(CHUNK, decode_content=True)
        except (OSError, HTTPError, HTTPException) as exc:
            if time.monotonic() >= deadline:
                raise OutboundRefused("too_slow", "The response did not arrive in time.") from exc
            raise OutboundFailed("read", "The response could not be read.") from exc
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise OutboundRefused("too_large", f"The response is larger than {max_bytes} bytes.")
        chunks.append(chunk)


def guarded_session(policy: OutboundPolicy, session: requests.Session | None = None) -> requests.Session:
    """``session`` (e.g. Authlib's OAuth2Session) with every request under the policy:
    only http(s) adapters (and only through the checks), no environment proxies,
    redirects limited and each hop checked again."""
    session = session if session is not None else requests.Session()
    session.trust_env = False
    session.max_redirects = policy.max_redirects
    session.adapters.clear()
    adapter = GuardedAdapter(policy)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["Accept-Encoding"] = "identity"
    return session


# -- the one call -----------------------------------------------------------------
def fetch(
    url: str,
    *,
    policy: OutboundPolicy,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    follow_redirects: bool = True,
) -> FetchedResponse:
    """One request under the policy. Redirects are followed for GET and HEAD when
    ``follow_redirects``; any other 3xx is returned as it is."""
    check_url(url, policy)
    deadline = time.monotonic() + policy.timeout
    current = dict(headers or {})
    with guarded_session(policy) as session:
        for _hop in range(policy.max_redirects + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OutboundRefused("too_slow", "The response did not arrive in time.")
            try:
                response = session.request(
                    method, url, headers=current, data=body, timeout=remaining, allow_redirects=False
                )
            except requests.exceptions.SSLError as exc:
                raise OutboundFailed("tls", "The server's certificate was not accepted.") from exc
            except requests.exceptions.Timeout as exc:  # no answer before the deadline
                raise OutboundRefused("too_slow", "The response did not arrive in time.") from exc
            except requests.RequestException as exc:
                raise OutboundFailed("network", "The request failed on the network.") from exc
            location = response.headers.get("Location")
            redirect = response.status_code in REDIRECTS and location and method in ("GET", "HEAD")
            if not (follow_redirects and redirect):
                return FetchedResponse(url, response.status_code, dict(response.headers), response.content)
            target = urljoin(url, str(location))
            check_url(target, policy)
            if _origin(target) != _origin(url):
                current = {k: v for k, v in current.items() if k.lower() not in _CREDENTIALS}
            url = target
    raise OutboundRefused("redirects", f"More than {policy.max_redirects} redirects.")


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port
