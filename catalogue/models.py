"""The catalogue's typed SQLAlchemy models: the source of truth."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.db import Base
from catalogue.timestamps import UtcDateTime
from security.policy import EntryFacts


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC: what every timestamp column stores."""
    return datetime.now(UTC)


def new_id() -> str:
    """A new random UUID as text: the id of an entry or a person, a token family."""
    return str(uuid.uuid4())


class Agency(Base):
    """An agency, keyed by its organisation number; its clearance caps its people's and clients'."""

    __tablename__ = "agencies"

    orgnr: Mapped[str] = mapped_column(String(20), primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    name: Mapped[dict[str, str]] = mapped_column(JSON)
    homepage: Mapped[str | None] = mapped_column(String(500))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    clearance: Mapped[str] = mapped_column(String(32))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012


def facts_of(entry: Any) -> EntryFacts:
    """What the policy needs of an entry, whole (``Entry``) or its head."""
    return EntryFacts(
        publisher=entry.publisher,
        classification=entry.classification,
        listing_level=entry.listing_level,
        status=entry.status,
    )


class Entry(Base):
    """A dataset or an API (a DCAT data service)."""

    __tablename__ = "entries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    type: Mapped[str] = mapped_column(String(16))
    publisher: Mapped[str] = mapped_column(ForeignKey("agencies.orgnr"), index=True)
    title: Mapped[dict[str, str]] = mapped_column(JSON)
    description: Mapped[dict[str, str]] = mapped_column(JSON)
    keywords: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_point: Mapped[dict[str, str] | None] = mapped_column(JSON)
    classification: Mapped[str] = mapped_column(String(32))
    listing_level: Mapped[str] = mapped_column(String(32))
    contains_personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    special_categories: Mapped[bool] = mapped_column(Boolean, default=False)
    licence: Mapped[str | None] = mapped_column(String(500))
    spatial: Mapped[str | None] = mapped_column(String(200))
    temporal_start: Mapped[date | None] = mapped_column(Date)
    temporal_end: Mapped[date | None] = mapped_column(Date)
    update_frequency: Mapped[str | None] = mapped_column(String(32))
    #: The entry's documentation for people (DCAT foaf:page).
    documentation_url: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # API (data service) fields; empty for datasets.
    endpoint_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    openapi: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Where the document was fetched from, and when (None: uploaded, or none).
    openapi_url: Mapped[str | None] = mapped_column(String(1000))
    openapi_fetched: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[str | None] = mapped_column(String(64))
    lifecycle: Mapped[str | None] = mapped_column(String(16))
    # When the classification must next be reviewed (entries above the lowest level).
    review_due: Mapped[date | None] = mapped_column(Date, index=True)
    #: Keys of the data elements the entry holds (``DataElement``), and of those it is
    #: the authoritative source for; ``element_rows`` mirrors both for SQL.
    data_elements: Mapped[list[str]] = mapped_column(JSON, default=list)
    authoritative_for: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: How a client authenticates to the API (``catalogue.shapes.AuthMechanismSchema``).
    auth_mechanisms: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    legal_bases: Mapped[list[LegalBasis]] = relationship(
        back_populates="entry",
        cascade="all, delete-orphan",
        order_by="LegalBasis.position",
    )
    distributions: Mapped[list[Distribution]] = relationship(
        back_populates="entry",
        cascade="all, delete-orphan",
        order_by="Distribution.position",
    )
    theme_rows: Mapped[list[EntryTheme]] = relationship(cascade="all, delete-orphan")
    element_rows: Mapped[list[EntryDataElement]] = relationship(cascade="all, delete-orphan")
    #: An API's operations, read from its OpenAPI document (``catalogue.operations``).
    operation_rows: Mapped[list[ApiOperation]] = relationship(
        cascade="all, delete-orphan", order_by="ApiOperation.position"
    )
    #: The data elements its operations carry, once each (``OperationDataElement``).
    operation_element_rows: Mapped[list[OperationDataElement]] = relationship(cascade="all, delete-orphan")
    served: Mapped[list[ServedDataset]] = relationship(
        foreign_keys="ServedDataset.api_id",
        cascade="all, delete-orphan",
        order_by="ServedDataset.position",
    )

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012
    __table_args__ = (
        # Covers the visibility filter, so lists count from the index alone.
        Index("ix_entries_visibility", "listing_level", "status", "type", "publisher"),
        Index("ix_entries_type_modified", "type", "modified"),
        Index("ix_entries_publisher_modified", "publisher", "type", "modified"),
    )

    @property
    def facts(self) -> EntryFacts:
        """What the policy needs of this entry (:func:`facts_of`)."""
        return facts_of(self)

    @property
    def served_dataset_ids(self) -> list[str]:
        """The ids of the datasets this API serves, hidden ones included: filter before showing them."""
        return [row.dataset_id for row in self.served]


class EntryTheme(Base):
    """One row per (entry, theme), so lists can filter by theme in SQL."""

    __tablename__ = "entry_themes"

    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True)
    theme: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)


