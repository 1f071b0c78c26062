"""The harvest-source register: the catalogues an agency has Tillit harvest on a schedule.

An agency's administrator registers a source URL (checked now against the outbound rules:
https, no credentials, no private address written as a number; the host is resolved and
checked again at every fetch), its profile and how often to harvest it (hours).
``tillit harvest run-due`` (:mod:`dcat.harvest.running`) harvests the sources whose next
run has come. Only the agency's own administrators (``policy.can_admin_agency``) see
and change its sources: anyone else is told there is no such agency's register (404),
so the register says nothing of another agency.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalogue.db import begin_write
from catalogue.errors import Conflict, NotFound, ValidationFailed
from catalogue.models import Agency, utcnow
from catalogue.models_harvest import HarvestSource
from dcat.harvest.records import PROFILES
from security import policy
from security.identity import Identity
from security.outbound import OutboundError, OutboundPolicy, check_url

NO_SOURCE = "No harvest source with that id for this agency."
MAX_HOURS = 24 * 366


class HarvestSourceService:
    """Registers, lists and removes an agency's harvest sources, for its administrators."""

    def __init__(self, session: Session, outbound: OutboundPolicy) -> None:
        self.session = session
        self.outbound = outbound

    def _require(self, identity: Identity, agency: str) -> None:
        if not policy.can_admin_agency(identity, agency) or self.session.get(Agency, agency) is None:
            raise NotFound("No such agency, or its harvest sources are not yours to see.")

    def list(self, identity: Identity, agency: str) -> list[HarvestSource]:
        """The agency's sources, oldest first."""
        self._require(identity, agency)
        return list(
            self.session.scalars(
                select(HarvestSource).where(HarvestSource.agency == agency).order_by(HarvestSource.created)
            )
        )

    def create(self, identity: Identity, agency: str, data: dict[str, Any]) -> HarvestSource:
        """Register ``data`` (url, profile, every_hours) for ``agency``; its first run is due now."""
        errors: dict[str, list[str]] = {}
        url = str(data.get("url", ""))
        try:
            check_url(url, self.outbound)
        except OutboundError as exc:
            errors["url"] = [str(exc)]
        profile = data.get("profile", "dcat-ap")
        if profile not in PROFILES:
            errors["profile"] = ["Expected one of " + ", ".join(PROFILES) + "."]
        hours = data.get("every_hours", 24)
        if not isinstance(hours, int) or not 1 <= hours <= MAX_HOURS:
            errors["every_hours"] = [f"Expected a whole number of hours from 1 to {MAX_HOURS}."]
        begin_write(self.session)
        self._require(identity, agency)
        if errors:
            raise ValidationFailed(errors)
        source = HarvestSource(
            agency=agency,
            url=url,
            profile=profile,
            every_hours=hours,
            next_run=utcnow(),
            created_by=identity.person or identity.subject,
        )
        self.session.add(source)
        try:
            self.session.commit()
        except IntegrityError as exc:
            self.session.rollback()
            raise Conflict("The agency has registered this URL already.") from exc
        return source

    def delete(self, identity: Identity, agency: str, source_id: str) -> None:
        """Remove a source from the register (its harvested entries stay as they are)."""
        begin_write(self.session)
        self._require(identity, agency)
        source = self.session.get(HarvestSource, source_id)
        if source is None or source.agency != agency:
            raise NotFound(NO_SOURCE)
        self.session.delete(source)
        self.session.commit()

    def run_now(self, identity: Identity, agency: str, source_id: str) -> HarvestSource:
        """Make a source due now (the next ``run-due`` harvests it)."""
        begin_write(self.session)
        self._require(identity, agency)
        source = self.session.get(HarvestSource, source_id)
        if source is None or source.agency != agency:
            raise NotFound(NO_SOURCE)
        source.next_run = utcnow() - timedelta(seconds=1)
        source.modified = utcnow()
        self.session.commit()
        return source
