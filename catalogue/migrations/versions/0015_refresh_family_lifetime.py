"""Refresh-token families with an absolute lifetime and a key

``oauth_refresh_tokens`` gains ``family_started`` (when the sign-in that started the
family happened; a family is refused ``TILLIT_REFRESH_FAMILY_MAX_SECONDS`` after it) and
``family_key_hash`` (the digest of the key every token of the family carries, so that a
rotated token whose row was purged still names its family; docs/security.md).

A family already stored started when its oldest row was issued (rows of a family that
still has a token are all kept until now); its tokens carry no key (``NULL``), so its
rotated rows stay until the family dies, as before.

Revision ID: 0015_refresh_family_lifetime
Revises: 0014_audit_chain_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_refresh_family_lifetime"
down_revision = "0014_audit_chain_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "oauth_refresh_tokens", sa.Column("family_started", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("oauth_refresh_tokens", sa.Column("family_key_hash", sa.String(64), nullable=True))
    op.execute(
        "UPDATE oauth_refresh_tokens SET family_started = (SELECT MIN(oldest.issued) "
        "FROM oauth_refresh_tokens AS oldest WHERE oldest.family_id = oauth_refresh_tokens.family_id)"
    )
    with op.batch_alter_table("oauth_refresh_tokens") as batch:
        batch.alter_column("family_started", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.create_index(
            batch.f("ix_oauth_refresh_tokens_family_key_hash"), ["family_key_hash"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("oauth_refresh_tokens") as batch:
        batch.drop_index(batch.f("ix_oauth_refresh_tokens_family_key_hash"))
        batch.drop_column("family_key_hash")
        batch.drop_column("family_started")
