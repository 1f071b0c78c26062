"""Agencies: the organisations that publish entries and own clients."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.db import Prepared, json_values
from catalogue.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from catalogue.models import Agency, utcnow
from catalogue.services.common import MAX_PER_PAGE, Page, check_etag, make_etag
from catalogue.statutes import language_order
from security import policy
from security.identity import Identity
from security.levels import ClassificationScheme


def agency_etag(agency: Agency) -> str:
    """The ETag of the agency's current revision, for If-Match on its updates."""
    return make_etag("agency", agency.orgnr, agency.revision)


@dataclass(frozen=True)
class AgencyLabel:
    """How an agency is named for one reader: its name in the reader's language or the
    nearest one it has (``lang`` says which)."""

    orgnr: str
    name: str
    lang: str


def agency_label(orgnr: str, country: str, names: Mapping[str, str], lang: str | None) -> AgencyLabel | None:
    """The agency's name for a reader of ``lang``: theirs, its sibling (nb/nn), the
    country's official language, English, any other (the statutes' order); None if unnamed."""
    chosen = next((code for code in (*language_order(country, lang), *names) if names.get(code)), None)
    return AgencyLabel(orgnr, names[chosen], chosen) if chosen is not None else None


_A = Agency.__table__
#: The agencies among a JSON array of numbers, as one row (SQLite): compiled once and
#: read as a statement of its own (``Prepared``), as the read path reads entry heads;
#: every search with a publisher facet names its agencies with it.
LABELS_JSON = Prepared(
    select(func.json_group_array(func.json_array(_A.c.orgnr, _A.c.country, func.json(_A.c.name)))).where(
        _A.c.orgnr.in_(json_values("orgnrs"))
    )
)


class AgencyService:
    """Agencies are public facts; only administrators change them."""

    def __init__(self, session: Session, scheme: ClassificationScheme) -> None:
        self.session = session
        self.scheme = scheme

    def get(self, identity: Identity, orgnr: str) -> Agency:
        """The agency with ``orgnr`` (agencies are public, retired ones too); NotFound if none."""
        agency = self.session.get(Agency, orgnr)
        if agency is None:
            raise NotFound("No agency with that organisation number.")
        return agency

    def labels(self, identity: Identity, orgnrs: Iterable[str], lang: str | None) -> dict[str, AgencyLabel]:
        """The names of these agencies for a reader of ``lang``, in one query (agencies are
        public); a number no agency has is left out (shown by its number)."""
        wanted = sorted(set(orgnrs))
        if not wanted:
            return {}
        rows: Iterable[tuple[str, str, Mapping[str, str] | None]]
        if self.session.get_bind().dialect.name == "sqlite":  # a search's facet: see LABELS_JSON
            row = LABELS_JSON.first(self.session, {"orgnrs": json.dumps(wanted)}, alone=True)
            rows = json.loads(row[0]) if row is not None else []
        else:
            rows = [
                (orgnr, country, names)
                for orgnr, country, names in self.session.execute(
                    select(Agency.orgnr, Agency.country, Agency.name).where(Agency.orgnr.in_(wanted))
                )
            ]
        return {
            orgnr: shown
            for orgnr, country, names in rows
            if (shown := agency_label(orgnr, country, names or {}, lang)) is not None
        }

    def list_agencies(
        self, identity: Identity, *, country: str | None = None, page: int = 1, per_page: int = 20
    ) -> Page[Agency]:
        """A page of agencies by organisation number, of one ``country`` if given; ``per_page`` is capped."""
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        page = max(1, page)
        conditions = [Agency.country == country] if country else []
        total = self.session.scalar(select(func.count()).select_from(Agency).where(*conditions))
        rows = self.session.scalars(
            select(Agency)
            .where(*conditions)
            .order_by(Agency.orgnr)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        return Page(list(rows), int(total or 0), page, per_page)

    def create(self, identity: Identity, data: dict[str, Any]) -> Agency:
        """Register an agency (admin only); Conflict if its number is taken.

        ValidationFailed for a clearance that is not a level in force; PermissionDenied for
        one above the caller's own (``policy.can_grant_clearance``)."""
        self._require_admin(identity)
        clearance = self._clearance(data.get("clearance"))
        self._require_grantable(identity, clearance)
        if self.session.get(Agency, data["orgnr"]) is not None:
            raise Conflict(f"An agency with organisation number {data['orgnr']} exists already.")
        agency = Agency(
            orgnr=data["orgnr"],
            country=data["country"],
            name=data["name"],
            homepage=data.get("homepage"),
            contact_email=data.get("contact_email"),
            clearance=clearance,
        )
        self.session.add(agency)
        self.session.commit()
        return agency

    def update(self, identity: Identity, orgnr: str, data: dict[str, Any], if_match: str | None) -> Agency:
        """Change an agency's names, contacts or clearance (its own administrators or the
        system, If-Match required). Clearance is the ceiling of everything the agency's
        people and clients may read: no one gives more than they may read themselves, so its
        own administrators may lower it but only the system (the operator's commands)
        raises it (``policy.can_grant_clearance``)."""
        self._require_own_admin(identity, orgnr)
        agency = self.get(identity, orgnr)
        check_etag(agency_etag(agency), if_match)
        if "clearance" in data:
            clearance = self._clearance(data["clearance"])
            if self._raises(agency.clearance, clearance):  # lowering is always the admin's to do
                self._require_grantable(identity, clearance)
            agency.clearance = clearance
        for key in ("name", "homepage", "contact_email"):
            if key in data:
                setattr(agency, key, data[key])
        agency.modified = utcnow()
        self.session.commit()
        return agency

    def retire(self, identity: Identity, orgnr: str, if_match: str | None) -> Agency:
        """An agency is never erased: retired, its clients get no more tokens (its own
        administrators or the system)."""
        self._require_own_admin(identity, orgnr)
        agency = self.get(identity, orgnr)
        check_etag(agency_etag(agency), if_match)
        if not agency.retired:
            agency.retired = True
            agency.modified = utcnow()
            self.session.commit()
        return agency

    def _raises(self, current: str, wanted: str) -> bool:
        """Would ``wanted`` let the agency read more than ``current``? (A level without a
        rank counts as a raise: fail closed.)"""
        now, then = self.scheme.rank(current), self.scheme.rank(wanted)
        return now is None or then is None or then > now

    @staticmethod
    def _require_grantable(identity: Identity, clearance: str) -> None:
        if not policy.can_grant_clearance(identity, clearance):
            raise PermissionDenied("No one gives an agency a clearance above their own.")

    def _clearance(self, value: str | None) -> str:
        if value is None:
            return self.scheme.lowest
        if not self.scheme.is_enabled(value):
            raise ValidationFailed(
                {
                    "clearance": [
                        f"Unknown or disabled level {value!r}; expected one of "
                        + ", ".join(self.scheme.enabled_keys)
                        + "."
                    ]
                }
            )
        return value

    @staticmethod
    def _require_admin(identity: Identity) -> None:
        if not policy.can_admin(identity):
            raise PermissionDenied("Managing agencies needs the catalogue:admin scope.")

    @classmethod
    def _require_own_admin(cls, identity: Identity, orgnr: str) -> None:
        """Only the agency's own administrators, or the system: an admin of another
        agency is refused with 403 like a caller without the scope (agencies are
        public, so a 404 would hide nothing)."""
        cls._require_admin(identity)
        if not policy.can_admin_agency(identity, orgnr):
            raise PermissionDenied("An agency is managed by its own administrators.")
