"""The DCAT-AP export: the catalogue page by page, and one entry, for one caller.

Never more than the JSON API shows the same caller: every entry comes from the entry
service's ``list_entries`` or ``get`` with the caller's identity (the policy's read filter,
the redacted summary between listing level and classification, reads audited), and
:mod:`dcat.mapping` reads only the rendering that service hands back. An anonymous
harvester (data.europa.eu, dataportal.se, data.norge.no) gets the public entries.

Paging (``GET /api/v1/dcat/catalog?page=N&per_page=M``) follows the Hydra core vocabulary
in both forms harvesters read: the current one (``hydra:view`` to a
``hydra:PartialCollectionView`` with ``hydra:first``, ``hydra:previous``, ``hydra:next``,
``hydra:last``), which data.norge.no's harvester follows, and the older
``hydra:PagedCollection`` (``hydra:firstPage``, ``hydra:nextPage``, ``hydra:lastPage``,
``hydra:itemsPerPage``, ``hydra:totalItems``), which the EU's (piveau) and CKAN's
ckanext-dcat follow. One page is one graph of at most the largest page size (100)
entries: memory stays bounded whatever the catalogue's size, and :meth:`DcatExport.pages`
walks them in turn for a whole export (bench/export.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from rdflib import Graph, Literal, URIRef

from catalogue.errors import NotFound
from catalogue.models import Agency
from catalogue.services.agencies import AgencyService
from catalogue.services.entries import EntryService
from catalogue.services.entry_views import EntryView
from dcat import vocabulary as vocab
from dcat.agents import add_agent
from dcat.collector import collector_spared
from dcat.mapping import EntryMapper, Links, add_concept, add_texts
from dcat.pagestore import PageStore, holds
from dcat.terms import DCAT, DCTERMS, HYDRA, PREFIXES, RDF, SKOS, XSD, Profile
from dcat.turtle import to_turtle
from security.identity import Identity


@dataclass(frozen=True)
class Format:
    """An RDF serialisation: its media type and rdflib's name for it."""

    media_type: str
    rdflib_name: str


#: ``?format=`` values, each with its media type (what ``Accept`` may name instead).
FORMATS: Mapping[str, Format] = {
    "ttl": Format("text/turtle", "turtle"),
    "jsonld": Format("application/ld+json", "json-ld"),
    "rdf": Format("application/rdf+xml", "xml"),
}
MEDIA_TYPES: Mapping[str, str] = {f.media_type: name for name, f in FORMATS.items()}

CATALOGUE_TITLE = {
    "sv": "Tillit: myndigheters data och API:er",
    "nb": "Tillit: offentlige virksomheters data og API-er",
    "nn": "Tillit: offentlege verksemders data og API-ar",
    "en": "Tillit: public agencies' data and APIs",
}
CATALOGUE_DESCRIPTION = {
    "sv": "Datamängder och API:er som myndigheter delar med varandra och med allmänheten.",
    "nb": "Datasett og API-er som offentlige virksomheter deler med hverandre og med allmennheten.",
    "nn": "Datasett og API-ar som offentlege verksemder deler med kvarandre og med ålmenta.",
    "en": "Datasets and APIs that public agencies share with each other and with the public.",
}
#: The catalogue's publisher when TILLIT_DCAT_PUBLISHER names no agency.
OPERATOR_NAME = {"en": "Tillit"}


@dataclass(frozen=True)
class ExportSettings:
    """What the export needs of the configuration (api/config.py)."""

    base: str
    access_rights: vocab.AccessRights
    #: The organisation number of the agency that runs this Tillit (TILLIT_DCAT_PUBLISHER).
    publisher: str | None = None


