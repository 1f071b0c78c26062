"""Reading people: the people endpoint, and names beside the ids in events.

Two questions, two rules (``security.policy``):

- *Who works at agency X?* (``list_people``, ``get_person``): administrators for any
  agency, a security officer for their own (``can_see_people``). Another agency's person
  answers the same 404 as an id nobody has: the endpoint is no oracle of who exists.
- *Who did this?* (``labels``): the name and agency of the person or client behind an
  id in a record the caller **was already shown** (an audit event, a read, a review).
  Whoever may see a record may see who made it, whatever their agency: that is what an
  auditor and a security officer read the log for. ``labels`` is given only ids taken
  from such a page; it answers nothing to a caller who can be shown no such record
  (``can_name_actors``), and it names only people and clients, never a typed login name.

Names are resolved for a whole page at once: one query, not one per item.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from catalogue.errors import NotFound, PermissionDenied
from catalogue.models import Agency, OAuthClient
from catalogue.models_auth import User
from catalogue.services.agencies import agency_label
from catalogue.services.common import MAX_PER_PAGE, Page
from security import policy
from security.identity import Identity

#: People's ids are UUIDs (``catalogue.models.new_id``); anything else is not a person.
_PERSON_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: The same answer for another agency's person as for an id nobody has.
NO_PERSON = "No person with that id."


@dataclass(frozen=True)
class ActorLabel:
    """Who is behind an id, as one reader is shown it."""

    kind: Literal["person", "client"]
    name: str
    agency: str
    #: The agency's name in the reader's language (or the nearest it has); None if unnamed.
    agency_name: str | None
    #: The language of ``agency_name``.
    lang: str | None


class PeopleService:
    """People as others see them; creating and changing them is ``UserService``'s."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list_people(
        self, identity: Identity, *, agency: str | None = None, page: int = 1, per_page: int = 20
    ) -> Page[User]:
        """A page of people by user name. An administrator sees every agency's (or
        ``agency``'s); a security officer only their own agency's, whatever ``agency`` says
        (another agency's number is refused). PermissionDenied for everyone else."""
        if not policy.can_see_any_people(identity):
            raise PermissionDenied(
                "Looking up people needs catalogue:admin, or catalogue:review for your agency."
            )
        if not policy.can_admin(identity):
            if agency is not None and agency != identity.agency:
                raise PermissionDenied("You may look up the people of your own agency only.")
            agency = identity.agency
        conditions = [User.agency == agency] if agency else []
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        page = max(1, page)
        total = self.session.scalar(select(func.count()).select_from(User).where(*conditions))
        rows = self.session.scalars(
            select(User)
            .where(*conditions)
            .order_by(User.username)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        return Page(list(rows), int(total or 0), page, per_page)

    def get_person(self, identity: Identity, person_id: str) -> User:
        """One person; NotFound, the same for an id nobody has and for a person the caller
        may not see (another agency's, for an officer)."""
        if not policy.can_see_any_people(identity):
            raise PermissionDenied(
                "Looking up people needs catalogue:admin, or catalogue:review for your agency."
            )
        user = self.session.get(User, person_id) if _PERSON_ID.fullmatch(person_id) else None
        if user is None or not policy.can_see_people(identity, user.agency):
            raise NotFound(NO_PERSON)
        return user

    def labels(
        self, identity: Identity, people: Iterable[str], clients: Iterable[str], lang: str | None
    ) -> dict[str, ActorLabel]:
        """Names and agencies of these people (by user id) and clients (by client id),
        taken from records the caller was shown, in one query; ids that name nobody are
        left out. Nothing for a caller who may be shown no such record."""
        if not policy.can_name_actors(identity):
            return {}
        person_ids = sorted({i for i in people if _PERSON_ID.fullmatch(i)})
        client_ids = sorted(set(clients))
        if not person_ids and not client_ids:
            return {}
        both = union_all(
            select(literal("person").label("kind"), User.id, User.name, User.agency).where(
                User.id.in_(person_ids)
            ),
            select(
                literal("client").label("kind"), OAuthClient.client_id, OAuthClient.name, OAuthClient.agency
            ).where(OAuthClient.client_id.in_(client_ids)),
        ).subquery()
        rows = self.session.execute(
            select(both.c.kind, both.c.id, both.c.name, both.c.agency, Agency.country, Agency.name).join_from(
                both, Agency, Agency.orgnr == both.c.agency, isouter=True
            )
        )
        found: dict[str, ActorLabel] = {}
        for kind, key, name, agency, country, names in rows:
            shown = agency_label(agency, country or "", names or {}, lang)
            found[key] = ActorLabel(
                kind, name, agency, shown.name if shown else None, shown.lang if shown else None
            )
        return found
