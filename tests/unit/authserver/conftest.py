"""Authserver services on the catalogue unit tests' migrated SQLite database."""

from tests.unit.catalogue.conftest import lantmateriet, session, sessions

__all__ = ["lantmateriet", "session", "sessions"]
