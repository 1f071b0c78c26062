"""dcat.pagestore's straight reads (``statements``, ``holds``): the same answers as rdflib's
``Graph`` gives, for a page store and for any other store."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from dcat.pagestore import PageStore, holds, statements

_NODES = [URIRef("https://x.example/a"), URIRef("https://x.example/b"), BNode("n1"), Literal("x", lang="sv")]
_PREDICATES = [RDF.type, DCTERMS.title, DCTERMS.relation]
_subject = st.sampled_from(_NODES[:3])
_object = st.sampled_from(_NODES)
_statement = st.tuples(_subject, st.sampled_from(_PREDICATES), _object)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(_statement, max_size=20),
    st.lists(_statement, max_size=3),
    st.tuples(
        st.one_of(st.none(), _subject),
        st.one_of(st.none(), st.sampled_from(_PREDICATES)),
        st.one_of(st.none(), _object),
    ),
)
def test_straight_reads_answer_as_the_graph(added, removed, pattern):
    ours, theirs = Graph(store=PageStore()), Graph()
    for graph in (ours, theirs):
        for statement in added:
            graph.add(statement)
        for statement in removed:
            graph.remove(statement)
    expected = sorted(theirs.triples((None, None, None)))
    assert sorted(statements(ours)) == expected
    assert sorted(statements(theirs)) == expected
    assert holds(ours, pattern) == (pattern in theirs)
    assert holds(theirs, pattern) == (pattern in theirs)


def test_a_removed_statement_is_not_held():
    graph = Graph(store=PageStore())
    a, b = URIRef("https://x.example/a"), URIRef("https://x.example/b")
    graph.add((a, RDF.type, b))
    assert holds(graph, (a, RDF.type, None)) and holds(graph, (a, RDF.type, b))
    graph.remove((a, RDF.type, b))
    assert not holds(graph, (a, RDF.type, None)) and not holds(graph, (a, RDF.type, b))
    assert list(statements(graph)) == []
