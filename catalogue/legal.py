"""Structured legal-basis references: statute ids, provisions and their URLs.

A legal basis names a statute in its jurisdiction's own identifier scheme and a
provision within it:

* SE: an SFS number (``2009:400``) and a provision such as ``22 kap. 1 §``;
* NO: a Lovdata id (``LOV-2016-05-27-14``, ``LOV-1967-02-10``,
  ``FOR-2010-03-26-488``) and a provision such as ``§ 3-1``;
* EU: a CELEX number (``32016R0679``) and an article such as ``Art. 6(1)(e)``.

Everything here is pure: no I/O, only string checks (the SFS year bound reads
the current date). Inputs longer than :data:`MAX_LENGTH` are rejected before any
regular expression sees them, and the expressions have no nested unbounded
repetition, so matching is linear in the input.
"""

from __future__ import annotations

import datetime
import re
from typing import overload

__all__ = [
    "JURISDICTIONS",
    "MAX_LENGTH",
    "REFERENCE_PATTERNS",
    "ROLES",
    "LegalReferenceError",
    "normalise_provision",
    "normalise_reference",
    "reference_url",
]

ROLES = ("processing", "restriction", "disclosure")
JURISDICTIONS = ("SE", "NO", "EU")
MAX_LENGTH = 200


class LegalReferenceError(ValueError):
    """A statute reference or provision is not in the jurisdiction's form."""


_EXPECTED_JURISDICTION = "Expected one of " + ", ".join(JURISDICTIONS)
_EXPECTED_REFERENCE = {
    "SE": 'Expected a Swedish SFS number such as "2009:400"',
    "NO": 'Expected a Lovdata id such as "LOV-2016-05-27-14" or "FOR-2010-03-26-488"',
    "EU": 'Expected a CELEX number such as "32016R0679"',
}
_EXPECTED_PROVISION = {
    "SE": 'Expected a Swedish provision such as "22 kap. 1 §", "7 §" or "3 kap. 1 a §"',
    "NO": 'Expected a Norwegian provision such as "§ 13", "§ 3-1" or "§ 13 a"',
    "EU": 'Expected an EU provision such as "Art. 6(1)(e)" or "Art. 87"',
}

# All patterns use re.ASCII so that \d means 0-9 only (int() would otherwise
# accept other scripts' digits and the canonical form would not be ASCII).
_SFS_RE = re.compile(r"(?:sfs ?)?(\d{4}) ?: ?(\d{1,4})", re.ASCII)
_LOVDATA_RE = re.compile(r"(LOV|FOR)-(\d{4})-(\d{2})-(\d{2})(?:-(\d{1,4}))?", re.ASCII)
_CELEX_RE = re.compile(r"([1-9])(\d{4})([A-Z]{1,2})(\d{4})", re.ASCII)

_SE_ORDINALS = "första|andra|tredje|fjärde|femte|sjätte|sjunde|åttonde|nionde|tionde"
_NO_ORDINALS = "første|fyrste|andre|tredje|fjerde|femte|sjette|sjuende|syvende|åttende|niende|tiende"
# "22 kap. 1 §", "3 kap. 1 a §", "7 §", "22 kap. 1 § första stycket 2"
_SE_PROVISION_RE = re.compile(
    r"(?:(\d{1,3}) ?([a-z])? kap\.? )?(\d{1,4}) ?([a-z])? ?§"
    rf"(?: ({_SE_ORDINALS}) stycket(?: (\d{{1,2}}))?)?",
    re.ASCII,
)
# "§ 13", "§ 3-1", "§ 13 a", "§ 3-1 første ledd", "§ 13 b første ledd nr. 7"
_NO_PROVISION_RE = re.compile(
    r"§ ?(\d{1,4})(?: ?- ?(\d{1,4}))? ?([a-z])?"
    rf"(?: ({_NO_ORDINALS}) ledd(?: nr\.? ?(\d{{1,2}}))?)?",
    re.ASCII,
)
# "Art. 6(1)(e)", "Article 9(2)(g)", "Art. 87", "Art. 8a", "Art. 23(1)(e)(i)"
_EU_PROVISION_RE = re.compile(
    r"art(?:icle|\.)? ?(\d{1,3})([a-z]{0,2})((?:\((?:\d{1,3}|[a-z]{1,5})\)){0,3})",
    re.ASCII,
)


