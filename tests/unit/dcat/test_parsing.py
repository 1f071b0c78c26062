"""Hostile sources: nothing a document names is fetched, no entity is expanded, and every
refusal is SourceUnreadable with a message of our own (dcat.harvest.parsing, .sources)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from rdflib import Graph

from dcat.harvest.parsing import SourceUnreadable, guess_format, parse_into
from dcat.harvest.sources import HarvestLimits, load_source
from security.outbound import OutboundPolicy


class _Recorder(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        body = b'{"@context": {"title": "http://purl.org/dc/terms/title"}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        return None


@pytest.fixture
def recorder() -> Iterator[str]:
    """A local server that notes every request made to it (none should be)."""
    _Recorder.requests = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "document",
    [
        '{"@context": "%s/ctx", "@id": "https://x.example/ds", "title": "x"}',
        '{"@context": ["%s/ctx", {"dct": "http://purl.org/dc/terms/"}], "@id": "https://x.example/ds"}',
        '{"@context": {"@import": "%s/ctx"}, "@id": "https://x.example/ds"}',
        '{"@graph": [{"@context": "%s/ctx", "@id": "https://x.example/ds"}]}',
        '{"@context": {"t": {"@id": "http://purl.org/dc/terms/title", "@context": "%s/ctx"}}, "@id": "x"}',
    ],
)
def test_a_remote_json_ld_context_is_refused_and_never_fetched(recorder: str, document: str) -> None:
    # rdflib's JSON-LD parser fetches a context given by URL, from anywhere; we refuse first.
    data = (document % recorder).encode()
    with pytest.raises(SourceUnreadable, match="context by URL"):
        parse_into(Graph(), data, "json-ld", "https://x.example/")
    assert _Recorder.requests == []


def test_rdflib_would_fetch_it_so_the_check_is_needed(recorder: str) -> None:
    """The reason for the check: rdflib itself fetches the context. If this ever fails,
    rdflib stopped fetching by default, and the check is a second line only. (It also
    proves that rdflib's JSON-LD parser still warns, which ``parse_into`` silences.)"""
    with pytest.warns(DeprecationWarning):
        Graph().parse(
            data=f'{{"@context": "{recorder}/ctx", "@id": "https://x.example/ds"}}', format="json-ld"
        )
    assert _Recorder.requests == ["/ctx"]


def test_an_inline_json_ld_context_is_read() -> None:
    data = (
        b'{"@context": {"dct": "http://purl.org/dc/terms/", "dcat": "http://www.w3.org/ns/dcat#"},'
        b' "@id": "https://x.example/ds", "@type": "dcat:Dataset",'
        b' "dct:title": {"@value": "T", "@language": "sv"}}'
    )
    graph = Graph()
    parse_into(graph, data, "json-ld", "https://x.example/")
    assert len(graph) == 2


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">
  <rdf:Description rdf:about="https://x.example/ds"><dct:title>&lol3;</dct:title></rdf:Description>
</rdf:RDF>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">
  <rdf:Description rdf:about="https://x.example/ds"><dct:title>&secret;</dct:title></rdf:Description>
</rdf:RDF>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_rdf_xml_with_a_document_type_is_refused(document: bytes) -> None:
    graph = Graph()
    with pytest.raises(SourceUnreadable, match="document type"):
        parse_into(graph, document, "xml", "https://x.example/")
    assert len(graph) == 0


def test_an_external_parameter_entity_naming_a_private_url_is_refused(recorder: str) -> None:
    document = f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY % remote SYSTEM "{recorder}/dtd"> %remote;]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>""".encode()
    with pytest.raises(SourceUnreadable):
        parse_into(Graph(), document, "xml", "https://x.example/")
    assert _Recorder.requests == []


@pytest.mark.parametrize(
    ("data", "fmt", "message"),
    [
        (b"<https://x.example/ds> a <http://www.w3.org/ns/dcat#Dataset", "turtle", "not valid Turtle"),
        (b"<rdf:RDF", "xml", "not valid RDF/XML"),
        (b'{"@id": ', "json-ld", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "json-ld", "JSON"),
        (b"\xff\xfe\x00garbage", "turtle", "not valid Turtle"),
    ],
)
def test_a_malformed_source_is_unreadable_with_our_message(data: bytes, fmt: str, message: str) -> None:
    with pytest.raises(SourceUnreadable, match=message):
        parse_into(Graph(), data, fmt, "https://x.example/")


def test_iris_naming_files_or_private_hosts_are_only_names(recorder: str, tmp_path: Path) -> None:
    """Turtle that names file:// and private URLs (owl:imports, a distribution) is read as
    names; rdflib follows no import and fetches nothing."""
    secret = tmp_path / "secret.ttl"
    secret.write_text('<https://x.example/leak> <https://x.example/p> "leaked" .')
    data = f"""@prefix owl: <http://www.w3.org/2002/07/owl#> .
<https://x.example/cat> owl:imports <{secret.as_uri()}>, <{recorder}/import> .
<https://x.example/ds> <http://www.w3.org/ns/dcat#accessURL> <file:///etc/passwd> .""".encode()
    graph = Graph()
    parse_into(graph, data, "turtle", "https://x.example/")
    assert len(graph) == 3
    assert _Recorder.requests == []


def test_a_file_larger_than_the_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.ttl"
    big.write_bytes(b"# " + b"x" * 2_000 + b"\n")
    with pytest.raises(SourceUnreadable, match="larger than 1000 bytes"):
        load_source(str(big), OutboundPolicy(), HarvestLimits(max_bytes=1000))


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(SourceUnreadable, match="cannot be read"):
        load_source(str(tmp_path / "none.ttl"), OutboundPolicy(), HarvestLimits())


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com/catalog.ttl", "Only https"),
        ("https://127.0.0.1/catalog.ttl", "loopback"),
        ("https://10.0.0.1/catalog.ttl", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
    ],
)
def test_a_url_the_safe_fetcher_refuses_is_never_fetched(url: str, message: str) -> None:
    with pytest.raises(SourceUnreadable, match=message):
        load_source(url, OutboundPolicy(), HarvestLimits())


@pytest.mark.parametrize(
    ("data", "content_type", "name", "expected"),
    [
        (b"@prefix x: <y> .", "text/turtle; charset=utf-8", None, "turtle"),
        (b"<?xml version='1.0'?>", None, "catalog.rdf", "xml"),
        (b'{"@context": {}}', None, None, "json-ld"),
        (b"<?xml version='1.0'?><rdf:RDF/>", None, None, "xml"),
        (b"<https://x.example/a> <https://x.example/b> 1 .", None, None, "turtle"),
    ],
)
def test_the_format_comes_from_the_type_the_name_or_the_first_bytes(
    data: bytes, content_type: str | None, name: str | None, expected: str
) -> None:
    assert guess_format(data, content_type, name) == expected
