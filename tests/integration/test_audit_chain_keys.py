"""Migration 0014: the audit chain without unique indexes on its hashes (they cost half of
a group commit of read events). The chain still cannot fork, stays append-only, and its
events survive the migration both ways, on SQLite (a copied table) and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, delete, insert, select, text, update
from sqlalchemy.exc import DatabaseError, IntegrityError

from catalogue.db import begin_write, make_engine, make_session_factory
from catalogue.machinery.audit.chain import AuditedRef, Record, verify_chain, write_records
from catalogue.migrate import alembic_config
from catalogue.models import AuditEvent
from security.identity import Identity

pytestmark = pytest.mark.both_databases

READER = Identity(
    kind="client",
    subject="client:reader",
    agency="974761076",
    scopes=frozenset(),
    clearance="sensitive",
    readable_levels=frozenset(),
    client_id="reader",
    address="127.0.0.1",
)


MIGRATION = "0014_audit_chain_keys"


def _before(engine: Engine) -> str:
    """The revision before this migration (whatever it is chained to)."""
    down = ScriptDirectory.from_config(alembic_config(engine)).get_revision(MIGRATION).down_revision
    assert isinstance(down, str)
    return down


def _migrate(engine: Engine, how: str, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, how)(config, revision)


def _reads(engine: Engine, count: int) -> None:
    sessions = make_session_factory(engine)
    for n in range(count):
        entries = [(AuditedRef(f"00000000-0000-4000-8000-{n:012d}", "202100-5448", "sensitive"), None)]
        write_records(sessions, [Record(READER, "entry.read", entries * (n % 3 + 1))])


def _verified(engine: Engine) -> int:
    with make_session_factory(engine)() as session:
        verdict = verify_chain(session)
    assert verdict.ok, verdict.reason
    return verdict.checked


@pytest.fixture
def engine(database_url: str):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_events_survive_the_migration_both_ways_and_stay_append_only(engine):
    _migrate(engine, "downgrade", _before(engine))
    _reads(engine, 5)
    _migrate(engine, "upgrade", "head")
    _reads(engine, 5)
    assert _verified(engine) == 18
    for change in (update(AuditEvent).values(actor="someone else"), delete(AuditEvent)):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(change)
    _migrate(engine, "downgrade", _before(engine))
    assert _verified(engine) == 18
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(delete(AuditEvent))
    _migrate(engine, "upgrade", "head")


def test_two_appends_on_one_predecessor_collide(engine):
    """What the unique prev_hash did, the primary key does: an append on a head that
    another append has already followed writes the same seq, and is refused."""
    _reads(engine, 2)
    sessions = make_session_factory(engine)
    with sessions() as session:
        newest = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
        rival: dict[str, Any] = {c.name: getattr(newest, c.name) for c in AuditEvent.__table__.columns} | {
            "actor": "client:rival",
            "hash": "f" * 64,
        }
    with pytest.raises(IntegrityError), sessions() as session:
        begin_write(session)
        session.execute(insert(AuditEvent), [rival])
        session.commit()
    assert _verified(engine) == 3
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 3
