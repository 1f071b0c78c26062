"""A data service's ``dcat:endpointDescription`` read as its ``openapi_url``
(dcat.harvest.records): an http(s) IRI is the URL, anything else a note, never dropped
in silence; a dataset has none."""

from __future__ import annotations

from rdflib import Graph

from dcat.harvest.records import Record, read_records
from dcat.vocabulary import AccessRights

ACCESS = AccessRights(("public", "internal", "sensitive"))
PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
"""


def _records(body: str) -> dict[str, Record]:
    graph = Graph().parse(data=PREFIXES + body, format="turtle")
    return {r.uri: r for r in read_records(graph, profile="dcat-ap", access=ACCESS, lowest="public")}


def _service(uri: str, description: str) -> str:
    return (
        f'<{uri}> a dcat:DataService ; dct:title "API"@en ; dcat:endpointURL <https://api.example.org/v1> ;\n'
        f"  dcat:endpointDescription {description} .\n"
    )


def test_an_endpoint_description_url_is_the_openapi_url() -> None:
    records = _records(
        _service("https://example.org/api/1", "<https://api.example.org/openapi.json>")
        + _service("https://example.org/api/2", '"See the developer portal."@en')
        + _service("https://example.org/api/3", "<ftp://api.example.org/openapi.json>")
        + '<https://example.org/ds/1> a dcat:Dataset ; dct:title "Data"@en ; dct:description "D"@en ;\n'
        "  dcat:endpointDescription <https://api.example.org/openapi.json> .\n"
    )
    first, second, third = (records[f"https://example.org/api/{n}"] for n in (1, 2, 3))
    assert first.data["openapi_url"] == "https://api.example.org/openapi.json"
    assert not [n for n in first.notes if n.startswith("openapi_url")]
    for record in (second, third):
        assert "openapi_url" not in record.data
        assert [n for n in record.notes if n.startswith("openapi_url")] == [
            "openapi_url: an endpointDescription that is not an http(s) URL was left out."
        ]
    assert "openapi_url" not in records["https://example.org/ds/1"].data


def test_the_url_is_part_of_the_fingerprint() -> None:
    one = _records(_service("https://example.org/api/1", "<https://api.example.org/v1.json>"))
    two = _records(_service("https://example.org/api/1", "<https://api.example.org/v2.json>"))
    assert one["https://example.org/api/1"].fingerprint != two["https://example.org/api/1"].fingerprint
