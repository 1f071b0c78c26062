"""Helpers shared by the services."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

from catalogue.errors import PreconditionFailed, PreconditionRequired

T = TypeVar("T")
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: its items and the total count of everything that matched."""

    items: list[T]
    total: int
    page: int
    per_page: int


@lru_cache(maxsize=65_536)
def make_etag(kind: str, key: str, revision: int) -> str:
    """A strong ETag for revision ``revision`` of the ``kind`` thing ``key``; it reveals neither."""
    digest = hashlib.sha256(f"{kind}:{key}:{revision}".encode()).hexdigest()[:20]
    return f'"{digest}"'


def check_etag(current: str, if_match: str | None) -> None:
    """If-Match is mandatory for every update; ``*`` accepts any current version."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired("This update needs an If-Match header with the ETag you last read.")
    candidates = [tag.strip() for tag in if_match.split(",")]
    if "*" in candidates:
        return
    # Weak comparison is not allowed for If-Match (RFC 9110 §13.1.1).
    if current not in candidates:
        raise PreconditionFailed("The entry has changed since you read it; fetch it again and retry.")
