"""Datasets and APIs: registration, editing, visibility and retirement.

``EntryService`` has two kinds of public methods. Its verbs (``get``,
``list_entries``, ``create``, ``update``, ``retire``, ``deprecate``, ...) serve the
HTTP edge and the commands. Its building blocks (``load_visible``,
``require_write``, ``apply``, ``merged``, ``check_rules``, ``view``,
``visible_ids``, ``commit_change``, ``audit_now``) serve the services composed over
it: ``ReviewService`` is given an ``EntryService`` and decides reviews with the
same rules, the same visibility and the same commit. A change to the reviewed
fields of a published entry is opened as a review by ``PendingReviews``, which
sits below both services: entries never imports reviews.

The work is done by two parts composed here, never inherited: ``EntryReader``
(``entry_reading``: reads, their audit events and refusals) and ``EntryWriter``
(``entry_writing``: changes, over the reader, checked by the rules of ``entry_rules``).
``EntryService`` builds both on one session and one audit trail and gives them one
public face: their methods, bound as its attributes, so that each verb's signature,
defaults and docstring stand once, on the part that does the work.
Its machines (audit chain, renderer, kept heads, OpenAPI validator) come in
through ``catalogue.ports.EntryMachines``; ``catalogue.compose.entry_service``
builds one with the concrete machines.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from catalogue import fields as entry_fields
from catalogue.ports import EntryMachines, Indexer, NullIndexer
from catalogue.services import entry_rules
from catalogue.services.entry_reading import EntryReader
from catalogue.services.entry_views import NOT_FOUND, EntryRef, EntryView, PreparedInput, entry_etag
from catalogue.services.entry_writing import EntryWriter
from catalogue.services.pending_reviews import PendingReviews
from security.levels import ClassificationScheme

__all__ = [
    "DEFAULT_REVIEW_INTERVALS",
    "NOT_FOUND",
    "REVIEWED_FIELDS",
    "EntryRef",
    "EntryService",
    "EntryView",
    "PreparedInput",
    "entry_etag",
]

#: Changing these on a published entry needs a security officer's review: the fields
#: declared ``reviewed`` (catalogue.fields), and nowhere else.
REVIEWED_FIELDS = entry_fields.REVIEWED_FIELDS
#: Days until an entry's classification must be reviewed again, per level.
DEFAULT_REVIEW_INTERVALS = {
    "internal": 730,
    "sensitive": 365,
    "restricted": 365,
    "confidential": 365,
    "secret": 365,
    "top-secret": 365,
}


class EntryService:
    """Datasets and APIs for callers with identities: the reader and the writer composed."""

    def __init__(
        self,
        session: Session,
        scheme: ClassificationScheme,
        machines: EntryMachines,
        indexer: Indexer | None = None,
        review_intervals: Mapping[str, int] | None = None,
    ) -> None:
        self.session = session
        self.scheme = scheme
        self.machines = machines
        self.indexer = indexer or NullIndexer()
        self.audit = machines.chain.trail(session)
        self.review_intervals = dict(review_intervals or DEFAULT_REVIEW_INTERVALS)
        #: Opens the review a change to a published entry's reviewed fields waits for.
        self.pending_reviews = PendingReviews(session, self.audit)
        self.reading = EntryReader(session, scheme, machines, self.audit)
        self.writing = EntryWriter(
            self.reading, machines.openapi, self.indexer, self.pending_reviews, machines.openapi_source
        )
        # The one public face: the reader's and the writer's own methods, bound, so that
        # each signature, default and docstring is declared once, where the work is done.
        # -- reading (EntryReader) ---------------------------------------------
        self.get = self.reading.get
        self.list_entries = self.reading.list_entries
        self.openapi_document = self.reading.openapi_document
        self.openapi_view = self.reading.openapi_view
        self.operations = self.reading.operations
        self.views_of = self.reading.views_of
        self.serving_apis = self.reading.serving_apis
        self.load_visible = self.reading.load_visible
        self.view = self.reading.view
        self.visible_ids = self.reading.visible_ids
        self.audit_now = self.reading.audit_now
        # -- writing (EntryWriter) ---------------------------------------------
        self.prepare = self.writing.prepare
        self.create = self.writing.create
        self.create_many = self.writing.create_many
        self.update = self.writing.update
        self.reviewed_changes = self.writing.reviewed_changes
        self.retire = self.writing.retire
        self.deprecate = self.writing.deprecate
        self.require_write = self.writing.require_write
        self.apply = self.writing.apply
        # The rules a change keeps (``entry_rules``), for the services composed over this one.
        self.merged = entry_rules.merged
        self.check_rules = self.writing.rules.check
        self.commit_change = self.writing.commit_change
        self.commit_changes = self.writing.commit_changes
