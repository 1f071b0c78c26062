"""One harvest from start to end, and the scheduled ones: load, read, then write.

:class:`HarvestRun` joins the steps in the order the rule needs: the source is fetched
and parsed whole (:mod:`dcat.harvest.sources`), read into records
(:mod:`dcat.harvest.records`), and only then written (:mod:`dcat.harvest.writing`),
each entry in its own transaction. ``run_due`` does this for every registered source
whose time has come (:mod:`dcat.harvest.register`); a source that fails is recorded as
failed and the others still run. Each run is an event of the audit chain (``harvest.run``:
the source, its publisher, the counts or the error), committed with the source's outcome.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.db import begin_write
from catalogue.errors import CatalogueError, ValidationFailed
from catalogue.models import Agency, AuditEvent, utcnow
from catalogue.models_harvest import HarvestRecord, HarvestSource, HarvestState
from catalogue.ports import Indexer
from catalogue.services.entries import EntryService
from catalogue.services.reviews import ReviewService
from dcat.collector import collector_spared
from dcat.harvest.records import MAPPING_VERSION, PROFILES, Record, read_records
from dcat.harvest.sources import HarvestLimits, LoadedSource, is_url, load_source
from dcat.harvest.writing import Harvester, HarvestReport, harvest_identity
from dcat.vocabulary import AccessRights
from security.identity import system_identity
from security.outbound import OutboundPolicy

#: The audit event of one scheduled run of a registered source (``run_due``).
RUN_ACTION = "harvest.run"


class DeferredIndexer:
    """Holds the index's nudges until the harvest ends, then gives one (an ``Indexer``).

    Each entry's outbox row is written with its change, as always; only the nudge waits,
    so the index is drained once, in batches, instead of once per entry (the embedded
    engine commits its writer per drain). A crash before the end leaves the rows for
    ``tillit index sync``, as after any crash."""

    def __init__(self, inner: Indexer) -> None:
        self.inner = inner
        self.ids: list[str] = []

    def changed(self, entry_ids: Sequence[str]) -> None:
        """Remember the ids; the nudge comes from :meth:`flush`."""
        self.ids.extend(entry_ids)

    def flush(self) -> None:
        """Nudge the index once for everything the harvest changed."""
        if self.ids:
            ids, self.ids = list(dict.fromkeys(self.ids)), []
            self.inner.changed(ids)


def limits_from_settings(config: Mapping[str, Any]) -> HarvestLimits:
    """The harvest's caps from ``TILLIT_HARVEST_*`` (ValueError if out of range)."""
    limits = HarvestLimits(
        max_bytes=int(config.get("HARVEST_MAX_BYTES", HarvestLimits.max_bytes)),
        timeout=float(config.get("HARVEST_TIMEOUT_SECONDS", HarvestLimits.timeout)),
        max_pages=int(config.get("HARVEST_MAX_PAGES", HarvestLimits.max_pages)),
    )
    if limits.max_bytes <= 0 or not 0 < limits.timeout <= 3600 or limits.max_pages <= 0:
        raise ValueError(
            "TILLIT_HARVEST_MAX_BYTES and TILLIT_HARVEST_MAX_PAGES must be positive and "
            "TILLIT_HARVEST_TIMEOUT_SECONDS 0-3600."
        )
    return limits


class Anchor(Protocol):
    """The audit chain's external anchor (``HeadAnchor``): moved forward after a commit."""

    def advance(self, seq: int, digest: str) -> None:
        """Move the anchor to (``seq``, ``digest``), never back."""


#: Entry and review services on a session (how the caller builds them: ``catalogue.compose``).
BuildServices = Callable[[Session], tuple[EntryService, ReviewService]]


