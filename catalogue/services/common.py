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


def variant_etag(base: str, variant: str) -> str:
    """The ETag of one representation of the version tagged ``base`` (``make_etag``):
    ``base`` itself when nothing else goes into the representation (``variant`` empty),
    else ``base``'s digest and a digest of ``variant`` (what else the representation is
    made of: the reader's language, the linked ids this caller may see). A write's
    If-Match accepts every variant of the current version (``check_etag``)."""
    if not variant:
        return base
    digest = hashlib.sha256(variant.encode()).hexdigest()[:12]
    return f'{base[:-1]}-{digest}"'


def check_etag(current: str, if_match: str | None) -> None:
    """If-Match is mandatory for every update; ``*`` accepts any current version, and
    the tag of any representation of it (``variant_etag``)."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired("This update needs an If-Match header with the ETag you last read.")
    candidates = [tag.strip() for tag in if_match.split(",")]
    if "*" in candidates:
        return
    # Weak comparison is not allowed for If-Match (RFC 9110 §13.1.1).
    variant_prefix = current[:-1] + "-"
    if not any(c == current or (c.startswith(variant_prefix) and c.endswith('"')) for c in candidates):
        raise PreconditionFailed("The entry has changed since you read it; fetch it again and retry.")
