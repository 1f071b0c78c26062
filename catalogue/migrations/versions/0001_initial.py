"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 20:12:44.088145
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "agencies",
        sa.Column("orgnr", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("homepage", sa.String(length=500), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("clearance", sa.String(length=32), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("orgnr", name=op.f("pk_agencies")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("entry_id", "revision", name="uq_outbox_entry_revision"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_entry_id"), ["entry_id"], unique=False)

    op.create_table(
        "entries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("publisher", sa.String(length=20), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("contact_point", sa.JSON(), nullable=True),
        sa.Column("classification", sa.String(length=32), nullable=False),
        sa.Column("listing_level", sa.String(length=32), nullable=False),
        sa.Column("contains_personal_data", sa.Boolean(), nullable=False),
        sa.Column("special_categories", sa.Boolean(), nullable=False),
        sa.Column("licence", sa.String(length=500), nullable=True),
        sa.Column("spatial", sa.String(length=200), nullable=True),
        sa.Column("temporal_start", sa.Date(), nullable=True),
        sa.Column("temporal_end", sa.Date(), nullable=True),
        sa.Column("update_frequency", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("endpoint_urls", sa.JSON(), nullable=False),
        sa.Column("openapi", sa.JSON(), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("lifecycle", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["publisher"], ["agencies.orgnr"], name=op.f("fk_entries_publisher_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entries")),
    )
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_entries_visibility", ["listing_level", "status", "type", "publisher"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_entries_publisher"), ["publisher"], unique=False)
        batch_op.create_index("ix_entries_type_modified", ["type", "modified"], unique=False)

    op.create_table(
        "oauth_clients",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=False),
        sa.Column("agency", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("grant_types", sa.JSON(), nullable=False),
        sa.Column("token_endpoint_auth_method", sa.String(length=64), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency"], ["agencies.orgnr"], name=op.f("fk_oauth_clients_agency_agencies")
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_oauth_clients")),
    )
    with op.batch_alter_table("oauth_clients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_clients_agency"), ["agency"], unique=False)

    op.create_table(
        "distributions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.JSON(), nullable=True),
        sa.Column("format", sa.String(length=64), nullable=True),
        sa.Column("media_type", sa.String(length=128), nullable=True),
        sa.Column("access_url", sa.String(length=1000), nullable=False),
        sa.Column("download_url", sa.String(length=1000), nullable=True),
        sa.Column("byte_size", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["entries.id"],
            name=op.f("fk_distributions_entry_id_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distributions")),
    )
    with op.batch_alter_table("distributions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_distributions_entry_id"), ["entry_id"], unique=False)

    op.create_table(
        "entry_themes",
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("theme", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["entries.id"],
            name=op.f("fk_entry_themes_entry_id_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", "theme", name=op.f("pk_entry_themes")),
    )
    with op.batch_alter_table("entry_themes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entry_themes_theme"), ["theme"], unique=False)

    op.create_table(
        "legal_bases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("jurisdiction", sa.String(length=2), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("provision", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["entries.id"],
            name=op.f("fk_legal_bases_entry_id_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_bases")),
    )
    with op.batch_alter_table("legal_bases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_bases_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_legal_bases_reference"), ["reference"], unique=False)

    op.create_table(
        "served_datasets",
        sa.Column("api_id", sa.String(length=36), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_id"],
            ["entries.id"],
            name=op.f("fk_served_datasets_api_id_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["entries.id"],
            name=op.f("fk_served_datasets_dataset_id_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("api_id", "dataset_id", name=op.f("pk_served_datasets")),
    )
    with op.batch_alter_table("served_datasets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_served_datasets_dataset_id"), ["dataset_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("served_datasets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_served_datasets_dataset_id"))

    op.drop_table("served_datasets")
    with op.batch_alter_table("legal_bases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_bases_reference"))
        batch_op.drop_index(batch_op.f("ix_legal_bases_entry_id"))

    op.drop_table("legal_bases")
    with op.batch_alter_table("entry_themes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_themes_theme"))

    op.drop_table("entry_themes")
    with op.batch_alter_table("distributions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_distributions_entry_id"))

    op.drop_table("distributions")
    with op.batch_alter_table("oauth_clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_clients_agency"))

    op.drop_table("oauth_clients")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("ix_entries_type_modified")
        batch_op.drop_index(batch_op.f("ix_entries_publisher"))
        batch_op.drop_index("ix_entries_visibility")

    op.drop_table("entries")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_entry_id"))

    op.drop_table("outbox")
    op.drop_table("agencies")
