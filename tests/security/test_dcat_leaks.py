"""The attack table for the DCAT-AP export: it shows no more than the JSON list.

Each caller's export (every page, every format) holds exactly the entries its JSON lists
hold, the whole entry only where the JSON shows it whole, nothing of a hidden entry, and
nothing of Tillit's workings (listing level, reviews, audit, grants).
"""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.namespace import RDF

from catalogue.compose import entry_service
from catalogue.schemas import ApiCreateSchema
from security.identity import system_identity
from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.factories import publish
from tests.security.conftest import NOT_FOUND_BODY

pytestmark = [
    pytest.mark.both_databases,  # the export's listing is the entry service's SQL
    # rdflib 7's own JSON-LD parser builds a ConjunctiveGraph, which rdflib itself deprecates.
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
]

DCAT = Namespace("http://www.w3.org/ns/dcat#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
BASE = "http://tillit.test"
RDF_FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml"}
#: Marks of the whole entry (tests/security/conftest.entry_data): never in a summary. Every
#: entry has the first three; those above public also cite OSL (2009:400).
WHOLE_ONLY = ("HIDDEN-KEYWORD", "HIDDEN-URL", "HIDDEN-LICENCE", "2009:400")
EVERY_WHOLE = set(WHOLE_ONLY[:3])
#: Tillit's workings: never in any export.
INTERNALS = ("listing", "review", "audit", "grant")


def callers(token_for):
    return {
        "anonymous": {},
        "public": token_for("public", agency=LANTMATERIET),
        "internal": token_for("internal", agency=LANTMATERIET),
        "sensitive": token_for("sensitive", agency=LANTMATERIET),
    }


def json_listing(client, headers) -> dict[str, bool]:
    """Entry id -> shown whole, from the JSON lists (datasets and APIs)."""
    shown = {}
    for collection in ("datasets", "apis"):
        body = client.get(f"/api/v1/{collection}?per_page=100", headers=headers).json
        assert body["total"] == len(body["items"])
        shown.update({item["id"]: not item["redacted"] for item in body["items"]})
    return shown


def export(client, headers, fmt: str) -> tuple[Graph, str]:
    """Every page of the catalogue in ``fmt``, parsed into one graph, and the raw text."""
    graph, texts, url = Graph(), [], f"/api/v1/dcat/catalog?format={fmt}&per_page=2"
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        texts.append(text)
        page = Graph().parse(data=text, format=RDF_FORMATS[fmt])
        graph += page
        following = list(page.objects(None, HYDRA.next))
        url = str(following[0]).removeprefix(BASE) if following else None
    return graph, "\n".join(texts)


def entry_ids(graph: Graph) -> set[str]:
    subjects = set(graph.subjects(RDF.type, DCAT.Dataset)) | set(graph.subjects(RDF.type, DCAT.DataService))
    return {str(s).rsplit("/", 1)[-1] for s in subjects}


def whole_marks(graph: Graph, entry_id: str) -> set[str]:
    """The whole-entry marks found in the statements about one entry and its parts (the
    blank nodes it reaches: distributions, rules), and about what they name."""
    subjects = [s for s in set(graph.subjects()) if isinstance(s, URIRef) and str(s).endswith("/" + entry_id)]
    seen, found = set(subjects), set()
    while subjects:
        subject = subjects.pop()
        for _, o in graph.predicate_objects(subject):
            found |= {mark for mark in WHOLE_ONLY if mark in str(o)}
            if isinstance(o, BNode) and o not in seen:
                seen.add(o)
                subjects.append(o)
    return found


@pytest.mark.parametrize("fmt", list(RDF_FORMATS))
def test_each_callers_export_is_its_json_list(app, client, token_for, catalogue, fmt):
    for name, headers in callers(token_for).items():
        listed = json_listing(client, headers)
        graph, text = export(client, headers, fmt)
        assert entry_ids(graph) == set(listed), name
        for entry_id, whole in listed.items():
            marks = whole_marks(graph, entry_id)
            assert (marks >= EVERY_WHOLE) if whole else not marks, (name, entry_id)
        hidden = set(catalogue.ids.values()) - set(listed)
        assert not any(entry_id in text for entry_id in hidden), name
        lowered = text.lower()
        assert not any(word in lowered for word in INTERNALS), name
        totals = {int(o) for o in graph.objects(None, HYDRA.totalItems)}
        assert totals == {len(listed)}, name


def test_anonymous_export_is_the_publicly_listed_entries(client, catalogue):
    """What anyone may list: the public entry whole, and the entries an agency chose to
    list publicly (listing level public) as their summaries, NON_PUBLIC or RESTRICTED."""
    graph, _ = export(client, {}, "ttl")
    listed = {pair: entry_id for pair, entry_id in catalogue.ids.items() if pair[1] == "public"}
    assert entry_ids(graph) == set(listed.values())
    for (classification, _), entry_id in listed.items():
        assert bool(whole_marks(graph, entry_id)) == (classification == "public")
        rights = graph.value(
            URIRef(f"{BASE}/api/v1/datasets/{entry_id}"), URIRef("http://purl.org/dc/terms/accessRights")
        )
        expected = {"public": "PUBLIC", "internal": "RESTRICTED", "sensitive": "NON_PUBLIC"}[classification]
        assert str(rights).endswith("/access-right/" + expected)


@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "rdf"])
def test_a_hidden_entry_in_rdf_answers_the_json_404(client, token_for, catalogue, fmt):
    hidden = catalogue.ids[("sensitive", "sensitive")]
    for headers in ({}, token_for("internal", agency=LANTMATERIET)):
        by_format = client.get(f"/api/v1/datasets/{hidden}?format={fmt}", headers=headers)
        by_accept = client.get(f"/api/v1/datasets/{hidden}", headers={**headers, "Accept": "text/turtle"})
        missing = client.get(f"/api/v1/datasets/{'0' * 8}-0000-4000-8000-{'0' * 12}?format={fmt}")
        for response in (by_format, by_accept, missing):
            assert response.status_code == 404 and response.json == NOT_FOUND_BODY


