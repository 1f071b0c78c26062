"""Statutes named beside their references in responses, for the reader (docs/statutes.md).

Entry responses name their legal bases from the register their view carries
(``catalogue.statutes.named_document``); ``name_bases`` names what other bodies cite
(audit events: ``api.resources.audit.name_statutes``; access requests and grants:
``api.resources.access``), a page in one query (``StatuteService.labels``), with the same
``statute`` object (``StatuteLabel.as_json``). A statute the register does not know is
left as its reference. A body named here varies with the reader's language and with the
register: a response with an ETag that may answer 304 must carry both in it (as
``api.resources.entries.representation_etag`` does, or a digest of the named body, as
``api.resources.access._answer`` does), and ``Vary`` must name ``Accept-Language``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from api.auth import current_identity
from api.resources.common import reader_language
from api.wiring import services
from catalogue.statutes import StatuteLabel, citations
from security.identity import Identity

#: Whose names, in which language: the web pages pass their reader; default the API caller.
Reader = tuple[Identity, str | None]
T = TypeVar("T")


def statute_labels(
    cited: Iterable[tuple[str, str]], reader: Reader | None = None
) -> Mapping[tuple[str, str], StatuteLabel]:
    """The labels of these (jurisdiction, reference) pairs for the reader, in one query."""
    wanted = list(dict.fromkeys(cited))
    if not wanted:
        return {}
    identity, lang = reader or (current_identity(), reader_language())
    return services().statutes.labels(identity, wanted, lang)


def name_bases(bodies: T, reader: Reader | None = None) -> T:
    """``bodies`` (response bodies, or any part of them) with ``statute`` beside the
    reference of each legal basis in them (``catalogue.statutes.citations``) that the
    register knows, as entry responses have it."""
    found = citations(bodies)
    labels = statute_labels(((c["jurisdiction"], c["reference"]) for c in found), reader)
    for basis in found:
        shown = labels.get((basis["jurisdiction"], basis["reference"]))
        if shown is not None and isinstance(basis, dict):
            basis["statute"] = shown.as_json()
    return bodies
