"""Grants: who may read what of whose, under which law, until when (docs/access.md).

A grant is made by ``AccessRequestService.decide``; here it is read (the register an
agency's data protection officer asks for: grants given and received), revoked by
the provider with a reason, exported for systems that enforce access elsewhere
(Maskinporten, X-Road), and told to both sides 30 days before it expires.

While a grant is active (not revoked, today within its validity, UTC), the subject
agency's client it names may ask Tillit's authorization server for the scope
``grant:<id>`` (``held_scopes``); each token issued with it is remembered
(``remember_tokens``). Revoking the grant writes those tokens' ``jti`` to the
deny-list (``RevokedToken``, the one mechanism of token revocation), and the
standing every token is measured against (``catalogue.authority``) lists only
active grants, so a grant revoked or expired leaves new tokens at once and existing
ones within ``TILLIT_REVOCATION_SYNC_SECONDS``. A remembered token past its expiry is
dead weight (no revocation needs to deny it: it is refused as expired), so
``prune_expired_tokens`` deletes it, with the rest of the authorization server's expired
token state (``TokenService.purge_expired``, run by ``tillit tokens purge-expired``).

Visibility is that of requests: a grant exists for the caller only if its agency is
the provider (with the entry readable whole) or the subject (with the entry
listable), and the caller follows its agency's access (``policy.can_follow_access``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import Session

from catalogue import access
from catalogue.db import begin_write
from catalogue.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from catalogue.models import Entry, Notification, utcnow
from catalogue.models_access import Grant, GrantToken
from catalogue.models_access import active_now as _active
from catalogue.models_auth import RevokedToken
from catalogue.services.common import MAX_PER_PAGE, Page
from catalogue.services.entries import EntryService
from catalogue.visibility import visible_clause
from security import policy
from security.identity import Identity

NO_GRANT = "No grant with that id."
EXPORT_FORMATS = ("maskinporten", "xroad")


def today_utc() -> date:
    """Today in UTC: the day grants' validity is counted in."""
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class GrantView:
    """A grant as one reader is shown it."""

    grant: Grant
    entry: Entry
    #: ``active``, ``pending``, ``expired`` or ``revoked`` (``catalogue.access.grant_state``).
    state: str
    #: ``provider`` or ``subject``: which side the reader is on.
    side: str

    @property
    def scope(self) -> str:
        """The OAuth scope the grant becomes."""
        return access.grant_scope(self.grant.id)


def held_scopes(session: Session, agency: str, client_id: str, today: date | None = None) -> set[str]:
    """The grant scopes the client ``client_id`` of ``agency`` may ask for now."""
    rows = session.scalars(
        select(Grant.id).where(
            Grant.subject_agency == agency,
            Grant.subject_client_id == client_id,
            *_active(today or today_utc()),
        )
    )
    return {access.grant_scope(grant_id) for grant_id in rows}


def remember_tokens(session: Session, jti: str, scopes: Iterable[str], expires: datetime) -> None:
    """Remember that the access token ``jti`` carries the grant scopes among ``scopes``
    (its revocation then denies the token); committed with the caller's transaction."""
    for scope in scopes:
        if scope.startswith(access.GRANT_SCOPE_PREFIX):
            session.add(
                GrantToken(jti=jti, grant_id=scope.removeprefix(access.GRANT_SCOPE_PREFIX), expires=expires)
            )


def prune_expired_tokens(session: Session, now: datetime) -> int:
    """Forget the tokens issued with a grant's scope that expired before ``now`` (in the
    caller's transaction); how many. Revocation denies only unexpired tokens
    (``GrantService._deny_tokens``), so nothing it would deny is lost."""
    pruned = session.execute(delete(GrantToken).where(GrantToken.expires < now))
    return int(getattr(pruned, "rowcount", 0) or 0)