def test_a_redacted_entry_in_rdf_is_its_summary(client, token_for, catalogue):
    redacted = catalogue.ids[("sensitive", "internal")]
    headers = {**token_for("internal", agency=LANTMATERIET), "Accept": "text/turtle"}
    response = client.get(f"/api/v1/datasets/{redacted}", headers=headers)
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    assert "ETag" not in response.headers and "Accept" in response.headers["Vary"]
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    assert entry_ids(graph) == {redacted} and not whole_marks(graph, redacted)
    whole = client.get(f"/api/v1/datasets/{redacted}?format=ttl", headers=token_for("sensitive"))
    assert whole_marks(Graph().parse(data=whole.get_data(as_text=True), format="turtle"), redacted) == set(
        WHOLE_ONLY
    )


def test_an_api_serves_only_the_datasets_the_caller_may_see(app, client, token_for, catalogue):
    hidden = catalogue.ids[("sensitive", "sensitive")]
    visible = catalogue.ids[("public", "public")]
    ext = app.extensions["tillit"]
    data = ApiCreateSchema().load(
        {
            "publisher": SKATTEVERKET,
            "title": {"en": "Open API"},
            "description": {"en": "Serves two datasets."},
            "classification": "public",
            "endpoint_urls": ["https://api.example.org/v1"],
            "serves_datasets": [hidden, visible],
        }
    )
    with ext.sessions() as session:
        api_id = (
            entry_service(session, ext.scheme, ext.indexer, ext.anchor)
            .create(system_identity(ext.scheme), "api", data)
            .entry.id
        )
    publish(app, api_id)
    served = {
        None: {visible},
        "sensitive": {visible, hidden},
    }
    for level, expected in served.items():
        headers = token_for(level) if level else {}
        for url in (f"/api/v1/apis/{api_id}?format=ttl", "/api/v1/dcat/catalog"):
            graph = Graph().parse(
                data=client.get(url, headers=headers).get_data(as_text=True), format="turtle"
            )
            subject = URIRef(f"{BASE}/api/v1/apis/{api_id}")
            assert {str(o).rsplit("/", 1)[-1] for o in graph.objects(subject, DCAT.servesDataset)} == expected
    anonymous = client.get("/api/v1/dcat/catalog?format=ttl").get_data(as_text=True)
    assert hidden not in anonymous


@pytest.mark.parametrize(
    "query", ["format=xml", "format=", "profile=dcat-ap-dk", "page=0", "per_page=101", "per_page=x"]
)
def test_bad_arguments_are_a_422_problem_that_echoes_nothing(client, query):
    for path in ("/api/v1/dcat/catalog", f"/api/v1/datasets/{'0' * 8}-0000-4000-8000-{'0' * 12}"):
        if path.startswith("/api/v1/datasets") and query.startswith(("page", "per_page")):
            continue
        response = client.get(f"{path}?{query}")
        assert response.status_code == 422 and response.mimetype == "application/problem+json"
        assert "dcat-ap-dk" not in response.get_data(as_text=True)
