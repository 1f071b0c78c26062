"""reviews and audit

Revision ID: 0002_review_audit
Revises: 0001
Create Date: 2026-11-23 20:32:24.543380
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_review_audit"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_agency", sa.String(length=20), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("entry_id", sa.String(length=36), nullable=True),
        sa.Column("entry_agency", sa.String(length=20), nullable=True),
        sa.Column("entry_level", sa.String(length=32), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_events_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_events_prev_hash")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_actor_agency"), ["actor_agency"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_entry_id"), ["entry_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agency", sa.String(length=20), nullable=False),
        sa.Column("audience", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("review_id", sa.String(length=36), nullable=True),
        sa.Column("entry_id", sa.String(length=36), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("email_sent", sa.DateTime(timezone=True), nullable=True),
        sa.Column("webhook_sent", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_agency"), ["agency"], unique=False)

    op.create_table(
        "agency_channels",
        sa.Column("agency", sa.String(length=20), nullable=False),
        sa.Column("officer_email", sa.String(length=320), nullable=True),
        sa.Column("owner_email", sa.String(length=320), nullable=True),
        sa.Column("webhook_url", sa.String(length=1000), nullable=True),
        sa.Column("webhook_secret", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency"], ["agencies.orgnr"], name=op.f("fk_agency_channels_agency_agencies")
        ),
        sa.PrimaryKeyConstraint("agency", name=op.f("pk_agency_channels")),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("agency", sa.String(length=20), nullable=False),
        sa.Column("proposed", sa.JSON(), nullable=False),
        sa.Column("proposed_classification", sa.String(length=32), nullable=False),
        sa.Column("previous_classification", sa.String(length=32), nullable=True),
        sa.Column("previous_listing_level", sa.String(length=32), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_agency", sa.String(length=20), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("classification", sa.String(length=32), nullable=True),
        sa.Column("listing_level", sa.String(length=32), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"], name=op.f("fk_reviews_entry_id_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_agency"), ["agency"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviews_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reviews_proposed_classification"), ["proposed_classification"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reviews_state"), ["state"], unique=False)

    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_due", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_entries_review_due"), ["review_due"], unique=False)

    # The audit log is append-only, whoever connects: the database refuses to
    # change or remove an event. (Tampering needs someone who can drop triggers,
    # and `tillit audit verify` then finds it.)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION tillit_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION tillit_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION tillit_audit_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS tillit_audit_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")

    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entries_review_due"))
        batch_op.drop_column("review_due")

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_state"))
        batch_op.drop_index(batch_op.f("ix_reviews_proposed_classification"))
        batch_op.drop_index(batch_op.f("ix_reviews_entry_id"))
        batch_op.drop_index(batch_op.f("ix_reviews_agency"))

    op.drop_table("reviews")
    op.drop_table("agency_channels")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_agency"))

    op.drop_table("notifications")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_entry_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_at"))
        batch_op.drop_index(batch_op.f("ix_audit_events_actor_agency"))
        batch_op.drop_index(batch_op.f("ix_audit_events_actor"))
        batch_op.drop_index(batch_op.f("ix_audit_events_action"))

    op.drop_table("audit_events")