@dataclass
class CatalogPage:
    """One page of the catalogue as a graph, and where it stands among the pages."""

    graph: Graph
    page: int
    per_page: int
    total: int

    @property
    def last(self) -> int:
        """The number of the last page (1 for an empty catalogue)."""
        return max(1, -(-self.total // self.per_page))


@dataclass
class DcatExport:
    """The export for one unit of work: ``entries`` and ``agencies`` are the request's
    services; agencies read once are kept for the rest of it."""

    entries: EntryService
    agencies: AgencyService
    settings: ExportSettings
    _agencies: dict[str, Agency | None] = field(default_factory=dict)

    @property
    def links(self) -> Links:
        """The URIs of this deployment."""
        return Links(self.settings.base.rstrip("/"))

    def new_graph(self) -> Graph:
        """An empty graph with the export's prefixes bound, in a store with one index
        (``dcat.pagestore``: a page is built once and walked once)."""
        graph = Graph(store=PageStore(), bind_namespaces="none")
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace)
        return graph

    # -- one entry ----------------------------------------------------------------------
    def entry(self, identity: Identity, entry_id: str, entry_type: str, profile: Profile) -> Graph:
        """One entry as the caller may see it, with its publisher; NotFound as the JSON read."""
        view = self.entries.get(identity, entry_id, entry_type)
        graph = self.new_graph()
        self._add_views(identity, graph, [view], profile)
        return graph

    # -- the catalogue ------------------------------------------------------------------
    def catalog_page(
        self,
        identity: Identity,
        *,
        page: int,
        per_page: int,
        profile: Profile,
        query: Sequence[tuple[str, str]] = (),
        publisher: str | None = None,
    ) -> CatalogPage:
        """Page ``page`` of the entries the caller may list (datasets and APIs), with the
        catalogue's statements and its Hydra view. ``query`` are the other query arguments
        of the request, kept in the page links; ``publisher`` keeps one agency's entries."""
        listed = self.entries.list_entries(identity, publisher=publisher, page=page, per_page=per_page)
        graph = self.new_graph()
        catalog = self.links.catalog
        result = CatalogPage(graph, listed.page, listed.per_page, listed.total)
        self._catalogue(identity, graph, catalog, profile)
        subjects = self._add_views(identity, graph, listed.items, profile)
        for subject, view in zip(subjects, listed.items, strict=True):
            graph.add(
                (catalog, DCAT.dataset if view.document["type"] == "dataset" else DCAT.service, subject)
            )
        self._hydra(graph, catalog, result, query)
        return result

    def pages(
        self,
        identity: Identity,
        *,
        per_page: int,
        profile: Profile,
        query: Sequence[tuple[str, str]] = (),
        publisher: str | None = None,
    ) -> Iterator[CatalogPage]:
        """Every page of the catalogue in turn: one page's graph in memory at a time. The
        objects alive when the walk starts are spared the cyclic collector until it ends
        (``dcat.collector``: its full passes were a third of a Turtle export's CPU)."""
        number = 1
        with collector_spared():
            while True:
                current = self.catalog_page(
                    identity,
                    page=number,
                    per_page=per_page,
                    profile=profile,
                    query=query,
                    publisher=publisher,
                )
                yield current
                if number >= current.last:
                    return
                number += 1

    def _catalogue(self, identity: Identity, graph: Graph, catalog: URIRef, profile: Profile) -> None:
        graph.add((catalog, RDF.type, DCAT.Catalog))
        graph.add((catalog, DCTERMS.identifier, Literal(str(catalog))))
        add_texts(graph, catalog, DCTERMS.title, CATALOGUE_TITLE)
        add_texts(graph, catalog, DCTERMS.description, CATALOGUE_DESCRIPTION)
        themes = vocab.THEMES.scheme_uri
        graph.add((catalog, DCAT.themeTaxonomy, themes))
        graph.add((themes, RDF.type, SKOS.ConceptScheme))
        graph.add((themes, DCTERMS.title, Literal(vocab.THEMES.title, lang="en")))
        for lang in ("sv", "nb", "nn", "en"):
            add_concept(graph, catalog, DCTERMS.language, lang, vocab.LANGUAGES)
        if profile.catalogue_licence is not None:
            graph.add((catalog, DCTERMS.license, profile.catalogue_licence))
            graph.add((profile.catalogue_licence, RDF.type, DCTERMS.LicenseDocument))
        graph.add((catalog, DCTERMS.publisher, self._catalogue_publisher(identity, graph, profile)))

    def _catalogue_publisher(self, identity: Identity, graph: Graph, profile: Profile) -> URIRef:
        orgnr = self.settings.publisher
        if orgnr:
            return self._agent(identity, graph, orgnr, profile)
        operator = URIRef(f"{self.links.catalog}#publisher")
        add_agent(graph, operator, None, None, OPERATOR_NAME, self.settings.base, profile)
        return operator

    def _hydra(
        self, graph: Graph, catalog: URIRef, page: CatalogPage, query: Sequence[tuple[str, str]]
    ) -> None:
        def at(number: int) -> URIRef:
            args = [*query, ("page", str(number)), ("per_page", str(page.per_page))]
            return URIRef(f"{catalog}?{urlencode(args)}")

        view = at(page.page)
        total = Literal(page.total, datatype=XSD.nonNegativeInteger)
        graph.add((catalog, RDF.type, HYDRA.Collection))
        graph.add((catalog, HYDRA.totalItems, total))
        graph.add((catalog, HYDRA.view, view))
        graph.add((view, RDF.type, HYDRA.PartialCollectionView))
        graph.add((view, RDF.type, HYDRA.PagedCollection))
        graph.add((view, HYDRA.first, at(1)))
        graph.add((view, HYDRA.firstPage, at(1)))
        graph.add((view, HYDRA.last, at(page.last)))
        graph.add((view, HYDRA.lastPage, at(page.last)))
        if page.page > 1:
            graph.add((view, HYDRA.previous, at(page.page - 1)))
            graph.add((view, HYDRA.previousPage, at(page.page - 1)))
        if page.page < page.last:
            graph.add((view, HYDRA.next, at(page.page + 1)))
            graph.add((view, HYDRA.nextPage, at(page.page + 1)))
        graph.add((view, HYDRA.itemsPerPage, Literal(page.per_page, datatype=XSD.nonNegativeInteger)))
        graph.add((view, HYDRA.totalItems, total))

    # -- entries and their publishers ---------------------------------------------------
    def _add_views(
        self, identity: Identity, graph: Graph, views: Sequence[EntryView], profile: Profile
    ) -> list[URIRef]:
        mapper = EntryMapper(self.links, self.settings.access_rights)
        subjects = []
        for view in views:
            subjects.append(mapper.add(graph, view.document, view.statutes))
            self._agent(identity, graph, str(view.document["publisher"]), profile)
        return subjects

    def _agent(self, identity: Identity, graph: Graph, orgnr: str, profile: Profile) -> URIRef:
        """The publisher's statements, once per graph; agencies are public facts."""
        subject = self.links.agency(orgnr)
        if holds(graph, (subject, RDF.type, None)):
            return subject
        if orgnr not in self._agencies:
            try:
                self._agencies[orgnr] = self.agencies.get(identity, orgnr)
            except NotFound:
                self._agencies[orgnr] = None
        agency = self._agencies[orgnr]
        if agency is None:
            add_agent(graph, subject, orgnr, None, {"en": orgnr}, None, profile)
        else:
            add_agent(graph, subject, agency.orgnr, agency.country, agency.name, agency.homepage, profile)
        return subject


def serialise(graph: Graph, format_name: str) -> bytes:
    """The graph in ``format_name`` (a key of :data:`FORMATS`), UTF-8."""
    fmt = FORMATS[format_name]
    if fmt.rdflib_name == "turtle":
        return to_turtle(graph, PREFIXES)  # rdflib's writer took twice as long (dcat/turtle.py)
    if fmt.rdflib_name == "json-ld":
        context = dict(PREFIXES)
        return graph.serialize(format="json-ld", context=context, auto_compact=True, encoding="utf-8")
    return graph.serialize(format=fmt.rdflib_name, encoding="utf-8")
