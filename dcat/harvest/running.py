"""One harvest from start to end, and the scheduled ones: load, read, then write.

:class:`HarvestRun` joins the steps in the order the rule needs: the source is fetched
and parsed whole (:mod:`dcat.harvest.sources`), read into records
(:mod:`dcat.harvest.records`), and only then written (:mod:`dcat.harvest.writing`),
each entry in its own transaction. ``run_due`` does this for every registered source
whose time has come (:mod:`dcat.harvest.register`); a source that fails is recorded as
failed and the others still run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from catalogue.errors import CatalogueError, ValidationFailed
from catalogue.models import Agency, utcnow
from catalogue.models_harvest import HarvestSource
from catalogue.services.entries import EntryService
from catalogue.services.reviews import ReviewService
from dcat.harvest.records import PROFILES, Record, read_records
from dcat.harvest.sources import HarvestLimits, LoadedSource, load_source
from dcat.harvest.writing import Harvester, HarvestReport, harvest_identity
from dcat.vocabulary import AccessRights, parse_access_rights
from security.outbound import OutboundPolicy


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


@dataclass
class HarvestRun:
    """The harvest's steps over one session's entry and review services."""

    entries: EntryService
    reviews: ReviewService
    outbound: OutboundPolicy
    limits: HarvestLimits
    #: ``TILLIT_DCAT_ACCESS_RIGHTS`` (the export's mapping, read back).
    access_rights: str = ""

    @property
    def access(self) -> AccessRights:
        """The access-right mapping over the scheme's enabled levels."""
        return AccessRights(self.entries.scheme.enabled_keys, parse_access_rights(self.access_rights))

    def load(self, source: str) -> LoadedSource:
        """Fetch and parse ``source`` whole (SourceUnreadable if it cannot be)."""
        return load_source(source, self.outbound, self.limits)

    def read(self, loaded: LoadedSource, profile: str) -> list[Record]:
        """The source's datasets and data services as records."""
        if profile not in PROFILES:
            raise ValidationFailed({"profile": ["Expected one of " + ", ".join(PROFILES) + "."]})
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
        report = Harvester(self.entries, self.reviews).harvest(
            identity, loaded.key, records, progress=progress, submit=submit
        )
        report.pages = loaded.pages
        for warning in loaded.warnings:
            report.notes.setdefault(loaded.key, []).append(warning)
        return report

    def harvest(self, source: str, publisher: str, profile: str) -> HarvestReport:
        """Load, read and write one source."""
        loaded = self.load(source)
        return self.write(publisher, loaded, self.read(loaded, profile))

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
            row = session.get(HarvestSource, source_id)
            if row is not None:
                row.last_run = utcnow()
                row.next_run = row.last_run + timedelta(hours=row.every_hours)
                row.last_outcome = kept
                session.commit()
            outcomes.append(outcome)
        return outcomes
