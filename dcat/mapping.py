"""One entry, as a caller may see it, to DCAT-AP statements.

The input is an entry's *rendering* for one caller (``EntryView.document``, what the JSON
API answers that caller): the whole entry, or its redacted summary. The mapping reads
only the fields it names below and never a field of Tillit's own workings
(``listing_level``, ``status``, ``revision``, ``sharing_status``, ``data_elements``,
``auth_mechanisms``, reviews, audit, grants), so an export holds no more than the JSON
the same caller reads, and less.

- a dataset is a ``dcat:Dataset``, an API a ``dcat:DataService`` (``dcat:endpointURL``,
  ``dcat:endpointDescription`` = its OpenAPI document's URL when it was given by one
  (``openapi_url``), else our copy of the document, ``dcat:servesDataset``
  = the datasets the caller may see);
- the publisher is a ``foaf:Agent`` (:mod:`dcat.agents`);
- the classification is ``dct:accessRights`` (:class:`dcat.vocabulary.AccessRights`);
- each legal basis is said three ways: ``dcatap:applicableLegislation`` (the statute, its
  ELI where there is one), a DCAT-AP-NO 2 ``cpsv:follows`` rule typed by its role
  (processing: ``cpsvno:ruleForDataProcessing``, restriction:
  ``cpsvno:ruleForNonDisclosure``, disclosure: ``cpsvno:ruleForDisclosure``), and, for
  processing, ``dpv:hasLegalBasis`` (GDPR Art. 6(1)(a)-(f) as DPV's GDPR concepts);
- texts are literals tagged with their language (sv, nb, nn, en);
- an entry's parts (distributions, contact point, time span, legal-basis rules) are blank
  nodes: they have no resource of their own in Tillit, Turtle writes them inline, and
  rdflib's Turtle writer would spend most of an export's time on a namespace per entry
  (``<entry>#distribution-1``); a rule keeps a stable ``dct:identifier``
  (``<entry>#legal-basis-N``), which DCAT-AP-NO requires.

A redacted API summary has no endpoint (the caller may not know it), but DCAT-AP requires
``dcat:endpointURL``: its Tillit entry's URL stands in, where access to it is asked for.

Every concept used is stated with its scheme (``skos:inScheme``), which the EU
controlled-vocabulary shapes check and harvesters read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef

from catalogue.legal import reference_url
from catalogue.statutes import Register
from dcat import vocabulary as vocab
from dcat.pagestore import holds
from dcat.terms import (
    CPSV,
    CPSVNO,
    DCAT,
    DCATAP,
    DCTERMS,
    DPV,
    ELI,
    EU_GDPR,
    FOAF,
    RDF,
    RDFS,
    SKOS,
    VCARD,
    XSD,
)
from dcat.vocabulary import Vocabulary

#: A legal basis's role to its DCAT-AP-NO 2 rule type.
RULE_TYPES: Mapping[str, URIRef] = {
    "processing": CPSVNO.ruleForDataProcessing,
    "restriction": CPSVNO.ruleForNonDisclosure,
    "disclosure": CPSVNO.ruleForDisclosure,
}
_GDPR = "32016R0679"
_GDPR_ART6 = re.compile(r"^Art\. 6\(1\)\(([a-f])\)$")


@dataclass(frozen=True)
class Links:
    """Where things are, given the public base URL (TILLIT_ISSUER): every URI the
    export makes is one of these, so a harvester can fetch each of them back."""

    base: str

    def entry(self, entry_type: str, entry_id: str) -> URIRef:
        """The entry's URI: its resource in the API."""
        collection = "datasets" if entry_type == "dataset" else "apis"
        return URIRef(f"{self.base}/api/v1/{collection}/{entry_id}")

    def openapi(self, entry_id: str) -> URIRef:
        """Our copy of an API's OpenAPI document."""
        return URIRef(f"{self.base}/api/v1/apis/{entry_id}/openapi")

    def agency(self, orgnr: str) -> URIRef:
        """An agency's URI: its resource in the API."""
        return URIRef(f"{self.base}/api/v1/agencies/{orgnr}")

    @property
    def catalog(self) -> URIRef:
        """The catalogue's URI."""
        return URIRef(f"{self.base}/api/v1/dcat/catalog")


