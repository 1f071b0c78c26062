"""dcat.pagestore: a graph in the page store answers every pattern as rdflib's own store does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from dcat.pagestore import PageStore

_NODES = [URIRef("https://x.example/a"), URIRef("https://x.example/b"), BNode("n1"), Literal("x", lang="sv")]
_PREDICATES = [RDF.type, DCTERMS.title, DCTERMS.relation]
_subject = st.sampled_from(_NODES[:3])
_object = st.sampled_from(_NODES)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(_subject, st.sampled_from(_PREDICATES), _object), max_size=20),
    st.lists(st.tuples(_subject, st.sampled_from(_PREDICATES), _object), max_size=3),
    st.tuples(
        st.one_of(st.none(), _subject),
        st.one_of(st.none(), st.sampled_from(_PREDICATES)),
        st.one_of(st.none(), _object),
    ),
)
def test_the_same_answers_as_rdflibs_store(statements, removed, pattern):
    ours, theirs = Graph(store=PageStore()), Graph()
    for graph in (ours, theirs):
        for statement in statements:
            graph.add(statement)
        for statement in removed:
            graph.remove(statement)
    assert len(ours) == len(theirs)
    assert sorted(ours.triples(pattern)) == sorted(theirs.triples(pattern))
    assert (pattern in ours) == (pattern in theirs)


def test_prefixes_bound_as_rdflib_binds_them():
    graph = Graph(store=PageStore(), bind_namespaces="none")
    graph.bind("dct", DCTERMS)
    assert dict(graph.namespaces())["dct"] == URIRef(str(DCTERMS))
    assert graph.store.prefix(URIRef(str(DCTERMS))) == "dct"
