"""The identities the service unit tests call with, built as a verified token would
build them (``build_identity``), and the second agency some of them belong to."""

from __future__ import annotations

from security.identity import Identity, build_identity
from security.levels import DEFAULT_SCHEME
from tests.unit.catalogue.conftest import AGENCY, LANTMATERIET


def person(subject: str, agency: str | None, *scopes: str) -> Identity:
    """A person signed in through the web client, with these scopes."""
    return build_identity(
        DEFAULT_SCHEME,
        kind="user",
        subject=subject,
        person=subject,
        client_id="web",
        agency=agency,
        scopes=scopes,
    )


ADMIN = person("admin-1", AGENCY, "catalogue:read:internal", "catalogue:admin")
#: Another officer of the publishing agency, cleared for internal: the second pair of eyes.
OTHER_OFFICER = person("user-2", AGENCY, "catalogue:read:internal", "catalogue:review")
#: An officer of the publishing agency cleared only for public entries.
LOW_OFFICER = person("user-3", AGENCY, "catalogue:read:public", "catalogue:review")
#: An officer of another agency, cleared for internal.
FOREIGN_OFFICER = person("user-4", LANTMATERIET, "catalogue:read:internal", "catalogue:review")