class DataElement(Base):
    """A data element people ask for across agencies (personal identity number, postal
    address, ...): the controlled vocabulary entries are tagged with (docs/data-elements.md)."""

    __tablename__ = "data_elements"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The element's stable URI: a public vocabulary's where one fits, else a Tillit URN.
    uri: Mapped[str] = mapped_column(String(500), unique=True)
    #: Where the URI comes from, e.g. "SEMIC Core Person 2.1.2" or "Tillit (proposed)".
    vocabulary: Mapped[str] = mapped_column(String(200))
    #: Language → label (sv, nb, en at least).
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: A special category of personal data (GDPR Art. 9(1)); an access request for it is flagged.
    special_category: Mapped[bool] = mapped_column(Boolean, default=False)


class EntryDataElement(Base):
    """One row per (entry, data element), so holders are found in SQL; ``authoritative``:
    the entry is the base register for the element."""

    __tablename__ = "entry_data_elements"

    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True)
    element: Mapped[str] = mapped_column(ForeignKey("data_elements.key"), primary_key=True)
    authoritative: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_entry_data_elements_element", "element", "authoritative"),)


class LegalBasis(Base):
    """One legal reference of an entry (law and provision), in the order given."""

    __tablename__ = "legal_bases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    jurisdiction: Mapped[str] = mapped_column(String(2))
    reference: Mapped[str] = mapped_column(String(64), index=True)
    provision: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(Text)

    entry: Mapped[Entry] = relationship(back_populates="legal_bases")


class Statute(Base):
    """A statute of the register (``catalogue.statutes``): its official names and short
    names per language and the link to its official text. Legal bases cite statutes by
    (jurisdiction, reference) without a foreign key: a reference the register does not
    know is still a valid citation, shown by its number."""

    __tablename__ = "statutes"

    jurisdiction: Mapped[str] = mapped_column(String(2), primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), primary_key=True)
    names: Mapped[dict[str, str]] = mapped_column(JSON)
    short_names: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    url: Mapped[str] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012


class Distribution(Base):
    """One way to get a dataset (a file or an access URL with its format), in the order given."""

    __tablename__ = "distributions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[dict[str, str] | None] = mapped_column(JSON)
    format: Mapped[str | None] = mapped_column(String(64))
    media_type: Mapped[str | None] = mapped_column(String(128))
    access_url: Mapped[str] = mapped_column(String(1000))
    download_url: Mapped[str | None] = mapped_column(String(1000))
    byte_size: Mapped[int | None] = mapped_column(BigInteger)

    entry: Mapped[Entry] = relationship(back_populates="distributions")


class ApiOperation(Base):
    """One operation of an API's OpenAPI document, rebuilt whenever the document
    changes (docs/operations.md); ``classification`` None: the API's own level."""

    __tablename__ = "api_operations"

    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    method: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)
    operation_id: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    data_elements: Mapped[list[str]] = mapped_column(JSON, default=list)
    classification: Mapped[str | None] = mapped_column(String(32))


class OperationDataElement(Base):
    """One row per (API, data element one of its operations carries), rebuilt with
    ``api_operations``, so "who holds X?" finds APIs by their operations in SQL. Who
    may learn of such a row is narrower than for ``entry_data_elements``: only a
    reader of the whole API (docs/operations.md, "Operations' data elements")."""

    __tablename__ = "api_operation_elements"

    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True)
    element: Mapped[str] = mapped_column(ForeignKey("data_elements.key"), primary_key=True, index=True)


