"""A harvest source is held by rdflib's ``SimpleMemory`` store (no named graphs) when its
format's parser writes triples only, else by the default store; the records read from
it are the same either way (dcat.harvest.sources.new_graph)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.plugins.stores.memory import Memory, SimpleMemory

from dcat.harvest.parsing import guess_format, parse_into
from dcat.harvest.records import read_records
from dcat.harvest.sources import HarvestLimits, load_source, new_graph
from dcat.vocabulary import AccessRights
from security.outbound import OutboundPolicy

DATA = Path(__file__).resolve().parents[2] / "data" / "dcat"
ACCESS = AccessRights(("public", "internal", "sensitive"))


def _records(graph: Graph, profile: str) -> list[tuple[object, ...]]:
    return [
        (r.uri, r.fingerprint, r.data, r.problems, r.notes, r.serves)
        for r in read_records(graph, profile=profile, access=ACCESS, lowest="public")
    ]


@pytest.mark.parametrize(
    ("name", "profile"),
    [
        ("obligatoriskt.ttl", "dcat-ap-se"),
        ("rekommenderat.rdf", "dcat-ap-se"),
        ("DCAT-AP-NO2.0-examples.ttl", "dcat-ap-no"),
        ("dataset-series-example.ttl", "dcat-ap-no"),
    ],
)
def test_the_records_are_those_of_the_default_store(name, profile):
    data = (DATA / name).read_bytes()
    fmt = guess_format(data, None, name)
    held, default = new_graph(fmt), Graph()
    parse_into(held, data, fmt, (DATA / name).as_uri())
    parse_into(default, data, fmt, (DATA / name).as_uri())
    assert isinstance(held.store, SimpleMemory)
    records = _records(held, profile)
    assert records and records == _records(default, profile)


def test_json_ld_is_held_by_a_store_with_contexts(tmp_path):
    document = {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/"},
        "@id": "https://data.example.se/ds/1",
        "@type": "dcat:Dataset",
        "dct:title": {"@value": "Datamängd", "@language": "sv"},
    }
    path = tmp_path / "catalogue.jsonld"
    path.write_text(json.dumps(document), encoding="utf-8")
    loaded = load_source(str(path), OutboundPolicy(), HarvestLimits())
    assert isinstance(loaded.graph.store, Memory)
    assert [r.uri for r in read_records(loaded.graph, profile="dcat-ap", access=ACCESS, lowest="public")] == [
        "https://data.example.se/ds/1"
    ]
