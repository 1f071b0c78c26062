"""An agency's sharing report: its entries by sharing status, with the statutes involved.

The list an agency takes to its legal department, or to the ministry when a law must
change (docs/sharing.md). Who may ask is ``security.policy.can_report_sharing``: the
agency's own data owners and security officers, administrators and the system.

No oracle: the agency's existence is public (``GET /api/v1/agencies/<orgnr>``), so a
missing agency is a 404 for everyone and another agency's caller gets a 403 whatever the
agency holds; and the report holds, and counts, only entries the caller may read whole
(``policy.can_read``: within its clearance), never one above it. Retired entries are
left out: nothing is shared from them any more.

The statutes are given by reference and provision (and the official URL); their names
come from the statute register where one exists.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalogue.errors import NotFound, PermissionDenied
from catalogue.models import Agency, Entry
from catalogue.services.entries import EntryService
from catalogue.sharing import SHARING_STATUSES, SharingStatus, sharing_status
from catalogue.visibility import visible_clause
from security import policy
from security.identity import Identity

REPORT_ACTION = "agency.sharing_report"


@dataclass
class StatuteUse:
    """One statute cited by entries of a group: its provisions by role, and how many entries cite it."""

    jurisdiction: str
    reference: str
    url: str
    provisions: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    entries: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        """The statute as the report shows it."""
        return {
            "jurisdiction": self.jurisdiction,
            "reference": self.reference,
            "url": self.url,
            "provisions": [
                {"role": role, "provision": provision}
                for role in sorted(self.provisions)
                for provision in sorted(self.provisions[role])
            ],
            "entries": len(self.entries),
        }


@dataclass
class SharingGroup:
    """The entries of one sharing status, and the statutes they cite."""

    status: SharingStatus
    entries: list[dict[str, Any]] = field(default_factory=list)
    statutes: dict[tuple[str, str], StatuteUse] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The group as the report shows it (statutes by jurisdiction and reference)."""
        return {
            "status": self.status,
            "count": len(self.entries),
            "entries": self.entries,
            "statutes": [self.statutes[key].as_dict() for key in sorted(self.statutes)],
        }


@dataclass(frozen=True)
class SharingReport:
    """An agency's entries readable by the caller, grouped by sharing status."""

    agency: str
    groups: tuple[SharingGroup, ...]

    @property
    def total(self) -> int:
        """How many entries the report holds."""
        return sum(len(g.entries) for g in self.groups)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (``SharingReportSchema`` in the API)."""
        return {"agency": self.agency, "total": self.total, "groups": [g.as_dict() for g in self.groups]}


class SharingService:
    """Reports built on the entry service's session, scheme and audit trail."""

    def __init__(self, entries: EntryService) -> None:
        self.entries = entries
        self.session = entries.session
        self.scheme = entries.scheme

    def report(self, identity: Identity, orgnr: str) -> SharingReport:
        """The agency's entries that ``identity`` may read whole, by sharing status.

        NotFound if there is no such agency; PermissionDenied (audited) unless the
        caller may report on it (``policy.can_report_sharing``)."""
        if self.session.get(Agency, orgnr) is None:
            raise NotFound("No agency with that organisation number.")
        if not policy.can_report_sharing(identity, orgnr):
            self.entries.audit_now(identity, REPORT_ACTION, None, decision="deny", details={"agency": orgnr})
            raise PermissionDenied(
                "Only the agency's own data owners and security officers may see its report."
            )
        groups = {status: SharingGroup(status) for status in SHARING_STATUSES}
        rows = self.session.scalars(
            select(Entry)
            .where(
                Entry.publisher == orgnr,
                Entry.status != policy.RETIRED,
                visible_clause(policy.read_filter(identity)),
                Entry.classification.in_(sorted(identity.readable_levels)),
            )
            .options(selectinload(Entry.legal_bases))
            .order_by(Entry.classification, Entry.id)
        )
        for entry in rows:
            if not policy.can_read(identity, entry.facts):  # the SQL's twin, checked again
                continue
            status = sharing_status(
                entry.classification, self.scheme.lowest, (b.role for b in entry.legal_bases)
            )
            group = groups[status]
            group.entries.append(_entry_line(entry))
            for basis in entry.legal_bases:
                use = group.statutes.setdefault(
                    (basis.jurisdiction, basis.reference),
                    StatuteUse(basis.jurisdiction, basis.reference, basis.url),
                )
                if basis.provision:
                    use.provisions[basis.role].add(basis.provision)
                use.entries.add(entry.id)
        report = SharingReport(orgnr, tuple(groups.values()))
        self.entries.audit_now(
            identity,
            REPORT_ACTION,
            None,
            decision="allow",
            # No count: an event about no entry is shown to every auditor, whatever their
            # clearance, and a count of what this caller reads whole would tell them how
            # many entries lie above theirs.
            details={"agency": orgnr},
        )
        return report


def _entry_line(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "type": entry.type,
        "title": dict(entry.title),
        "classification": entry.classification,
        "status": entry.status,
        "legal_basis": [
            {
                "role": b.role,
                "jurisdiction": b.jurisdiction,
                "reference": b.reference,
                "provision": b.provision,
                "url": b.url,
            }
            for b in entry.legal_bases
        ],
    }
