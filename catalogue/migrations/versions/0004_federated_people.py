"""people who sign in at their agency's OpenID Connect provider

Revision ID: 0004_federated_people
Revises: 0003_people
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_federated_people"
down_revision = "0003_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuer", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("provider", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("last_login", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_users_issuer"), ["issuer", "subject"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_issuer"), type_="unique")
        batch_op.drop_column("last_login")
        batch_op.drop_column("email")
        batch_op.drop_column("provider")
        batch_op.drop_column("subject")
        batch_op.drop_column("issuer")
