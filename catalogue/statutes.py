"""The statute register's pure parts: the seed file, names in a reader's language,
and the words a statute is found by.

A statute is known by its jurisdiction and reference in that jurisdiction's own
scheme (:mod:`catalogue.legal`: SFS ``2009:400``, Lovdata ``LOV-2016-05-27-14``,
CELEX ``32016R0679``). The register (``catalogue.models.Statute``) adds its
official names and short names per language (sv, nb, nn, en, only where they
exist) and the link to its official text. A reference the register does not know
stays valid wherever it is well-formed; it is shown by its number.

The seed is ``statutes_data/statutes.json``, with each fact's source in
``statutes_data/SOURCES.md``. Migration 0007 loads it (so every deployment has
the register, not only the demo), and ``tillit statutes load`` loads it, or an
administrator's own file, again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalogue.legal import normalise_reference, reference_url

#: The languages a statute may be named in (the catalogue's).
NAME_LANGUAGES = ("sv", "nb", "nn", "en")
#: Languages a jurisdiction's statutes are officially written in: the fallback
#: after the reader's own language (and its sibling) before English.
OFFICIAL_LANGUAGES: Mapping[str, tuple[str, ...]] = {"SE": ("sv",), "NO": ("nb", "nn"), "EU": ("en",)}
#: Written Norwegian has two standards; a reader of one reads the other.
SIBLING: Mapping[str, str] = {"nb": "nn", "nn": "nb"}
SEED_FILE = Path(__file__).parent / "statutes_data" / "statutes.json"
MAX_NAME = 500
MAX_SHORT_NAMES = 10
MAX_URL = 500

# A statute's name is one word ending in what it is ("folkbokföringslag",
# "skatteforvaltningsloven", "personvernforordningen"): the part before that
# ending ("folkbokföring", "personvern") is what people search for, and neither
# engine splits these compounds by itself. The linking "s" goes too.
_STATUTE_ENDING = re.compile(
    r"^(?P<stem>\w{4,}?)(?P<link>s?)(?:data)?(?:lagen|lag|loven|lova|lov|balken|balk|"
    r"förordningen|förordning|forordningen|forordning|forskriften|forskrift)$"
)


@dataclass(frozen=True)
class StatuteLabel:
    """How a statute is shown to one reader: its name and short name in the
    reader's language or the nearest one there is (``lang`` says which)."""

    name: str
    short_name: str | None
    lang: str

    def as_json(self) -> dict[str, Any]:
        """The label as a response carries it beside a reference (``StatuteLabelSchema``)."""
        return {"name": self.name, "short_name": self.short_name, "lang": self.lang}


@dataclass(frozen=True)
class StatuteNames:
    """What the register says a statute is called: its names and short names by language."""

    names: Mapping[str, str]
    short_names: Mapping[str, Sequence[str]]


#: The register's names of the statutes some entries cite, by (jurisdiction, reference).
Register = Mapping[tuple[str, str], StatuteNames]


def named_document(document: Mapping[str, Any], register: Register, lang: str | None) -> dict[str, Any]:
    """``document`` (an entry's rendering) with each legal basis of a statute the
    register knows carrying ``"statute": {"name", "short_name", "lang"}`` for a reader
    of ``lang``; a basis of an unknown statute is shown by its reference alone."""
    named = dict(document)
    bases = document.get("legal_basis")
    if bases:
        named["legal_basis"] = [_named_basis(basis, register, lang) for basis in bases]
    return named


def _named_basis(basis: Mapping[str, Any], register: Register, lang: str | None) -> dict[str, Any]:
    key = (basis["jurisdiction"], basis["reference"])
    known = register.get(key)
    shown = label(key[0], known.names, known.short_names, lang) if known is not None else None
    if shown is None:
        return dict(basis)
    return {**basis, "statute": shown.as_json()}


