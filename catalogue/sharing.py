"""Whether an entry's data may be given to another agency: its sharing status.

One business rule, derived from two of the entry's fields and the scheme's lowest level:

- ``open``: the entry is classified at the lowest level, which anyone may read;
- ``shareable``: above the lowest level, and it cites at least one ``disclosure``
  basis (a provision that lets the data be given to another agency: a
  secrecy-breaking provision in Sweden, an "utleveringshjemmel" in Norway);
- ``no_disclosure_basis``: above the lowest level and no disclosure basis. The
  issue names the usual case (a ``restriction`` basis and no ``disclosure`` one);
  an entry above the lowest level that cites neither is the same answer, for the
  same reason: nothing in the catalogue lets its data be given out, so sharing
  needs a new legal basis, or a consent or decision outside the catalogue.

The status is never stored: the entry's full view and its search document compute it
with :func:`sharing_status`, so a change of legal basis or classification (both
reviewed) changes it with the entry's revision. docs/sharing.md tells the whole story.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal

SharingStatus = Literal["open", "shareable", "no_disclosure_basis"]
#: Every status, in the order a report lists them.
SHARING_STATUSES: Final[tuple[SharingStatus, ...]] = ("open", "shareable", "no_disclosure_basis")
#: The legal-basis role that makes an entry shareable (catalogue.legal.ROLES).
DISCLOSURE: Final = "disclosure"


def sharing_status(classification: str, lowest: str, roles: Iterable[str]) -> SharingStatus:
    """The sharing status of an entry classified ``classification`` whose legal bases
    have ``roles``, under a scheme whose lowest level is ``lowest``."""
    if classification == lowest:
        return "open"
    return "shareable" if DISCLOSURE in roles else "no_disclosure_basis"
