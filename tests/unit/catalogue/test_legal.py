"""Tests for catalogue.legal: statute references, provisions and URLs."""

from __future__ import annotations

import datetime
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogue.legal import (
    JURISDICTIONS,
    MAX_LENGTH,
    REFERENCE_PATTERNS,
    ROLES,
    LegalReferenceError,
    normalise_provision,
    normalise_reference,
    reference_url,
)

SE_HINT = 'Expected a Swedish SFS number such as "2009:400"'
NO_HINT = 'Expected a Lovdata id such as "LOV-2016-05-27-14"'
EU_HINT = 'Expected a CELEX number such as "32016R0679"'
JURISDICTION_HINT = "Expected one of SE, NO, EU"


def test_constants() -> None:
    assert ROLES == ("processing", "restriction", "disclosure")
    assert JURISDICTIONS == ("SE", "NO", "EU")


# --- references -------------------------------------------------------------

VALID_REFERENCES = [
    # SE: offentlighets- och sekretesslag, folkbokföringslag, brottsbalk
    ("SE", "2009:400", "2009:400"),
    ("SE", "1991:481", "1991:481"),
    ("SE", "SFS 2009:400", "2009:400"),
    ("SE", "  sfs 2009:400  ", "2009:400"),
    ("SE", "SFS2009:400", "2009:400"),
    ("SE", "2009 : 400", "2009:400"),
    ("SE", "2009:0400", "2009:400"),
    ("SE", "1962:700", "1962:700"),
    # NO: forvaltningsloven has no serial number; personopplysningsloven; a forskrift
    ("NO", "LOV-1967-02-10", "LOV-1967-02-10"),
    ("NO", "lov-1967-02-10", "LOV-1967-02-10"),
    ("NO", "LOV-2016-05-27-14", "LOV-2016-05-27-14"),
    ("NO", "LOV-2018-06-15-38", "LOV-2018-06-15-38"),
    ("NO", " lov-2018-06-15-038 ", "LOV-2018-06-15-38"),
    ("NO", "FOR-2010-03-26-488", "FOR-2010-03-26-488"),
    ("NO", "for-2024-10-21-2534", "FOR-2024-10-21-2534"),
    ("NO", "LOV-2016-02-29-1", "LOV-2016-02-29-1"),  # leap day
    # EU: GDPR, Single Digital Gateway regulation, Open Data directive
    ("EU", "32016R0679", "32016R0679"),
    ("EU", "32018R1724", "32018R1724"),
    ("EU", "32019L1024", "32019L1024"),
    ("EU", " 32016r0679 ", "32016R0679"),
    ("EU", "32000D0520", "32000D0520"),
]


@pytest.mark.parametrize(("jurisdiction", "raw", "expected"), VALID_REFERENCES)
def test_normalise_reference_valid(jurisdiction: str, raw: str, expected: str) -> None:
    assert normalise_reference(jurisdiction, raw) == expected
    assert normalise_reference(jurisdiction, expected) == expected


NEXT_YEAR = datetime.date.today().year + 1

INVALID_REFERENCES = [
    ("SE", "", SE_HINT),
    ("SE", "   ", SE_HINT),
    ("SE", "2009", SE_HINT),
    ("SE", "2009:", SE_HINT),
    ("SE", ":400", SE_HINT),
    ("SE", "2009:0", SE_HINT),
    ("SE", "2009:12345", SE_HINT),
    ("SE", "09:400", SE_HINT),
    ("SE", "1699:1", SE_HINT),
    ("SE", f"{NEXT_YEAR + 1}:1", SE_HINT),
    ("SE", "2009/400", SE_HINT),
    ("SE", "SFS 2009:400 x", SE_HINT),
    ("SE", "LOV-2016-05-27-14", SE_HINT),
    ("SE", "٢٠٠٩:٤٠٠", SE_HINT),  # non-ASCII digits
    ("NO", "", NO_HINT),
    ("NO", "LOV-2016-05-27-0", NO_HINT),
    ("NO", "LOV-2016-02-30-1", NO_HINT),  # no such date
    ("NO", "LOV-2015-02-29-1", NO_HINT),  # not a leap year
    ("NO", "LOV-2016-13-01-1", NO_HINT),
    ("NO", "LOV-2016-5-27-14", NO_HINT),
    ("NO", "LOV-16-05-27-14", NO_HINT),
    ("NO", "LOV-2016-05-27-14-1", NO_HINT),
    ("NO", "LOV 2016-05-27-14", NO_HINT),
    ("NO", "RUND-2016-05-27-14", NO_HINT),
    ("NO", "2016-05-27-14", NO_HINT),
    ("NO", "2009:400", NO_HINT),
    ("EU", "", EU_HINT),
    ("EU", "2016/679", EU_HINT),
    ("EU", "32016R679", EU_HINT),
    ("EU", "02016R0679", EU_HINT),
    ("EU", "3216R0679", EU_HINT),
    ("EU", "32016R06790", EU_HINT),
    ("EU", "32016ABC0679", EU_HINT),
    ("EU", "31899R0001", EU_HINT),
    ("EU", "CELEX:32016R0679", EU_HINT),
    ("XX", "2009:400", JURISDICTION_HINT),
    ("se", "2009:400", JURISDICTION_HINT),
    ("", "2009:400", JURISDICTION_HINT),
]


