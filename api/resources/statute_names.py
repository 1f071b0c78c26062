"""Statutes named beside their references in responses, for the reader (docs/statutes.md).

Entry responses name their legal bases from the register their view carries
(``catalogue.statutes.named_document``); ``name_bases`` names what other bodies cite
(audit events: ``api.resources.audit.name_statutes``; access requests and grants:
``api.resources.access``), a page in one query (``StatuteService.name_bases``, which
``tillit access`` uses for its JSON lines too), with the same ``statute`` object
(``StatuteLabel.as_json``). A statute the register does not know is
left as its reference. A body named here varies with the reader's language and with the
register: a response with an ETag that may answer 304 must carry both in it (as
``api.resources.entries.representation_etag`` does, or a digest of the named body, as
``api.resources.access._answer`` does), and ``Vary`` must name ``Accept-Language``.
"""

from __future__ import annotations

from typing import TypeVar

from api.auth import current_identity
from api.resources.common import reader_language
from api.wiring import services
from security.identity import Identity

#: Whose names, in which language: the web pages pass their reader; default the API caller.
Reader = tuple[Identity, str | None]
T = TypeVar("T")


def name_bases(bodies: T, reader: Reader | None = None) -> T:
    """``bodies`` (response bodies, or any part of them) with ``statute`` beside the
    reference of each legal basis in them that the register knows, as entry responses
    have it (``StatuteService.name_bases``, which ``tillit access`` uses too)."""
    identity, lang = reader or (current_identity(), reader_language())
    return services().statutes.name_bases(identity, bodies, lang)