def add_texts(
    graph: Graph, subject: URIRef | BNode, predicate: URIRef, texts: Mapping[str, Any] | None
) -> None:
    """One literal per language of a language map, tagged with it; blank texts left out."""
    for lang, text in (texts or {}).items():
        if isinstance(text, str) and text.strip():
            graph.add((subject, predicate, Literal(text, lang=lang)))


def add_concept(
    graph: Graph, subject: URIRef | BNode, predicate: URIRef, value: str | None, vocabulary: Vocabulary
) -> None:
    """``subject predicate`` the concept of Tillit's ``value``, with the concept declared
    (its English label, its scheme and the scheme's title); nothing for a value without one."""
    concept = vocabulary.uri(value)
    if concept is None:
        return
    graph.add((subject, predicate, concept))
    if holds(graph, (concept, SKOS.inScheme, vocabulary.scheme_uri)):
        return  # declared already on this page
    graph.add((concept, RDF.type, SKOS.Concept))
    label = vocabulary.label(vocabulary.value(concept) or str(value))
    graph.add((concept, SKOS.prefLabel, Literal(label, lang="en")))
    graph.add((concept, SKOS.inScheme, vocabulary.scheme_uri))
    graph.add((vocabulary.scheme_uri, RDF.type, SKOS.ConceptScheme))
    graph.add((vocabulary.scheme_uri, DCTERMS.title, Literal(vocabulary.title or vocabulary.name, lang="en")))


def add_licence(graph: Graph, subject: URIRef | BNode, url: str | None) -> None:
    """``subject dct:license``: the EU licence concept where there is one (declared as a
    concept of the EU licence authority, which DCAT-AP-NO requires), else the URL itself."""
    licence = vocab.licence_uri(url)
    if licence is None:
        return
    graph.add((subject, DCTERMS.license, licence))
    graph.add((licence, RDF.type, DCTERMS.LicenseDocument))
    if vocab.is_eu_licence(licence):
        scheme = vocab.LICENCES.scheme_uri
        known = vocab.LICENCES.value(licence)
        label = vocab.LICENCES.label(known) if known else str(licence).rsplit("/", 1)[-1]
        graph.add((licence, RDF.type, SKOS.Concept))
        graph.add((licence, SKOS.prefLabel, Literal(label, lang="en")))
        graph.add((licence, SKOS.inScheme, scheme))
        graph.add((scheme, RDF.type, SKOS.ConceptScheme))
        graph.add((scheme, DCTERMS.title, Literal(vocab.LICENCES.title, lang="en")))


