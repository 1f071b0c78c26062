"""Tests for catalogue.orgnr: Nordic organisation numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogue.orgnr import COUNTRIES, MAX_LENGTH, OrgnrError, normalise_orgnr

SE_HINT = "Not a valid Swedish organisation number (expected NNNNNN-NNNN with a correct check digit)"
NO_HINT = "Not a valid Norwegian organisation number (expected NNNNNNNNN"
FI_HINT = "Not a valid Finnish business ID (Y-tunnus) (expected NNNNNNN-N"
DK_HINT = "Not a valid Danish CVR number (expected NNNNNNNN"


def test_constants() -> None:
    assert COUNTRIES == ("SE", "NO", "FI", "DK")
    assert issubclass(OrgnrError, ValueError)


VALID = [
    # Skatteverket
    ("SE", "202100-5448", "202100-5448"),
    ("SE", "2021005448", "202100-5448"),
    ("SE", " 202100 5448 ", "202100-5448"),
    # Lantmäteriet
    ("SE", "202100-4888", "202100-4888"),
    # Skatteetaten
    ("NO", "974761076", "974761076"),
    ("NO", "974 761 076", "974761076"),
    # Brønnøysundregistrene
    ("NO", "974760673", "974760673"),
    # python-stdnum's documented examples
    ("FI", "2077474-0", "2077474-0"),
    ("FI", "20774740", "2077474-0"),
    ("FI", "FI20774740", "2077474-0"),
    ("DK", "13585628", "13585628"),
    ("DK", "DK 13585628", "13585628"),
    ("DK", "13 58 56 28", "13585628"),
]


@pytest.mark.parametrize(("country", "raw", "expected"), VALID)
def test_normalise_orgnr_valid(country: str, raw: str, expected: str) -> None:
    assert normalise_orgnr(country, raw) == expected
    assert normalise_orgnr(country, expected) == expected


INVALID = [
    ("SE", "202100-5449", SE_HINT),  # bad check digit
    ("SE", "202100-544", SE_HINT),
    ("SE", "2021005448X", SE_HINT),
    ("SE", "", SE_HINT),
    ("SE", "974761076", SE_HINT),
    ("NO", "974761077", NO_HINT),  # bad check digit
    ("NO", "97476107", NO_HINT),
    ("NO", "NO974761076MVA", NO_HINT),
    ("NO", "abcdefghi", NO_HINT),
    ("FI", "2077474-1", FI_HINT),  # bad check digit
    ("FI", "207747-0", FI_HINT),
    ("DK", "13585627", DK_HINT),  # bad check digit
    ("DK", "1358562", DK_HINT),
    ("DK", "1" * (MAX_LENGTH + 1), DK_HINT),
]


@pytest.mark.parametrize(("country", "raw", "hint"), INVALID)
def test_normalise_orgnr_invalid(country: str, raw: str, hint: str) -> None:
    with pytest.raises(OrgnrError) as excinfo:
        normalise_orgnr(country, raw)
    message = str(excinfo.value)
    assert hint in message
    assert message.endswith("with a correct check digit)")


@pytest.mark.parametrize("country", ["IS", "se", "", "Sweden"])
def test_unknown_country_lists_supported(country: str) -> None:
    with pytest.raises(OrgnrError) as excinfo:
        normalise_orgnr(country, "202100-5448")
    assert "SE, NO, FI, DK" in str(excinfo.value)


@given(st.sampled_from(COUNTRIES), st.text(max_size=80))
def test_only_raises_orgnr_error_and_is_idempotent(country: str, text: str) -> None:
    try:
        result = normalise_orgnr(country, text)
    except OrgnrError:
        return
    assert normalise_orgnr(country, result) == result


# Real numbers of public agencies, each as its register displays it (sources checked
# with the project's search tool):
#   Skatteverket 202100-5448 and Lantmäteriet 202100-4888: Swedish agency registers in
#     public code (SwedishOrganizationNumber.Parse("202100-5448") / ("202100-4888"));
#   Bolagsverket 202100-5489: Bolagsverket's own page, quoted as its anchor number;
#   Skatteetaten 974761076: Altinn resource registry ("hasCompetentAuthority":
#     {"organization": "974761076", "name": {"nb": "Skatteetaten"}});
#   Brønnøysundregistrene 974760673: Altinn service owners ({orgcode: "brg",
#     orgno: "974760673"});
#   Digi- ja väestötietovirasto (formerly VRK) 0245437-2: the Finnish X-Road member
#     code of the population register's services (CN=0245437-2, O=VRK, C=FI);
#   Digitaliseringsstyrelsen 34051178: its certificates
#     (O=Digitaliseringsstyrelsen // CVR:34051178, C=DK).
WITHOUT_COUNTRY = [
    ("202100-5448", "202100-5448"),
    ("2021005448", "202100-5448"),
    ("202100 5448", "202100-5448"),
    ("SE 202100-5448", "202100-5448"),
    ("se2021005448", "202100-5448"),
    ("162021005448", "202100-5448"),  # the 12-digit form of Swedish tax files
    ("16202100-5448", "202100-5448"),
    ("202100-4888", "202100-4888"),
    ("2021005489", "202100-5489"),
    ("974761076", "974761076"),
    ("974 761 076", "974761076"),
    ("NO974761076", "974761076"),
    ("NO 974 760 673", "974760673"),
    ("0245437-2", "0245437-2"),
    ("FI02454372", "0245437-2"),
    ("FI 0245437-2", "0245437-2"),
    ("34051178", "34051178"),
    ("DK34051178", "34051178"),
    ("DK 34 05 11 78", "34051178"),
]


@pytest.mark.parametrize(("raw", "expected"), WITHOUT_COUNTRY)
def test_the_form_tells_the_country(raw: str, expected: str) -> None:
    assert normalise_orgnr(None, raw) == expected
    assert normalise_orgnr(None, expected) == expected


@pytest.mark.parametrize(
    ("country", "raw", "expected"),
    [("FI", "02454372", "0245437-2"), ("FI", "FI02454372", "0245437-2"), ("DK", "DK34051178", "34051178")],
)
def test_a_known_country_reads_its_own_forms(country: str, raw: str, expected: str) -> None:
    assert normalise_orgnr(country, raw) == expected


ANY_HINT = "Not a valid organisation number (expected a Swedish NNNNNN-NNNN"

INVALID_WITHOUT_COUNTRY = [
    ("202100-5449", SE_HINT),  # bad check digit (Luhn)
    ("SE2021005449", SE_HINT),
    ("974761077", NO_HINT),  # bad check digit (mod 11, weights 3 2 7 6 5 4 3 2)
    ("0245437-3", FI_HINT),  # bad check digit (mod 11, weights 7 9 10 5 8 4 2)
    ("34051179", DK_HINT),  # bad check digit (mod 11, weights 2 7 6 5 4 3 2 1)
    ("02454372", DK_HINT),  # eight digits without a country are a CVR number
    ("SE974761076", SE_HINT),  # the country code decides
    ("SE202100544801", SE_HINT),  # a VAT registration number, not the organisation's
    ("NO974761076MVA", NO_HINT),
    ("12345", ANY_HINT),
    ("", ANY_HINT),
    ("abc", ANY_HINT),
    ("IS5501692829", ANY_HINT),
    ("٢٠٢١٠٠٥٤٤٨", ANY_HINT),  # non-ASCII digits
    ("2" * (MAX_LENGTH + 1), ANY_HINT),
]


@pytest.mark.parametrize(("raw", "hint"), INVALID_WITHOUT_COUNTRY)
def test_invalid_without_country(raw: str, hint: str) -> None:
    with pytest.raises(OrgnrError) as excinfo:
        normalise_orgnr(None, raw)
    message = str(excinfo.value)
    assert message.startswith(hint) and message.endswith("with a correct check digit)")
    assert raw not in message or not raw


@given(st.text(max_size=80))
def test_without_country_only_raises_orgnr_error_and_is_idempotent(text: str) -> None:
    try:
        result = normalise_orgnr(None, text)
    except OrgnrError:
        return
    assert normalise_orgnr(None, result) == result