class ServedDataset(Base):
    """An API serves datasets (dcat:servesDataset)."""

    __tablename__ = "served_datasets"

    api_id: Mapped[str] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class OAuthClient(Base):
    """A confidential client of an agency; the secret is stored hashed."""

    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    agency: Mapped[str] = mapped_column(ForeignKey("agencies.orgnr"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    grant_types: Mapped[list[str]] = mapped_column(JSON)
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(64))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Exact redirect URIs (authorization_code clients).
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Public keys for private_key_jwt.
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: A resource server may introspect tokens.
    resource_server: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OutboxEvent(Base):
    """Written in the same transaction as the entry change it announces.

    The indexer drains these rows; a crash between commit and indexing leaves
    them here for the next drain.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(36), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    created: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("entry_id", "revision", name="uq_outbox_entry_revision"),)


class Review(Base):
    """A classification review: the proposed version, frozen, and its decision.

    A decided review is a final record; nothing in Tillit edits it again.
    """

    __tablename__ = "reviews"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # publication | revision | periodic | reclassification
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    agency: Mapped[str] = mapped_column(String(20), index=True)  # the entry's publisher
    proposed: Mapped[dict[str, Any]] = mapped_column(JSON)
    proposed_classification: Mapped[str] = mapped_column(String(32), index=True)
    previous_classification: Mapped[str | None] = mapped_column(String(32))
    previous_listing_level: Mapped[str | None] = mapped_column(String(32))
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_agency: Mapped[str | None] = mapped_column(String(20))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    classification: Mapped[str | None] = mapped_column(String(32))
    listing_level: Mapped[str | None] = mapped_column(String(32))
    rationale: Mapped[str | None] = mapped_column(Text)
    #: The bulk submission that opened it, shared with its digest notification (the queue's
    #: ``digest`` filter); None for a review opened on its own.
    digest: Mapped[str | None] = mapped_column(String(36), index=True)


class AuditEvent(Base):
    """Append-only and hash-chained: each event holds the hash of the one before.

    ``seq`` is the primary key and every append writes its predecessor's ``seq`` + 1
    (read with the head, under the chain's lock), so two appends can never claim the
    same predecessor: the chain cannot fork, whatever the concurrency. (``hash`` and
    ``prev_hash`` are not unique: migration 0014 says why.)
    """

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    action: Mapped[str] = mapped_column(String(48), index=True)
    decision: Mapped[str] = mapped_column(String(8))  # allow | deny
    actor: Mapped[str] = mapped_column(String(200), index=True)
    actor_agency: Mapped[str | None] = mapped_column(String(20), index=True)
    client_id: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    entry_id: Mapped[str | None] = mapped_column(String(36), index=True)
    entry_agency: Mapped[str | None] = mapped_column(String(20))
    entry_level: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Notification(Base):
    """Work waiting for someone, written with the change; delivered after commit."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(20), index=True)
    audience: Mapped[str] = mapped_column(String(32))  # data_owner | security_officer
    kind: Mapped[str] = mapped_column(String(48))
    review_id: Mapped[str | None] = mapped_column(String(36))
    entry_id: Mapped[str | None] = mapped_column(String(36))
    message: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    email_sent: Mapped[datetime | None] = mapped_column(UtcDateTime)
    webhook_sent: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A digest (kind ``reviews.requested``: catalogue/services/pending_reviews.py) names no
    # entry: it counts a bulk submission's reviews of one classification level.
    digest: Mapped[str | None] = mapped_column(String(36), index=True)
    #: The classification of the entries a digest counts: shown only to readers cleared for it.
    level: Mapped[str | None] = mapped_column(String(32))
    count: Mapped[int | None] = mapped_column(Integer)
    #: Where a digest's entries came from (a harvest's source URL), if said.
    source: Mapped[str | None] = mapped_column(String(1000))


class AgencyChannel(Base):
    """Where an agency wants to hear of waiting work: e-mail and a signed webhook."""

    __tablename__ = "agency_channels"

    agency: Mapped[str] = mapped_column(ForeignKey("agencies.orgnr"), primary_key=True)
    officer_email: Mapped[str | None] = mapped_column(String(320))
    owner_email: Mapped[str | None] = mapped_column(String(320))
    webhook_url: Mapped[str | None] = mapped_column(String(1000))
    webhook_secret: Mapped[str | None] = mapped_column(String(128))


class CatalogueVersion(Base):
    """One row; a database trigger raises ``version`` with every change to ``entries``
    (migration 0005), so a cached list total is known to be current."""

    __tablename__ = "catalogue_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
