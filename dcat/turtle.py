"""A graph as Turtle, written in one pass over its statements (the export's Turtle).

rdflib's Turtle serializer spent about half the CPU time of a Turtle export (bench/export.py,
2026-12-05): for each subject and each object it searches the graph again (is this blank node
referenced elsewhere? is this a list?) and tries to shorten every IRI by a namespace lookup.
This writer reads the statements once, groups them by subject, and writes:

- the prefixes given, then each subject with its predicates (``a`` first) and objects, sorted
  (the same graph gives the same bytes);
- an IRI as a prefixed name when a prefix's namespace is all of it but a local name made
  only of ASCII letters, digits, ``_`` and ``-`` (always a valid ``PN_LOCAL``), else as
  ``<…>``, with the characters ``IRIREF`` forbids as ``\\u`` escapes;
- a literal in double quotes with ``\\``, ``"``, line feed and carriage return escaped, then
  its ``@language`` or ``^^datatype``;
- a blank node that is the object of exactly one statement inline as ``[ … ]`` (an entry's
  distributions, contact point, time span and rules); any other blank node (a subject of
  none, or several, or a cycle of them) by its label, which rdflib made unique.

It is valid Turtle (no collections, no long strings, no numeric shorthands: nothing a
parser may read otherwise), and rdflib parses it back to the same graph
(tests/unit/dcat/test_turtle.py); the SHACL tests read it as harvesters do.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from rdflib import BNode, Graph, Literal

from dcat.pagestore import statements
from dcat.terms import RDF

_LOCAL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*\Z")
_LABEL = re.compile(r"[A-Za-z0-9_]+\Z")
#: What IRIREF forbids (controls, space and ``<>"{}|^`\``), escaped as UCHAR.
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_STRING_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def to_turtle(graph: Graph, prefixes: Mapping[str, str]) -> bytes:
    """``graph`` as Turtle, UTF-8, with ``prefixes`` (prefix → namespace) declared."""
    return _Writer(prefixes).write(graph).encode("utf-8")


class _Writer:
    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.prefixes = dict(prefixes)
        # Longest namespace first, so that a namespace inside another never wins.
        self.namespaces = sorted(((ns, p) for p, ns in self.prefixes.items()), key=lambda i: -len(i[0]))
        self.names: dict[Any, str] = {}
        self.labels: dict[BNode, str] = {}

    def write(self, graph: Graph) -> str:
        by_subject: dict[Any, list[tuple[Any, Any]]] = {}
        refs: Counter[BNode] = Counter()
        for s, p, o in statements(graph):
            by_subject.setdefault(s, []).append((p, o))
            if isinstance(o, BNode):
                refs[o] += 1
        self.by_subject = by_subject
        #: Blank nodes written inline where they are the object (each exactly once).
        self.inline = {b for b, n in refs.items() if n == 1}
        self.done: set[Any] = set()
        out = [f"@prefix {p}: <{ns}> .\n" for p, ns in self.prefixes.items()]
        out.append("\n")
        roots = [s for s in by_subject if s not in self.inline]
        roots.sort(key=lambda s: (isinstance(s, BNode), str(s)))
        for subject in roots:
            self._block(out, subject)
        # Blank nodes only ever reached from each other (a cycle): by their labels.
        # Sorted before any is written, so each is checked again: writing one inlines
        # the next of its cycle, which must not be written a second time by its label.
        for subject in sorted((s for s in by_subject if s not in self.done), key=str):
            if subject not in self.done:
                self._block(out, subject)
        return "".join(out)

    def _block(self, out: list[str], subject: Any) -> None:
        self.done.add(subject)
        out.append(self._term(subject))
        out.append(" ")
        out.append(self._properties(self.by_subject[subject], "    "))
        out.append(" .\n\n")

    def _properties(self, pairs: list[tuple[Any, Any]], indent: str) -> str:
        grouped: dict[Any, list[Any]] = {}
        for p, o in pairs:
            grouped.setdefault(p, []).append(o)
        parts = []
        for p in sorted(grouped, key=lambda p: (p != RDF.type, str(p))):
            objects = sorted(grouped[p], key=lambda o: (type(o).__name__, str(o), _tail(o)))
            verb = "a" if p == RDF.type else self._term(p)
            parts.append(verb + " " + ", ".join(self._object(o, indent) for o in objects))
        return (" ;\n" + indent).join(parts)

    def _object(self, o: Any, indent: str) -> str:
        if isinstance(o, BNode) and o in self.inline and o not in self.done:
            self.done.add(o)
            pairs = self.by_subject.get(o)
            if not pairs:
                return "[]"
            inner = indent + "    "
            return "[\n" + inner + self._properties(pairs, inner) + "\n" + indent + "]"
        return self._term(o)

    def _term(self, term: Any) -> str:
        if isinstance(term, Literal):
            return _literal(term, self._term)
        if isinstance(term, BNode):
            return self._label(term)
        name = self.names.get(term)
        if name is None:
            name = self.names[term] = self._iri(str(term))
        return name

    def _iri(self, iri: str) -> str:
        for namespace, prefix in self.namespaces:
            if iri.startswith(namespace) and _LOCAL.match(iri, len(namespace)):
                return f"{prefix}:{iri[len(namespace) :]}"
        return "<" + _IRI_FORBIDDEN.sub(lambda m: f"\\u{ord(m.group()):04X}", iri) + ">"

    def _label(self, node: BNode) -> str:
        label = self.labels.get(node)
        if label is None:
            name = str(node)
            label = "_:" + (name if _LABEL.match(name) else f"b{len(self.labels)}x{abs(hash(name))}")
            self.labels[node] = label
        return label


def _tail(o: Any) -> str:
    if isinstance(o, Literal):
        return (o.language or "") + "|" + (str(o.datatype) if o.datatype else "")
    return ""


def _literal(literal: Literal, term: Callable[[Any], str]) -> str:
    text = '"' + str(literal).translate(_STRING_ESCAPES) + '"'
    if literal.language:
        return text + "@" + literal.language
    if literal.datatype is not None:
        return text + "^^" + term(literal.datatype)
    return text
