"""an entry's documentation page (DCAT foaf:page)

Revision ID: 0006_documentation_url
Revises: 0005_read_path
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_documentation_url"
down_revision = "0005_read_path"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch (copy-and-move) on SQLite: that would drop the
    # entries_changed triggers of 0005.
    op.add_column("entries", sa.Column("documentation_url", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    # SQLite (3.35 and later) drops a column in place, keeping the triggers.
    op.execute("ALTER TABLE entries DROP COLUMN documentation_url")
