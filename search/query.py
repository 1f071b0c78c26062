"""The user's query syntax, parsed into a small engine-neutral AST.

Syntax (nothing else is special; no field targeting, no engine syntax):

- ``word``       a term; all positive clauses must match (AND)
- ``"a phrase"`` the words in this order
- ``prefix*``    words starting with ``prefix`` (at least 2 characters)
- ``-clause``    entries matching the clause are excluded

Everything is matched over the explicit field list of :mod:`search.documents`
that the caller may see. Characters other than letters, digits and a few
joiners are treated as spaces, so nothing a user types reaches an engine's own
query parser.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_QUERY_LENGTH = 500
MAX_CLAUSES = 20
MIN_PREFIX = 2

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"[^\W_]+(?:[-:.'][^\W_]+)*", re.UNICODE)
# Letters that Unicode decomposition does not fold; the rest go through NFKD.
_EXTRA_FOLD = str.maketrans({"ø": "o", "æ": "ae", "ð": "d", "þ": "th", "ß": "ss", "œ": "oe", "ł": "l"})


@dataclass(frozen=True)
class Term:
    """One word as typed, lower-cased. It may hold joiners ("2009:400",
    "e-tjänst"); an engine whose analyser splits it matches the parts as a phrase."""

    text: str


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]  # lower-cased


@dataclass(frozen=True)
class Prefix:
    text: str  # lower-cased; engines that bypass analysers use ``folded`` too

    @property
    def folded(self) -> str:
        return fold(self.text)


Clause = Term | Phrase | Prefix


@dataclass(frozen=True)
class ParsedQuery:
    must: tuple[Clause, ...] = ()
    must_not: tuple[Clause, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.must and not self.must_not


def fold(text: str) -> str:
    """Lower-case and strip diacritics: ``Lantmäteriet`` → ``lantmateriet``,
    ``Særavgift`` → ``saeravgift``. The same folding as the engines' ascii-fold."""
    lowered = text.lower().translate(_EXTRA_FOLD)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of ``text`` (lower-cased), splitting on everything else."""
    return [w.lower() for w in _WORD.findall(text)]


def parse(text: str | None) -> ParsedQuery:
    """Parse a user's query. Never fails: odd input becomes plain words."""
    if not text:
        return ParsedQuery()
    text = unicodedata.normalize("NFC", text[:MAX_QUERY_LENGTH])
    must: list[Clause] = []
    must_not: list[Clause] = []
    for match in _TOKEN.finditer(text):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        clause: Clause | None
        if phrase is not None:
            clause = _phrase(phrase)
        else:
            if bare.startswith("-") and len(bare) > 1:
                negated, bare = "-", bare[1:]
            clause = _bare(bare)
        if clause is None:
            continue
        target = must_not if negated else must
        if clause not in target:
            target.append(clause)
        if len(must) + len(must_not) >= MAX_CLAUSES:
            break
    return ParsedQuery(tuple(must), tuple(must_not))


def _phrase(text: str) -> Clause | None:
    found = words(text)
    if not found:
        return None
    if len(found) == 1:
        return Term(found[0])
    return Phrase(tuple(found))


def _bare(token: str) -> Clause | None:
    is_prefix = token.endswith("*")
    found = words(token.rstrip("*"))
    if not found:
        return None
    if len(found) > 1:
        # "skatt,moms" typed without a space: the words stay together, as typed.
        return Phrase(tuple(found))
    word = found[0]
    if is_prefix and len(word) >= MIN_PREFIX:
        return Prefix(word)
    return Term(word)
