"""What bounds a token now: its client, its agency and its person, as they stand.

An access token carries the authority it was issued with, for minutes. Authority
can be withdrawn before then: a client disabled, an agency retired or its clearance
lowered, a person disabled or given a lower clearance or fewer roles. Every request
measures its token against :class:`Standing`, a per-process snapshot of that state,
so withdrawn authority ends within ``sync_seconds`` everywhere and at once in the
process that withdrew it (:meth:`Authority.expire`). See docs/security.md,
"Withdrawn authority".

A token whose client, agency or person is no longer enabled is refused; one whose
agency or person now has a lower clearance keeps working but reads only up to it
(capping, as the token endpoint would grant it today).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from security.identity import ACTION_SCOPES, Identity, build_identity
from security.levels import ClassificationScheme
from security.roles import scopes_for_roles
from security.tokens import InvalidToken, TokenStateUnavailable


@dataclass(frozen=True)
class PersonStanding:
    """Where a person stands now: their agency, their own clearance (if any) and their roles."""

    agency: str
    #: The person's own clearance; None means the agency's.
    clearance: str | None
    roles: tuple[str, ...]


@dataclass(frozen=True)
class GrantStanding:
    """Who may carry an active grant's scope: the subject agency's one client."""

    agency: str
    client_id: str


#: The prefix of a grant's scope (``grant:<id>``, catalogue.access).
GRANT_SCOPE_PREFIX = "grant:"


@dataclass(frozen=True)
class Standing:
    """The enabled clients, active agencies and enabled people. Anything absent is
    withdrawn (or never existed): its tokens are refused."""

    #: client_id -> the agency that owns it
    clients: Mapping[str, str] = field(default_factory=dict)
    #: orgnr -> its clearance
    agencies: Mapping[str, str] = field(default_factory=dict)
    #: user id -> the person's agency, clearance and roles
    people: Mapping[str, PersonStanding] = field(default_factory=dict)
    #: grant scope -> who may carry it, for the grants active today (revoked or expired: absent)
    grants: Mapping[str, GrantStanding] = field(default_factory=dict)


class Authority:
    """The :class:`Standing` of this process, reloaded (``load``) at most every
    ``sync_seconds`` (0: on every request) and after :meth:`expire`.

    Until the first load succeeds, and whenever a reload fails, :meth:`current`
    raises: a token is never measured against state nobody could read. A reload that
    finds nothing changed keeps the same object, so what was derived from it (the
    identities kept by ``api.auth``) stays valid.
    """

    def __init__(self, load: Callable[[], Standing], sync_seconds: float = 1.0) -> None:
        self._load = load
        self.sync_seconds = sync_seconds
        self._standing: Standing | None = None
        self._synced = float("-inf")
        self._expired = float("-inf")
        self._lock = threading.Lock()

    def current(self) -> Standing:
        """The standing to measure a token against, reloaded when stale; TokenStateUnavailable if unread."""
        synced = self._synced
        standing = self._standing
        if standing is None or synced <= self._expired or time.monotonic() - synced >= self.sync_seconds:
            return self.sync()
        return standing

    def expire(self) -> None:
        """A change was committed in this process: the next request reloads."""
        self._expired = time.monotonic()

    def sync(self) -> Standing:
        """Reload the standing now; on failure forget it and raise TokenStateUnavailable (fail closed)."""
        with self._lock:
            started = time.monotonic()
            try:
                loaded = self._load()
            except Exception as exc:
                self._standing = None  # stays closed until a reload succeeds
                raise TokenStateUnavailable("Where tokens stand could not be read.") from exc
            if loaded != self._standing:
                self._standing = loaded
            self._synced = started
            return self._standing


def bound_identity(scheme: ClassificationScheme, standing: Standing, identity: Identity) -> Identity:
    """``identity`` (from a token of this server) as far as its authority stands now.

    Raises :class:`InvalidToken` when its agency, client or person is withdrawn; caps
    its read scopes to the clearance of its agency, of its client's agency and of its
    person, and a person's action scopes to their roles."""
    agency = identity.agency or ""
    clearance = standing.agencies.get(agency)
    if clearance is None:
        raise InvalidToken("The token's agency is not an active agency.")
    owner = standing.clients.get(identity.client_id or "")
    if owner is None or owner not in standing.agencies:
        raise InvalidToken("The token's client is not enabled.")
    if identity.kind == "client" and owner != agency:
        raise InvalidToken("The token's agency does not own its client.")
    # A person may sign in through another agency's client: the lower clearance counts.
    levels = scheme.at_or_below(clearance) & scheme.at_or_below(standing.agencies[owner])
    actions: frozenset[str] | None = None
    if identity.kind == "user":
        person = standing.people.get(identity.subject)
        if person is None or person.agency != agency:
            raise InvalidToken("The token's account is not enabled.")
        if person.clearance is not None:
            levels &= scheme.at_or_below(person.clearance)
        actions = frozenset(scopes_for_roles(person.roles))
    return _capped(scheme, _without_lapsed_grants(standing, identity), levels, actions)


