"""Tables of the DCAT harvest (``dcat.harvest``, docs/harvest.md): where each harvested
entry came from, and the sources agencies register to be harvested on a schedule.

A harvested entry is an ordinary entry; ``harvest_records`` only remembers, per
publisher, which source URI it stands for and a fingerprint of what the source said
last (so an unchanged record is recognised without reading the entry), with the notes
of what the source said that Tillit could not hold.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.db import Base
from catalogue.models import Entry, new_id, utcnow
from catalogue.timestamps import UtcDateTime

#: The longest URI a record is keyed by, and the longest source URL.
MAX_URI = 1000


class HarvestRecord(Base):
    """One harvested dataset or data service: its publisher's key for it and its entry."""

    __tablename__ = "harvest_records"
    __table_args__ = (UniqueConstraint("publisher", "uri"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    publisher: Mapped[str] = mapped_column(ForeignKey("agencies.orgnr"), index=True)
    #: The source it was last harvested from (a URL, or ``file:`` and a path).
    source: Mapped[str] = mapped_column(String(MAX_URI), index=True)
    #: The resource's URI in the source (or its dct:identifier).
    uri: Mapped[str] = mapped_column(String(MAX_URI))
    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id"), unique=True)
    #: SHA-256 of what was last written from the source (``Record.fingerprint``).
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: What the source said that Tillit does not hold (unrecognised legal bases, ...).
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    entry: Mapped[Entry] = relationship()


class HarvestSource(Base):
    """A catalogue an agency has Tillit harvest every ``every_hours`` hours."""

    __tablename__ = "harvest_sources"
    __table_args__ = (UniqueConstraint("agency", "url"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.orgnr"), index=True)
    url: Mapped[str] = mapped_column(String(MAX_URI))
    profile: Mapped[str] = mapped_column(String(16))
    every_hours: Mapped[int] = mapped_column(Integer)
    next_run: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    last_run: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: The last run's counts, or its error: {"counts": {...}} / {"error": "..."}.
    last_outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012


class HarvestState(Base):
    """What a publisher's last harvest of a source read: the hash of its bytes (with the
    profile and mapping), its page count and whether every record was written. A one-page
    source read again with the same hash after a clean harvest is not parsed again."""

    __tablename__ = "harvest_states"

    publisher: Mapped[str] = mapped_column(ForeignKey("agencies.orgnr"), primary_key=True)
    source: Mapped[str] = mapped_column(String(MAX_URI), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(Integer)
    #: No record was rejected: an unchanged source has nothing left to try again.
    clean: Mapped[bool] = mapped_column(Boolean)
    harvested: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
