"""Services on a real, migrated SQLite database with one agency (Skatteverket)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from catalogue.db import make_engine, make_session_factory
from catalogue.migrate import upgrade
from catalogue.services.agencies import AgencyService
from security.identity import system_identity
from security.levels import DEFAULT_SCHEME

AGENCY = "202100-5448"


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
