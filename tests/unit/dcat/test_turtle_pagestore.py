"""dcat.turtle over a graph in the export's page store (its statements read straight from
the store's index, ``dcat.pagestore.statements``): the same bytes as over rdflib's own
store, and rdflib parses them back to the same graph."""

from __future__ import annotations

from hypothesis import given, settings
from rdflib import Graph
from rdflib.compare import isomorphic

from dcat.pagestore import PageStore
from dcat.terms import PREFIXES
from dcat.turtle import to_turtle
from tests.unit.dcat.test_turtle import STATEMENTS, statements_of


@settings(max_examples=60, deadline=None)
@given(STATEMENTS)
def test_the_page_store_writes_the_same_turtle(statements):
    ours, theirs = Graph(store=PageStore()), Graph()
    for statement in statements_of(statements):
        ours.add(statement)
        theirs.add(statement)
    text = to_turtle(ours, PREFIXES)
    assert text == to_turtle(theirs, PREFIXES)
    back = Graph()
    back.parse(data=text, format="turtle")
    assert isomorphic(theirs, back), text.decode()