class EntryMapper:
    """Adds one entry's statements to a graph (:meth:`add`); built once per export."""

    def __init__(self, links: Links, access_rights: vocab.AccessRights) -> None:
        self.links = links
        self.access_rights = access_rights

    def add(self, graph: Graph, document: Mapping[str, Any], statutes: Register) -> URIRef:
        """The entry's statements; returns its URI. ``document`` is a rendering for one
        caller (whole or summary), ``statutes`` the register's names of what it cites."""
        entry_type = str(document["type"])
        subject = self.links.entry(entry_type, str(document["id"]))
        redacted = bool(document.get("redacted"))
        graph.add((subject, RDF.type, DCAT.Dataset if entry_type == "dataset" else DCAT.DataService))
        graph.add((subject, DCTERMS.identifier, Literal(str(subject))))
        add_texts(graph, subject, DCTERMS.title, document.get("title"))
        add_texts(graph, subject, DCTERMS.description, document.get("description"))
        graph.add((subject, DCTERMS.publisher, self.links.agency(str(document["publisher"]))))
        rights = self.access_rights.code(str(document["classification"]))
        add_concept(graph, subject, DCTERMS.accessRights, rights, vocab.ACCESS_RIGHTS_VOCABULARY)
        self._contact(graph, subject, document.get("contact_point"))
        if entry_type == "api" and redacted:
            graph.add((subject, DCAT.endpointURL, subject))
        if redacted:
            return subject
        for field, add in self._whole_entry_fields():
            if document.get(field) is not None:
                add(graph, subject, document)
        self._legal_bases(graph, subject, document.get("legal_basis") or (), statutes)
        return subject

    def _whole_entry_fields(
        self,
    ) -> tuple[tuple[str, Callable[[Graph, URIRef, Mapping[str, Any]], None]], ...]:
        return (
            ("keywords", self._keywords),
            ("themes", self._themes),
            ("spatial", self._spatial),
            ("temporal", self._temporal),
            ("update_frequency", self._frequency),
            ("documentation_url", self._page),
            ("created", self._dates),
            ("distributions", self._distributions),
            ("endpoint_urls", self._endpoints),
            ("serves_datasets", self._served),
            ("version", self._version),
        )

    # -- the whole entry's fields ------------------------------------------------------
    @staticmethod
    def _keywords(graph: Graph, subject: URIRef, document: Mapping[str, Any]) -> None:
        for lang, words in document["keywords"].items():
            for word in words:
                graph.add((subject, DCAT.keyword, Literal(word, lang=lang)))

    @staticmethod
    def _themes(graph: Graph, subject: URIRef, document: Mapping[str, Any]) -> None:
        for theme in document["themes"]:
            add_concept(graph, subject, DCAT.theme, theme, vocab.THEMES)

    @staticmethod
    def _spatial(graph: Graph, subject: URIRef, document: Mapping[str, Any]) -> None:
        add_concept(graph, subject, DCTERMS.spatial, document["spatial"], vocab.COUNTRIES)

    @staticmethod
    def _temporal(graph: Graph, subject: URIRef, document: Mapping[str, Any]) -> None:
        span = document["temporal"]
        period = BNode()
        graph.add((subject, DCTERMS.temporal, period))
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if span.get("start"):
            graph.add((period, DCAT.startDate, Literal(span["start"], datatype=XSD.date)))
        if span.get("end"):
            graph.add((period, DCAT.endDate, Literal(span["end"], datatype=XSD.date)))

    @staticmethod
    def _frequency(graph: Graph, subject: URIRef, document: Mapping[str, Any]) -> None:
        add_concept(
            graph, subject, DCTERMS.accrualPeriodicity, document["update_frequency"], vocab.FREQUENCIES
        )

    @staticmethod
    def _page(graph: Graph, subject: URIRef, document: Mapping[str, Any]) -> None:
        page = URIRef(document["documentation_url"])
        graph.add((subject, FOAF.page, page))
        graph.add((page, RDF.type, FOAF.Document))

    @staticmethod
    def _dates(graph: Graph, subject: URIRef, document: Mapping[str, Any]) -> None:
        graph.add((subject, DCTERMS.issued, Literal(document["created"], datatype=XSD.dateTime)))
        if document.get("modified"):
            graph.add((subject, DCTERMS.modified, Literal(document["modified"], datatype=XSD.dateTime)))

    def _distributions(self, graph: Graph, subject: URIRef, document: Mapping[str, Any]) -> None:
        for given in document["distributions"]:
            dist = BNode()
            graph.add((subject, DCAT.distribution, dist))
            graph.add((dist, RDF.type, DCAT.Distribution))
            add_texts(graph, dist, DCTERMS.title, given.get("title"))
            graph.add((dist, DCAT.accessURL, URIRef(given["access_url"])))
            if given.get("download_url"):
                graph.add((dist, DCAT.downloadURL, URIRef(given["download_url"])))
            add_concept(graph, dist, DCTERMS.format, given.get("format"), vocab.FILE_TYPES)
            media_type = vocab.media_type_uri(given.get("media_type"))
            if media_type is not None:
                graph.add((dist, DCAT.mediaType, media_type))
                graph.add((media_type, RDF.type, DCTERMS.MediaType))
            if given.get("byte_size") is not None:
                graph.add((dist, DCAT.byteSize, Literal(given["byte_size"], datatype=XSD.nonNegativeInteger)))
            add_licence(graph, dist, document.get("licence"))

    def _endpoints(self, graph: Graph, subject: URIRef, document: Mapping[str, Any]) -> None:
        for url in document["endpoint_urls"]:
            graph.add((subject, DCAT.endpointURL, URIRef(url)))
        if not document["endpoint_urls"]:
            # DCAT-AP requires an endpoint; an API registered without one is reached
            # through its entry (see the module docstring).
            graph.add((subject, DCAT.endpointURL, subject))
        # The document's own URL when it was given by one (a harvest, kept as it came),
        # else Tillit's copy of an uploaded document.
        if document.get("openapi_url"):
            graph.add((subject, DCAT.endpointDescription, URIRef(str(document["openapi_url"]))))
        elif document.get("has_openapi"):
            graph.add((subject, DCAT.endpointDescription, self.links.openapi(str(document["id"]))))
        add_licence(graph, subject, document.get("licence"))

    def _served(self, graph: Graph, subject: URIRef, document: Mapping[str, Any]) -> None:
        # Only the ids the caller may see: the service filled them in (catalogue.fields._served).
        for dataset_id in document["serves_datasets"]:
            graph.add((subject, DCAT.servesDataset, self.links.entry("dataset", str(dataset_id))))

    @staticmethod
    def _version(graph: Graph, subject: URIRef, document: Mapping[str, Any]) -> None:
        graph.add((subject, DCAT.version, Literal(document["version"])))

    # -- contact point and legal bases (summary and whole) -------------------------------
    @staticmethod
    def _contact(graph: Graph, subject: URIRef, contact: Mapping[str, Any] | None) -> None:
        if not contact:
            return
        node = BNode()
        graph.add((subject, DCAT.contactPoint, node))
        graph.add((node, RDF.type, VCARD.Organization))
        graph.add((node, VCARD.fn, Literal(contact["name"])))
        if contact.get("email"):
            graph.add((node, VCARD.hasEmail, URIRef(f"mailto:{contact['email']}")))
        if contact.get("url"):
            graph.add((node, VCARD.hasURL, URIRef(contact["url"])))

    def _legal_bases(
        self, graph: Graph, subject: URIRef, bases: Iterable[Mapping[str, Any]], statutes: Register
    ) -> None:
        for number, basis in enumerate(bases, start=1):
            jurisdiction, reference = str(basis["jurisdiction"]), str(basis["reference"])
            statute = self._statute(graph, jurisdiction, reference, statutes)
            graph.add((subject, DCATAP.applicableLegislation, statute))
            rule = BNode()
            graph.add((subject, CPSV.follows, rule))
            graph.add((rule, RDF.type, CPSV.Rule))
            graph.add((rule, DCTERMS.type, RULE_TYPES[str(basis["role"])]))
            graph.add((rule, DCTERMS.identifier, Literal(f"{subject}#legal-basis-{number}")))
            graph.add((rule, CPSV.implements, statute))
            for lang, title in self._rule_titles(jurisdiction, reference, basis.get("provision"), statutes):
                graph.add((rule, DCTERMS.title, Literal(title, lang=lang)))
            note = basis.get("note")
            graph.add((rule, DCTERMS.description, Literal(note) if note else Literal(reference)))
            if basis["role"] == "processing":
                graph.add((subject, DPV.hasLegalBasis, rule))
                graph.add((rule, RDF.type, DPV.LegalBasis))
                gdpr = self._gdpr_basis(reference, basis.get("provision"))
                if gdpr is not None:
                    graph.add((subject, DPV.hasLegalBasis, gdpr))

    @staticmethod
    def _statute(graph: Graph, jurisdiction: str, reference: str, statutes: Register) -> URIRef:
        official = URIRef(reference_url(jurisdiction, reference))
        statute = vocab.eli_uri(jurisdiction, reference) or official
        graph.add((statute, RDF.type, ELI.LegalResource))
        graph.add((statute, DCTERMS.identifier, Literal(reference)))
        kind = vocab.resource_type(jurisdiction, reference)
        add_concept(graph, statute, DCTERMS.type, kind, vocab.RESOURCE_TYPES)
        if statute != official:
            graph.add((statute, RDFS.seeAlso, official))
        names = statutes.get((jurisdiction, reference))
        if names is not None:
            add_texts(graph, statute, DCTERMS.title, names.names)
        return statute

    @staticmethod
    def _rule_titles(
        jurisdiction: str, reference: str, provision: str | None, statutes: Register
    ) -> list[tuple[str | None, str]]:
        names = statutes.get((jurisdiction, reference))
        where = f" {provision}" if provision else ""
        if names is None or not names.names:
            return [(None, f"{reference}{where}")]
        return [(lang, f"{name}{where}") for lang, name in names.names.items()]

    @staticmethod
    def _gdpr_basis(reference: str, provision: str | None) -> URIRef | None:
        match = _GDPR_ART6.match(provision or "") if reference == _GDPR else None
        return EU_GDPR[f"A6-1-{match.group(1)}"] if match else None
