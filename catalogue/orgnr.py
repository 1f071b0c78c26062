"""Nordic organisation numbers: every common written form in, one canonical form out.

Validation (length and check digit) is delegated to python-stdnum; this module
recognises which country's number a text is, and renders the form each country's
own register displays, the one Tillit stores and answers with:

* SE organisationsnummer, ``202100-5448`` (``stdnum.se.orgnr``: Luhn)
* NO organisasjonsnummer, ``974761076`` (``stdnum.no.orgnr``: mod 11)
* FI Y-tunnus, ``0245437-2`` (``stdnum.fi.ytunnus``: mod 11)
* DK CVR-nummer, ``34051178`` (``stdnum.dk.cvr``: mod 11)

Accepted spellings (spaces anywhere, letters in any case):

* the canonical form, and SE and FI without their dash (``2021005448``, ``02454372``
  only where the country is known: without it eight digits are a CVR number);
* the country code before the number: ``SE 202100-5448``, ``NO974761076``,
  ``FI02454372`` (the Finnish and Danish VAT numbers are written so), ``DK34051178``;
* SE with the ``16`` prefix of Swedish tax files (``162021005448``).

VAT registration numbers with a suffix (``SE202100544801``, ``NO974761076MVA``) are
refused: they name a VAT registration, not the organisation (a Swedish VAT group has
a number of its own), and a client that sends one has the wrong field.

Where the country is not given (a path, a query, an entry's publisher) it follows
from the form: ten digits (or ``NNNNNN-NNNN``) are Swedish, nine Norwegian,
``NNNNNNN-N`` Finnish and eight Danish; a country code decides where present.

Pure: no I/O.
"""

from __future__ import annotations

import re
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


def _se(digits: str) -> str:
    return str(se_orgnr.format(se_orgnr.validate(digits)))


def _no(digits: str) -> str:
    return str(no_orgnr.validate(digits))


def _fi(digits: str) -> str:
    return str(ytunnus.format(ytunnus.validate(digits)))


def _dk(digits: str) -> str:
    return str(cvr.validate(digits))


_SCHEMES: dict[str, tuple[Callable[[str], str], str]] = {
    "SE": (_se, "Not a valid Swedish organisation number (expected NNNNNN-NNNN"),
    "NO": (_no, "Not a valid Norwegian organisation number (expected NNNNNNNNN"),
    "FI": (_fi, "Not a valid Finnish business ID (Y-tunnus) (expected NNNNNNN-N"),
    "DK": (_dk, "Not a valid Danish CVR number (expected NNNNNNNN"),
}
_ANY = (
    "Not a valid organisation number (expected a Swedish NNNNNN-NNNN, Norwegian NNNNNNNNN, "
    "Finnish NNNNNNN-N or Danish NNNNNNNN number, optionally after its country code"
)

#: The digits of each country's number, as written (spaces already removed).
_SHAPES = {
    "SE": re.compile(r"(?:16)?([0-9]{6})-?([0-9]{4})"),
    "NO": re.compile(r"([0-9]{9})"),
    "FI": re.compile(r"([0-9]{7})-?([0-9])"),
    "DK": re.compile(r"([0-9]{8})"),
}
#: Without a country: the forms that can only be one country's (eight digits
#: without a dash are a CVR number; a Y-tunnus is written with its dash).
_UNPREFIXED = (
    ("SE", re.compile(r"(?:16)?([0-9]{6})-?([0-9]{4})")),
    ("NO", re.compile(r"([0-9]{9})")),
    ("FI", re.compile(r"([0-9]{7})-([0-9])")),
    ("DK", re.compile(r"([0-9]{8})")),
)
_PREFIX = re.compile(r"(SE|NO|FI|DK)-?(?=[0-9])")


def _recognise(country: str | None, text: str) -> tuple[str | None, str | None]:
    """(country, digits) of ``text`` (spaces removed, upper case), as far as known."""
    prefix = _PREFIX.match(text)
    if prefix:
        if country is not None and prefix.group(1) != country:
            return country, None
        country, text = prefix.group(1), text[prefix.end() :]
    if country is not None:
        shape = _SHAPES[country].fullmatch(text)
        return country, "".join(shape.groups()) if shape else None
    for candidate, pattern in _UNPREFIXED:
        shape = pattern.fullmatch(text)
        if shape:
            return candidate, "".join(shape.groups())
    return None, None


def normalise_orgnr(country: str | None, value: str) -> str:
    """Validate an organisation number and return its canonical form.

    ``country`` is the number's country, or None to tell it from the form.

    >>> normalise_orgnr("SE", "2021005448")
    '202100-5448'
    >>> normalise_orgnr(None, "SE 2021005448")
    '202100-5448'
    >>> normalise_orgnr("NO", "974 761 076")
    '974761076'

    Raises :class:`OrgnrError` for an unknown country or an invalid number; its
    message never repeats the value.
    """
    if country is not None and country not in _SCHEMES:
        raise OrgnrError(f"Unknown country {country!r:.40}: expected one of {', '.join(COUNTRIES)}")
    found, digits = country, None
    if isinstance(value, str) and len(value) <= MAX_LENGTH:
        found, digits = _recognise(country, re.sub(r"\s+", "", value).upper())
    if found is not None and digits is not None:
        validate, _ = _SCHEMES[found]
        try:
            return validate(digits)
        except ValidationError:
            pass
    message = _SCHEMES[found][1] if found is not None else _ANY
    raise OrgnrError(f"{message} with a correct check digit)")
