"""Harvested records into entries, through the entry services like any other write.

:class:`Harvester` takes records already read (:mod:`dcat.harvest.records`: parsing is
done before and outside any write transaction) and, for one publisher and one source:

- **creates** an entry for a URI seen the first time (``EntryService.create``), with its
  ``harvest_records`` row in the same transaction, and submits it for publication review
  (``ReviewService.submit``): a harvest never publishes anything, at any level; a security
  officer of the agency decides, with the classification the source's access rights propose
  (the officers are told once per run and level, by a digest: ``ReviewService.submit_many``);
- **updates** an entry whose record changed (``EntryService.update``: a new revision; on a
  published entry a change of a reviewed field waits for review, as for any data owner);
- leaves an **unchanged** record alone (its fingerprint is the one last written: no
  entry is read or written);
- **retires** the entries of URIs gone from the source (``EntryService.retire``: kept,
  never erased);
- **rejects** what the services refuse, with their reasons field by field, and goes on.

Every write is the service's: input loaded by the API's own input schemas
(``catalogue.schemas``), rules checked by the service, the change committed with its
outbox row and audit event. A batch's new records are created and submitted in groups
(``EntryService.create_many``, ``ReviewService.submit_many``: each item by the single
path's own steps, the group in one commit; tests/unit/catalogue/test_bulk_writes.py proves
the same rows and events), the others one entry at a time; docs/harvest.md, "Speed". The caller is a
harvest identity of the publisher (:func:`harvest_identity`): the write scope and the
agency's clearance, so a source cannot propose a level above what the agency may hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from marshmallow import Schema
from marshmallow import ValidationError as ShapeError
from sqlalchemy import event, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from catalogue import fields as entry_fields
from catalogue.errors import CatalogueError, NotFound, ValidationFailed
from catalogue.models import Agency, Entry, utcnow
from catalogue.models_harvest import MAX_URI, HarvestRecord
from catalogue.schemas import ApiCreateSchema, ApiUpdateSchema, DatasetCreateSchema, DatasetUpdateSchema
from catalogue.services.entries import EntryService, entry_etag
from catalogue.services.reviews import Digest, ReviewService
from dcat.collector import collector_paused
from dcat.harvest.records import Record
from security import policy
from security.identity import WRITE, Identity, build_identity
from security.levels import ClassificationScheme

#: The fields a harvest writes. An update sets each of them (to the source's value, or
#: its default when the source gives none) and leaves every other field (data elements,
#: OpenAPI document, authentication, personal-data flags) as the data owner left it.
#: ``openapi_url`` (a data service's ``dcat:endpointDescription``) is written only when
#: the source gives one that differs from the entry's: the URL is recorded, the document
#: is not fetched in the harvest (its services' OpenAPI source is ``FetchLater``) but by
#: the refresh (``tillit harvest openapi-due``), outside any harvest transaction.
HARVESTED_FIELDS = (
    "title", "description", "keywords", "themes", "contact_point", "classification",
    "listing_level", "legal_basis", "licence", "documentation_url", "spatial", "temporal",
    "update_frequency", "distributions", "endpoint_urls", "version", "serves_datasets",
)  # fmt: skip
_SCHEMAS: Mapping[tuple[str, bool], type[Schema]] = {
    ("dataset", True): DatasetCreateSchema,
    ("dataset", False): DatasetUpdateSchema,
    ("api", True): ApiCreateSchema,
    ("api", False): ApiUpdateSchema,
}
#: A unit of work: entry and review services on a session whose commits are savepoints
#: of one transaction, committed when the unit ends (``dcat.harvest.running``).
Batches = Callable[[], AbstractContextManager[tuple[EntryService, ReviewService]]]
OUTCOMES = ("created", "updated", "unchanged", "retired", "rejected")


def digest_source(source: str) -> str:
    """The source as the officers' digest names it: a URL without its query, fragment or
    user (a token in a registered URL is its administrators' to see: the register is
    theirs alone), a ``file:`` path as it is."""
    parts = urlsplit(source)
    if parts.scheme in ("http", "https") and parts.hostname:
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname  # IPv6
        host = host if parts.port is None else f"{host}:{parts.port}"
        source = urlunsplit((parts.scheme, host, parts.path, "", ""))
    return source[:MAX_URI]


def harvest_identity(scheme: ClassificationScheme, agency: Agency) -> Identity:
    """Who a harvest writes as: the publisher's data owner, within the agency's clearance."""
    return build_identity(
        scheme,
        kind="client",
        subject=f"harvest:{agency.orgnr}",
        agency=agency.orgnr,
        scopes=[WRITE, *scheme.read_scopes_up_to(agency.clearance)],
    )


@dataclass
class HarvestReport:
    """What one harvest did: counts, the rejected records with reasons, and the notes."""

    source: str
    publisher: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    #: URI → field → reasons.
    rejected: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    #: URI → what the source said that Tillit does not hold.
    notes: dict[str, list[str]] = field(default_factory=dict)
    #: Reviews opened (URI → review id): every new entry, and reviewed changes of published ones.
    reviews: dict[str, str] = field(default_factory=dict)
    pages: int = 1

    def count(self, outcome: str) -> None:
        """Add one record to ``outcome``'s count."""
        self.counts[outcome] += 1

    def reject(self, uri: str, reasons: Mapping[str, Any]) -> None:
        """Record ``uri`` as rejected, with its reasons by field."""
        self.count("rejected")
        self.rejected[uri] = {k: _messages(v) for k, v in reasons.items()}

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON (``tillit harvest --json``)."""
        return {
            "source": self.source,
            "publisher": self.publisher,
            "pages": self.pages,
            "counts": dict(self.counts),
            "rejected": [{"uri": u, "reasons": r} for u, r in sorted(self.rejected.items())],
            "notes": [{"uri": u, "notes": n} for u, n in sorted(self.notes.items())],
            "reviews": [{"uri": u, "review": r} for u, r in sorted(self.reviews.items())],
        }


def _shape_reasons(exc: ShapeError) -> Mapping[str, Any]:
    """An input schema's refusal, by field."""
    return exc.messages_dict if isinstance(exc.messages, dict) else {"entry": exc.messages}