@dataclass
class HarvestRun:
    """The harvest's steps over one session's entry and review services."""

    entries: EntryService
    reviews: ReviewService
    outbound: OutboundPolicy
    limits: HarvestLimits
    #: ``TILLIT_DCAT_ACCESS_RIGHTS`` (the export's mapping, read back).
    access_rights: str = ""
    #: Builds the services of a batch; None: every entry in a transaction of its own.
    build: BuildServices | None = None
    anchor: Anchor | None = None
    #: The index's nudges, given once when a harvest's writing ends.
    indexer: DeferredIndexer | None = None
    batch_size: int = 500

    @contextmanager
    def batch(self) -> Iterator[tuple[EntryService, ReviewService]]:
        """A unit of work for ``batch_size`` records: one database transaction, in which
        each service commit is a savepoint (a refused record rolls back alone) and each
        change still carries its outbox row and audit event. One commit (and one fsync)
        per batch instead of two per entry; the audit chain's anchor is moved to the
        committed head afterwards, never before (docs/harvest.md, "Speed")."""
        assert self.build is not None
        engine = self.entries.session.get_bind()
        with engine.connect() as connection:  # type: ignore[union-attr]  # bound to an Engine
            connection.execution_options(sqlite_begin="IMMEDIATE")
            outer = connection.begin()
            session = Session(
                bind=connection,
                join_transaction_mode="create_savepoint",
                expire_on_commit=False,
                autoflush=False,
            )
            try:
                yield self.build(session)
                session.close()
                outer.commit()
            except BaseException:
                session.close()
                outer.rollback()
                raise
            head = connection.execute(
                select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
            ).first()
            connection.rollback()
        if head is not None and self.anchor is not None:
            self.anchor.advance(head[0], head[1])

    @property
    def access(self) -> AccessRights:
        """The access-right mapping over the scheme's enabled levels."""
        return AccessRights.from_setting(self.entries.scheme.enabled_keys, self.access_rights)

    def load(self, source: str, publisher: str, profile: str) -> LoadedSource:
        """Fetch and parse ``source`` whole (SourceUnreadable if it cannot be); not parsed
        when it is the one page the publisher's last clean harvest of it read."""
        key = source if is_url(source) else "file:" + str(Path(source).resolve())
        state = self.entries.session.get(HarvestState, (publisher, key))
        known = state.digest if state is not None and state.clean and state.pages == 1 else None
        self.entries.session.commit()
        salt = json.dumps(
            [MAPPING_VERSION, profile, self.entries.scheme.lowest, dict(self.access.mapping)], sort_keys=True
        )
        # The application's objects are not walked by the collector's full passes while the
        # graph grows (dcat.collector): the parse then costs what rdflib's alone does.
        with collector_spared():
            return load_source(source, self.outbound, self.limits, salt=salt, known_digest=known)

    def read(self, loaded: LoadedSource, profile: str) -> list[Record]:
        """The source's datasets and data services as records."""
        if profile not in PROFILES:
            raise ValidationFailed({"profile": ["Expected one of " + ", ".join(PROFILES) + "."]})
        if loaded.unchanged:
            return []
        with collector_spared():
            return read_records(
                loaded.graph, profile=profile, access=self.access, lowest=self.entries.scheme.lowest
            )

    def write(
        self,
        publisher: str,
        loaded: LoadedSource,
        records: Sequence[Record],
        *,
        progress: Callable[[int], None] | None = None,
        submit: bool = True,
    ) -> HarvestReport:
        """Write ``records`` as ``publisher``'s entries (ValidationFailed for an unknown agency)."""
        agency = self.entries.session.get(Agency, publisher)
        if agency is None or agency.retired:
            raise ValidationFailed({"publisher": ["No agency with that organisation number."]})
        identity = harvest_identity(self.entries.scheme, agency)
        if loaded.unchanged:
            return self._unchanged(publisher, loaded)
        batches = self.batch if self.build is not None else None
        with collector_spared():
            try:
                report = Harvester(self.entries, self.reviews, batches, self.batch_size).harvest(
                    identity, loaded.key, records, progress=progress, submit=submit
                )
            finally:
                if self.indexer is not None:
                    self.indexer.flush()
        report.pages = loaded.pages
        self._remember(publisher, loaded, clean=not report.rejected)
        for warning in loaded.warnings:
            report.notes.setdefault(loaded.key, []).append(warning)
        return report

    def harvest(self, source: str, publisher: str, profile: str) -> HarvestReport:
        """Load, read and write one source."""
        loaded = self.load(source, publisher, profile)
        return self.write(publisher, loaded, self.read(loaded, profile))

    def _unchanged(self, publisher: str, loaded: LoadedSource) -> HarvestReport:
        """The report of a source whose bytes are those of its last clean harvest."""
        session = self.entries.session
        report = HarvestReport(loaded.key, publisher)
        report.counts["unchanged"] = int(
            session.scalar(
                select(func.count())
                .select_from(HarvestRecord)
                .where(HarvestRecord.publisher == publisher, HarvestRecord.source == loaded.key)
            )
            or 0
        )
        session.commit()
        return report

    def _remember(self, publisher: str, loaded: LoadedSource, *, clean: bool) -> None:
        session = self.entries.session
        state = session.get(HarvestState, (publisher, loaded.key))
        if state is None:
            state = HarvestState(publisher=publisher, source=loaded.key)
            session.add(state)
        state.digest, state.pages, state.clean, state.harvested = loaded.digest, loaded.pages, clean, utcnow()
        session.commit()

    def run_due(self) -> list[dict[str, Any]]:
        """Harvest every registered source whose next run has come; each one's outcome."""
        session = self.entries.session
        now = utcnow()
        due = [
            (s.id, s.agency, s.url, s.profile)
            for s in session.scalars(
                select(HarvestSource).where(HarvestSource.next_run <= now).order_by(HarvestSource.next_run)
            )
        ]
        session.commit()
        outcomes: list[dict[str, Any]] = []
        for source_id, agency, url, profile in due:
            outcome: dict[str, Any] = {"source": source_id, "agency": agency, "url": url}
            try:
                outcome["report"] = self.harvest(url, agency, profile).as_dict()
                kept: dict[str, Any] = {"counts": outcome["report"]["counts"]}
            except CatalogueError as exc:
                session.rollback()
                outcome["error"] = exc.detail
                kept = {"error": exc.detail}
            begin_write(session)
            row = session.get(HarvestSource, source_id)
            if row is not None:
                row.last_run = utcnow()
                row.next_run = row.last_run + timedelta(hours=row.every_hours)
                row.last_outcome = kept
            # The run itself is an event of the audit chain, committed with its outcome: the
            # publisher's harvest identity (``harvest:<orgnr>``, the writer of its entries'
            # events; the system if the agency is gone) ran this source, with the counts or
            # the error. Each entry it wrote has its own events as well.
            publisher = session.get(Agency, agency)
            scheme = self.entries.scheme
            self.entries.audit.record(
                harvest_identity(scheme, publisher) if publisher is not None else system_identity(scheme),
                RUN_ACTION,
                details={
                    "agency": agency,
                    "source": source_id,
                    "url": url,
                    "profile": profile,
                    "outcome": "failed" if "error" in kept else "harvested",
                    **kept,
                },
            )
            session.commit()
            outcomes.append(outcome)
        return outcomes
