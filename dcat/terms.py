"""The RDF namespaces of the export and the three profiles it speaks.

A profile (``?profile=``) changes only what its national portal asks for beyond DCAT-AP 3;
the mapping (:mod:`dcat.mapping`) is one, and each difference is a field of :class:`Profile`:

- ``dcat-ap`` (default): DCAT-AP 3.0.1.
- ``dcat-ap-se``: DCAT-AP-SE 3.0.1 (dataportal.se) also asks for the catalogue's own
  metadata licence, which Sweden requires to be CC0 (the SE bundle's ``dcterms:license``
  of a catalogue).
- ``dcat-ap-no``: DCAT-AP-NO 2.0 (data.norge.no) also asks for ``owl:sameAs`` from a
  Norwegian agency to its entry in the Central Coordinating Register for Legal Entities
  (Enhetsregisteret, data.brreg.no), by which data.norge.no knows publishers.

Everything else (legal bases in their three shapes, ``dct:identifier`` on each resource,
the concepts' schemes) is given in every profile: extra statements never make an
export invalid against another profile's shapes, and one mapping is easier to keep right.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rdflib import Namespace, URIRef
from rdflib import namespace as rdflib_namespaces


class Terms:
    """A namespace whose terms are made once: ``DCTERMS.title`` is an attribute read after
    the first time.

    rdflib makes a new term on every attribute read: a ``Namespace`` joins and checks the
    IRI, and a closed one (``rdflib.namespace.DCTERMS``, ``RDF``, ``XSD``, ...) first looks
    the name up in its vocabulary's class hierarchy. Building the export's pages read such
    attributes some sixty times an entry, and those reads were most of its time
    (bench/README.md, "Namespaces' terms made once"). The first read of a name still asks
    the namespace (a closed one refuses a name it does not define) and keeps its answer."""

    def __init__(self, namespace: Any) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> URIRef:
        if name.startswith("__"):
            raise AttributeError(name)
        term = URIRef(getattr(self._namespace, name))
        setattr(self, name, term)
        return term

    def __getitem__(self, name: str) -> URIRef:
        """A term whose name is not an identifier (``VCARD["organization-name"]``)."""
        if name.isidentifier():
            term: URIRef = getattr(self, name)
            return term
        return URIRef(self._namespace[name])

    def __str__(self) -> str:
        return str(self._namespace)


#: DCAT 3 (an open namespace: rdflib's closed one predates dcat:version).
DCAT = Terms(Namespace("http://www.w3.org/ns/dcat#"))
DCATAP = Terms(Namespace("http://data.europa.eu/r5r/"))
CPSV = Terms(Namespace("http://purl.org/vocab/cpsv#"))
CPSVNO = Terms(Namespace("https://data.norge.no/vocabulary/cpsvno#"))
ELI = Terms(Namespace("http://data.europa.eu/eli/ontology#"))
DPV = Terms(Namespace("https://w3id.org/dpv#"))
EU_GDPR = Terms(Namespace("https://w3id.org/dpv/legal/eu/gdpr#"))
HYDRA = Terms(Namespace("http://www.w3.org/ns/hydra/core#"))
VCARD = Terms(Namespace("http://www.w3.org/2006/vcard/ns#"))
ADMS = Terms(Namespace("http://www.w3.org/ns/adms#"))
SCHEMA = Terms(Namespace("http://schema.org/"))
#: rdflib's closed namespaces, their terms made once.
DCTERMS = Terms(rdflib_namespaces.DCTERMS)
FOAF = Terms(rdflib_namespaces.FOAF)
OWL = Terms(rdflib_namespaces.OWL)
RDF = Terms(rdflib_namespaces.RDF)
RDFS = Terms(rdflib_namespaces.RDFS)
SKOS = Terms(rdflib_namespaces.SKOS)
XSD = Terms(rdflib_namespaces.XSD)

#: Prefixes bound in every graph (so Turtle and RDF/XML read as people write them).
PREFIXES: Mapping[str, str] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    **{
        prefix: str(namespace)
        for prefix, namespace in (
            ("dcatap", DCATAP), ("cpsv", CPSV), ("cpsvno", CPSVNO), ("eli", ELI), ("dpv", DPV),
            ("eu-gdpr", EU_GDPR), ("hydra", HYDRA), ("vcard", VCARD), ("adms", ADMS),
        )
    },
}  # fmt: skip


@dataclass(frozen=True)
class Profile:
    """One application profile: its name and what it asks for beyond DCAT-AP 3 (see the
    module docstring)."""

    name: str
    catalogue_licence: URIRef | None = None
    brreg_same_as: bool = False


PROFILES: Mapping[str, Profile] = {
    p.name: p
    for p in (
        Profile("dcat-ap"),
        Profile("dcat-ap-se", catalogue_licence=URIRef("http://creativecommons.org/publicdomain/zero/1.0/")),
        Profile("dcat-ap-no", brreg_same_as=True),
    )
}
DEFAULT_PROFILE = "dcat-ap"
