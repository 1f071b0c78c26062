"""Agencies as ``foaf:Agent``: the publisher of entries, with its organisation number.

Every profile gives the number as ``dct:identifier`` (DCAT-AP-SE: "a Swedish organisation
should use the organisationsnummer"; DCAT-AP-NO 2: the agent's identifier is its
organisasjonsnummer), in the form each national register writes it, digits only
(``2021005448``, ``974760673``). The NO profile adds ``owl:sameAs`` to the agency's entry
in Enhetsregisteret (``https://data.brreg.no/enhetsregisteret/api/enheter/<orgnr>``), the
URI data.norge.no knows publishers by. ``dct:type`` is ADMS's publisher type
``NationalAuthority``: Tillit's agencies are its states' public authorities.
"""

from __future__ import annotations

from collections.abc import Mapping

from rdflib import Graph, Literal, URIRef

from dcat import vocabulary as vocab
from dcat.mapping import add_concept, add_texts
from dcat.terms import DCTERMS, FOAF, OWL, RDF, Profile

BRREG = "https://data.brreg.no/enhetsregisteret/api/enheter/"


def register_form(orgnr: str) -> str:
    """The organisation number as its national register writes it: digits only."""
    return "".join(ch for ch in orgnr if ch.isdigit())


def add_agent(
    graph: Graph,
    subject: URIRef,
    orgnr: str | None,
    country: str | None,
    names: Mapping[str, str],
    homepage: str | None,
    profile: Profile,
) -> None:
    """An agency's statements: its names by language, number, type and homepage."""
    graph.add((subject, RDF.type, FOAF.Agent))
    add_texts(graph, subject, FOAF.name, names)
    add_concept(graph, subject, DCTERMS.type, "national-authority", vocab.PUBLISHER_TYPES)
    if homepage:
        graph.add((subject, FOAF.homepage, URIRef(homepage)))
    if orgnr is None:
        return
    graph.add((subject, DCTERMS.identifier, Literal(register_form(orgnr))))
    if profile.brreg_same_as and country == "NO":
        graph.add((subject, OWL.sameAs, URIRef(BRREG + register_form(orgnr))))
