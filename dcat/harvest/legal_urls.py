"""Statute URLs as Tillit's legal references: Lovdata, riksdagen.se / rkrattsbaser, EUR-Lex
and ELI (``catalogue.legal`` holds the reference forms; this turns a URL into one).

- Lovdata: ``https://lovdata.no/NL/lov/2016-12-09-88/§1-1`` (also ``/dokument/NL/lov/…``,
  ``/lov/…``, ``/SF/forskrift/…``, ``/LTI/…`` and the provision after ``#``) becomes
  ``NO``, ``LOV-2016-12-09-88``, provision ``§ 1-1``.
- Sweden: riksdagen.se's SFS pages (``…_sfs-2009-400/``, with ``#K22P1`` for
  "22 kap. 1 §" or ``#P7`` for "7 §") and Tillit's own rkrattsbaser link
  (``https://rkrattsbaser.gov.se/sfst?bet=2009:400``) become ``SE``, ``2009:400``.
- ELI as the export writes it (``dcat.vocabulary.eli_reference``: EU acts and Lovdata's
  ``https://lovdata.no/eli/lov/1994/06/03/15``) is read by the vocabulary's own inverse.
- EU: EUR-Lex CELEX links (``?uri=CELEX:32016R0679``) and ELI
  (``http://data.europa.eu/eli/reg/2016/679/oj``, ``…/art_6/par_1/pnt_e``) become
  ``EU``, ``32016R0679`` with ``Art. 6(1)(e)`` when the ELI names an article; DPV's
  GDPR concepts (``https://w3id.org/dpv/legal/eu/gdpr#A6-1-e``, what the export says with
  ``dpv:hasLegalBasis``) likewise.

Pure: no I/O. A URL none of these recognise is ``None``; the caller keeps it as a note.
A provision that does not normalise is dropped from the reference (the statute is
still recognised) and said in the result's ``note``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from catalogue.legal import LegalReferenceError, normalise_provision, normalise_reference
from dcat.vocabulary import eli_reference

MAX_URL = 1000

_LOVDATA = re.compile(
    r"^/(?:dokument/)?(?:(?:NL|SF|LF|LTI)/)?(lov|forskrift)/(\d{4}-\d{2}-\d{2}(?:-\d{1,4})?)(?:/(.*))?$",
    re.IGNORECASE | re.ASCII,
)
_SFS_IN_PATH = re.compile(r"sfs-(\d{4})-(\d{1,4})(?:\D|$)", re.IGNORECASE | re.ASCII)
_SE_ANCHOR = re.compile(r"^(?:K(\d{1,3})([a-z]?))?P(\d{1,4})([a-z]?)", re.IGNORECASE | re.ASCII)
_ELI = re.compile(
    r"^/eli/(reg|dir|dec|reg_impl|reg_del|dir_impl|dir_del|dec_impl|dec_del)/(\d{4})/(\d{1,4})(?:/(.*))?$",
    re.ASCII,
)
_ELI_TYPE = {"reg": "R", "dir": "L", "dec": "D"}
_ELI_PART = re.compile(r"^(art|par|pnt)_([0-9a-z]{1,6})$", re.ASCII)


@dataclass(frozen=True)
class RecognisedReference:
    """A statute URL read as a legal reference (``catalogue.legal``'s forms)."""

    jurisdiction: str
    reference: str
    provision: str | None = None
    #: Why a part of the URL was not used (a provision in no known form), or None.
    note: str | None = None


def recognise(url: str) -> RecognisedReference | None:
    """The legal reference a statute URL stands for, or None when it is not one we read."""
    if not isinstance(url, str) or len(url) > MAX_URL:
        return None
    exact = eli_reference(url)  # the ELI forms the export writes (dcat.vocabulary)
    if exact is not None:
        return RecognisedReference(*exact)
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    path = unquote(parts.path)
    try:
        if host == "lovdata.no":
            return _lovdata(path, unquote(parts.fragment))
        if host == "riksdagen.se":
            return _riksdagen(path, parts.fragment)
        if host == "rkrattsbaser.gov.se":
            bet = parse_qs(parts.query).get("bet", [""])[0]
            return RecognisedReference("SE", normalise_reference("SE", bet)) if bet else None
        if host == "eur-lex.europa.eu":
            return _eur_lex(path, parts.query)
        if host == "data.europa.eu":
            return _eli(path)
        if host == "w3id.org" and path == "/dpv/legal/eu/gdpr":
            return _dpv_gdpr(parts.fragment)
    except LegalReferenceError:
        return None
    return None


def _with_provision(jurisdiction: str, reference: str, provision: str | None) -> RecognisedReference:
    if not provision:
        return RecognisedReference(jurisdiction, reference)
    try:
        return RecognisedReference(jurisdiction, reference, normalise_provision(jurisdiction, provision))
    except LegalReferenceError:
        return RecognisedReference(
            jurisdiction,
            reference,
            None,
            f"The provision in the URL is not in a known form: {provision[:60]!r}.",
        )


def _lovdata(path: str, fragment: str) -> RecognisedReference | None:
    match = _LOVDATA.match(path.rstrip("/"))
    if match is None:
        return None
    kind = "LOV" if match[1].lower() == "lov" else "FOR"
    reference = normalise_reference("NO", f"{kind}-{match[2]}")
    provision = (match[3] or fragment or "").strip("/ ") or None
    if provision and provision.startswith("KAPITTEL_"):  # a chapter, not a provision
        provision = None
    return _with_provision("NO", reference, provision)


def _riksdagen(path: str, fragment: str) -> RecognisedReference | None:
    match = _SFS_IN_PATH.search(path)
    if match is None:
        return None
    reference = normalise_reference("SE", f"{match[1]}:{int(match[2])}")
    anchor = _SE_ANCHOR.match(fragment or "")
    if anchor is None:
        return RecognisedReference("SE", reference)
    chapter, chapter_letter, section, section_letter = anchor.groups()
    provision = f"{section}{(' ' + section_letter) if section_letter else ''} §"
    if chapter:
        provision = f"{chapter}{(' ' + chapter_letter) if chapter_letter else ''} kap. {provision}"
    return _with_provision("SE", reference, provision.lower())


def _eur_lex(path: str, query: str) -> RecognisedReference | None:
    if path.startswith("/eli/"):
        return _eli(path)
    uri = parse_qs(query).get("uri", [""])[0]
    if uri.upper().startswith("CELEX:"):
        return RecognisedReference("EU", normalise_reference("EU", uri[6:]))
    return None


_DPV_GDPR = re.compile(r"^A(\d{1,3})((?:-[0-9a-z]{1,5}){0,3})$", re.ASCII)


def _dpv_gdpr(fragment: str) -> RecognisedReference | None:
    """DPV's GDPR concepts (``https://w3id.org/dpv/legal/eu/gdpr#A6-1-e``: Art. 6(1)(e))."""
    match = _DPV_GDPR.match(fragment)
    if match is None:
        return None
    subdivisions = "".join(f"({part})" for part in match[2].split("-") if part)
    return _with_provision("EU", "32016R0679", f"Art. {match[1]}{subdivisions}")


def _eli(path: str) -> RecognisedReference | None:
    match = _ELI.match(path.rstrip("/"))
    if match is None:
        return None
    kind, year, number, rest = match.groups()
    celex = f"3{year}{_ELI_TYPE[kind.split('_')[0]]}{int(number):04d}"
    reference = normalise_reference("EU", celex)
    article, subdivisions = None, ""
    for segment in (rest or "").split("/"):
        part = _ELI_PART.match(segment)
        if part is None:
            continue
        if part[1] == "art":
            article = part[2]
        elif article is not None:
            subdivisions += f"({part[2]})"
    return _with_provision("EU", reference, f"Art. {article}{subdivisions}" if article else None)
