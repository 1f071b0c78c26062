"""The catalogue's side of :mod:`security.authority`: reading the standing of
clients, agencies and people, and telling this process's :class:`Authority` when a
commit may have changed it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import false, select
from sqlalchemy.orm import Session, sessionmaker

from catalogue.access import grant_scope
from catalogue.db import listens_for
from catalogue.models import Agency, OAuthClient
from catalogue.models_access import Grant, active_now
from catalogue.models_auth import User
from security.authority import GrantStanding, PersonStanding, Standing

#: The rows whose changes can withdraw authority.
_BOUNDING = (Agency, OAuthClient, User, Grant)
_CHANGED = "tillit_authority_changed"


def load_standing(session: Session) -> Standing:
    """Four narrow reads: enabled clients, active agencies, enabled people and the
    grants active today (UTC), so that a grant's scope ends with the day it expires:
    the first reload after midnight finds a different standing."""
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
    today = datetime.now(UTC).date()
    grants = {
        grant_scope(grant_id): GrantStanding(agency, str(client_id))
        for grant_id, agency, client_id in session.execute(
            select(Grant.id, Grant.subject_agency, Grant.subject_client_id).where(
                Grant.subject_client_id.is_not(None), *active_now(today)
            )
        ).all()
    }
    return Standing(clients=clients, agencies=agencies, people=people, grants=grants)


def expire_on_change(sessions: sessionmaker[Session], expire: Callable[[], None]) -> None:
    """Call ``expire`` after each commit that wrote an agency, a client or a person,
    whichever service, command or page made the change."""

    @listens_for(sessions, "after_flush")
    def _note(session: Session, _context: Any) -> None:
        if not session.info.get(_CHANGED) and any(
            isinstance(obj, _BOUNDING) for obj in (*session.new, *session.dirty, *session.deleted)
        ):
            session.info[_CHANGED] = True

    @listens_for(sessions, "after_commit")
    def _committed(session: Session) -> None:
        if session.info.pop(_CHANGED, False):
            expire()

    @listens_for(sessions, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(_CHANGED, None)
