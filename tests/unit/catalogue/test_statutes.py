"""The statute register's pure parts: the seed file, names in a reader's language,
and the words a statute is found by."""

from __future__ import annotations

import json

import pytest

from catalogue.legal import normalise_reference
from catalogue.statutes import (
    SEED_FILE,
    check_records,
    jurisdiction_of,
    label,
    language_order,
    search_words,
    seed_records,
)

OSL_NAMES = {
    "sv": "Offentlighets- och sekretesslag (2009:400)",
    "en": "Public Access to Information and Secrecy Act",
}
OSL_SHORT = {"sv": ["OSL", "offentlighets- och sekretesslagen"], "en": ["OSL"]}


def test_the_seed_is_canonical_sourced_and_listed_in_its_sources_file():
    records = seed_records()
    raw = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    assert len(records) == len(raw) >= 40
    sources = (SEED_FILE.parent / "SOURCES.md").read_text(encoding="utf-8")
    keys = set()
    for record, given in zip(records, raw, strict=True):
        assert (
            record["reference"]
            == given["reference"]
            == normalise_reference(given["jurisdiction"], given["reference"])
        )
        assert record["source"], record["reference"]
        assert f"| {record['jurisdiction']} | {record['reference']} |" in sources
        assert "unverified" not in given and record["url"].startswith("https://")
        keys.add((record["jurisdiction"], record["reference"]))
    assert len(keys) == len(records)  # no statute twice


def test_the_seed_names_the_statutes_the_issue_names():
    by_key = {(r["jurisdiction"], r["reference"]): r for r in seed_records()}
    assert by_key[("SE", "2009:400")]["short_names"]["sv"][0] == "OSL"
    assert by_key[("SE", "1991:481")]["names"]["sv"] == "Folkbokföringslag (1991:481)"
    assert "offentleglova" in by_key[("NO", "LOV-2006-05-19-16")]["short_names"]["nn"]
    assert "GDPR" in by_key[("EU", "32016R0679")]["short_names"]["en"]
    # The old folkbokföring register act is kept with a note: entries may still cite it.
    assert "2026:126" in by_key[("SE", "2001:182")]["note"]


def test_a_reader_gets_their_language_then_its_sibling_then_the_official_one():
    assert language_order("SE", "nb")[:3] == ("nb", "nn", "sv")
    assert language_order("NO", None)[:2] == ("nb", "nn")
    assert language_order("EU", "xx")[0] == "en"
    assert label("SE", OSL_NAMES, OSL_SHORT, "en").name == "Public Access to Information and Secrecy Act"
    shown = label("SE", OSL_NAMES, OSL_SHORT, "nb")
    assert (shown.name, shown.short_name, shown.lang) == (OSL_NAMES["sv"], "OSL", "sv")
    nn_only = label(
        "NO", {"nn": "Lov om eigedomsregistrering (matrikkellova)"}, {"nb": ["matrikkelloven"]}, "nb"
    )
    assert (nn_only.lang, nn_only.short_name) == ("nn", "matrikkelloven")
    assert label("SE", {}, {}, "sv") is None


def test_search_words_hold_every_name_and_the_stem_of_one_word_names():
    words = search_words({"sv": "Folkbokföringslag (1991:481)"}, {"sv": ["folkbokföringslagen", "FOL"]})
    assert {"Folkbokföringslag (1991:481)", "FOL", "folkbokföring"} <= set(words)
    assert "sekretess" in search_words(OSL_NAMES, OSL_SHORT)
    assert "skatteforvaltning" in search_words(
        {"nb": "Lov om skatteforvaltning (skatteforvaltningsloven)"}, {}
    )
    assert "personvern" in search_words({}, {"nb": ["personvernforordningen"]})
    assert "folkbokföring" in search_words({"sv": "Folkbokföringsdatalag (2026:126)"}, {})


@pytest.mark.parametrize(
    ("reference", "jurisdiction"),
    [
        ("2009:400", "SE"),
        ("LOV-2016-05-27-14", "NO"),
        ("FOR-2010-03-26-488", "NO"),
        ("32016R0679", "EU"),
        ("x", None),
    ],
)
def test_a_canonical_reference_tells_its_jurisdiction(reference, jurisdiction):
    assert jurisdiction_of(reference) == jurisdiction


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"jurisdiction": "SE", "reference": "2009-400", "names": {"sv": "X"}}, "SFS number"),
        ({"jurisdiction": "SE", "reference": "2009:400", "names": {}}, "names must map"),
        ({"jurisdiction": "SE", "reference": "2009:400", "names": {"de": "X"}}, "names must map"),
        (
            {
                "jurisdiction": "SE",
                "reference": "2009:400",
                "names": {"sv": "X"},
                "short_names": {"sv": "OSL"},
            },
            "short_names",
        ),
        ({"jurisdiction": "SE", "reference": "2009:400", "names": {"sv": "X"}, "url": "http://x"}, "https"),
        ("2009:400", "expected an object"),
    ],
)
def test_a_bad_record_is_named_by_its_position(record, message):
    with pytest.raises(ValueError, match=message) as caught:
        check_records([record])
    assert str(caught.value).startswith("statute 1:")


def test_a_record_without_a_link_gets_the_derived_one():
    (record,) = check_records([{"jurisdiction": "SE", "reference": "sfs 2009:400", "names": {"sv": "X"}}])
    assert record["reference"] == "2009:400"
    assert record["url"] == "https://rkrattsbaser.gov.se/sfst?bet=2009:400"