@pytest.mark.parametrize(("jurisdiction", "raw", "hint"), INVALID_REFERENCES)
def test_normalise_reference_invalid(jurisdiction: str, raw: str, hint: str) -> None:
    with pytest.raises(LegalReferenceError) as excinfo:
        normalise_reference(jurisdiction, raw)
    assert hint in str(excinfo.value)


def test_error_is_a_value_error() -> None:
    assert issubclass(LegalReferenceError, ValueError)


def test_overlong_reference_is_rejected_quickly() -> None:
    with pytest.raises(LegalReferenceError) as excinfo:
        normalise_reference("SE", "2009:400" + " " * MAX_LENGTH)
    assert SE_HINT in str(excinfo.value)
    # The rejected value is shown truncated, not echoed in full.
    assert len(str(excinfo.value)) < 200


# --- URLs ---------------------------------------------------------------------

URLS = [
    ("SE", "2009:400", "https://rkrattsbaser.gov.se/sfst?bet=2009:400"),
    ("SE", "SFS 1991:481", "https://rkrattsbaser.gov.se/sfst?bet=1991:481"),
    ("NO", "LOV-2016-05-27-14", "https://lovdata.no/dokument/NL/lov/2016-05-27-14"),
    ("NO", "LOV-1967-02-10", "https://lovdata.no/dokument/NL/lov/1967-02-10"),
    ("NO", "FOR-2010-03-26-488", "https://lovdata.no/dokument/SF/forskrift/2010-03-26-488"),
    (
        "EU",
        "32016R0679",
        "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32016R0679",
    ),
]


@pytest.mark.parametrize(("jurisdiction", "reference", "url"), URLS)
def test_reference_url(jurisdiction: str, reference: str, url: str) -> None:
    assert reference_url(jurisdiction, reference) == url


@pytest.mark.parametrize(
    ("jurisdiction", "reference", "hint"),
    [
        ("SE", "nope", SE_HINT),
        ("NO", "nope", NO_HINT),
        ("EU", "nope", EU_HINT),
        ("DK", "2009:400", JURISDICTION_HINT),
    ],
)
def test_reference_url_rejects_invalid(jurisdiction: str, reference: str, hint: str) -> None:
    with pytest.raises(LegalReferenceError) as excinfo:
        reference_url(jurisdiction, reference)
    assert hint in str(excinfo.value)


# --- provisions ---------------------------------------------------------------

