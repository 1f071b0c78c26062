"""One officers' notification per bulk submission (a harvest run), not one per entry

``reviews`` gains ``digest``: the id shared by the reviews one bulk submission opened
(``ReviewService.submit_many``), by which the review queue filters them
(``GET /api/v1/reviews?digest=``). ``notifications`` gains the digest's own columns:
``digest`` (the same id), ``level`` (the classification of the entries it counts: a
reader sees the digest only with clearance for it, as it would see each entry's
notification), ``count`` (how many reviews it announces) and ``source`` (where the
entries came from: a harvest's source). All are empty on the rows written before, and on
every notification and review of a single submission.

Revision ID: 0016_review_digest
Revises: 0015_refresh_family_lifetime
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_review_digest"
down_revision = "0015_refresh_family_lifetime"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("digest", sa.String(36), nullable=True))
        batch.create_index(batch.f("ix_reviews_digest"), ["digest"], unique=False)
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("digest", sa.String(36), nullable=True))
        batch.add_column(sa.Column("level", sa.String(32), nullable=True))
        batch.add_column(sa.Column("count", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("source", sa.String(1000), nullable=True))
        batch.create_index(batch.f("ix_notifications_digest"), ["digest"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index(batch.f("ix_notifications_digest"))
        batch.drop_column("source")
        batch.drop_column("count")
        batch.drop_column("level")
        batch.drop_column("digest")
    with op.batch_alter_table("reviews") as batch:
        batch.drop_index(batch.f("ix_reviews_digest"))
        batch.drop_column("digest")
