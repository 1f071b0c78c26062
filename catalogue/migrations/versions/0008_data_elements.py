"""data elements: the once-only vocabulary, and which entries hold each

``data_elements`` is the controlled vocabulary (key, URI, labels), seeded here with
the twelve elements of issue 16 (sources: ``catalogue/demo_data/SOURCES-elements.md``);
administrators add more with ``tillit data-elements add``. ``entries`` gains the two
declared fields (``data_elements``, ``authoritative_for``: JSON lists of keys) and
``entry_data_elements`` mirrors them one row per (entry, element), so that the
holders of an element are found in SQL (as ``entry_themes`` mirrors ``themes``).

Revision ID: 0008_data_elements
Revises: 0006_documentation_url (the lead chains 0007 / 0008 / 0009 when merging)
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008_data_elements"
down_revision = "0007_statutes"
branch_labels = None
depends_on = None

SEED = (
    {
        "key": "personal-identity-number",
        "uri": "urn:tillit:data-element:personal-identity-number",
        "vocabulary": "Tillit (proposed URN; no public concept URI found)",
        "labels": {
            "sv": "personnummer",
            "nb": "fødselsnummer",
            "en": "personal identity number",
        },
        "note": (
            "The national person identifier of Sweden (personnummer) or Norway "
            "(fødselsnummer). Matches: NGR ngrp:Foedselsnummer (draft), "
            "urn:oid:2.16.578.1.12.4.1.4.1, urn:oid:1.2.752.129.2.1.3.1."
        ),
    },
    {
        "key": "coordination-number",
        "uri": "urn:tillit:data-element:coordination-number",
        "vocabulary": "Tillit (proposed URN; no public concept URI found)",
        "labels": {
            "sv": "samordningsnummer",
            "nb": "samordningsnummer (svensk)",
            "en": "coordination number",
        },
        "note": (
            "Swedish identifier for people not (or no longer) in the population register (lag"
            " (2022:1697) om samordningsnummer). The nb label is a proposal. Match: "
            "urn:oid:1.2.752.129.2.1.3.3."
        ),
    },
    {
        "key": "d-number",
        "uri": "urn:tillit:data-element:d-number",
        "vocabulary": "Tillit (proposed URN; no public concept URI found)",
        "labels": {
            "sv": "D-nummer (norskt)",
            "nb": "d-nummer",
            "en": "D-number",
        },
        "note": (
            "Norwegian identifier for people who are not residents (folkeregisterloven § "
            "2-2). Matches: NGR ngrp:DNummer (draft), urn:oid:2.16.578.1.12.4.1.4.2."
        ),
    },
    {
        "key": "name",
        "uri": "http://xmlns.com/foaf/0.1/name",
        "vocabulary": "SEMIC Core Person 2.1.2 (fullName → foaf:name)",
        "labels": {
            "sv": "namn",
            "nb": "navn",
            "en": "name",
        },
        "note": ("A person's name (SEMIC Core Person fullName). An organisation's name is another element."),
    },
    {
        "key": "postal-address",
        "uri": "http://www.w3.org/ns/locn#Address",
        "vocabulary": "SEMIC Core Location (locn:Address, used by Core Person and Core Business)",
        "labels": {
            "sv": "postadress",
            "nb": "postadresse",
            "en": "postal address",
        },
        "note": (
            "locn:Address is SEMIC's address class, not a postal subtype. The population "
            "registers hold where a person lives; the land authorities hold the address as a "
            "place."
        ),
    },
    {
        "key": "civil-status",
        "uri": "urn:tillit:data-element:civil-status",
        "vocabulary": "Tillit (proposed URN; no public concept URI found)",
        "labels": {
            "sv": "civilstånd",
            "nb": "sivilstand",
            "en": "civil status",
        },
        "note": (
            "SEMIC Core Person 2.1.2 has no civil-status property. Close match: NGR ngr-"
            "person Sivilstand (draft)."
        ),
    },
    {
        "key": "income",
        "uri": "urn:tillit:data-element:income",
        "vocabulary": "Tillit (proposed URN; no public concept URI found)",
        "labels": {
            "sv": "inkomst",
            "nb": "inntekt",
            "en": "income",
        },
        "note": "No vocabulary concept found.",
    },
    {
        "key": "tax-assessment",
        "uri": "urn:tillit:data-element:tax-assessment",
        "vocabulary": "Tillit (proposed URN; no public concept URI found)",
        "labels": {
            "sv": "beslut om slutlig skatt",
            "nb": "skatteoppgjør",
            "en": "tax assessment",
        },
        "note": (
            "A person's or company's income tax assessment (beslut om slutlig skatt / "
            "skatteoppgjør); not a property tax assessment."
        ),
    },
    {
        "key": "employment",
        "uri": "urn:tillit:data-element:employment",
        "vocabulary": "Tillit (proposed URN; no public concept URI found)",
        "labels": {
            "sv": "anställning",
            "nb": "arbeidsforhold",
            "en": "employment relationship",
        },
        "note": (
            "No vocabulary concept found. Norway's Aa-registeret is the register of employment relationships."
        ),
    },
    {
        "key": "property-unit",
        "uri": "urn:tillit:data-element:property-unit",
        "vocabulary": "Tillit (proposed URN; no public concept URI found)",
        "labels": {
            "sv": "fastighet",
            "nb": "matrikkelenhet",
            "en": "property unit",
        },
        "note": (
            "Broad match: INSPIRE theme Cadastral parcels "
            "(http://inspire.ec.europa.eu/theme/cp); close match NGR ngre:Matrikkelenhet "
            "(draft)."
        ),
    },
    {
        "key": "organisation-number",
        "uri": "http://www.w3.org/ns/legal#legalIdentifier",
        "vocabulary": "SEMIC Core Business 2.2.0 (legalIdentifier)",
        "labels": {
            "sv": "organisationsnummer",
            "nb": "organisasjonsnummer",
            "en": "organisation number",
        },
        "note": (
            "A legal entity's registered identifier (SEMIC Core Business legalIdentifier); SE"
            " and NO organisation numbers are its national values. Match: "
            "urn:oid:2.16.578.1.12.4.1.4.101."
        ),
    },
    {
        "key": "vehicle-registration",
        "uri": "urn:tillit:data-element:vehicle-registration",
        "vocabulary": "Tillit (proposed URN; no public concept URI found)",
        "labels": {
            "sv": "registreringsnummer (fordon)",
            "nb": "kjennemerke / registreringsnummer",
            "en": "vehicle registration number",
        },
        "note": "No vocabulary concept found.",
    },
)


def upgrade() -> None:
    elements = op.create_table(
        "data_elements",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("uri", sa.String(length=500), nullable=False),
        sa.Column("vocabulary", sa.String(length=200), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_data_elements")),
        sa.UniqueConstraint("uri", name=op.f("uq_data_elements_uri")),
    )
    now = datetime.now(UTC)
    op.bulk_insert(elements, [{**row, "created": now} for row in SEED])
    op.create_table(
        "entry_data_elements",
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("element", sa.String(length=64), nullable=False),
        sa.Column("authoritative", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["entries.id"],
            name=op.f("fk_entry_data_elements_entry_id_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["element"], ["data_elements.key"], name=op.f("fk_entry_data_elements_element_data_elements")
        ),
        sa.PrimaryKeyConstraint("entry_id", "element", name=op.f("pk_entry_data_elements")),
    )
    op.create_index("ix_entry_data_elements_element", "entry_data_elements", ["element", "authoritative"])
    # Plain ADD COLUMNs, not a batch: on SQLite a batch drops the triggers of 0005.
    for column in ("data_elements", "authoritative_for"):
        op.add_column("entries", sa.Column(column, sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    for column in ("authoritative_for", "data_elements"):
        op.execute(f"ALTER TABLE entries DROP COLUMN {column}")
    op.drop_index("ix_entry_data_elements_element", table_name="entry_data_elements")
    op.drop_table("entry_data_elements")
    op.drop_table("data_elements")
