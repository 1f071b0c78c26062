"""The rdflib store a page of the export is built in: one index, by subject.

A page is built once (``Graph.add``), asked whether a statement is there (a concept or an
agent declared already: subject given), and walked once by a serializer (all statements,
or a subject's). rdflib's ``SimpleMemory`` keeps three indexes for any query, and adding
a statement to them was the largest single cost of building a page (6 µs of about 67 an
entry: bench/README.md, "Turtle by dcat/turtle.py"). This store keeps statements by subject,
then predicate; a query without a subject walks them all, which no export path makes
per statement. Namespace bindings are kept as ``SimpleMemory`` keeps them.

:func:`statements` and :func:`holds` read a page store's index straight, without rdflib's
``Graph`` between (a generator and a tuple of contexts per statement): the Turtle writer
walks every statement once, and the mapping asks "declared already?" for each concept and
agent it adds; through ``Graph`` those were half the writer's time and a fifth of the
mapping's (bench/README.md, "Namespaces' terms made once"). Any other store is asked
through ``Graph``, with the same answers (tests/unit/dcat/test_pagestore.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from rdflib import Graph, URIRef
from rdflib.store import Store


def statements(graph: Graph) -> Iterable[tuple[Any, Any, Any]]:
    """Every statement of ``graph`` as (subject, predicate, object), in no set order."""
    store = graph.store
    if isinstance(store, PageStore):
        return store.statements()
    return graph.triples((None, None, None))


def holds(graph: Graph, pattern: tuple[Any, Any, Any]) -> bool:
    """Whether a statement of ``graph`` matches ``pattern`` (None: any), as ``pattern in graph``."""
    store = graph.store
    if isinstance(store, PageStore):
        return store.holds(pattern)
    return pattern in graph


class PageStore(Store):
    """Statements by subject and predicate; no contexts, no quoted graphs."""

    def __init__(self) -> None:
        super().__init__()
        self._spo: dict[Any, dict[Any, dict[Any, None]]] = {}
        self._count = 0
        self._namespace: dict[str, URIRef] = {}
        self._prefix: dict[URIRef, str] = {}

    def add(self, triple: Any, context: Any, quoted: bool = False) -> None:
        """Add a statement (once)."""
        s, p, o = triple
        by_predicate = self._spo.get(s)
        if by_predicate is None:
            by_predicate = self._spo[s] = {}
        objects = by_predicate.get(p)
        if objects is None:
            objects = by_predicate[p] = {}
        if o not in objects:
            objects[o] = None
            self._count += 1

    def remove(self, triple: Any, context: Any = None) -> None:
        """Remove the statements matching a pattern."""
        for (s, p, o), _contexts in list(self.triples(triple)):
            del self._spo[s][p][o]
            self._count -= 1

    def triples(self, triple_pattern: Any, context: Any = None) -> Iterator[tuple[Any, Iterator[Any]]]:
        """The statements matching a pattern (None: any)."""
        s, p, o = triple_pattern
        subjects = [s] if s is not None else list(self._spo)
        for subject in subjects:
            by_predicate = self._spo.get(subject)
            if not by_predicate:
                continue
            predicates = [p] if p is not None else list(by_predicate)
            for predicate in predicates:
                objects = by_predicate.get(predicate)
                if not objects:
                    continue
                if o is not None:
                    if o in objects:
                        yield (subject, predicate, o), iter(())
                    continue
                for obj in list(objects):
                    yield (subject, predicate, obj), iter(())

    def statements(self) -> Iterator[tuple[Any, Any, Any]]:
        """Every statement, straight from the index."""
        for subject, by_predicate in self._spo.items():
            for predicate, objects in by_predicate.items():
                for obj in objects:
                    yield subject, predicate, obj

    def holds(self, pattern: tuple[Any, Any, Any]) -> bool:
        """Whether a statement matches ``pattern`` (None: any)."""
        s, p, o = pattern
        if s is not None and p is not None:
            objects = self._spo.get(s, {}).get(p)
            return bool(objects) and (o is None or o in objects)  # type: ignore[operator]
        return any(True for _ in self.triples(pattern))

    def __len__(self, context: Any = None) -> int:
        return self._count

    def bind(self, prefix: str, namespace: URIRef, override: bool = True) -> None:
        """Bind a prefix, as SimpleMemory does."""
        bound_namespace = self._namespace.get(prefix)
        bound_prefix = self._prefix.get(namespace)
        if bound_prefix is None and bound_namespace is not None:
            bound_prefix = self._prefix.get(bound_namespace)
        if override:
            if bound_prefix is not None:
                del self._namespace[bound_prefix]
            if bound_namespace is not None:
                del self._prefix[bound_namespace]
            self._prefix[namespace] = prefix
            self._namespace[prefix] = namespace
        else:
            kept_namespace = namespace if bound_namespace is None else bound_namespace
            kept_prefix = prefix if bound_prefix is None else bound_prefix
            self._prefix[kept_namespace] = kept_prefix
            self._namespace[kept_prefix] = kept_namespace

    def namespace(self, prefix: str) -> URIRef | None:
        """The namespace bound to ``prefix``."""
        return self._namespace.get(prefix)

    def prefix(self, namespace: URIRef) -> str | None:
        """The prefix bound to ``namespace``."""
        return self._prefix.get(namespace)

    def namespaces(self) -> Iterator[tuple[str, URIRef]]:
        """Every binding."""
        yield from self._namespace.items()
