"""Nordic organisation numbers: validation and canonical display form.

Validation (length, format and check digit) is delegated to python-stdnum;
this module only picks the right scheme per country and renders the form each
country's own registers display:

* SE organisationsnummer, ``202100-5448`` (``stdnum.se.orgnr``)
* NO organisasjonsnummer, ``974761076`` (``stdnum.no.orgnr``)
* FI Y-tunnus, ``2077474-0`` (``stdnum.fi.ytunnus``)
* DK CVR-nummer, ``13585628`` (``stdnum.dk.cvr``)

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable

from stdnum.dk import cvr
from stdnum.exceptions import ValidationError
from stdnum.fi import ytunnus
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

__all__ = ["COUNTRIES", "MAX_LENGTH", "OrgnrError", "normalise_orgnr"]

COUNTRIES = ("SE", "NO", "FI", "DK")
MAX_LENGTH = 64


class OrgnrError(ValueError):
    """An organisation number is invalid for its country, or the country is unknown."""


def _se(value: str) -> str:
    return str(se_orgnr.format(se_orgnr.validate(value)))


def _no(value: str) -> str:
    return str(no_orgnr.validate(value))


def _fi(value: str) -> str:
    return str(ytunnus.format(ytunnus.validate(value)))


def _dk(value: str) -> str:
    return str(cvr.validate(value))


_SCHEMES: dict[str, tuple[Callable[[str], str], str]] = {
    "SE": (_se, "Not a valid Swedish organisation number (expected NNNNNN-NNNN"),
    "NO": (_no, "Not a valid Norwegian organisation number (expected NNNNNNNNN"),
    "FI": (_fi, "Not a valid Finnish business ID (Y-tunnus) (expected NNNNNNN-N"),
    "DK": (_dk, "Not a valid Danish CVR number (expected NNNNNNNN"),
}


def normalise_orgnr(country: str, value: str) -> str:
    """Validate an organisation number and return its canonical display form.

    >>> normalise_orgnr("SE", "2021005448")
    '202100-5448'
    >>> normalise_orgnr("NO", "974 761 076")
    '974761076'

    Raises :class:`OrgnrError` for an unknown country or an invalid number.
    """
    if country not in _SCHEMES:
        raise OrgnrError(f"Unknown country {country!r:.40}: expected one of {', '.join(COUNTRIES)}")
    validate, message = _SCHEMES[country]
    if isinstance(value, str) and len(value) <= MAX_LENGTH:
        try:
            return validate(value)
        except ValidationError:
            pass
    raise OrgnrError(f"{message} with a correct check digit)")
