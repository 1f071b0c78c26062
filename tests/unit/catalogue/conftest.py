"""Services on a real, migrated SQLite database with one agency (Skatteverket)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from catalogue.compose import entry_service
from catalogue.db import make_engine, make_session_factory
from catalogue.migrate import upgrade
from catalogue.services.agencies import AgencyService
from catalogue.services.reviews import ReviewService
from security.identity import system_identity
from security.levels import DEFAULT_SCHEME

AGENCY = "202100-5448"

#: Lantmäteriet, a second Swedish agency (tests/agencies.py).
LANTMATERIET = "202100-4888"


def add_lantmateriet(session: Session) -> None:
    """Register the second agency, cleared for internal."""
    AgencyService(session, DEFAULT_SCHEME).create(
        system_identity(DEFAULT_SCHEME),
        {"orgnr": LANTMATERIET, "country": "SE", "name": {"sv": "Lantmäteriet"}, "clearance": "internal"},
    )


@pytest.fixture
def sessions(tmp_path) -> Iterator[sessionmaker[Session]]:
    """A session factory on a fresh database that knows the agency ``AGENCY``."""
    engine = make_engine(f"sqlite:///{tmp_path / 'catalogue.db'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        AgencyService(session, DEFAULT_SCHEME).create(
            system_identity(DEFAULT_SCHEME),
            {"orgnr": AGENCY, "country": "SE", "name": {"sv": "Skatteverket"}, "clearance": "internal"},
        )
    yield factory
    engine.dispose()


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One session on the fresh database."""
    with sessions() as session:
        yield session


@pytest.fixture
def lantmateriet(session: Session) -> None:
    """The second agency, registered (``pytestmark = pytest.mark.usefixtures("lantmateriet")``)."""
    add_lantmateriet(session)


@pytest.fixture
def reviews(session: Session) -> ReviewService:
    """The review service over an entry service with the default machines."""
    return ReviewService(entry_service(session, DEFAULT_SCHEME))