def _without_lapsed_grants(standing: Standing, identity: Identity) -> Identity:
    """``identity`` without the grant scopes it no longer holds: a grant revoked, expired,
    or never its own (held by another agency's or another client's tokens)."""
    held = [s for s in identity.scopes if s.startswith(GRANT_SCOPE_PREFIX)]
    lapsed = {
        s
        for s in held
        if (g := standing.grants.get(s)) is None
        or g.agency != identity.agency
        or g.client_id != identity.client_id
    }
    return replace(identity, scopes=identity.scopes - lapsed) if lapsed else identity


def person_identity(
    scheme: ClassificationScheme, standing: Standing, user_id: str, address: str | None = None
) -> Identity | None:
    """A signed-in person with no client between (the web pages' session, api/web/session.py),
    as they stand now: what the token endpoint would grant them today (read scopes up to the
    lower of their own and their agency's clearance, and their roles' scopes; ``user_scopes``),
    here from the standing so a change counts at once. None when the person is disabled or
    unknown, or their agency is retired: the session is over."""
    person = standing.people.get(user_id)
    agency_clearance = standing.agencies.get(person.agency) if person else None
    if person is None or agency_clearance is None:
        return None
    levels = scheme.at_or_below(agency_clearance)
    if person.clearance is not None:
        levels &= scheme.at_or_below(person.clearance)
    scopes = (*scheme.read_scopes_up_to(scheme.highest(levels)), *scopes_for_roles(person.roles))
    identity = build_identity(
        scheme, kind="user", subject=user_id, agency=person.agency, scopes=scopes, person=user_id
    )
    return replace(identity, address=address)


def bound_federated(scheme: ClassificationScheme, standing: Standing, identity: Identity) -> Identity:
    """A trusted external issuer's token: bounded by its agency only (that issuer
    answers for its own clients and people)."""
    clearance = standing.agencies.get(identity.agency or "")
    if clearance is None:
        raise InvalidToken("The token's organisation is not an agency registered in Tillit.")
    # Grants are Tillit's own: another issuer's client never matches one.
    return _capped(scheme, _without_lapsed_grants(standing, identity), scheme.at_or_below(clearance), None)


def _capped(
    scheme: ClassificationScheme, identity: Identity, levels: frozenset[str], actions: frozenset[str] | None
) -> Identity:
    """Read up to the highest of ``levels`` the token reached (clearance is hierarchical:
    one read scope grants the levels below it), and keep the action scopes of ``actions``
    (None: all)."""
    clearance = scheme.highest(identity.readable_levels & levels)
    held_actions = identity.scopes.intersection(ACTION_SCOPES)
    grants = frozenset(s for s in identity.scopes if s.startswith(GRANT_SCOPE_PREFIX))
    kept_actions = held_actions if actions is None else held_actions & actions
    if clearance == identity.clearance and kept_actions == held_actions:
        return identity  # the common case: nothing withdrawn
    scopes = frozenset([*([scheme.level(clearance).scope] if clearance else []), *kept_actions, *grants])
    # Only what it may do narrows; who acts (person, client, address) stays as it was.
    return replace(
        identity,
        scopes=scopes,
        clearance=clearance,
        readable_levels=scheme.at_or_below(clearance),
    )
