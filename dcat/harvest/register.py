"""The harvest-source register: the catalogues an agency has Tillit harvest on a schedule.

An agency's administrator registers a source URL (checked now against the outbound rules:
https, no credentials, no private address written as a number; the host is resolved and
checked again at every fetch), its profile and how often to harvest it (hours).
``tillit harvest run-due`` (:mod:`dcat.harvest.running`) harvests the sources whose next
run has come. Only the agency's own administrators (``policy.can_admin_agency``) see
and change its sources: anyone else is told there is no such agency's register (404),
so the register says nothing of another agency.

Every change of the register (``harvest_source.create``, ``.update``, ``.delete``,
``.run``: made due now) is an event of the audit chain, committed with the change, as
the statute register's are: who, which agency, which source, and what it now says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalogue.db import begin_write
from catalogue.errors import Conflict, NotFound, ValidationFailed
from catalogue.models import Agency, utcnow
from catalogue.models_harvest import HarvestSource
from catalogue.ports import AuditTrail
from dcat.harvest.records import PROFILES
from security import policy
from security.identity import Identity
from security.outbound import OutboundError, OutboundPolicy, check_url

NO_SOURCE = "No harvest source with that id for this agency."
MAX_HOURS = 24 * 366


class HarvestSourceService:
    """Registers, lists and removes an agency's harvest sources, for its administrators."""

    def __init__(self, session: Session, outbound: OutboundPolicy, audit: AuditTrail) -> None:
        self.session = session
        self.outbound = outbound
        #: The audit chain's trail in this session: every change is recorded with it.
        self.audit = audit

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

    def _checked(self, data: dict[str, Any]) -> dict[str, Any]:
        """The fields of ``data`` (url, profile, every_hours), checked: ValidationFailed names the bad."""
        errors: dict[str, list[str]] = {}
        if "url" in data:
            try:
                check_url(str(data["url"]), self.outbound)
            except OutboundError as exc:
                errors["url"] = [str(exc)]
        if "profile" in data and data["profile"] not in PROFILES:
            errors["profile"] = ["Expected one of " + ", ".join(PROFILES) + "."]
        hours = data.get("every_hours", 24)
        if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= MAX_HOURS:
            errors["every_hours"] = [f"Expected a whole number of hours from 1 to {MAX_HOURS}."]
        if errors:
            raise ValidationFailed(errors)
        return {k: data[k] for k in ("url", "profile", "every_hours") if k in data}

    def create(self, identity: Identity, agency: str, data: dict[str, Any]) -> HarvestSource:
        """Register ``data`` (url, profile, every_hours) for ``agency``; its first run is due now."""
        data = {"url": "", "profile": "dcat-ap", "every_hours": 24, **data}
        begin_write(self.session)
        self._require(identity, agency)
        checked = self._checked(data)
        source = HarvestSource(
            agency=agency,
            url=str(checked["url"]),
            profile=checked["profile"],
            every_hours=checked["every_hours"],
            next_run=utcnow(),
            created_by=identity.person or identity.subject,
        )
        self.session.add(source)
        try:
            self.session.flush()
        except IntegrityError as exc:
            self.session.rollback()
            raise Conflict("The agency has registered this URL already.") from exc
        self._commit(identity, "harvest_source.create", source)
        return source

    def update(self, identity: Identity, agency: str, source_id: str, data: dict[str, Any]) -> HarvestSource:
        """Change a source's url, profile or every_hours (those given); its next run keeps its time."""
        begin_write(self.session)
        source = self._source(identity, agency, source_id)
        checked = self._checked(data)
        changed = sorted(k for k, v in checked.items() if getattr(source, k) != v)
        for key in changed:
            setattr(source, key, checked[key])
        if not changed:
            self.session.commit()
            return source
        source.modified = utcnow()
        try:
            self.session.flush()
        except IntegrityError as exc:
            self.session.rollback()
            raise Conflict("The agency has registered this URL already.") from exc
        self._commit(identity, "harvest_source.update", source, changed)
        return source

    def _source(self, identity: Identity, agency: str, source_id: str) -> HarvestSource:
        """The agency's source ``source_id``, for its administrators; NotFound otherwise."""
        self._require(identity, agency)
        source = self.session.get(HarvestSource, source_id)
        if source is None or source.agency != agency:
            raise NotFound(NO_SOURCE)
        return source

    def _commit(
        self, identity: Identity, action: str, source: HarvestSource, changed: Sequence[str] | None = None
    ) -> None:
        """The register's change and its audit event, in one transaction."""
        details: dict[str, Any] = {
            "agency": source.agency,
            "source": source.id,
            "url": source.url,
            "profile": source.profile,
            "every_hours": source.every_hours,
        }
        if changed is not None:
            details["fields"] = [*changed]
        try:
            self.audit.record(identity, action, details=details)
            self.session.commit()
        except Exception:
            self.session.rollback()
            raise

    def delete(self, identity: Identity, agency: str, source_id: str) -> None:
        """Remove a source from the register (its harvested entries stay as they are)."""
        begin_write(self.session)
        source = self._source(identity, agency, source_id)
        self.session.delete(source)
        self._commit(identity, "harvest_source.delete", source)

    def run_now(self, identity: Identity, agency: str, source_id: str) -> HarvestSource:
        """Make a source due now (the next ``run-due`` harvests it)."""
        begin_write(self.session)
        source = self._source(identity, agency, source_id)
        source.next_run = utcnow() - timedelta(seconds=1)
        source.modified = utcnow()
        self._commit(identity, "harvest_source.run", source)
        return source
