"""The audit chain kept from forking by its primary key alone

``audit_events`` loses its unique constraints on ``hash`` and ``prev_hash``. Each cost a
write to a random page of its index for every event (hashes are random), and together they
were half of the time a group of read events took to commit (issue 20: the audited list;
docs/reviews-and-audit.md, "Why the chain needs no unique hashes"). They guarded nothing the
primary key does not: every append reads the chain's head under the chain's lock and writes
``seq = head.seq + 1`` with ``prev_hash = head.hash``, so two appends on one predecessor
collide on ``seq``; and ``tillit audit verify`` checks every link whatever wrote it.

On SQLite the table is copied (a constraint cannot be dropped in place: 2.8 s for 100,000
events on the shared development machine at load 20); its append-only triggers are made
again on the copy.

Revision ID: 0014_audit_chain_keys
Revises: 0013_openapi_url
"""

from __future__ import annotations

from alembic import op

revision = "0014_audit_chain_keys"
down_revision = "0013_openapi_url"
branch_labels = None
depends_on = None

_CONSTRAINTS = (("uq_audit_events_hash", "hash"), ("uq_audit_events_prev_hash", "prev_hash"))


def _sqlite_triggers(create: bool) -> None:
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_{verb.lower()}")
        if create:
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _column in _CONSTRAINTS:
            op.drop_constraint(name, "audit_events", type_="unique")
        return
    with op.batch_alter_table("audit_events", recreate="always") as batch:
        for name, _column in _CONSTRAINTS:
            batch.drop_constraint(name, type_="unique")
    _sqlite_triggers(create=True)  # the copy has none


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, column in _CONSTRAINTS:
            op.create_unique_constraint(name, "audit_events", [column])
        return
    with op.batch_alter_table("audit_events", recreate="always") as batch:
        for name, column in _CONSTRAINTS:
            batch.create_unique_constraint(name, [column])
    _sqlite_triggers(create=True)
