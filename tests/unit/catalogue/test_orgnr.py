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
