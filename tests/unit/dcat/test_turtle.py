"""dcat.turtle: whatever the graph, the Turtle written is parsed by rdflib back to the same
graph (isomorphic: blank nodes by structure), whatever its literals, IRIs and blank nodes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF, XSD

from dcat.terms import DCAT, PREFIXES, VCARD
from dcat.turtle import to_turtle


def _round_trip(graph: Graph) -> Graph:
    text = to_turtle(graph, PREFIXES)
    back = Graph()
    back.parse(data=text, format="turtle")
    assert isomorphic(graph, back), text.decode()
    return back


def test_an_entry_with_its_parts_inline():
    graph = Graph()
    entry = URIRef("https://tillit.example/api/v1/datasets/8c9112ae-85cc-4af6-81f3-cbdc9d2642b4")
    contact, span = BNode(), BNode()
    graph.add((entry, RDF.type, DCAT.Dataset))
    graph.add((entry, DCTERMS.title, Literal('Inkomst "2024"\\\nrad två\r', lang="sv")))
    graph.add((entry, DCTERMS.title, Literal("Income", lang="en")))
    graph.add((entry, DCAT.contactPoint, contact))
    graph.add((contact, RDF.type, VCARD.Organization))
    graph.add((contact, VCARD.hasEmail, URIRef("mailto:data@skatteverket.se")))
    graph.add((entry, DCTERMS.temporal, span))
    graph.add((span, DCAT.startDate, Literal("2020-01-01", datatype=XSD.date)))
    graph.add((entry, DCAT.byteSize, Literal(12, datatype=XSD.nonNegativeInteger)))
    graph.add((entry, DCTERMS.description, Literal("plain")))
    graph.add((entry, DCTERMS.description, Literal("typed", datatype=XSD.string)))
    text = to_turtle(graph, PREFIXES).decode()
    assert "dcat:contactPoint [" in text and "a dcat:Dataset" in text and "_:" not in text
    _round_trip(graph)


def test_rdf_type_as_an_object_or_subject_is_not_written_as_a():
    graph = Graph()
    graph.add((URIRef("https://x.example/p"), DCTERMS.relation, RDF.type))
    graph.add((RDF.type, DCTERMS.title, Literal("type")))
    _round_trip(graph)


def test_a_cycle_of_blank_nodes_each_referenced_once_is_written_once():
    # Found by test_any_graph_round_trips: a -> b -> a, neither referenced elsewhere; writing
    # a inlines b, which was then written again under its own label (a third node, read back).
    graph = Graph()
    a, b = BNode(), BNode()
    graph.add((a, DCTERMS.relation, b))
    graph.add((b, DCTERMS.title, a))
    graph.add((b, DCTERMS.title, Literal("3000-08-06", datatype=XSD.date)))
    back = _round_trip(graph)
    assert len(back) == 3


def test_shared_blank_nodes_and_cycles_keep_their_labels():
    graph = Graph()
    a, b, shared, lonely = BNode(), BNode(), BNode(), BNode()
    graph.add((a, DCTERMS.relation, b))
    graph.add((b, DCTERMS.relation, a))
    graph.add((URIRef("https://x.example/1"), DCTERMS.relation, shared))
    graph.add((URIRef("https://x.example/2"), DCTERMS.relation, shared))
    graph.add((shared, DCTERMS.title, Literal("shared")))
    graph.add((URIRef("https://x.example/3"), DCTERMS.relation, lonely))  # no statements of its own
    graph.add((a, DCTERMS.relation, a))
    _round_trip(graph)


def test_iris_no_prefixed_name_can_hold():
    graph = Graph()
    for iri in (
        "http://purl.org/dc/terms/",  # the namespace itself
        "http://purl.org/dc/terms/a.b",
        "http://purl.org/dc/terms/a%20b",
        "https://lovdata.no/NL/lov/2016-12-09-88/§1-1",
        'https://x.example/a b<c>{d}|e^f`g\\h"',
        "http://www.w3.org/ns/dcat#-start",
    ):
        graph.add((URIRef(iri), DCTERMS.title, Literal(iri)))
    back = Graph()
    back.parse(data=to_turtle(graph, PREFIXES), format="turtle")
    # No blank nodes: the same statements (rdflib's own comparison refuses such IRIs).
    assert set(back) == set(graph)


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
_iri = st.builds(
    lambda ns, local: URIRef(ns + local),
    st.sampled_from([*PREFIXES.values(), "https://x.example/"]),
    st.text(
        st.characters(min_codepoint=33, max_codepoint=0x2FF, blacklist_characters='<>"{}|^`\\'), max_size=8
    ),
)
_literal = st.one_of(
    st.builds(Literal, _text),
    st.builds(
        lambda t, lang: Literal(t, lang=lang), _text, st.sampled_from(["sv", "nb", "nn", "en", "en-GB"])
    ),
    st.builds(lambda t: Literal(t, datatype=XSD.string), _text),
    st.builds(lambda d: Literal(d, datatype=XSD.date), st.dates().map(str)),
)


#: Statements over seven blank nodes and seven IRIs: (subject, predicate, object, whether the
#: subject is the IRI); an integer object is a blank node. Read by :func:`statements_of`.
STATEMENTS = st.lists(
    st.tuples(
        st.integers(0, 6),
        st.sampled_from([DCTERMS.title, DCTERMS.relation, RDF.type, DCAT.distribution]),
        st.one_of(_literal, _iri, st.integers(0, 6)),
        st.booleans(),
    ),
    max_size=25,
)


def statements_of(drawn: list) -> list[tuple]:
    """The (subject, predicate, object) statements a draw of :data:`STATEMENTS` stands for."""
    nodes = [BNode() for _ in range(7)]
    return [
        (
            URIRef(f"https://x.example/s{subject}") if iri_subject else nodes[subject],
            predicate,
            nodes[obj] if isinstance(obj, int) else obj,
        )
        for subject, predicate, obj, iri_subject in drawn
    ]


@settings(max_examples=60, deadline=None)
@given(STATEMENTS)
def test_any_graph_round_trips(statements):
    graph = Graph()
    for statement in statements_of(statements):
        graph.add(statement)
    _round_trip(graph)
