"""OpenAPI documents by URL

``entries`` gains ``openapi_url`` (where an API's OpenAPI document is fetched from) and
``openapi_fetched`` (when the stored copy was fetched); both empty for an uploaded
document (catalogue/machinery/openapi_source.py).

Revision ID: 0013_openapi_url
Revises: 0012_harvest
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_openapi_url"
down_revision = "0012_harvest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("entries", sa.Column("openapi_url", sa.String(1000), nullable=True))
    op.add_column("entries", sa.Column("openapi_fetched", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("openapi_fetched")
        batch.drop_column("openapi_url")