def citations(value: Any) -> list[Mapping[str, Any]]:
    """Every object in ``value``, at any depth and in document order, with a string
    ``jurisdiction`` and ``reference``: a legal basis, or a statute itself."""
    found: list[Mapping[str, Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            if isinstance(item.get("jurisdiction"), str) and isinstance(item.get("reference"), str):
                found.append(item)
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list | tuple):
            stack.extend(reversed(item))
    return found


def cited_in(value: Any) -> list[tuple[str, str]]:
    """The (jurisdiction, reference) of each statute ``value`` names (``citations``), once
    each in first-seen order. What an audit event's details cite: a grant's disclosure
    basis, a statute added to the register."""
    return list(keys((c["jurisdiction"], c["reference"]) for c in citations(value)))


def language_order(jurisdiction: str, lang: str | None) -> tuple[str, ...]:
    """The languages to try for a reader of ``lang``: theirs, its sibling, the
    statute's official language(s), English, then any other."""
    wanted = [lang] if lang in NAME_LANGUAGES else []
    if lang is not None and lang in SIBLING:
        wanted.append(SIBLING[lang])
    wanted += [*OFFICIAL_LANGUAGES.get(jurisdiction, ()), "en", *NAME_LANGUAGES]
    return tuple(dict.fromkeys(wanted))


def label(
    jurisdiction: str,
    names: Mapping[str, str],
    short_names: Mapping[str, Sequence[str]],
    lang: str | None,
) -> StatuteLabel | None:
    """The statute's label for a reader of ``lang``, or None if it has no name."""
    order = language_order(jurisdiction, lang)
    chosen = next((code for code in order if names.get(code)), None)
    if chosen is None:
        return None
    short = next((short_names[code][0] for code in order if short_names.get(code)), None)
    return StatuteLabel(names[chosen], short, chosen)


def search_words(names: Mapping[str, str], short_names: Mapping[str, Sequence[str]]) -> list[str]:
    """Every name and short name of a statute, in every language, and the stems
    of its one-word names ("folkbokföringslagen" → "folkbokföring"): the text a
    search for the statute by name matches (:mod:`search.documents`)."""
    texts = [*names.values(), *(s for values in short_names.values() for s in values)]
    stems = {
        stem
        for text in texts
        for word in text.lower().split()
        if (match := _STATUTE_ENDING.match(word.strip("().,;:-")))
        # The linking "s" or the stem's own last letter ("sekretess-lagen")? Both.
        for stem in {match["stem"], match["stem"] + match["link"]}
    }
    return [*dict.fromkeys(texts), *sorted(stems)]


def seed_records(path: Path = SEED_FILE) -> list[dict[str, Any]]:
    """The records of a register file (the packaged seed unless ``path`` is given), checked."""
    return check_records(json.loads(path.read_text(encoding="utf-8")))


def check_records(records: Any) -> list[dict[str, Any]]:
    """Records in the register's shape, references canonical; ValueError naming the first bad one."""
    if not isinstance(records, list):
        raise ValueError("Expected a JSON list of statutes.")
    return [_checked(record, position) for position, record in enumerate(records)]


def _checked(record: Any, position: int) -> dict[str, Any]:
    where = f"statute {position + 1}"
    if not isinstance(record, dict):
        raise ValueError(f"{where}: expected an object")
    try:
        reference = normalise_reference(str(record.get("jurisdiction")), str(record.get("reference")))
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    names = record.get("names") or {}
    short = record.get("short_names") or {}
    if not _is_names(names) or not names:
        raise ValueError(f"{where}: names must map {', '.join(NAME_LANGUAGES)} to a name")
    if not _is_short_names(short):
        raise ValueError(f"{where}: short_names must map a language to a list of names")
    url = record.get("url") or reference_url(record["jurisdiction"], reference)
    if not isinstance(url, str) or not url.startswith("https://") or len(url) > MAX_URL:
        raise ValueError(f"{where}: url must be an https URL")
    return {
        "jurisdiction": record["jurisdiction"],
        "reference": reference,
        "names": dict(names),
        "short_names": {k: list(v) for k, v in short.items() if v},
        "url": url,
        "note": record.get("note"),
        "source": record.get("source"),
    }


def _is_names(value: Any) -> bool:
    return isinstance(value, dict) and all(
        k in NAME_LANGUAGES and isinstance(v, str) and 0 < len(v) <= MAX_NAME for k, v in value.items()
    )


def _is_short_names(value: Any) -> bool:
    return isinstance(value, dict) and all(
        k in NAME_LANGUAGES
        and isinstance(v, list)
        and len(v) <= MAX_SHORT_NAMES
        and all(isinstance(s, str) and 0 < len(s) <= MAX_NAME for s in v)
        for k, v in value.items()
    )


def jurisdiction_of(reference: str) -> str | None:
    """The jurisdiction whose scheme a canonical reference is written in (the three
    schemes never overlap), or None: what a facet value, a bare reference, needs."""
    for code in ("SE", "NO", "EU"):
        try:
            if normalise_reference(code, reference) == reference:
                return code
        except ValueError:
            continue
    return None


def keys(references: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """Distinct (jurisdiction, reference) pairs, in first-seen order."""
    yield from dict.fromkeys(references)
