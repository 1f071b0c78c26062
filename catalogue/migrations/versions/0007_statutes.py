"""the statute register, seeded

A table of statutes by (jurisdiction, reference) with their names, short names and
official link (``catalogue.statutes``), loaded with the packaged seed
(``catalogue/statutes_data/statutes.json``): every deployment has the register,
not only the demo. ``tillit statutes load`` loads a later seed (or an administrator's
own file) into a running register.

Entries that cite a seeded statute get an outbox row, so their search documents are
rebuilt with the statute's names on the next drain (``tillit index sync``).

Revision ID: 0007_statutes
Revises: 0006_documentation_url
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from catalogue.statutes import seed_records

revision = "0007_statutes"
down_revision = "0006_documentation_url"
branch_labels = None
depends_on = None


def upgrade() -> None:
    statutes = op.create_table(
        "statutes",
        sa.Column("jurisdiction", sa.String(length=2), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("short_names", sa.JSON(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("jurisdiction", "reference", name=op.f("pk_statutes")),
    )
    now = datetime.now(UTC)
    records = seed_records()
    op.bulk_insert(statutes, [{**r, "created": now, "modified": now, "revision": 1} for r in records])
    # Entries citing a seeded statute are reindexed with its names. One row per
    # entry at its current revision; a row already waiting says the same.
    op.execute(
        sa.text(
            "INSERT INTO outbox (entry_id, revision, created) "
            "SELECT e.id, e.revision, :now FROM entries e "
            "WHERE EXISTS (SELECT 1 FROM legal_bases b JOIN statutes s "
            "ON s.jurisdiction = b.jurisdiction AND s.reference = b.reference WHERE b.entry_id = e.id) "
            "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.entry_id = e.id AND o.revision = e.revision)"
        ).bindparams(sa.bindparam("now", now, type_=sa.DateTime(timezone=True)))
    )


def downgrade() -> None:
    op.drop_table("statutes")
