"""Access requests, grants and the tokens issued with a grant's scope

``access_requests``: one agency's request for access to another's entry (or named
operations of its API), with purpose, processing basis, data elements, period,
consuming system and contact, and the steps it went through. ``grants``: the
provider's decision, with both legal bases, its validity and its revocation.
``grant_tokens``: the jti of each access token issued with a grant's scope, denied
when the grant is revoked. ``data_elements`` gains ``special_category`` (GDPR
Art. 9(1)); none of the seeded elements is one (docs/access.md).

Revision ID: 0011_access
Revises: 0010_operation_elements
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_access"
down_revision = "0010_operation_elements"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "data_elements",
        sa.Column("special_category", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "access_requests",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("requester_agency", sa.String(20), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("entry_id", sa.String(36), nullable=False),
        sa.Column("provider_agency", sa.String(20), nullable=False),
        sa.Column("operations", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("purpose_code", sa.String(100), nullable=False),
        sa.Column("processing_basis", sa.JSON(), nullable=False),
        sa.Column("data_elements", sa.JSON(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("consumer_client_id", sa.String(64), nullable=True),
        sa.Column("consumer_xroad", sa.String(400), nullable=True),
        sa.Column("contact", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("renews", sa.String(36), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assessed_by", sa.String(200), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["requester_agency"],
            ["agencies.orgnr"],
            name=op.f("fk_access_requests_requester_agency_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entries.id"], name=op.f("fk_access_requests_entry_id_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_requests")),
    )
    op.create_index(op.f("ix_access_requests_requester_agency"), "access_requests", ["requester_agency"])
    op.create_index(op.f("ix_access_requests_entry_id"), "access_requests", ["entry_id"])
    op.create_index(op.f("ix_access_requests_provider_agency"), "access_requests", ["provider_agency"])
    op.create_index(op.f("ix_access_requests_state"), "access_requests", ["state"])
    op.create_index("ix_access_requests_provider_state", "access_requests", ["provider_agency", "state"])
    op.create_table(
        "grants",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("provider_agency", sa.String(20), nullable=False),
        sa.Column("subject_agency", sa.String(20), nullable=False),
        sa.Column("subject_client_id", sa.String(64), nullable=True),
        sa.Column("subject_xroad", sa.String(400), nullable=True),
        sa.Column("entry_id", sa.String(36), nullable=False),
        sa.Column("operations", sa.JSON(), nullable=False),
        sa.Column("data_elements", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("processing_basis", sa.JSON(), nullable=False),
        sa.Column("disclosure_basis", sa.JSON(), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(200), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("expiry_notified", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["access_requests.id"], name=op.f("fk_grants_request_id_access_requests")
        ),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"], name=op.f("fk_grants_entry_id_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grants")),
    )
    for column in (
        "request_id",
        "provider_agency",
        "subject_agency",
        "subject_client_id",
        "entry_id",
        "valid_until",
    ):
        op.create_index(op.f(f"ix_grants_{column}"), "grants", [column])
    op.create_table(
        "grant_tokens",
        sa.Column("jti", sa.String(128), nullable=False),
        sa.Column("grant_id", sa.String(36), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["grant_id"], ["grants.id"], name=op.f("fk_grant_tokens_grant_id_grants")),
        sa.PrimaryKeyConstraint("jti", "grant_id", name=op.f("pk_grant_tokens")),
    )
    op.create_index(op.f("ix_grant_tokens_grant_id"), "grant_tokens", ["grant_id"])
    op.create_index(op.f("ix_grant_tokens_expires"), "grant_tokens", ["expires"])


def downgrade() -> None:
    op.drop_table("grant_tokens")
    op.drop_table("grants")
    op.drop_table("access_requests")
    with op.batch_alter_table("data_elements") as batch:
        batch.drop_column("special_category")
