"""Where a harvest reads from: a file, or an https URL through the safe fetcher, page by page.

A URL is fetched only by ``security.outbound.fetch`` (https only, no private addresses,
the whole request under a deadline, the body under a size cap): the harvest's own caps
(:class:`HarvestLimits`, ``TILLIT_HARVEST_*``) replace the outbound defaults, whose 1 MB
suits a webhook, not a catalogue. Hydra paging is followed (``hydra:next`` of a
``hydra:PartialCollectionView``, as the EU and Norwegian harvesters read it): each next
page must be a URL the same rules allow, at most ``max_pages`` pages, never one twice.
A file is read as it is, and its ``hydra:next`` is not followed (a file names no
network place Tillit should go).

Every page is parsed into one graph before anything is written: a page that fails
fails the whole harvest (:class:`SourceUnreadable`), and the catalogue stays as it was.

The graph is held by rdflib's ``SimpleMemory`` store, which keeps triples without the
named graphs (contexts) of its default ``Memory`` store: a harvest reads one graph, and
the contexts' bookkeeping on every triple added and read was a fifth of the parse and a
third of reading the records (docs/harvest.md, "Round 8"; the same records either way,
:func:`new_graph`). JSON-LD is parsed into the default store, as rdflib's JSON-LD
parser needs one with contexts; its triples are then those of its page's graph, as
before.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from rdflib import Graph, Namespace, URIRef

from dcat.harvest.parsing import SourceUnreadable, guess_format, parse_into
from security.outbound import OutboundError, OutboundPolicy, check_url, fetch

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
#: The formats whose rdflib parser writes triples only (no named graphs): parsed into a
#: ``SimpleMemory`` graph (``new_graph``).
TRIPLES_ONLY_FORMATS = frozenset({"turtle", "xml"})
ACCEPT = "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8"


@dataclass(frozen=True)
class HarvestLimits:
    """The harvest's caps: bytes per page (and per file), seconds per page, pages per source."""

    max_bytes: int = 50_000_000
    timeout: float = 60.0
    max_pages: int = 200


@dataclass(frozen=True)
class LoadedSource:
    """A source read whole: its key (what its records remember), its graph and page count."""

    key: str
    graph: Graph
    pages: int
    #: What the reader chose not to do (a file's hydra:next, ...).
    warnings: tuple[str, ...] = ()
    #: The hash of the salt and the bytes read (``load_source``).
    digest: str = ""
    #: The bytes are those of the last clean harvest: not parsed, nothing to write.
    unchanged: bool = False


def is_url(source: str) -> bool:
    """Whether ``source`` is a URL (else a file path)."""
    return source.lower().startswith(("https://", "http://"))


def load_source(
    source: str,
    policy: OutboundPolicy,
    limits: HarvestLimits,
    *,
    salt: str = "",
    known_digest: str | None = None,
) -> LoadedSource:
    """Read ``source`` (a file path or a URL) into one graph; SourceUnreadable if it cannot be.

    ``digest`` is a hash of ``salt`` (what else decides the records: the profile, the
    mapping's version and settings) and every page's bytes. A one-page source whose
    digest is ``known_digest`` is not parsed at all (``unchanged``): its records would be
    the ones written last time. A paged source is always parsed (only its pages say
    where the next one is)."""
    digest = hashlib.sha256(salt.encode())
    graph = new_graph()
    if not is_url(source):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > limits.max_bytes:
                raise SourceUnreadable(f"The source is larger than {limits.max_bytes} bytes.")
            data = path.read_bytes()
        except OSError as exc:
            raise SourceUnreadable("The source file cannot be read.") from exc
        key = "file:" + str(path.resolve())
        digest.update(data)
        if digest.hexdigest() == known_digest:
            return LoadedSource(key, graph, 1, digest=known_digest, unchanged=True)
        fmt = guess_format(data, None, path.name)
        graph = new_graph(fmt)
        parse_into(graph, data, fmt, path.resolve().as_uri())
        warnings = ("hydra:next is not followed from a file.",) if _next_page(graph, key) else ()
        return LoadedSource(key, graph, 1, warnings, digest=digest.hexdigest())
    paged = dataclasses.replace(policy, max_bytes=limits.max_bytes, timeout=limits.timeout)
    url: str | None = source
    visited: list[str] = []
    while url is not None:
        if len(visited) >= limits.max_pages:
            raise SourceUnreadable(f"The source has more than {limits.max_pages} pages.")
        visited.append(url)
        data, content_type = _fetch(url, paged)
        digest.update(data)
        if len(visited) == 1 and digest.hexdigest() == known_digest:
            return LoadedSource(source, graph, 1, digest=known_digest, unchanged=True)
        fmt = guess_format(data, content_type, url)
        page = new_graph(fmt)
        parse_into(page, data, fmt, url)
        graph += page
        url = _next_page(page, url)
        if url is not None and url in visited:
            url = None  # a page that names an earlier one ends the paging
    return LoadedSource(source, graph, len(visited), digest=digest.hexdigest())


def new_graph(fmt: str = "turtle") -> Graph:
    """An empty graph to parse ``fmt`` into: without contexts unless the parser needs them."""
    return Graph(store="SimpleMemory") if fmt in TRIPLES_ONLY_FORMATS else Graph()


def _fetch(url: str, policy: OutboundPolicy) -> tuple[bytes, str | None]:
    try:
        check_url(url, policy)
        response = fetch(url, policy=policy, headers={"Accept": ACCEPT})
    except OutboundError as exc:
        raise SourceUnreadable(f"The source could not be fetched: {exc}") from exc
    if response.status != 200:
        raise SourceUnreadable(f"The source answered HTTP {response.status}.")
    content_type = next((v for k, v in response.headers.items() if k.lower() == "content-type"), None)
    return response.body, content_type


def _next_page(graph: Graph, base: str) -> str | None:
    for value in graph.objects(None, HYDRA.next):
        if isinstance(value, URIRef):
            return urljoin(base, str(value))
    return None