def _reasons(exc: CatalogueError) -> Mapping[str, Any]:
    """A service's refusal, by field."""
    return exc.errors if isinstance(exc, ValidationFailed) else {"entry": [str(exc)]}


def _messages(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):  # nested marshmallow messages: {"0": {"reference": [...]}}
        return [f"{k}: {m}" for k, v in value.items() for m in _messages(v)]
    if isinstance(value, list | tuple):
        return [m for v in value for m in _messages(v)]
    return [str(value)]


class Harvester:
    """Writes one publisher's harvested records through the entry and review services."""

    def __init__(
        self,
        entries: EntryService,
        reviews: ReviewService,
        batches: Batches | None = None,
        batch_size: int = 500,
    ) -> None:
        self.entries = entries
        self.reviews = reviews
        self.session: Session = entries.session
        #: Units of work the records are written in, ``batch_size`` at a time (None: each
        #: entry in the services' own transaction, on ``entries``' session).
        self.batches = batches
        self.batch_size = batch_size

    @contextmanager
    def _batch(self) -> Iterator[None]:
        """Write the next records in a batch's services (or the given ones)."""
        if self.batches is None:
            yield
            return
        given = self.entries, self.reviews, self.session
        with self.batches() as (entries, reviews):
            self.entries, self.reviews, self.session = entries, reviews, entries.session
            try:
                yield
            finally:
                self.entries, self.reviews, self.session = given

    def harvest(
        self,
        identity: Identity,
        source: str,
        records: Sequence[Record],
        *,
        progress: Callable[[int], None] | None = None,
        submit: bool = True,
    ) -> HarvestReport:
        """Bring the publisher's entries from ``source`` in line with ``records``."""
        publisher = identity.agency
        if publisher is None:
            raise ValidationFailed({"publisher": ["A harvest writes for one agency."]})
        report = HarvestReport(source, publisher)
        # The officers hear of the run's new entries once per level, however many batches
        # and types it writes them in (catalogue/services/pending_reviews.py).
        digest = Digest(source=digest_source(source))
        known = {
            r.uri: r
            for r in self.session.scalars(select(HarvestRecord).where(HarvestRecord.publisher == publisher))
        }
        self.session.commit()  # end the read: each write below is a transaction of its own
        ids = {uri: r.entry_id for uri, r in known.items()}
        seen: list[str] = []
        # Datasets first: a data service's served datasets are then known by id.
        ordered = sorted(records, key=lambda r: (r.entry_type != "dataset", r.uri))
        for start in range(0, len(ordered), self.batch_size):
            # A batch runs with the collector paused and then collects what it made
            # (dcat.collector.collector_paused): its objects are dropped when it ends.
            with collector_paused():
                chunk = ordered[start : start + self.batch_size]
                new = [r for r in chunk if r.uri not in known and not r.problems]
                # The new datasets' input is loaded by the schema before the batch's write
                # transaction opens (a quarter of the write's CPU; a dataset's input names no
                # entry written before it). A data service's waits for the datasets it serves.
                loaded = self._load(identity, [r for r in new if r.entry_type == "dataset"], ids, report)
                with self._batch():
                    for record in chunk:
                        seen.append(record.uri)
                        if record.notes:
                            report.notes[record.uri] = list(record.notes)
                    # New records are written together (``EntryService.create_many``, then
                    # ``ReviewService.submit_many``): the same checks, rows and events as one
                    # by one, in two flushes and two commits instead of two of each per entry.
                    self._create_many(identity, loaded, ids, report, source, submit, digest)
                    self._let_go()
                    # Then the data services, whose served datasets are now known by id.
                    apis = [r for r in new if r.entry_type == "api"]
                    self._create_many(
                        identity, self._load(identity, apis, ids, report), ids, report, source, submit, digest
                    )
                    self._let_go()
                    if progress is not None and new:
                        progress(len(new))
                    for record in chunk:
                        if record.uri in known or record.problems:
                            last = known.get(record.uri)
                            outcome = self._one(identity, record, last, ids, report, source, submit)
                            if outcome != "rejected":
                                report.count(outcome)
                            self._let_go()
                            if progress is not None:
                                progress(1)
        self._retire_gone(identity, source, set(seen), known, report)
        self._touch(publisher, source, [u for u in seen if u in known])
        return report

    def _let_go(self) -> None:
        if self.batches is not None:
            # A batch's session would keep every entry it wrote, and each savepoint's
            # flush looks at them all: let them go once written.
            self.session.expunge_all()

    def _load(
        self, identity: Identity, records: Sequence[Record], ids: dict[str, str], report: HarvestReport
    ) -> list[tuple[Record, dict[str, Any]]]:
        """New records of one type, each with its input loaded by the API's create schema
        (a record the schema refuses is rejected, with its reasons)."""
        if not records:
            return []
        schema = _SCHEMAS[(records[0].entry_type, True)]()
        loaded: list[tuple[Record, dict[str, Any]]] = []
        for record in records:
            try:
                loaded.append(
                    (record, schema.load({**self._input(record, ids, report), "publisher": identity.agency}))
                )
            except ShapeError as exc:
                report.reject(record.uri, _shape_reasons(exc))
        return loaded

    def _create_many(
        self,
        identity: Identity,
        loaded: Sequence[tuple[Record, dict[str, Any]]],
        ids: dict[str, str],
        report: HarvestReport,
        source: str,
        submit: bool,
        digest: Digest,
    ) -> None:
        """Create (and submit, announced in the run's ``digest``) the entries of new records
        of one type together (loaded by ``_load``); should the database refuse the group as
        a whole, each record is written on its own, so that only the one at fault is
        rejected (and each submission announced on its own)."""
        if not loaded:
            return
        records = [record for record, _data in loaded]

        def harvest_record(i: int, entry: Entry) -> list[HarvestRecord]:
            record = loaded[i][0]
            return [
                HarvestRecord(
                    publisher=entry.publisher,
                    source=source,
                    uri=record.uri,
                    entry=entry,
                    fingerprint=record.fingerprint,
                    notes=list(record.notes),
                )
            ]

        try:
            created = self.entries.create_many(
                identity, records[0].entry_type, [data for _r, data in loaded], harvest_record
            )
        except (CatalogueError, SQLAlchemyError):
            self.session.rollback()
            for record, _data in loaded:
                outcome = self._one(identity, record, None, ids, report, source, submit)
                if outcome != "rejected":
                    report.count(outcome)
            return
        written: list[Record] = []
        for (record, _data), answer in zip(loaded, created, strict=True):
            if isinstance(answer, CatalogueError):
                report.reject(record.uri, _reasons(answer))
                continue
            ids[record.uri] = answer.id
            written.append(record)
            report.count("created")
        if not submit or not written:
            return
        entry_ids = [ids[r.uri] for r in written]
        submitted: list[Any]
        try:
            submitted = self.reviews.submit_many(identity, entry_ids, written[0].entry_type, digest)
        except (CatalogueError, SQLAlchemyError):
            self.session.rollback()
            submitted = []
            for entry_id in entry_ids:
                try:
                    view = self.reviews.submit(identity, entry_id, written[0].entry_type)
                    submitted.append(view.pending_review or "")
                except CatalogueError as exc:
                    submitted.append(exc)
        for record, review in zip(written, submitted, strict=True):
            # A draft that could not be submitted stays a draft for its data owners: said.
            if isinstance(review, CatalogueError):
                report.notes.setdefault(record.uri, []).append(f"not submitted for review: {review}")
            elif review:
                report.reviews[record.uri] = review if isinstance(review, str) else review.id

    def _input(self, record: Record, ids: dict[str, str], report: HarvestReport) -> dict[str, Any]:
        """The record's entry input, with the served datasets known by id (a note for the others)."""
        data = dict(record.data)
        if record.entry_type == "api":
            data["serves_datasets"] = [ids[u] for u in record.serves if u in ids]
            missing = [u for u in record.serves if u not in ids]
            if missing:
                report.notes.setdefault(record.uri, []).append(
                    "serves_datasets: not a dataset of this publisher's harvest: " + ", ".join(missing)
                )
        return data

    def _one(
        self,
        identity: Identity,
        record: Record,
        known: HarvestRecord | None,
        ids: dict[str, str],
        report: HarvestReport,
        source: str,
        submit: bool,
    ) -> str:
        if record.problems:
            report.reject(record.uri, record.problems)
            return "rejected"
        if known is not None and known.fingerprint == record.fingerprint:
            return "unchanged"
        data = self._input(record, ids, report)
        try:
            if known is None:
                entry_id = self._create(identity, record, data, source, report, submit)
                ids[record.uri] = entry_id
                return "created"
            return self._update(identity, record, data, known, report)
        except ShapeError as exc:
            report.reject(record.uri, _shape_reasons(exc))
        except CatalogueError as exc:
            report.reject(record.uri, _reasons(exc))
        self.session.rollback()
        return "rejected"

    def _create(
        self,
        identity: Identity,
        record: Record,
        data: dict[str, Any],
        source: str,
        report: HarvestReport,
        submit: bool,
    ) -> str:
        loaded = _SCHEMAS[(record.entry_type, True)]().load({**data, "publisher": identity.agency})
        with self._record_with_new_entry(record, source):
            view = self.entries.create(identity, record.entry_type, loaded)
        if submit:
            submitted = self.reviews.submit(identity, view.entry.id, record.entry_type)
            if submitted.pending_review:
                report.reviews[record.uri] = submitted.pending_review
        return view.entry.id

    def _update(
        self,
        identity: Identity,
        record: Record,
        data: dict[str, Any],
        known: HarvestRecord,
        report: HarvestReport,
    ) -> str:
        defaults = {
            f.name: None if f.required else f.fresh_default()
            for f in entry_fields.input_fields(record.entry_type, creating=False)
            if f.name in HARVESTED_FIELDS
        }
        loaded = _SCHEMAS[(record.entry_type, False)](partial=True).load({**defaults, **data})
        entry = self.entries.load_visible(identity, known.entry_id, record.entry_type)
        if entry.status == policy.RETIRED:
            report.reject(
                record.uri, {"status": ["The entry was retired in Tillit; it is not harvested again."]}
            )
            self.session.rollback()
            return "rejected"
        if entry.status == policy.IN_REVIEW:
            report.reject(
                record.uri,
                {"status": ["The entry is in review; its change is harvested after the decision."]},
            )
            self.session.rollback()
            return "rejected"
        if "openapi_url" in loaded and loaded["openapi_url"] == entry.openapi_url:
            # The same URL: the copy fetched from it (and its operations) stays as it is.
            del loaded["openapi_url"]
        view = self.entries.update(identity, entry.id, loaded, entry_etag(entry), record.entry_type)
        if view.pending_review:
            report.reviews[record.uri] = view.pending_review
        # The fingerprint follows the change in a transaction of its own: if it is lost, the
        # next harvest writes the same change again, which changes nothing.
        self.session.execute(
            update(HarvestRecord)
            .where(HarvestRecord.id == known.id)
            .values(fingerprint=record.fingerprint, notes=list(record.notes), last_seen=utcnow())
        )
        self.session.commit()
        return "updated"

    @contextmanager
    def _record_with_new_entry(self, record: Record, source: str) -> Iterator[None]:
        """While the service creates the entry, its harvest record joins the same flush
        (and so the same transaction): a crash never leaves an entry no record names."""
        added: list[Entry] = []

        def before_flush(session: Session, *_: Any) -> None:
            for obj in list(session.new):
                if isinstance(obj, Entry) and not added:
                    added.append(obj)
                    session.add(
                        HarvestRecord(
                            publisher=obj.publisher,
                            source=source,
                            uri=record.uri,
                            entry=obj,
                            fingerprint=record.fingerprint,
                            notes=list(record.notes),
                        )
                    )

        event.listen(self.session, "before_flush", before_flush)
        try:
            yield
        finally:
            event.remove(self.session, "before_flush", before_flush)

    def _retire_gone(
        self,
        identity: Identity,
        source: str,
        seen: set[str],
        known: Mapping[str, HarvestRecord],
        report: HarvestReport,
    ) -> None:
        gone = [r for uri, r in sorted(known.items()) if r.source == source and uri not in seen]
        if not gone:
            return
        rows = self.session.execute(
            select(Entry.id, Entry.status).where(Entry.id.in_([r.entry_id for r in gone]))
        ).all()
        statuses = {entry_id: status for entry_id, status in rows}
        self.session.commit()
        for record in gone:
            if statuses.get(record.entry_id) in (None, policy.RETIRED):
                continue
            try:
                entry = self.entries.load_visible(identity, record.entry_id, None)
                self.entries.retire(identity, entry.id, entry_etag(entry))
            except NotFound:
                self.session.rollback()
                continue
            except CatalogueError as exc:
                self.session.rollback()
                report.reject(record.uri, {"entry": [str(exc)]})
                continue
            report.count("retired")

    def _touch(self, publisher: str, source: str, uris: list[str]) -> None:
        """The records seen again: their source and the time (one statement per thousand)."""
        now = utcnow()
        for start in range(0, len(uris), 1000):
            self.session.execute(
                update(HarvestRecord)
                .where(
                    HarvestRecord.publisher == publisher, HarvestRecord.uri.in_(uris[start : start + 1000])
                )
                .values(last_seen=now, source=source)
            )
        self.session.commit()
