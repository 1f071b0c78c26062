"""The DCAT-AP export over HTTP: content negotiation and Hydra paging (docs/dcat.md)."""

from __future__ import annotations

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

from tests.agencies import LANTMATERIET, SKATTEVERKET
from tests.security.conftest import make_entry

# rdflib 7's own JSON-LD parser builds a ConjunctiveGraph, which rdflib itself deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")


@pytest.mark.parametrize(
    ("accept", "query", "expected"),
    [
        (None, "", "application/json"),
        ("*/*", "", "application/json"),
        ("application/json", "", "application/json"),
        ("text/turtle;q=0.5, application/json", "", "application/json"),
        ("text/turtle", "", "text/turtle"),
        ("application/ld+json", "", "application/ld+json"),
        ("application/rdf+xml, application/json;q=0.9", "", "application/rdf+xml"),
        ("application/json", "?format=ttl", "text/turtle"),
        (None, "?format=jsonld&profile=dcat-ap-no", "application/ld+json"),
        (None, "?format=rdf", "application/rdf+xml"),
    ],
)
def test_an_entry_is_json_unless_rdf_is_asked_for(app, client, accept, query, expected):
    entry_id = make_entry(app)
    headers = {"Accept": accept} if accept else {}
    response = client.get(f"/api/v1/datasets/{entry_id}{query}", headers=headers)
    assert response.status_code == 200 and response.mimetype == expected
    assert "Accept" in response.headers["Vary"]
    if expected != "application/json":
        fmt = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/rdf+xml": "xml"}[
            expected
        ]
        graph = Graph().parse(data=response.get_data(as_text=True), format=fmt)
        assert (URIRef(f"http://tillit.test/api/v1/datasets/{entry_id}"), RDF.type, DCAT.Dataset) in graph
    # Through the other collection, as in JSON: the 404 of a missing id.
    assert client.get(f"/api/v1/apis/{entry_id}{query}", headers=headers).status_code == 404


def test_the_catalogue_pages_as_hydra_says(app, client):
    ids = {make_entry(app) for _ in range(5)}
    seen, url, pages = set(), "/api/v1/dcat/catalog?per_page=2&profile=dcat-ap-se", []
    while url:
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "text/turtle"
        graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
        (view,) = graph.subjects(RDF.type, HYDRA.PartialCollectionView)
        assert (view, RDF.type, HYDRA.PagedCollection) in graph
        pages.append(view)
        seen |= {str(o).rsplit("/", 1)[-1] for o in graph.objects(None, DCAT.dataset)}
        assert all(
            "profile=dcat-ap-se" in str(link) for link in graph.objects(view, None) if "page=" in str(link)
        )
        following = graph.value(view, HYDRA.next)
        assert following == graph.value(view, HYDRA.nextPage)
        url = str(following).removeprefix("http://tillit.test") if following else None
    assert seen == ids and len(pages) == 3
    assert str(pages[0]).endswith("page=1&per_page=2") and str(pages[-1]).endswith("page=3&per_page=2")
    xml = client.get("/api/v1/dcat/catalog", headers={"Accept": "application/rdf+xml"})
    assert xml.mimetype == "application/rdf+xml"
    assert (
        len(set(Graph().parse(data=xml.get_data(as_text=True), format="xml").objects(None, DCAT.dataset)))
        == 5
    )


def test_the_catalogue_of_one_agency(app, client):
    ours = {make_entry(app) for _ in range(2)}
    theirs = make_entry(app, publisher=LANTMATERIET)
    response = client.get(f"/api/v1/dcat/catalog?publisher={SKATTEVERKET}&per_page=1")
    assert response.status_code == 200
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    (view,) = graph.subjects(RDF.type, HYDRA.PartialCollectionView)
    assert int(graph.value(view, HYDRA.totalItems)) == 2
    assert f"publisher={SKATTEVERKET}" in str(graph.value(view, HYDRA.next))  # kept in the links
    listed = set()
    for page in (1, 2):
        page_graph = Graph().parse(
            data=client.get(f"/api/v1/dcat/catalog?publisher={SKATTEVERKET}&per_page=1&page={page}").get_data(
                as_text=True
            ),
            format="turtle",
        )
        listed |= {str(o).rsplit("/", 1)[-1] for o in page_graph.objects(None, DCAT.dataset)}
    assert listed == ours and theirs not in listed
    bad = client.get("/api/v1/dcat/catalog?publisher=not-a-number")
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
