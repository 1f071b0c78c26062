"""API operations and authentication mechanisms

``api_operations`` holds each operation of an API's OpenAPI document (method, path,
operationId, summary, tags, the data elements it carries and its own classification),
rebuilt whenever the document changes (docs/operations.md). Existing documents are
read here once: their method, path, operationId, summary and tags. Their Tillit
extensions (``x-classification``, ``x-data-elements``) were never checked, so they are
not taken over: a data owner who wants them uploads the document again, and the rules
then apply. ``entries`` gains the declared field ``auth_mechanisms`` (a JSON list).

Revision ID: 0009_operations
Revises: 0008_data_elements
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from catalogue.errors import ValidationFailed
from catalogue.operations import parse_operations

revision = "0009_operations"
down_revision = "0008_data_elements"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "entries", sa.Column("auth_mechanisms", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
    )
    table = op.create_table(
        "api_operations",
        sa.Column("entry_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("operation_id", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("data_elements", sa.JSON(), nullable=False),
        sa.Column("classification", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entries.id"], name=op.f("fk_api_operations_entry_id_entries"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("entry_id", "position", name=op.f("pk_api_operations")),
    )
    entries = sa.table("entries", sa.column("id", sa.String), sa.column("openapi", sa.JSON))
    bind = op.get_bind()
    rows: list[dict[str, Any]] = []
    for entry_id, document in bind.execute(
        sa.select(entries.c.id, entries.c.openapi).where(entries.c.openapi.is_not(None))
    ):
        if isinstance(document, str):
            document = json.loads(document)
        try:
            operations = parse_operations(document)
        except ValidationFailed:
            continue
        rows.extend(
            {
                "entry_id": entry_id,
                "position": i,
                "method": o.method,
                "path": o.path,
                "operation_id": o.operation_id,
                "summary": o.summary,
                "tags": list(o.tags),
                "data_elements": [],
                "classification": None,
            }
            for i, o in enumerate(operations)
        )
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table("api_operations")
    op.drop_column("entries", "auth_mechanisms")
