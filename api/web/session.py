"""Who is reading a page.

The pages act with the identity of the person signed in, through the same services and policy
as the API; without a session, the identity is anonymous (the lowest level). Every page module
asks here and nowhere else.
"""

from __future__ import annotations

from api.auth import current_identity
from security.identity import Identity


def page_identity() -> Identity:
    """The identity a page acts with (anonymous until sign-in is built)."""
    return current_identity()