class GrantService:
    """Reading, revoking, exporting and noticing the expiry of grants."""

    def __init__(self, entries: EntryService, on_revoke: Callable[[str, int], None] | None = None) -> None:
        self.entries = entries
        self.session = entries.session
        self.audit = entries.audit
        #: Told of each access token denied here, after the commit (this process's deny-list).
        self.on_revoke = on_revoke or (lambda jti, exp: None)

    # -- reading ---------------------------------------------------------------
    def get(self, identity: Identity, grant_id: str) -> GrantView:
        """One grant, or NotFound (also one of other agencies, or of an entry hidden from the caller)."""
        grant = self.session.get(Grant, grant_id) if len(grant_id) == 36 else None
        entry = self.session.get(Entry, grant.entry_id) if grant is not None else None
        side = self._side(identity, grant, entry) if grant is not None and entry is not None else None
        if grant is None or entry is None or side is None:
            raise NotFound(NO_GRANT)
        return GrantView(grant, entry, self._state(grant), side)

    def list_grants(
        self,
        identity: Identity,
        *,
        direction: str | None = None,
        state: str | None = None,
        page: int = 1,
        per_page: int = 20,
    ) -> Page[GrantView]:
        """The caller's agency's grants: ``given`` (of its entries), ``received``, or both."""
        agency = identity.agency
        if agency is None or not policy.can_follow_access(identity, agency):
            raise PermissionDenied(
                "Grants are for an agency's data owners, developers, officers and auditors."
            )
        rf = policy.read_filter(identity)
        per_page, page = max(1, min(per_page, MAX_PER_PAGE)), max(1, page)
        if rf.matches_nothing:
            return Page([], 0, page, per_page)
        given = (Grant.provider_agency == agency) & Entry.classification.in_(sorted(identity.readable_levels))
        received = Grant.subject_agency == agency
        side = {"given": given, "received": received}.get(direction or "", or_(given, received))
        conditions: list[ColumnElement[bool]] = [visible_clause(rf), side]
        today = today_utc()
        if state == "active":
            conditions += _active(today)
        elif state == "revoked":
            conditions.append(Grant.revoked_at.is_not(None))
        elif state == "expired":
            conditions += [Grant.revoked_at.is_(None), Grant.valid_until < today]
        elif state == "pending":
            conditions += [Grant.revoked_at.is_(None), Grant.valid_from > today]
        query = select(Grant, Entry).join(Entry, Entry.id == Grant.entry_id).where(*conditions)
        total = int(self.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        rows = self.session.execute(
            query.order_by(Grant.decided_at.desc(), Grant.id).limit(per_page).offset((page - 1) * per_page)
        ).all()
        views = []
        for grant, entry in rows:
            side_name = self._side(identity, grant, entry)
            if side_name is not None:
                views.append(GrantView(grant, entry, self._state(grant), side_name))
        return Page(views, total, page, per_page)

    @staticmethod
    def _side(identity: Identity, grant: Grant, entry: Entry) -> str | None:
        if identity.is_system:
            return "provider"
        if identity.agency is None or not policy.can_follow_access(identity, identity.agency):
            return None
        if identity.agency == grant.provider_agency and policy.can_read(identity, entry.facts):
            return "provider"
        if identity.agency == grant.subject_agency and policy.can_list(identity, entry.facts):
            return "subject"
        return None

    @staticmethod
    def _state(grant: Grant) -> str:
        return access.grant_state(
            grant.valid_from, grant.valid_until, grant.revoked_at is not None, today_utc()
        )

    # -- revoking --------------------------------------------------------------
    def revoke(self, identity: Identity, grant_id: str, reason: str) -> GrantView:
        """The provider ends a grant at once, with a reason; its tokens are denied."""
        begin_write(self.session)
        view = self.get(identity, grant_id)
        grant, entry = view.grant, view.entry
        if view.side != "provider" or not policy.can_decide_access(identity, entry.facts):
            self.entries.audit_now(
                identity, "grant.revoke", entry, decision="deny", details={"grant": grant.id, "answered": 403}
            )
            raise PermissionDenied("Revoking needs a security officer (signed in) of the providing agency.")
        if grant.revoked_at is not None:
            raise Conflict("This grant is revoked already.")
        if not reason.strip():
            raise ValidationFailed({"reason": ["Give the reason, for the agency that held the grant."]})
        now = utcnow()
        grant.revoked_at, grant.revoked_by, grant.revoke_reason = (
            now,
            identity.person or identity.subject,
            reason.strip(),
        )
        denied = self._deny_tokens(grant.id, now)
        self.session.add(
            Notification(
                agency=grant.subject_agency,
                audience="data_owner",
                kind="grant.revoked",
                message=f"Grant {grant.id} was revoked: {grant.revoke_reason}",
            )
        )
        self.audit.record(
            identity, "grant.revoke", entry=entry, details={"grant": grant.id, "tokens": len(denied)}
        )
        self.session.commit()
        for jti, expires in denied:
            self.on_revoke(jti, int(expires.timestamp()))
        return GrantView(grant, entry, self._state(grant), view.side)

    def _deny_tokens(self, grant_id: str, now: datetime) -> list[tuple[str, datetime]]:
        """Every unexpired token issued with the grant's scope goes on the deny-list."""
        rows = self.session.execute(
            select(GrantToken.jti, GrantToken.expires).where(
                GrantToken.grant_id == grant_id, GrantToken.expires >= now
            )
        ).all()
        known = set(
            self.session.scalars(select(RevokedToken.jti).where(RevokedToken.jti.in_([r[0] for r in rows])))
        )
        for jti, expires in rows:
            if jti not in known:
                self.session.add(RevokedToken(jti=jti, expires=expires))
        self.session.execute(delete(GrantToken).where(GrantToken.grant_id == grant_id))
        return [(jti, expires) for jti, expires in rows]

    # -- export ----------------------------------------------------------------
    def export(self, identity: Identity, grant_id: str, fmt: str) -> dict[str, Any]:
        """The grant in a shape another enforcer reads (docs/access.md, "Export")."""
        if fmt not in EXPORT_FORMATS:
            raise ValidationFailed({"format": ["One of " + ", ".join(EXPORT_FORMATS) + "."]})
        view = self.get(identity, grant_id)
        grant = view.grant
        common = {
            "tillit_grant": grant.id,
            "valid_from": grant.valid_from.isoformat(),
            "valid_until": grant.valid_until.isoformat(),
            "state": view.state,
            "disclosure_basis": grant.disclosure_basis,
            "processing_basis": grant.processing_basis,
        }
        if fmt == "maskinporten":
            return {
                "format": "maskinporten-scope-delegation",
                "scope": view.scope,
                "owner_orgnr": _bare(grant.provider_agency),
                "consumer_orgnr": _bare(grant.subject_agency),
                "consumer_client_id": grant.subject_client_id,
                "operations": grant.operations,
                **common,
            }
        if grant.subject_xroad is None:
            raise Conflict(
                "This grant names a Tillit client, not an X-Road subsystem; export it for Maskinporten."
            )
        instance, member_class, member_code, subsystem = grant.subject_xroad.split("/")
        return {
            "format": "xroad-access-rights",
            "subject": {
                "object_type": "SUBSYSTEM",
                "xroad_instance": instance,
                "member_class": member_class,
                "member_code": member_code,
                "subsystem_code": subsystem,
            },
            "service_codes": grant.operations,
            "entry": grant.entry_id,
            **common,
        }

    # -- expiry ----------------------------------------------------------------
    def notify_expiring(self, identity: Identity, today: date | None = None) -> int:
        """Tell both sides of each active grant that ends within 30 days (once)."""
        if not identity.is_system:
            raise PermissionDenied("Expiry notices are sent by the system.")
        today = today or today_utc()
        begin_write(self.session)
        due = self.session.scalars(
            select(Grant).where(
                *_active(today),
                Grant.valid_until <= today + timedelta(days=access.EXPIRY_NOTICE_DAYS),
                Grant.expiry_notified.is_(False),
            )
        ).all()
        for grant in due:
            message = f"Grant {grant.id} ends on {grant.valid_until.isoformat()}; renew it by a new request."
            for agency, audience in (
                (grant.provider_agency, "security_officer"),
                (grant.subject_agency, "data_owner"),
            ):
                self.session.add(
                    Notification(agency=agency, audience=audience, kind="grant.expiring", message=message)
                )
            grant.expiry_notified = True
            self.audit.record(identity, "grant.expiring", details={"grant": grant.id})
        self.session.commit()
        return len(due)


def _bare(orgnr: str) -> str:
    """An organisation number as Maskinporten writes it: digits only."""
    return "".join(ch for ch in orgnr if ch.isdigit())
