"""the catalogue's change counter, and an index for lists by publisher

``catalogue_version`` holds one row whose ``version`` a trigger raises with every
insert, update or delete on ``entries``, whoever writes (the services, a bulk
load, a hand-made fix). A list's total is cached per version: unchanged catalogue,
no recount. ``ix_entries_publisher_modified`` serves a publisher's list in its
order (newest change first) without sorting all of the publisher's entries.

Revision ID: 0005_read_path
Revises: 0004_federated_people
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_read_path"
down_revision = "0004_federated_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalogue_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_version")),
    )
    op.execute("INSERT INTO catalogue_version (id, version) VALUES (1, 1)")
    op.create_index("ix_entries_publisher_modified", "entries", ["publisher", "type", "modified"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION tillit_catalogue_changed() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN UPDATE catalogue_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER entries_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON entries "
            "FOR EACH STATEMENT EXECUTE FUNCTION tillit_catalogue_changed()"
        )
    else:
        for verb in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER entries_changed_{verb.lower()} AFTER {verb} ON entries "  # noqa: S608
                "BEGIN UPDATE catalogue_version SET version = version + 1 WHERE id = 1; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS entries_changed ON entries")
        op.execute("DROP FUNCTION IF EXISTS tillit_catalogue_changed()")
    else:
        for verb in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS entries_changed_{verb}")
    op.drop_index("ix_entries_publisher_modified", table_name="entries")
    op.drop_table("catalogue_version")
