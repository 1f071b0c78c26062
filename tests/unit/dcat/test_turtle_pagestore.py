"""dcat.turtle over a graph in the export's page store (its statements read straight from
the store's index, ``dcat.pagestore.statements``): the same bytes as over rdflib's own
store, and rdflib parses them back to the same graph."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF

from dcat.pagestore import PageStore
from dcat.terms import DCAT, PREFIXES
from dcat.turtle import to_turtle
from tests.unit.dcat.test_turtle import _iri, _literal


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 6),
            st.sampled_from([DCTERMS.title, DCTERMS.relation, RDF.type, DCAT.distribution]),
            st.one_of(_literal, _iri, st.integers(0, 6)),
            st.booleans(),
        ),
        max_size=25,
    )
)
def test_the_page_store_writes_the_same_turtle(statements):
    nodes = [BNode() for _ in range(7)]
    ours, theirs = Graph(store=PageStore()), Graph()
    for subject, predicate, obj, iri_subject in statements:
        s = URIRef(f"https://x.example/s{subject}") if iri_subject else nodes[subject]
        o = nodes[obj] if isinstance(obj, int) else obj
        ours.add((s, predicate, o))
        theirs.add((s, predicate, o))
    text = to_turtle(ours, PREFIXES)
    assert text == to_turtle(theirs, PREFIXES)
    back = Graph()
    back.parse(data=text, format="turtle")
    assert isomorphic(theirs, back), text.decode()
