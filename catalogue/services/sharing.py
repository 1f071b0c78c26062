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

Paged like every list (docs/sharing.md): the groups (each status's count and the
statutes its entries cite) cover the whole report, the entries come one page at a time,
in report order (by status, then classification and id), optionally of one status.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalogue.errors import NotFound, PermissionDenied
from catalogue.models import Agency, Entry, LegalBasis
from catalogue.services.common import MAX_PER_PAGE, Page
from catalogue.services.entries import EntryService
from catalogue.sharing import SHARING_STATUSES, SharingStatus, sharing_status
from catalogue.visibility import HEAD_COLUMNS, head_of, visible_clause
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
    """One sharing status: how many of the agency's entries have it, and the statutes they cite."""

    status: SharingStatus
    count: int = 0
    statutes: dict[tuple[str, str], StatuteUse] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The group as the report shows it (statutes by jurisdiction and reference)."""
        return {
            "status": self.status,
            "count": self.count,
            "statutes": [self.statutes[key].as_dict() for key in sorted(self.statutes)],
        }


@dataclass(frozen=True)
class SharingReport:
    """An agency's entries readable by the caller: every group's count and statutes,
    and one page of the entries (of one status, if asked), in report order."""

    agency: str
    groups: tuple[SharingGroup, ...]
    #: The entries of this page, each with its ``sharing_status``; ``total`` on all pages.
    entries: Page[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data: a page (``page_response`` in the API) with
        ``agency`` and ``groups`` beside its items."""
        return {
            "total": self.entries.total,
            "page": self.entries.page,
            "per_page": self.entries.per_page,
            "items": self.entries.items,
            "agency": self.agency,
            "groups": [g.as_dict() for g in self.groups],
        }


class SharingService:
    """Reports built on the entry service's session, scheme and audit trail."""

    def __init__(self, entries: EntryService) -> None:
        self.entries = entries
        self.session = entries.session
        self.scheme = entries.scheme

    def report(
        self,
        identity: Identity,
        orgnr: str,
        *,
        status: SharingStatus | None = None,
        page: int = 1,
        per_page: int = 20,
    ) -> SharingReport:
        """The agency's entries that ``identity`` may read whole, by sharing status:
        the groups' counts and statutes over all of them, and one page of the entries
        (of ``status`` only, if given) in report order: by status, then classification
        and id.

        NotFound if there is no such agency; PermissionDenied (audited) unless the
        caller may report on it (``policy.can_report_sharing``)."""
        if self.session.get(Agency, orgnr) is None:
            raise NotFound("No agency with that organisation number.")
        if not policy.can_report_sharing(identity, orgnr):
            self.entries.audit_now(identity, REPORT_ACTION, None, decision="deny", details={"agency": orgnr})
            raise PermissionDenied(
                "Only the agency's own data owners and security officers may see its report."
            )
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        page = max(1, page)
        groups = {s: SharingGroup(s) for s in SHARING_STATUSES}
        # One pass over the heads and legal bases of every entry in the report (no
        # titles, no documents): the groups' counts and statutes cover all pages.
        bases: dict[str, list[tuple[str, str, str, str | None, str]]] = defaultdict(list)
        heads: dict[str, Any] = {}
        for row in self.session.execute(
            select(*HEAD_COLUMNS, LegalBasis.role, LegalBasis.jurisdiction, LegalBasis.reference)
            .add_columns(LegalBasis.provision, LegalBasis.url)
            .select_from(Entry)
            .outerjoin(LegalBasis, LegalBasis.entry_id == Entry.id)
            .where(
                Entry.publisher == orgnr,
                Entry.status != policy.RETIRED,
                visible_clause(policy.read_filter(identity)),
                Entry.classification.in_(sorted(identity.readable_levels)),
            )
            .order_by(Entry.classification, Entry.id, LegalBasis.position)
        ):
            head = heads.setdefault(row[0], head_of(row[: len(HEAD_COLUMNS)]))
            if row.role is not None:
                bases[head.id].append((row.role, row.jurisdiction, row.reference, row.provision, row.url))
        ordered: dict[SharingStatus, list[str]] = {s: [] for s in SHARING_STATUSES}
        statuses: dict[str, SharingStatus] = {}
        for entry_id, head in heads.items():
            if not policy.can_read(identity, head.facts):  # the SQL's twin, checked again
                continue
            cited = bases[entry_id]
            statuses[entry_id] = shown = sharing_status(
                head.classification, self.scheme.lowest, (role for role, *_ in cited)
            )
            group = groups[shown]
            group.count += 1
            ordered[shown].append(entry_id)
            for role, jurisdiction, reference, provision, url in cited:
                use = group.statutes.setdefault(
                    (jurisdiction, reference), StatuteUse(jurisdiction, reference, url)
                )
                if provision:
                    use.provisions[role].add(provision)
                use.entries.add(entry_id)
        listed = ordered[status] if status else [i for s in SHARING_STATUSES for i in ordered[s]]
        wanted = listed[(page - 1) * per_page : page * per_page]
        loaded = {
            e.id: e
            for e in self.session.scalars(
                select(Entry).where(Entry.id.in_(wanted)).options(selectinload(Entry.legal_bases))
            )
        }
        # An entry changed between the two statements is shown as it is now, with the
        # status of the pass above (its revision moved on: read the report again).
        items = [{**_entry_line(loaded[i]), "sharing_status": statuses[i]} for i in wanted if i in loaded]
        report = SharingReport(orgnr, tuple(groups.values()), Page(items, len(listed), page, per_page))
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
