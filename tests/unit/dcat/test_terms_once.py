"""dcat.terms.Terms: the namespaces' terms are rdflib's, made once; a closed namespace
still refuses a name its vocabulary does not define."""

from __future__ import annotations

import pytest
from rdflib import URIRef
from rdflib import namespace as rdflib_namespaces

from dcat.terms import DCAT, DCTERMS, PREFIXES, RDF, VCARD, XSD


def test_the_same_terms_as_rdflibs():
    assert DCTERMS.title == rdflib_namespaces.DCTERMS.title
    assert RDF.type == rdflib_namespaces.RDF.type
    assert XSD.dateTime == rdflib_namespaces.XSD.dateTime
    assert DCAT.version == URIRef("http://www.w3.org/ns/dcat#version")
    assert isinstance(DCTERMS.title, URIRef)


def test_made_once():
    assert DCTERMS.description is DCTERMS.description
    assert DCAT.distribution is DCAT.distribution


def test_a_closed_namespace_refuses_an_unknown_name():
    with pytest.raises(AttributeError):
        _ = DCTERMS.notATermOfDublinCore


def test_names_that_are_not_identifiers_and_the_namespace_itself():
    assert VCARD["organization-name"] == URIRef("http://www.w3.org/2006/vcard/ns#organization-name")
    assert VCARD["fn"] is VCARD.fn
    assert str(DCTERMS) == "http://purl.org/dc/terms/"
    assert PREFIXES["vcard"] == "http://www.w3.org/2006/vcard/ns#"
