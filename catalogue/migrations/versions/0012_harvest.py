"""DCAT harvest: harvest_records and harvest_sources

``harvest_records`` keys each harvested entry by its publisher and its URI in the source,
with the fingerprint of what was last written and the notes of what Tillit could not
hold; ``harvest_states`` the hash of what each source's last harvest read;
``harvest_sources`` holds the catalogues agencies have harvested on a schedule
(docs/harvest.md).

Revision ID: 0012_harvest
Revises: 0011_access
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_harvest"
down_revision = "0011_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "harvest_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("publisher", sa.String(20), nullable=False),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("uri", sa.String(1000), nullable=False),
        sa.Column("entry_id", sa.String(36), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["publisher"], ["agencies.orgnr"], name=op.f("fk_harvest_records_publisher_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entries.id"], name=op.f("fk_harvest_records_entry_id_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_records")),
        sa.UniqueConstraint("publisher", "uri", name=op.f("uq_harvest_records_publisher")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_harvest_records_entry_id")),
    )
    op.create_index(op.f("ix_harvest_records_publisher"), "harvest_records", ["publisher"])
    op.create_index(op.f("ix_harvest_records_source"), "harvest_records", ["source"])
    op.create_table(
        "harvest_sources",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("agency", sa.String(20), nullable=False),
        sa.Column("url", sa.String(1000), nullable=False),
        sa.Column("profile", sa.String(16), nullable=False),
        sa.Column("every_hours", sa.Integer(), nullable=False),
        sa.Column("next_run", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency"], ["agencies.orgnr"], name=op.f("fk_harvest_sources_agency_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_sources")),
        sa.UniqueConstraint("agency", "url", name=op.f("uq_harvest_sources_agency")),
    )
    op.create_index(op.f("ix_harvest_sources_agency"), "harvest_sources", ["agency"])
    op.create_index(op.f("ix_harvest_sources_next_run"), "harvest_sources", ["next_run"])
    op.create_table(
        "harvest_states",
        sa.Column("publisher", sa.String(20), nullable=False),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("clean", sa.Boolean(), nullable=False),
        sa.Column("harvested", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["publisher"], ["agencies.orgnr"], name=op.f("fk_harvest_states_publisher_agencies")
        ),
        sa.PrimaryKeyConstraint("publisher", "source", name=op.f("pk_harvest_states")),
    )


def downgrade() -> None:
    op.drop_table("harvest_states")
    op.drop_table("harvest_sources")
    op.drop_table("harvest_records")
