"""Local accounts: people of an agency, their roles, login with lockout, and
accounts linked to a person at their agency's OpenID Connect provider."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from authserver.services.security_events import principal, record_security_event
from catalogue.db import begin_write
from catalogue.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from catalogue.models import Agency, AuditEvent, utcnow
from catalogue.models_auth import NO_PASSWORD, User
from security import policy
from security.identity import Identity
from security.levels import ClassificationScheme
from security.oidc import FederatedPerson
from security.passwords import WeakPassword, hash_password, verify_password
from security.roles import ROLES, scopes_for_roles

#: Failed logins to one account from one address within LOCKOUT that lock that
#: address (only) out of that account until the oldest of them is LOCKOUT old.
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a password login: the user, or None; ``locked`` when the
    attempt was refused unchecked because its address is locked out of the account."""

    user: User | None
    locked: bool = False


class LoginRefused(Exception):
    """A delegated login that must not go on: ``reason`` is recorded, the message shown."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def user_scopes(scheme: ClassificationScheme, user: User, agency: Agency) -> tuple[str, ...]:
    """Read scopes up to the lower of the person's and the agency's clearance, and the role scopes."""
    clearance: str | None = agency.clearance
    if user.clearance is not None:
        clearance = scheme.highest(scheme.at_or_below(user.clearance) & scheme.at_or_below(agency.clearance))
    return (*scheme.read_scopes_up_to(clearance), *scopes_for_roles(user.roles))


class UserService:
    def __init__(self, session: Session, scheme: ClassificationScheme) -> None:
        self.session = session
        self.scheme = scheme

    def create(
        self,
        identity: Identity,
        *,
        username: str,
        agency: str,
        name: str,
        roles: Iterable[str],
        password: str,
        clearance: str | None = None,
    ) -> User:
        if not policy.can_admin(identity):
            raise PermissionDenied("Managing people needs the catalogue:admin scope.")
        errors: dict[str, list[str]] = {}
        owner = self.session.get(Agency, agency)
        if owner is None:
            errors["agency"] = ["No agency with that organisation number."]
        role_list = list(dict.fromkeys(roles))
        unknown = [r for r in role_list if r not in ROLES]
        if unknown:
            errors["roles"] = [f"Unknown roles: {', '.join(unknown)}. Known: {', '.join(ROLES)}."]
        username = username.strip().lower()
        if not username or len(username) > 120:
            errors["username"] = ["Give a user name of 1 to 120 characters."]
        if (
            clearance is not None
            and owner is not None
            and not self.scheme.not_above(clearance, owner.clearance)
        ):
            errors["clearance"] = [
                f"Not an enabled level at or below the agency's clearance {owner.clearance!r}."
            ]
        try:
            password_hash = hash_password(password)
        except WeakPassword as exc:
            errors["password"] = [str(exc)]
        if errors:
            raise ValidationFailed(errors)
        user = User(
            username=username,
            agency=agency,
            name=name,
            roles=role_list,
            clearance=clearance,
            password_hash=password_hash,
            disabled=False,
            failed_logins=0,
        )
        self.session.add(user)
        try:
            self.session.flush()
            record_security_event(
                self.session,
                identity,
                "user.create",
                {"user": username, "agency": agency, "roles": role_list},
                own_transaction=False,
            )
            self.session.commit()
        except IntegrityError as exc:
            self.session.rollback()
            raise Conflict(f"The user name {username!r} is taken.") from exc
        return user

    def list(self, identity: Identity, agency: str | None = None) -> list[User]:
        if not policy.can_admin(identity):
            raise PermissionDenied("Listing people needs the catalogue:admin scope.")
        query = select(User).order_by(User.agency, User.username)
        if agency:
            query = query.where(User.agency == agency)
        return list(self.session.scalars(query).all())

    def disable(self, identity: Identity, username: str) -> User:
        if not policy.can_admin(identity):
            raise PermissionDenied("Managing people needs the catalogue:admin scope.")
        user = self.by_username(username)
        if user is None:
            raise NotFound("No user with that name.")
        user.disabled = True
        record_security_event(
            self.session, identity, "user.disable", {"user": user.username}, own_transaction=False
        )
        self.session.commit()
        return user

    def by_username(self, username: str) -> User | None:
        return self.session.scalar(select(User).where(User.username == username.strip().lower()))

    def authenticate(self, username: str, password: str, address: str | None = None) -> User | None:
        return self.sign_in(username, password, address).user

    def sign_in(self, username: str, password: str, address: str | None = None) -> SignIn:
        """A password login. Every failure looks the same to the person; repeated
        failures lock the address they came from out of the account for a while,
        even for the right password, and no other address (docs/security.md, "Rate
        limits"). Every attempt is an audit event, and those events are the count."""
        begin_write(self.session)
        name = username.strip().lower()[:200]
        result = self._sign_in(name, password, address)
        user = result.user
        who = principal(
            self.scheme, user.id if user else name, user.agency if user else None, address=address
        )
        record_security_event(
            self.session,
            who,
            "login.success" if user else "login.failure",
            {"user": name},
            decision="allow" if user else "deny",
            own_transaction=False,
        )
        self.session.commit()
        return result

    def _sign_in(self, name: str, password: str, address: str | None) -> SignIn:
        user = self.by_username(name)
        if user is None:
            verify_password(None, password)  # same work as for a real account
            return SignIn(None)
        if user.disabled or user.issuer is not None:
            # Linked accounts sign in at their provider only, never with a password.
            verify_password(None, password)
            return SignIn(None)
        if self._locked_out(user, name, address):
            verify_password(None, password)
            return SignIn(None, locked=True)
        if not verify_password(user.password_hash, password):
            return SignIn(None)
        return SignIn(user)

    def _locked_out(self, user: User, name: str, address: str | None) -> bool:
        """MAX_FAILED_LOGINS failures for this account from this address within
        LOCKOUT, none followed by a success from there. Counted from the audit
        chain (durable, shared by every worker): failures are recorded under the
        name typed, successes under the account's id."""
        since = utcnow() - LOCKOUT
        here = AuditEvent.address == address if address is not None else AuditEvent.address.is_(None)
        last_success = (
            select(func.max(AuditEvent.seq))
            .where(AuditEvent.actor == user.id, AuditEvent.action == "login.success", here)
            .where(AuditEvent.at > since)
            .scalar_subquery()
        )
        failures = self.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.actor == name, AuditEvent.action == "login.failure", here)
            .where(AuditEvent.at > since, AuditEvent.seq > func.coalesce(last_success, 0))
        )
        return (failures or 0) >= MAX_FAILED_LOGINS

    def active(self, user_id: str) -> tuple[User, Agency] | None:
        user = self.session.get(User, user_id)
        if user is None or user.disabled:
            return None
        agency = self.session.get(Agency, user.agency)
        if agency is None or agency.retired:
            return None
        return user, agency

    # -- people who sign in at their agency's OpenID Connect provider ----------
    def sign_in_federated(
        self,
        *,
        provider: str,
        issuer: str,
        agency: str,
        person: FederatedPerson,
        clearance: str | None = None,
        address: str | None = None,
    ) -> tuple[User, Agency]:
        """The local account linked to (``issuer``, ``person.subject``), created on
        first sign-in in the provider's agency, with its name and roles refreshed
        from the claims every time. Refused (``LoginRefused``, recorded like any
        failed login) for a disabled account, an account of another agency, or an
        agency that is not registered or retired. Nothing links by user name or
        e-mail: an account made for a password can never be taken over this way."""
        begin_write(self.session)
        user = self.session.scalar(select(User).where(User.issuer == issuer, User.subject == person.subject))
        owner = self.session.get(Agency, agency)
        refusal: LoginRefused | None = None
        if owner is None or owner.retired:
            refusal = LoginRefused("agency", "The provider's agency is not an agency registered in Tillit.")
        elif user is not None and user.disabled:
            refusal = LoginRefused("disabled", "This account is disabled.")
        elif user is not None and user.agency != agency:
            refusal = LoginRefused("agency", "This account belongs to another agency.")
        if refusal is not None:
            actor = user.id if user else f"{issuer}#{person.subject}"[:200]
            who = principal(self.scheme, actor, user.agency if user else None, address=address)
            details = {"provider": provider, "subject": person.subject[:200], "reason": refusal.reason}
            record_security_event(
                self.session, who, "login.failure", details, decision="deny", own_transaction=False
            )
            self.session.commit()
            raise refusal
        assert owner is not None
        if user is None:
            user = self._link(provider, issuer, agency, person, clearance, address)
        else:
            self._refresh(user, provider, person, clearance, address)
        user.last_login = utcnow()
        who = principal(self.scheme, user.id, user.agency, address=address)
        record_security_event(
            self.session,
            who,
            "login.success",
            {"user": user.username, "provider": provider, "roles": list(user.roles)},
            own_transaction=False,
        )
        try:
            self.session.commit()
        except IntegrityError as exc:  # the same person signing in twice at once
            self.session.rollback()
            raise LoginRefused("conflict", "Signing in at the same time twice; please try again.") from exc
        return user, owner

    def _link(
        self,
        provider: str,
        issuer: str,
        agency: str,
        person: FederatedPerson,
        clearance: str | None,
        address: str | None,
    ) -> User:
        username = f"{provider}:{person.username}".strip().lower()[:120]
        if self.by_username(username) is not None:
            digest = hashlib.sha256(f"{issuer}#{person.subject}".encode()).hexdigest()[:16]
            username = f"{provider}:{digest}"
        user = User(
            username=username,
            agency=agency,
            name=person.name,
            roles=list(person.roles),
            clearance=clearance,
            password_hash=NO_PASSWORD,
            disabled=False,
            failed_logins=0,
            issuer=issuer,
            subject=person.subject,
            provider=provider,
            email=person.email,
        )
        self.session.add(user)
        self.session.flush()
        who = principal(self.scheme, user.id, agency, address=address)
        record_security_event(
            self.session,
            who,
            "user.create",
            {"user": username, "agency": agency, "roles": list(person.roles), "provider": provider},
            own_transaction=False,
        )
        return user

    def _refresh(
        self, user: User, provider: str, person: FederatedPerson, clearance: str | None, address: str | None
    ) -> None:
        if list(user.roles) != list(person.roles):
            who = principal(self.scheme, user.id, user.agency, address=address)
            details = {"user": user.username, "from": list(user.roles), "to": list(person.roles)}
            record_security_event(self.session, who, "user.roles", details, own_transaction=False)
            user.roles = list(person.roles)
        user.name = person.name
        user.email = person.email
        user.clearance = clearance
        user.provider = provider
        self.session.flush()
