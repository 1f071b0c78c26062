"""A graph read as records (dcat.harvest.records): the shapes Tillit's own export writes
(dcat/mapping.py on r5-dcat-export) come back as the legal bases, themes, spatial and
licence they were made from, and the official examples' RDF/XML and Turtle agree."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from dcat.harvest.parsing import parse_into
from dcat.harvest.records import read_records
from dcat.vocabulary import AccessRights

DATA = Path(__file__).resolve().parents[2] / "data" / "dcat"
ACCESS = AccessRights(("public", "internal", "sensitive"))

# What the export writes for an entry citing OSL 22 kap. 1 § (restriction), folkeregisterloven
# § 1-1 and GDPR Art. 6(1)(e) (processing): a rule per basis, typed by role, implementing the
# statute (ELI where there is one, else the official URL), the provision in the rule's title.
EXPORTED = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix cpsv: <http://purl.org/vocab/cpsv#> . @prefix cpsvno: <https://data.norge.no/vocabulary/cpsvno#> .
@prefix dcatap: <http://data.europa.eu/r5r/> . @prefix dpv: <https://w3id.org/dpv#> .
@prefix eli: <http://data.europa.eu/eli/ontology#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://tillit.example/api/v1/datasets/1> a dcat:Dataset ;
  dct:title "Folkbokföring"@sv, "Population register"@en ; dct:description "Uppgifter."@sv ;
  dcat:theme <http://publications.europa.eu/resource/authority/data-theme/SOCI> ;
  dct:spatial <http://publications.europa.eu/resource/authority/country/SWE> ;
  dct:license <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> ;
  dct:accessRights <http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC> ;
  dcatap:applicableLegislation <https://rkrattsbaser.gov.se/sfst?bet=2009:400>,
    <https://lovdata.no/eli/lov/2016/12/09/88>, <http://data.europa.eu/eli/reg/2016/679/oj> ;
  cpsv:follows _:r1, _:r2, _:r3 ;
  dpv:hasLegalBasis _:r3, <https://w3id.org/dpv/legal/eu/gdpr#A6-1-e> .
_:r1 a cpsv:Rule ; dct:type cpsvno:ruleForNonDisclosure ;
  dct:title "Offentlighets- och sekretesslag (2009:400) 22 kap. 1 §"@sv ;
  cpsv:implements <https://rkrattsbaser.gov.se/sfst?bet=2009:400> .
_:r2 a cpsv:Rule ; dct:type cpsvno:ruleForDataProcessing ;
  dct:title "Lov om folkeregistrering (folkeregisterloven) § 1-1"@nb ;
  cpsv:implements <https://lovdata.no/eli/lov/2016/12/09/88> .
_:r3 a cpsv:Rule, dpv:LegalBasis ; dct:type cpsvno:ruleForDataProcessing ;
  dct:title "General Data Protection Regulation Art. 6(1)(e)"@en ;
  cpsv:implements <http://data.europa.eu/eli/reg/2016/679/oj> .
<http://data.europa.eu/eli/reg/2016/679/oj> a eli:LegalResource ;
  rdfs:seeAlso <https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32016R0679> .
"""


def _records(text: str, fmt: str = "turtle", profile: str = "dcat-ap") -> list:
    graph = Graph()
    parse_into(graph, text.encode() if isinstance(text, str) else text, fmt, "https://x.example/")
    return read_records(graph, profile=profile, access=ACCESS, lowest="public")


def test_the_exports_shapes_come_back_as_they_were_made() -> None:
    (record,) = _records(EXPORTED)
    assert sorted((b["role"], b["reference"], b["provision"]) for b in record.data["legal_basis"]) == [
        ("processing", "32016R0679", "Art. 6(1)(e)"),
        ("processing", "LOV-2016-12-09-88", "§ 1-1"),
        ("restriction", "2009:400", "22 kap. 1 §"),
    ]
    assert record.data["themes"] == ["SOCI"]
    assert record.data["spatial"] == "SE"
    assert record.data["licence"] == "https://creativecommons.org/licenses/by/4.0/"
    assert record.data["classification"] == "sensitive"
    assert record.notes == ()  # every statement was understood


def test_rdf_xml_and_turtle_of_the_official_examples_agree() -> None:
    for name in ("obligatoriskt", "rekommenderat"):
        turtle = _records((DATA / f"{name}.ttl").read_text(), "turtle", "dcat-ap-se")
        xml = _records((DATA / f"{name}.rdf").read_bytes(), "xml", "dcat-ap-se")
        assert [(r.uri, r.fingerprint) for r in turtle] == [(r.uri, r.fingerprint) for r in xml], name


def test_a_record_is_keyed_by_its_uri_or_identifier() -> None:
    records = _records(
        """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
        [] a dcat:Dataset ; dct:identifier "urn:x:blank" ; dct:title "B"@en ; dct:description "b"@en .
        [] a dcat:Dataset ; dct:title "No key"@en ; dct:description "n"@en .
        <https://x.example/ds> a dcat:Dataset ; dct:title "U"@en ; dct:description "u"@en ."""
    )
    assert [r.uri for r in records] == [
        "https://x.example/ds",
        "urn:x:blank",
        "(a dataset without URI, number 1)",
    ]
    assert records[2].problems == {"uri": ("The resource has no URI and no dct:identifier to be known by.",)}


def test_a_provision_after_a_long_statute_name_is_read() -> None:
    """The export writes a rule's title as the statute's name, then the provision; an EU
    act's full name runs to 400 characters (Directive (EU) 2016/680's), and the provision
    after it came back as none (found by tests/integration/test_dcat_round_trip.py)."""
    name = (
        "Directive (EU) 2016/680 of the European Parliament and of the Council of 27 April 2016 on"
        " the protection of natural persons with regard to the processing of personal data by"
        " competent authorities for the purposes of the prevention, investigation, detection or"
        " prosecution of criminal offences or the execution of criminal penalties, and on the free"
        " movement of such data, and repealing Council Framework Decision 2008/977/JHA"
    )
    text = f"""
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix cpsv: <http://purl.org/vocab/cpsv#> . @prefix cpsvno: <https://data.norge.no/vocabulary/cpsvno#> .
<https://tillit.example/api/v1/datasets/2> a dcat:Dataset ; dct:title "Brott"@sv ;
  dct:description "Uppgifter."@sv ; cpsv:follows _:r .
_:r a cpsv:Rule ; dct:type cpsvno:ruleForDataProcessing ; dct:title "{name} Art. 8(1)"@en ;
  cpsv:implements <http://data.europa.eu/eli/dir/2016/680/oj> .
"""
    (record,) = _records(text)
    assert [(b["reference"], b["provision"]) for b in record.data["legal_basis"]] == [
        ("32016L0680", "Art. 8(1)")
    ]
