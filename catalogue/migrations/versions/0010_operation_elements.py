"""The data elements an API's operations carry, one row per (API, element)

``api_operation_elements`` mirrors the ``data_elements`` of each API's rows in
``api_operations`` (once per element), as ``entry_data_elements`` mirrors an
entry's own tags, so "who holds X?" finds an API by its operations in SQL
(docs/operations.md, "Operations' data elements"). Filled here from the
operations already stored (migration 0009 took over no extensions, so these are
only the documents uploaded since).

Revision ID: 0010_operation_elements
Revises: 0009_operations
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0010_operation_elements"
down_revision = "0009_operations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "api_operation_elements",
        sa.Column("entry_id", sa.String(36), nullable=False),
        sa.Column("element", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["entries.id"],
            name=op.f("fk_api_operation_elements_entry_id_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["element"], ["data_elements.key"], name=op.f("fk_api_operation_elements_element_data_elements")
        ),
        sa.PrimaryKeyConstraint("entry_id", "element", name=op.f("pk_api_operation_elements")),
    )
    op.create_index("ix_api_operation_elements_element", "api_operation_elements", ["element"])
    operations = sa.table(
        "api_operations", sa.column("entry_id", sa.String), sa.column("data_elements", sa.JSON)
    )
    carried: set[tuple[str, str]] = set()
    for entry_id, elements in op.get_bind().execute(
        sa.select(operations.c.entry_id, operations.c.data_elements)
    ):
        if isinstance(elements, str):
            elements = json.loads(elements)
        carried.update((entry_id, key) for key in elements or ())
    if carried:
        op.bulk_insert(table, [{"entry_id": e, "element": k} for e, k in sorted(carried)])


def downgrade() -> None:
    op.drop_index("ix_api_operation_elements_element", table_name="api_operation_elements")
    op.drop_table("api_operation_elements")