VALID_PROVISIONS = [
    ("SE", "22 kap. 1 §", "22 kap. 1 §"),
    ("SE", "7 §", "7 §"),
    ("SE", "7§", "7 §"),
    ("SE", "22 kap. 1 § första stycket", "22 kap. 1 § första stycket"),
    ("SE", "3 kap. 1 a §", "3 kap. 1 a §"),
    ("SE", "3 kap. 1a §", "3 kap. 1 a §"),
    ("SE", "  22  kap.\t1\u00a0§ ", "22 kap. 1 §"),
    ("SE", "22 kap 1 §", "22 kap. 1 §"),
    ("SE", "2 a kap. 3 §", "2 a kap. 3 §"),
    ("SE", "10 kap. 2 § andra stycket 3", "10 kap. 2 § andra stycket 3"),
    ("SE", "22 Kap. 1 § Första stycket", "22 kap. 1 § första stycket"),
    ("NO", "§ 13", "§ 13"),
    ("NO", "§13", "§ 13"),
    ("NO", "§ 3-1", "§ 3-1"),
    ("NO", "§ 3 - 1", "§ 3-1"),
    ("NO", "§ 3-1 første ledd", "§ 3-1 første ledd"),
    ("NO", "§ 13 a", "§ 13 a"),
    ("NO", "§ 13a", "§ 13 a"),
    ("NO", "§ 13 b første ledd nr. 7", "§ 13 b første ledd nr. 7"),
    ("NO", "§ 2 andre ledd", "§ 2 andre ledd"),
    ("EU", "Art. 6(1)(e)", "Art. 6(1)(e)"),
    ("EU", "Art. 9(2)(g)", "Art. 9(2)(g)"),
    ("EU", "Art. 87", "Art. 87"),
    ("EU", "Article 6(1)(e)", "Art. 6(1)(e)"),
    ("EU", "article 6 (1) (e)", "Art. 6(1)(e)"),
    ("EU", "Art 89", "Art. 89"),
    ("EU", "ART. 23(1)(E)", "Art. 23(1)(e)"),
    ("EU", "Art. 23(1)(e)(i)", "Art. 23(1)(e)(i)"),
    ("EU", "Art. 8a", "Art. 8a"),
]


@pytest.mark.parametrize(("jurisdiction", "raw", "expected"), VALID_PROVISIONS)
def test_normalise_provision_valid(jurisdiction: str, raw: str, expected: str) -> None:
    assert normalise_provision(jurisdiction, raw) == expected
    assert normalise_provision(jurisdiction, expected) == expected


SE_PROV = 'Expected a Swedish provision such as "22 kap. 1 §"'
NO_PROV = 'Expected a Norwegian provision such as "§ 13", "§ 3-1"'
EU_PROV = 'Expected an EU provision such as "Art. 6(1)(e)"'

INVALID_PROVISIONS = [
    ("SE", "", SE_PROV),
    ("SE", "   ", SE_PROV),
    ("SE", "§ 7", SE_PROV),  # Norwegian order
    ("SE", "22 kap.", SE_PROV),
    ("SE", "0 §", SE_PROV),
    ("SE", "22 kap. 1 § första", SE_PROV),
    ("SE", "22 kap. 1 § första ledd", SE_PROV),
    ("SE", "Art. 6", SE_PROV),
    ("NO", "", NO_PROV),
    ("NO", "7 §", NO_PROV),  # Swedish order
    ("NO", "§", NO_PROV),
    ("NO", "§ 3-", NO_PROV),
    ("NO", "§ 0", NO_PROV),
    ("NO", "§ 3-1 første stycket", NO_PROV),
    ("NO", "§ 13 ab", NO_PROV),
    ("EU", "", EU_PROV),
    ("EU", "6(1)(e)", EU_PROV),
    ("EU", "Art. 6(1)(e", EU_PROV),
    ("EU", "Art. 0", EU_PROV),
    ("EU", "Art. 6(1)(e)(i)(a)", EU_PROV),
    ("EU", "Art. 6(1)(e) GDPR", EU_PROV),
    ("EU", "Art. 6()", EU_PROV),
    ("XX", "7 §", JURISDICTION_HINT),
]


@pytest.mark.parametrize(("jurisdiction", "raw", "hint"), INVALID_PROVISIONS)
def test_normalise_provision_invalid(jurisdiction: str, raw: str, hint: str) -> None:
    with pytest.raises(LegalReferenceError) as excinfo:
        normalise_provision(jurisdiction, raw)
    assert hint in str(excinfo.value)


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_normalise_provision_none_means_not_given(jurisdiction: str) -> None:
    assert normalise_provision(jurisdiction, None) is None


def test_normalise_provision_none_still_checks_jurisdiction() -> None:
    with pytest.raises(LegalReferenceError, match=JURISDICTION_HINT):
        normalise_provision("XX", None)


