"""The access policy: one rule, two outputs.

Every visibility decision is made by :class:`ReadFilter`. ``can_list`` evaluates
it against one entry; the catalogue turns the same filter into SQL and the search
backends into engine queries. When nothing grants access, the filter matches
nothing (fail closed).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from security.identity import ADMIN, AUDIT, REQUEST, REVIEW, WRITE, Identity

DRAFT = "draft"
IN_REVIEW = "in_review"
PUBLISHED = "published"
DEPRECATED = "deprecated"
RETIRED = "retired"
STATUSES = (DRAFT, IN_REVIEW, PUBLISHED, DEPRECATED, RETIRED)

#: Statuses that anyone with enough clearance may see, whoever publishes them.
OPEN_STATUSES = frozenset({PUBLISHED, DEPRECATED})


@dataclass(frozen=True)
class EntryFacts:
    """What the policy needs to know about an entry, and nothing more."""

    publisher: str
    classification: str
    listing_level: str
    status: str


@dataclass(frozen=True)
class ReadFilter:
    """Visible ⇔ listing level readable AND (open status OR own agency's entry)."""

    levels: frozenset[str]
    open_statuses: frozenset[str]
    own_agency: str | None

    @property
    def matches_nothing(self) -> bool:
        """True when no entry can match: no readable level, or no status and no own agency."""
        return not self.levels or (not self.open_statuses and self.own_agency is None)

    def matches(self, facts: EntryFacts) -> bool:
        """Whether an entry with these facts is visible under this filter."""
        if facts.listing_level not in self.levels:
            return False
        if facts.status in self.open_statuses:
            return True
        return self.own_agency is not None and facts.publisher == self.own_agency


def read_filter(identity: Identity) -> ReadFilter:
    """What ``identity`` may learn exists: the twin of :func:`can_list`."""
    return _read_filter(identity.readable_levels, identity.agency, identity.is_system)


@lru_cache(maxsize=1024)
def _read_filter(levels: frozenset[str], agency: str | None, system: bool) -> ReadFilter:
    """``read_filter`` of what it depends on, made once: a page of a list asks it of
    every entry, several times. A pure function of immutable values (the filter too)."""
    if system:
        return ReadFilter(levels, frozenset(STATUSES), None)
    # Drafts and entries in review are seen only inside the publishing agency
    # (its data owners and its security officers), within their clearance.
    return ReadFilter(levels, OPEN_STATUSES, agency)


def can_list(identity: Identity, facts: EntryFacts) -> bool:
    """May the caller learn that the entry exists (its redacted summary)?"""
    return read_filter(identity).matches(facts)


def can_read(identity: Identity, facts: EntryFacts) -> bool:
    """May the caller read the whole entry, not just its summary?"""
    return can_list(identity, facts) and facts.classification in identity.readable_levels


def can_create(identity: Identity, publisher: str) -> bool:
    """Data owners register entries for their own agency only."""
    return (
        identity.has_scope(WRITE) and identity.agency is not None and identity.agency == publisher
    ) or identity.is_system


def can_classify(identity: Identity, level: str) -> bool:
    """Nobody may label an entry above their own clearance."""
    return level in identity.readable_levels


def can_write(identity: Identity, facts: EntryFacts) -> bool:
    """Edit or retire: own agency, write scope, and clearance for the whole entry."""
    return can_read(identity, facts) and can_create(identity, facts.publisher)


def can_review(identity: Identity, facts: EntryFacts, level: str) -> bool:
    """Decide a review that puts the entry at ``level``: a security officer of the
    publishing agency with clearance for it, and a person (a client acting on its own
    never decides). Four eyes, which compare persons, are the service's check."""
    if identity.is_system:
        return level in identity.readable_levels
    return (
        identity.person is not None
        and identity.has_scope(REVIEW)
        and identity.agency == facts.publisher
        and level in identity.readable_levels
        and can_read(identity, facts)
    )


def can_see_reviews(identity: Identity, facts: EntryFacts) -> bool:
    """The publisher's data owners and officers follow their entries' reviews."""
    return can_read(identity, facts) and (
        identity.is_system
        or (identity.agency == facts.publisher and (identity.has_scope(REVIEW) or identity.has_scope(WRITE)))
    )


def can_report_sharing(identity: Identity, agency: str) -> bool:
    """May the caller see ``agency``'s sharing report: its own data owners and security
    officers (write or review scope), administrators and the system? The report then
    holds only what the caller may read whole (``can_read``)."""
    own = identity.agency is not None and identity.agency == agency
    return can_admin(identity) or (own and (identity.has_scope(WRITE) or identity.has_scope(REVIEW)))


def can_admin(identity: Identity) -> bool:
    """May the caller administer agencies, people, clients and channels (admin scope, or the system)?"""
    return identity.has_scope(ADMIN) or identity.is_system


def can_admin_agency(identity: Identity, agency: str) -> bool:
    """May the caller change or retire ``agency``, or set where its notices go: its own
    administrators (admin scope with that agency), or the system (the operator's
    commands)? There is no platform administrator role (security.roles): an admin of
    one agency does not manage another (docs/security.md, "Agencies")."""
    return identity.is_system or (
        identity.has_scope(ADMIN) and identity.agency is not None and identity.agency == agency
    )


def can_grant_clearance(identity: Identity, level: str) -> bool:
    """May the caller give an agency the clearance ``level`` (the ceiling of what its
    people and clients may read), registering it or changing it? Nobody grants more than
    they may read themselves; the system (the operator's commands) may grant any level.
    The service asks it for a new agency and for a raise (a lowering is the agency's own
    administrators' to make), so an agency's own administrator never raises its
    clearance (docs/security.md, "Agencies"). Fails closed on a level the caller cannot
    read."""
    return identity.is_system or level in identity.readable_levels


def can_manage_statutes(identity: Identity) -> bool:
    """May the caller add and change statutes of the register (admin scope, or the system)?
    Reading the register needs nothing: statutes are public law."""
    return identity.has_scope(ADMIN) or identity.is_system


def can_see_people(identity: Identity, agency: str) -> bool:
    """May the caller look up the people of ``agency`` (name, roles, how they sign in)?
    Administrators any agency's, a security officer (a person) only their own's."""
    own_officer = identity.person is not None and identity.has_scope(REVIEW) and identity.agency == agency
    return can_admin(identity) or own_officer


def can_see_any_people(identity: Identity) -> bool:
    """The twin of :func:`can_see_people` over every agency: may the caller see anyone's?"""
    return can_admin(identity) or (
        identity.person is not None and identity.has_scope(REVIEW) and identity.agency is not None
    )


def can_name_actors(identity: Identity) -> bool:
    """May the caller be shown who acted (a person's or client's name and agency) beside
    the id of an event, a read or a review *it was already shown*? Anyone who can be
    shown such records at all: data owners, officers, auditors, administrators, the
    system. The record's own rule decides which records; this adds no record."""
    return identity.is_system or any(identity.has_scope(s) for s in (WRITE, REVIEW, AUDIT, ADMIN))


def can_audit(identity: Identity) -> bool:
    """May the caller read the audit log (audit scope, or the system)?"""
    return identity.has_scope(AUDIT) or identity.is_system


def can_request_access(identity: Identity) -> bool:
    """May the caller ask another agency for access, on its own agency's behalf? A data
    owner (write scope) or a developer (request scope), a person or a client (automated
    renewals), of an agency."""
    return identity.agency is not None and (identity.has_scope(WRITE) or identity.has_scope(REQUEST))


def can_follow_access(identity: Identity, agency: str) -> bool:
    """May the caller follow the access requests and grants of ``agency`` (asked by it or
    given by it): its data owners, developers, security officers and auditors, or the system? Each
    request or grant is then shown only with an entry the caller may list (``can_list``)."""
    own = identity.agency is not None and identity.agency == agency
    return identity.is_system or (own and any(identity.has_scope(s) for s in (WRITE, REQUEST, REVIEW, AUDIT)))


def can_decide_access(identity: Identity, facts: EntryFacts) -> bool:
    """May the caller assess, grant, refuse or revoke access to an entry: a security
    officer (a person, never a client on its own) of the publishing agency who may read
    the entry whole? Four eyes, which compare persons, are the service's check."""
    if identity.is_system:
        return can_read(identity, facts)
    return (
        identity.person is not None
        and identity.has_scope(REVIEW)
        and identity.agency == facts.publisher
        and can_read(identity, facts)
    )
