"""The classification scheme: an ordered list of levels with stable keys.

Keys, not ranks, are what the rest of Tillit stores and compares. A key that is
unknown to the scheme, or disabled in it, never matches anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LANGUAGES = ("sv", "nb", "en")
READ_SCOPE_PREFIX = "catalogue:read:"
_KEY = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


class SchemeError(ValueError):
    """The classification scheme is invalid; the application must not start."""


@dataclass(frozen=True)
class Level:
    """One level of the scheme: its stable key, its label per language, whether it is in force."""

    key: str
    labels: Mapping[str, str]
    enabled: bool = True
    description: str = ""

    @property
    def scope(self) -> str:
        """The read scope that grants this level: ``catalogue:read:<key>``."""
        return READ_SCOPE_PREFIX + self.key


@dataclass(frozen=True)
class ClassificationScheme:
    """Ordered levels, lowest first. Only the enabled prefix is in force."""

    levels: tuple[Level, ...]
    _rank: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._validate()
        ranks = {lvl.key: i for i, lvl in enumerate(self.levels) if lvl.enabled}
        object.__setattr__(self, "_rank", ranks)

    def _validate(self) -> None:
        if not self.levels:
            raise SchemeError("The classification scheme has no levels.")
        seen: set[str] = set()
        for level in self.levels:
            if not _KEY.match(level.key):
                raise SchemeError(f"Level key {level.key!r} must be lower-case letters, digits and hyphens.")
            if level.key in seen:
                raise SchemeError(f"Level key {level.key!r} appears twice.")
            seen.add(level.key)
            missing = [lang for lang in LANGUAGES if not level.labels.get(lang, "").strip()]
            if missing:
                raise SchemeError(f"Level {level.key!r} lacks a label in: {', '.join(missing)}.")
        enabled = [lvl.enabled for lvl in self.levels]
        if not enabled[0]:
            raise SchemeError("The lowest level must be enabled.")
        first_disabled = enabled.index(False) if False in enabled else len(enabled)
        if any(enabled[first_disabled:]):
            raise SchemeError(
                "Enabled levels must form a prefix: a level cannot be enabled above a disabled one."
            )

    # -- queries -----------------------------------------------------------
    @property
    def enabled_levels(self) -> tuple[Level, ...]:
        """The levels in force, lowest first."""
        return tuple(lvl for lvl in self.levels if lvl.enabled)

    @property
    def enabled_keys(self) -> tuple[str, ...]:
        """The keys of the levels in force, lowest first."""
        return tuple(lvl.key for lvl in self.enabled_levels)

    @property
    def lowest(self) -> str:
        """The key of the lowest level (always enabled): what an anonymous reader may read."""
        return self.levels[0].key

    def is_enabled(self, key: str) -> bool:
        """Whether ``key`` is a level in force; False for an unknown or disabled key."""
        return key in self._rank

    def rank(self, key: str) -> int | None:
        """Rank of an enabled level, or None: unknown keys have no rank."""
        return self._rank.get(key)

    def level(self, key: str) -> Level:
        """The level of ``key``, enabled or not; KeyError for a key the scheme does not know."""
        for lvl in self.levels:
            if lvl.key == key:
                return lvl
        raise KeyError(key)

    def at_or_below(self, key: str | None) -> frozenset[str]:
        """Every enabled level up to and including ``key``; empty when unknown."""
        if key is None:
            return frozenset()
        top = self.rank(key)
        if top is None:
            return frozenset()
        return frozenset(k for k, r in self._rank.items() if r <= top)

    def not_above(self, lower: str, upper: str) -> bool:
        """True when ``lower`` ≤ ``upper``; False when either is not enabled."""
        lo, up = self.rank(lower), self.rank(upper)
        return lo is not None and up is not None and lo <= up

    def highest(self, keys: Iterable[str]) -> str | None:
        """The highest enabled level among ``keys``, or None."""
        best: str | None = None
        for key in keys:
            r = self.rank(key)
            if r is not None and (best is None or r > self._rank[best]):
                best = key
        return best

    def clearance_from_scopes(self, scopes: Iterable[str]) -> str | None:
        """Highest level granted by ``catalogue:read:<level>`` scopes."""
        return self.highest(s[len(READ_SCOPE_PREFIX) :] for s in scopes if s.startswith(READ_SCOPE_PREFIX))

    @property
    def read_scopes(self) -> tuple[str, ...]:
        """The read scope of every level in force, lowest first."""
        return tuple(lvl.scope for lvl in self.enabled_levels)

    def read_scopes_up_to(self, key: str | None) -> tuple[str, ...]:
        """The read scopes of the levels in force up to ``key``; none for an unknown key."""
        allowed = self.at_or_below(key)
        return tuple(lvl.scope for lvl in self.enabled_levels if lvl.key in allowed)

    def as_dict(self) -> dict[str, Any]:
        """The scheme as JSON for the API: every level (disabled too) with its rank and scope."""
        return {
            "levels": [
                {
                    "key": lvl.key,
                    "rank": i,
                    "labels": dict(lvl.labels),
                    "enabled": lvl.enabled,
                    "description": lvl.description,
                    "scope": lvl.scope,
                }
                for i, lvl in enumerate(self.levels)
            ]
        }

    # -- construction ------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClassificationScheme:
        """Build a scheme from its JSON; SchemeError for a malformed or invalid one."""
        raw = data.get("levels")
        if not isinstance(raw, list):
            raise SchemeError('The scheme must be an object with a "levels" list.')
        levels = []
        for item in raw:
            if not isinstance(item, Mapping) or not isinstance(item.get("key"), str):
                raise SchemeError('Each level must be an object with a string "key".')
            labels = item.get("labels", {})
            if not isinstance(labels, Mapping):
                raise SchemeError(f"Level {item['key']!r}: labels must be an object.")
            levels.append(
                Level(
                    key=item["key"],
                    labels={str(k): str(v) for k, v in labels.items()},
                    enabled=bool(item.get("enabled", True)),
                    description=str(item.get("description", "")),
                )
            )
        return cls(tuple(levels))

    @classmethod
    def load(cls, path: str | Path) -> ClassificationScheme:
        """Read a scheme from a JSON file; SchemeError if it cannot be read or is invalid."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SchemeError(f"Cannot read the classification scheme {path}: {exc}") from exc
        return cls.from_dict(data)


