"""Bytes of a DCAT catalogue into an rdflib graph, safely: Turtle, RDF/XML or JSON-LD.

The rules (docs/harvest.md, "Hostile sources"):

- Nothing a document names is ever fetched. Turtle and RDF/XML parsing in rdflib reads
  only the bytes given. JSON-LD is the exception: rdflib's parser fetches every
  ``@context`` (and ``@import``) given as a URL, from anywhere, with no limits. So a
  JSON-LD document is read as JSON first and refused if any context is a reference
  rather than inline (:func:`_remote_context`); only then does rdflib see it.
- RDF/XML may not carry a document type declaration: that is where entities are
  declared (the "billion laughs" expansion, external entities naming ``file://`` or a
  private address). expat reads the document once for that check before rdflib does.
- The caller bounds the size (``HarvestLimits.max_bytes``) before the bytes get here.

Every refusal is :class:`SourceUnreadable`, whose message says what was wrong without
repeating what the document holds (the parser's own messages quote the input).
"""

from __future__ import annotations

import json
import warnings
import xml.parsers.expat
from collections.abc import Iterator
from typing import Any

from rdflib import Graph

from catalogue.errors import CatalogueError

#: What the content types and file name endings say the format is (rdflib's names).
FORMATS_BY_TYPE = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
}
FORMATS_BY_SUFFIX = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".jsonld": "json-ld", ".json": "json-ld"}
FORMAT_NAMES = {"turtle": "Turtle", "xml": "RDF/XML", "json-ld": "JSON-LD"}


class SourceUnreadable(CatalogueError):
    """A harvest source that cannot be read: malformed, too large, too slow or refused (422)."""

    status = 422


def guess_format(data: bytes, content_type: str | None = None, name: str | None = None) -> str:
    """The rdflib format of ``data``: by its content type; else by a start only one format
    has (an XML declaration or ``<rdf:RDF``, a JSON object); else its name's ending; else Turtle."""
    if content_type:
        found = FORMATS_BY_TYPE.get(content_type.split(";", 1)[0].strip().lower())
        if found:
            return found
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml", b"<rdf:RDF")):
        return "xml"
    if head.startswith(b"{"):
        return "json-ld"
    if name:
        for suffix, fmt in FORMATS_BY_SUFFIX.items():
            if name.lower().endswith(suffix):
                return fmt
    if head.startswith(b"["):
        return "json-ld"
    return "turtle"


def parse_into(graph: Graph, data: bytes, fmt: str, base: str) -> None:
    """Add the triples of ``data`` (in ``fmt``) to ``graph``; SourceUnreadable if it is not that."""
    name = FORMAT_NAMES.get(fmt)
    if name is None:
        raise SourceUnreadable(f"Unknown format {fmt!r}; expected turtle, xml or json-ld.")
    if fmt == "xml":
        _refuse_doctype(data)
    elif fmt == "json-ld":
        try:
            document = json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise SourceUnreadable("The source is not valid JSON.") from exc
        if _remote_context(document):
            raise SourceUnreadable(
                "The JSON-LD source refers to a context by URL (@context or @import); Tillit "
                "never fetches one: give the context inline."
            )
    try:
        with warnings.catch_warnings():
            # rdflib 7's JSON-LD parser uses its own deprecated ConjunctiveGraph and
            # default_context, warning on every parse; nothing of ours to change.
            # (tests/unit/dcat/test_parsing.py fails when a release stops warning.)
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"rdflib\.")
            graph.parse(data=data, format=fmt, publicID=base)
    except RecursionError as exc:
        raise SourceUnreadable(f"The source is nested too deeply to read as {name}.") from exc
    except Exception as exc:  # rdflib raises many kinds (BadSyntax, SAXParseException, ValueError, ...)
        raise SourceUnreadable(f"The source is not valid {name}.") from exc


def _refuse_doctype(data: bytes) -> None:
    """SourceUnreadable if the XML declares a document type (and so entities), or is not XML."""

    def refuse(*_: Any) -> None:
        raise SourceUnreadable(
            "The RDF/XML source declares a document type (<!DOCTYPE>); Tillit reads RDF/XML "
            "without one (no entities are expanded)."
        )

    parser = xml.parsers.expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise SourceUnreadable("The source is not valid RDF/XML.") from exc


def _remote_context(node: Any) -> bool:
    """Whether a JSON-LD document names any context by reference (a string) anywhere."""
    for key, value in _items(node):
        if key == "@import":
            return True
        if key == "@context" and any(isinstance(c, str) for c in _contexts(value)):
            return True
    return False


def _contexts(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        for item in value:
            yield from _contexts(item)
    else:
        yield value


def _items(node: Any) -> Iterator[tuple[str, Any]]:
    """Every key and value of every object in a JSON document, without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            for key, value in current.items():
                yield key, value
                stack.append(value)
        elif isinstance(current, list):
            stack.extend(current)
