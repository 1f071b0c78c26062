"""dcat.vocabulary: every value Tillit holds has its concept, and each reads back."""

from __future__ import annotations

import pytest

from catalogue import shapes
from dcat import vocabulary as v
from security.levels import DEFAULT_SCHEME


@pytest.mark.parametrize(
    ("vocab", "tillit_values"),
    [(v.THEMES, shapes.THEMES), (v.LANGUAGES, shapes.LANGUAGES), (v.FREQUENCIES, shapes.FREQUENCIES)],
)
def test_every_tillit_value_has_a_concept_that_reads_back(vocab, tillit_values):
    for value in tillit_values:
        uri = vocab.uri(value)
        assert uri is not None and str(uri).startswith(vocab.scheme + "/")
        assert vocab.value(str(uri)) == value


def test_languages_are_the_eu_iso_639_3_codes():
    assert str(v.LANGUAGES.uri("nn")) == "http://publications.europa.eu/resource/authority/language/NNO"
    assert v.LANGUAGES.value("https://publications.europa.eu/resource/authority/language/SWE") == "sv"
    assert v.LANGUAGES.value("http://publications.europa.eu/resource/authority/language/DEU") is None


def test_demo_formats_have_file_types_and_unknown_ones_none():
    assert str(v.FILE_TYPES.uri("geopackage")).endswith("/file-type/GPKG")
    assert str(v.FILE_TYPES.uri("JSON-LD")).endswith("/file-type/JSON_LD")
    assert v.FILE_TYPES.value(str(v.FILE_TYPES.uri("gpkg"))) == "GeoPackage"
    assert v.FILE_TYPES.uri("PX") is None
    assert v.FILE_TYPES.uri(None) is None


def test_media_types_are_iana_urls_both_ways():
    uri = v.media_type_uri("application/geopackage+sqlite3")
    assert uri == v.URIRef("https://www.iana.org/assignments/media-types/application/geopackage+sqlite3")
    assert v.media_type_value(str(uri)) == "application/geopackage+sqlite3"
    assert v.media_type_value("http://www.iana.org/assignments/media-types/text/csv/") == "text/csv"
    assert v.media_type_uri("not a type") is None
    assert v.media_type_value("https://example.org/text/csv") is None


def test_licences_known_by_their_own_urls_become_eu_concepts():
    eu_cc0 = "http://publications.europa.eu/resource/authority/licence/CC0"
    assert str(v.licence_uri("http://creativecommons.org/publicdomain/zero/1.0/")) == eu_cc0
    assert str(v.licence_uri(eu_cc0)) == eu_cc0
    other = "https://example.org/licence"
    assert str(v.licence_uri(other)) == other
    assert v.licence_uri(None) is None


def test_access_rights_default_mapping_and_its_inverse():
    rights = v.AccessRights(DEFAULT_SCHEME.enabled_keys)
    assert rights.code("public") == "PUBLIC"
    assert rights.code("internal") == "RESTRICTED"
    assert rights.code("sensitive") == "NON_PUBLIC"
    assert rights.code("no-such-level") == "NON_PUBLIC"
    base = "http://publications.europa.eu/resource/authority/access-right/"
    assert str(rights.uri("secret")) == base + "NON_PUBLIC"
    assert rights.proposed_level(base + "PUBLIC") == "public"
    assert rights.proposed_level(base + "RESTRICTED") == "internal"
    assert rights.proposed_level(base + "NON_PUBLIC") == "sensitive"
    assert rights.proposed_level("https://example.org/open") is None


def test_access_rights_setting_is_checked():
    assert v.parse_access_rights("") == {"public": "PUBLIC", "internal": "RESTRICTED"}
    assert v.parse_access_rights('{"public": "PUBLIC"}') == {"public": "PUBLIC"}
    for bad in ("[1]", "{", '{"public": 1}'):
        with pytest.raises(v.AccessRightsError):
            v.parse_access_rights(bad)
    with pytest.raises(v.AccessRightsError):
        v.AccessRights(("public",), {"public": "OPEN"})


@pytest.mark.parametrize(
    ("jurisdiction", "reference", "eli"),
    [
        ("EU", "32016R0679", "http://data.europa.eu/eli/reg/2016/679/oj"),
        ("EU", "32007L0002", "http://data.europa.eu/eli/dir/2007/2/oj"),
        ("EU", "32023R0138", "http://data.europa.eu/eli/reg_impl/2023/138/oj"),
        ("NO", "LOV-1994-06-03-15", "https://lovdata.no/eli/lov/1994/06/03/15"),
        ("NO", "FOR-2010-03-26-488", "https://lovdata.no/eli/forskrift/2010/03/26/488"),
    ],
)
def test_eli_both_ways(jurisdiction, reference, eli):
    assert str(v.eli_uri(jurisdiction, reference)) == eli
    assert v.eli_reference(eli) == (jurisdiction, reference)


def test_no_eli_for_sweden_or_an_undated_norwegian_act():
    assert v.eli_uri("SE", "2009:400") is None
    assert v.eli_uri("NO", "LOV-1967-02-10") is None
    assert v.eli_reference("https://rkrattsbaser.gov.se/sfst?bet=2009:400") is None