# --- robustness ---------------------------------------------------------------


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_pathological_input_is_rejected(jurisdiction: str) -> None:
    nasty = [
        "1" * (MAX_LENGTH + 1),
        "§ " + "1" * 150 + "!",
        "Art. " + "(1)" * 60 + "x",
        "22 kap. " * 24 + "!",
        "\x00" * 50,
    ]
    for value in nasty:
        with pytest.raises(LegalReferenceError):
            normalise_reference(jurisdiction, value)
        with pytest.raises(LegalReferenceError):
            normalise_provision(jurisdiction, value)


_sfs = st.builds(lambda y, n: f"{y}:{n}", st.integers(1700, NEXT_YEAR), st.integers(1, 9999))
_lovdata = st.builds(
    lambda kind, d, n: f"{kind}-{d.isoformat()}" + ("" if n is None else f"-{n}"),
    st.sampled_from(["LOV", "FOR", "lov", "for"]),
    st.dates(datetime.date(1600, 1, 1), datetime.date(NEXT_YEAR, 12, 31)),
    st.none() | st.integers(1, 9999),
)
_celex = st.builds(
    lambda s, y, t, n: f"{s}{y}{t}{n:04d}",
    st.integers(1, 9),
    st.integers(1950, NEXT_YEAR),
    st.sampled_from(["R", "L", "D", "r", "PC"]),
    st.integers(0, 9999),
)
_valid = st.one_of(
    st.tuples(st.just("SE"), _sfs),
    st.tuples(st.just("NO"), _lovdata),
    st.tuples(st.just("EU"), _celex),
)


@given(_valid, st.text(" \t", max_size=3), st.text(" \t", max_size=3))
def test_normalise_reference_is_idempotent(case: tuple[str, str], before: str, after: str) -> None:
    jurisdiction, reference = case
    once = normalise_reference(jurisdiction, before + reference + after)
    assert normalise_reference(jurisdiction, once) == once
    assert once == once.strip().upper()
    assert reference_url(jurisdiction, once).startswith("https://")


@given(st.sampled_from((*JURISDICTIONS, "XX", "")), st.text(max_size=250))
def test_normalise_reference_only_raises_legal_reference_error(jurisdiction: str, text: str) -> None:
    try:
        result = normalise_reference(jurisdiction, text)
    except LegalReferenceError:
        return
    assert normalise_reference(jurisdiction, result) == result


@given(st.sampled_from(JURISDICTIONS), st.text(max_size=250))
def test_normalise_provision_only_raises_legal_reference_error(jurisdiction: str, text: str) -> None:
    try:
        result = normalise_provision(jurisdiction, text)
    except LegalReferenceError:
        return
    assert normalise_provision(jurisdiction, result) == result


@given(
    st.sampled_from(JURISDICTIONS),
    st.text(alphabet="0123456789:-§()aekpRLD.LOVFOR stycket", max_size=60),
)
def test_provision_and_reference_on_near_miss_text(jurisdiction: str, text: str) -> None:
    for fn in (normalise_reference, normalise_provision):
        try:
            result = fn(jurisdiction, text)
        except LegalReferenceError:
            continue
        assert result is not None
        assert fn(jurisdiction, result) == result


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_the_documented_reference_pattern_promises_nothing_the_parser_refuses(jurisdiction):
    """REFERENCE_PATTERNS is what the OpenAPI document tells clients: every string it
    matches is accepted, and is already canonical."""

    @given(st.from_regex(REFERENCE_PATTERNS[jurisdiction], fullmatch=True))
    def accepted(reference: str) -> None:
        assert normalise_reference(jurisdiction, reference) == reference

    accepted()


def test_the_documented_patterns_match_the_examples_and_refuse_other_forms():
    assert re.fullmatch(REFERENCE_PATTERNS["SE"], "2009:400")
    assert re.fullmatch(REFERENCE_PATTERNS["NO"], "LOV-2016-05-27-14")
    assert re.fullmatch(REFERENCE_PATTERNS["NO"], "LOV-1967-02-10")
    assert re.fullmatch(REFERENCE_PATTERNS["EU"], "32016R0679")
    assert not re.fullmatch(REFERENCE_PATTERNS["SE"], "2009:0")
    assert not re.fullmatch(REFERENCE_PATTERNS["SE"], f"{datetime.date.today().year + 2}:1")
    assert not re.fullmatch(REFERENCE_PATTERNS["EU"], "32016R0679 ")
