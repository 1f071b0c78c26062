"""The catalogue's side of :mod:`security.authority`: reading the standing of
clients, agencies and people, and telling this process's :class:`Authority` when a
commit may have changed it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event, false, select
from sqlalchemy.orm import Session, sessionmaker

from catalogue.models import Agency, OAuthClient
from catalogue.models_auth import User
from security.authority import PersonStanding, Standing

#: The rows whose changes can withdraw authority.
_BOUNDING = (Agency, OAuthClient, User)
_CHANGED = "tillit_authority_changed"


def load_standing(session: Session) -> Standing:
    """Three narrow reads: enabled clients, active agencies and enabled people."""
    agencies: dict[str, str] = dict(
        session.execute(select(Agency.orgnr, Agency.clearance).where(Agency.retired == false())).all()
    )
    clients: dict[str, str] = dict(
        session.execute(
            select(OAuthClient.client_id, OAuthClient.agency).where(OAuthClient.disabled == false())
        ).all()
    )
    people = {
        user_id: PersonStanding(agency, clearance, tuple(roles or ()))
        for user_id, agency, clearance, roles in session.execute(
            select(User.id, User.agency, User.clearance, User.roles).where(User.disabled == false())
        ).all()
    }
    return Standing(clients=clients, agencies=agencies, people=people)


def expire_on_change(sessions: sessionmaker[Session], expire: Callable[[], None]) -> None:
    """Call ``expire`` after each commit that wrote an agency, a client or a person,
    whichever service, command or page made the change."""

    @event.listens_for(sessions, "after_flush")
    def _note(session: Session, _context: Any) -> None:
        if not session.info.get(_CHANGED) and any(
            isinstance(obj, _BOUNDING) for obj in (*session.new, *session.dirty, *session.deleted)
        ):
            session.info[_CHANGED] = True

    @event.listens_for(sessions, "after_commit")
    def _committed(session: Session) -> None:
        if session.info.pop(_CHANGED, False):
            expire()

    @event.listens_for(sessions, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(_CHANGED, None)