DEFAULT_SCHEME_DATA: dict[str, Any] = {
    "levels": [
        {"key": "public", "labels": {"sv": "Öppen", "nb": "Åpen", "en": "Public"}},
        {"key": "internal", "labels": {"sv": "Intern", "nb": "Intern", "en": "Internal"}},
        {
            "key": "sensitive",
            "labels": {"sv": "Sekretessbelagd", "nb": "Taushetsbelagt", "en": "Sensitive"},
            "description": "Covered by a statutory duty of confidentiality, "
            "such as OSL 2009:400 or offentleglova § 13.",
        },
        {
            "key": "restricted",
            "labels": {"sv": "Begränsat hemlig", "nb": "BEGRENSET", "en": "Restricted"},
            "enabled": False,
        },
        {
            "key": "confidential",
            "labels": {"sv": "Konfidentiell", "nb": "KONFIDENSIELT", "en": "Confidential"},
            "enabled": False,
        },
        {
            "key": "secret",
            "labels": {"sv": "Hemlig", "nb": "HEMMELIG", "en": "Secret"},
            "enabled": False,
        },
        {
            "key": "top-secret",
            "labels": {"sv": "Kvalificerat hemlig", "nb": "STRENGT HEMMELIG", "en": "Top secret"},
            "enabled": False,
        },
    ]
}

DEFAULT_SCHEME = ClassificationScheme.from_dict(DEFAULT_SCHEME_DATA)