def _check_jurisdiction(jurisdiction: str) -> str:
    if jurisdiction not in JURISDICTIONS:
        raise LegalReferenceError(f"{_EXPECTED_JURISDICTION} (got {_shown(jurisdiction)})")
    return jurisdiction


def _shown(value: object) -> str:
    """A short, safe rendering of a rejected value for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _collapse(value: object, expected: str) -> str:
    """Trim, cap the length and collapse runs of whitespace to one space."""
    if not isinstance(value, str) or len(value) > MAX_LENGTH:
        raise LegalReferenceError(f"{expected} (got {_shown(value)})")
    collapsed = " ".join(value.split())
    if not collapsed:
        raise LegalReferenceError(f"{expected} (got an empty value)")
    return collapsed


def _max_year() -> int:
    return datetime.date.today().year + 1


def _positive(digits: str) -> int | None:
    number = int(digits)
    return number if number > 0 else None


def _sfs(text: str) -> str | None:
    match = _SFS_RE.fullmatch(text.lower())
    if match is None:
        return None
    year, number = int(match[1]), _positive(match[2])
    if not 1700 <= year <= _max_year() or number is None:
        return None
    return f"{year}:{number}"


def _lovdata(text: str) -> str | None:
    match = _LOVDATA_RE.fullmatch(text.upper())
    if match is None:
        return None
    kind, year, month, day, number = match.groups()
    if not 1600 <= int(year) <= _max_year():
        return None
    try:
        datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None
    canonical = f"{kind}-{year}-{month}-{day}"
    if number is None:
        return canonical
    positive = _positive(number)
    return None if positive is None else f"{canonical}-{positive}"


def _celex(text: str) -> str | None:
    match = _CELEX_RE.fullmatch(text.upper())
    if match is None or not 1950 <= int(match[2]) <= _max_year():
        return None
    return match[0]


_REFERENCE_PARSERS = {"SE": _sfs, "NO": _lovdata, "EU": _celex}


def _years(low: int, high: int) -> str:
    """A regular expression of the four-digit years ``low``..``high``, by centuries,
    decades and the digits left over ("17[0-9]{2}|18[0-9]{2}|…|202[0-7]")."""
    parts, year = [], low
    while year <= high:
        if year % 100 == 0 and year + 99 <= high:
            parts.append(f"{year // 100}[0-9]{{2}}")
            year += 100
        elif year % 10 == 0 and year + 9 <= high:
            parts.append(f"{year // 10}[0-9]")
            year += 10
        else:
            end = min(high, year - year % 10 + 9)
            parts.append(f"{year // 10}[{year % 10}-{end % 10}]")
            year = end + 1
    return "(?:" + "|".join(parts) + ")"


_POSITIVE = "[1-9][0-9]{0,3}"
#: Each jurisdiction's statute reference in its canonical form, as a JSON Schema
#: (ECMA-262) pattern: the form the OpenAPI document declares (``LegalBasisSchema``).
#: Every string one matches is accepted by :func:`normalise_reference` and is its own
#: canonical form (``tests/unit/catalogue/test_legal.py`` proves it with hypothesis);
#: the parsers above accept more (lower case, "SFS ", spaces, the 29th to 31st of a
#: month), which the document need not promise. Years run to the parsers' bound as
#: it stood when this module was loaded, so a pattern is never looser than the parser.
REFERENCE_PATTERNS = {
    "SE": f"^{_years(1700, _max_year())}:{_POSITIVE}$",
    "NO": f"^(?:LOV|FOR)-{_years(1600, _max_year())}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    f"(?:-{_POSITIVE})?$",
    "EU": f"^[1-9]{_years(1950, _max_year())}[A-Z]{{1,2}}[0-9]{{4}}$",
}


def normalise_reference(jurisdiction: str, reference: str) -> str:
    """Validate a statute reference and return its canonical form.

    >>> normalise_reference("SE", " SFS 2009:400 ")
    '2009:400'
    >>> normalise_reference("NO", "lov-1967-02-10")
    'LOV-1967-02-10'
    >>> normalise_reference("EU", "32016r0679")
    '32016R0679'

    Raises :class:`LegalReferenceError` naming the expected form.
    """
    code = _check_jurisdiction(jurisdiction)
    expected = _EXPECTED_REFERENCE[code]
    canonical = _REFERENCE_PARSERS[code](_collapse(reference, expected))
    if canonical is None:
        raise LegalReferenceError(f"{expected} (got {_shown(reference)})")
    return canonical


def reference_url(jurisdiction: str, reference: str) -> str:
    """The public, official URL of a statute reference.

    The reference is normalised first, so an invalid one raises
    :class:`LegalReferenceError` rather than producing a broken link.

    * SE: Regeringskansliets rättsdatabaser, ``https://rkrattsbaser.gov.se/sfst?bet=2009:400``
    * NO, laws: ``https://lovdata.no/dokument/NL/lov/1967-02-10``
    * NO, regulations: ``https://lovdata.no/dokument/SF/forskrift/2010-03-26-488``
      (central regulations; local ones live under ``LF``, which the id alone
      does not tell apart)
    * EU: ``https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32016R0679``
    """
    code = _check_jurisdiction(jurisdiction)
    canonical = normalise_reference(code, reference)
    if code == "SE":
        return f"https://rkrattsbaser.gov.se/sfst?bet={canonical}"
    if code == "NO":
        kind, _, rest = canonical.partition("-")
        if kind == "LOV":
            return f"https://lovdata.no/dokument/NL/lov/{rest}"
        return f"https://lovdata.no/dokument/SF/forskrift/{rest}"
    return f"https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:{canonical}"


def _se_provision(text: str) -> str | None:
    match = _SE_PROVISION_RE.fullmatch(text.lower())
    if match is None:
        return None
    chapter, chapter_letter, section, section_letter, paragraph, point = match.groups()
    parts: list[str] = []
    if chapter is not None:
        if _positive(chapter) is None:
            return None
        parts += [str(int(chapter)), *([chapter_letter] if chapter_letter else []), "kap."]
    if _positive(section) is None:
        return None
    parts += [str(int(section)), *([section_letter] if section_letter else []), "§"]
    if paragraph is not None:
        parts += [paragraph, "stycket"]
        if point is not None:
            if _positive(point) is None:
                return None
            parts.append(str(int(point)))
    return " ".join(parts)


def _no_provision(text: str) -> str | None:
    match = _NO_PROVISION_RE.fullmatch(text.lower())
    if match is None:
        return None
    first, second, letter, paragraph, point = match.groups()
    numbers = [first] if second is None else [first, second]
    if any(_positive(n) is None for n in numbers):
        return None
    parts = ["§", "-".join(str(int(n)) for n in numbers)]
    if letter is not None:
        parts.append(letter)
    if paragraph is not None:
        parts += [paragraph, "ledd"]
        if point is not None:
            if _positive(point) is None:
                return None
            parts.append(f"nr. {int(point)}")
    return " ".join(parts)


def _eu_provision(text: str) -> str | None:
    # Drop spaces next to parentheses: "Art. 6 (1) (e)" -> "Art. 6(1)(e)".
    tight = text.lower().replace(" (", "(").replace("( ", "(").replace(" )", ")")
    match = _EU_PROVISION_RE.fullmatch(tight)
    if match is None:
        return None
    article, suffix, subdivisions = match.groups()
    if _positive(article) is None:
        return None
    return f"Art. {int(article)}{suffix}{subdivisions}"


_PROVISION_PARSERS = {"SE": _se_provision, "NO": _no_provision, "EU": _eu_provision}


@overload
def normalise_provision(jurisdiction: str, provision: str) -> str: ...
@overload
def normalise_provision(jurisdiction: str, provision: None) -> None: ...
def normalise_provision(jurisdiction: str, provision: str | None) -> str | None:
    """Validate a provision in the jurisdiction's citation style.

    ``None`` means "not given" and is passed through; an empty or blank string
    is an error. Whitespace is collapsed and spelling made canonical:

    >>> normalise_provision("SE", "22  kap.  1 §")
    '22 kap. 1 §'
    >>> normalise_provision("NO", "§13a")
    '§ 13 a'
    >>> normalise_provision("EU", "Article 6 (1) (e)")
    'Art. 6(1)(e)'
    """
    code = _check_jurisdiction(jurisdiction)
    if provision is None:
        return None
    expected = _EXPECTED_PROVISION[code]
    canonical = _PROVISION_PARSERS[code](_collapse(provision, expected))
    if canonical is None:
        raise LegalReferenceError(f"{expected} (got {_shown(provision)})")
    return canonical
