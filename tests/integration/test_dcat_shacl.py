"""The whole demo catalogue, exported in each profile, against the official shapes.

One export per profile (module-scoped: pyshacl takes seconds), by a reader who may list
every demo entry, walked page by page through ``GET /api/v1/dcat/catalog`` as a harvester
does: zero violations of DCAT-AP 3.0.1's mandatory shapes and controlled vocabularies,
of DCAT-AP-NO 2.0's shapes for the NO profile, and of DCAT-AP-SE's mandatory properties
for the SE profile. The shapes are copies (tests/data/shacl/README.md says from where).
"""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

from api.app import create_app
from catalogue.models import Entry
from security.keys import KEYS_FILE
from tests.conftest import copy_demo, fetch_token, register_client

SHAPES = Path(__file__).parent.parent / "data" / "shacl"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SH = Namespace("http://www.w3.org/ns/shacl#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
pytestmark = pytest.mark.xdist_group("dcat_demo")  # the module-wide exports are made once, on one worker


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_template, signing_keys):
    """An app with the demo catalogue (a copy of the template), and a token that may list
    every entry in it."""
    folder = tmp_path_factory.mktemp("dcat")
    instance = folder / "instance"
    instance.mkdir()
    shutil.copy(signing_keys, instance / KEYS_FILE)
    settings = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{folder / 'tillit.db'}",
        "ISSUER": "https://tillit.example.se",
        "TESTING": True,
    }
    app = create_app(copy_demo(demo_template, settings))
    ext = app.extensions["tillit"]
    client = app.test_client()
    top = ext.scheme.enabled_keys[-1]
    client_id, secret = register_client(app, "202100-5448", [f"catalogue:read:{top}"])
    headers = {"Authorization": f"Bearer {fetch_token(client, client_id, secret)}"}
    yield app, client, headers
    ext.refusals.close()
    if ext.read_log.writer is not None:
        ext.read_log.writer.close()
    ext.engine.dispose()


def harvest(client, headers, profile: str) -> Graph:
    """Every page of the catalogue in ``profile``, following hydra:next, into one graph."""
    graph = Graph()
    url = f"/api/v1/dcat/catalog?profile={profile}&per_page=40"
    seen = 0
    while url is not None:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/turtle"
        page = Graph().parse(data=response.get_data(as_text=True), format="turtle")
        graph += page
        seen += 1
        nexts = list(page.objects(None, HYDRA.next))
        assert len(nexts) <= 1
        url = str(nexts[0]).removeprefix("https://tillit.example.se") if nexts else None
    assert seen > 1  # the demo spans several pages: paging is exercised
    return graph


@functools.cache
def shapes_graph(*shape_files: Path) -> Graph:
    """The shapes, parsed once per worker (several profiles are checked against the same
    files; pyshacl only reads the shapes graph)."""
    shapes = Graph()
    for path in shape_files:
        shapes.parse(path, format="turtle")
    return shapes


def violations(data: Graph, *shape_files: Path) -> list[str]:
    shapes = shapes_graph(*shape_files)
    _, report, _ = validate(data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)
    found = []
    # Top-level results only: a Warning's nested details (sh:detail) carry their own
    # severities, which are the warning's reasons, not violations of their own.
    top = [
        r
        for report_node in report.subjects(RDF.type, SH.ValidationReport)
        for r in report.objects(report_node, SH.result)
    ]
    for result in (r for r in top if report.value(r, SH.resultSeverity) == SH.Violation):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        found.append(f"{focus} {path}: {message}")
    return sorted(found)


def entries_in(graph: Graph) -> set[URIRef]:
    return set(graph.subjects(RDF.type, DCAT.Dataset)) | set(graph.subjects(RDF.type, DCAT.DataService))


@pytest.fixture(scope="module")
def exports(demo):
    _, client, headers = demo
    return {profile: harvest(client, headers, profile) for profile in ("dcat-ap", "dcat-ap-se", "dcat-ap-no")}


def test_the_export_holds_every_entry_the_reader_may_list(demo, exports):
    app, client, headers = demo
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        # The reader may list every entry that is not retired, draft or in review of
        # another agency: the JSON list's total is the count to match.
        total = client.get("/api/v1/datasets?per_page=1", headers=headers).get_json()["total"]
        total += client.get("/api/v1/apis?per_page=1", headers=headers).get_json()["total"]
        assert total >= 80 and session.query(Entry).count() >= total
    for graph in exports.values():
        assert len(entries_in(graph)) == total


@pytest.mark.parametrize("profile", ["dcat-ap", "dcat-ap-se", "dcat-ap-no"])
def test_every_profile_meets_dcat_ap_3_mandatory_shapes_and_vocabularies(exports, profile):
    found = violations(
        exports[profile],
        SHAPES / "dcat-ap-3.0.1" / "shapes.ttl",
        SHAPES / "dcat-ap-3.0.1" / "mdr-vocabularies.shape.ttl",
    )
    assert found == []


def test_no_profile_meets_dcat_ap_no_2(exports):
    assert (
        violations(exports["dcat-ap-no"], SHAPES / "dcat-ap-no-2.0" / "DCAT-AP-NO-shacl_shapes_2.00.ttl")
        == []
    )


def se_mandatory() -> dict[URIRef, list[URIRef]]:
    """DCAT-AP-SE's mandatory properties by class, from the bundle's templates: each
    class group's items whose cardinality has ``min >= 1``. The format groups are left
    out: DIGG's own mandatory example (../shared/dcat-ap-se/examples/obligatoriskt.ttl)
    has neither a distribution's nor a data service's format."""
    bundle = json.loads((SHAPES / "dcat-ap-se-3.0.1" / "bundle.json").read_text())
    templates = {t["id"]: t for t in bundle["templates"]}
    prefixes = {
        "dcterms": "http://purl.org/dc/terms/",
        "dcat": str(DCAT),
        "foaf": "http://xmlns.com/foaf/0.1/",
    }
    groups = {
        "dcat:Catalog": DCAT.Catalog,
        "dcat:Dataset": DCAT.Dataset,
        "dcat:DataService": DCAT.DataService,
        "dcat:Distribution": DCAT.Distribution,
        "dcat:foaf:Agent": URIRef("http://xmlns.com/foaf/0.1/Agent"),
    }
    mandatory: dict[URIRef, list[URIRef]] = {}
    for group, cls in groups.items():
        for item in templates[group]["items"]:
            template = templates[item] if isinstance(item, str) else item
            if template.get("cardinality", {}).get("min", 0) >= 1 and template.get("property"):
                prefix, local = template["property"].split(":")
                mandatory.setdefault(cls, []).append(URIRef(prefixes[prefix] + local))
    return mandatory


def test_se_profile_has_dcat_ap_se_mandatory_properties(exports):
    graph = exports["dcat-ap-se"]
    mandatory = se_mandatory()
    assert len(mandatory[DCAT.Catalog]) >= 4 and DCAT.accessURL in mandatory[DCAT.Distribution]
    missing = [
        f"{subject} {prop}"
        for cls, props in mandatory.items()
        for subject in graph.subjects(RDF.type, cls)
        for prop in props
        if graph.value(subject, prop) is None
    ]
    assert missing == []
    licence = URIRef("http://creativecommons.org/publicdomain/zero/1.0/")
    assert all(
        graph.value(c, URIRef("http://purl.org/dc/terms/license")) == licence
        for c in graph.subjects(RDF.type, DCAT.Catalog)
    )
