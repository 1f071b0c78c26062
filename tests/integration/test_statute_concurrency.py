"""A statute-register change and a concurrent entry write citing the statute (PostgreSQL).

docs/statutes.md: a register change moves on the revision of every entry citing the
changed statute, so that no rendering or search document keeps the old names. On
PostgreSQL each statement reads its own snapshot: a register change that looked for
citing entries while a citing entry's write was still uncommitted would miss it. The
entry write holds the statute's row FOR SHARE and the register write takes it FOR
UPDATE, so the register change waits for the entry's commit and then finds it.

The interleaving is forced, not hoped for: a third connection holds the audit chain's
advisory lock, so the entry write stops at its audit event, after its legal basis is
written and before it commits. The register change then starts; the test waits until
it has either finished or is itself waiting for a lock (read from ``pg_locks``, no
sleeping assertions), and only then lets the entry write go on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, text

from catalogue.compose import entry_service, statute_service
from catalogue.machinery.audit.chain import ADVISORY_LOCK_KEY
from catalogue.models import Entry
from catalogue.schemas import DatasetCreateSchema
from security.identity import system_identity
from tests.factories import dataset_payload

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

#: A guard against a hang, not an assertion about time.
GIVE_UP_AFTER = 60.0


class Worker(threading.Thread):
    """Runs ``work`` once; keeps its result or its error."""

    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.work = work
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.work()
        except BaseException as exc:  # handed to the test thread
            self.error = exc


def _waiting_for_locks(engine) -> int:
    with engine.connect() as watcher:
        return int(watcher.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one())


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GIVE_UP_AFTER
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting until {what}")
        time.sleep(0.02)


def test_a_register_change_waits_for_an_uncommitted_entry_citing_the_statute(app):
    ext = app.extensions["tillit"]
    system = system_identity(ext.scheme)
    data = DatasetCreateSchema().load(dataset_payload("202100-5448", "internal"))  # cites SFS 2009:400

    def write_entry() -> tuple[str, int]:
        with ext.sessions() as session:
            view = entry_service(session, ext.scheme, ext.indexer, ext.anchor).create(system, "dataset", data)
            return view.entry.id, view.entry.revision

    def change_register() -> None:
        with ext.sessions() as session:
            service = statute_service(session, ext.indexer, ext.anchor)
            osl = service.get(system, "SE", "2009:400")
            names = {**osl.names, "en": "Public Access to Information and Secrecy Act (renamed)"}
            service.replace(system, "SE", "2009:400", {"names": names}, "*")

    holder = ext.engine.connect()
    held = holder.begin()
    holder.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
    try:
        entry = Worker(write_entry)
        entry.start()
        # The entry write has written its legal basis and waits at its audit event.
        _until(lambda: _waiting_for_locks(ext.engine) >= 1, "the entry write waits for the audit chain")
        register = Worker(change_register)
        register.start()
        # Either it finished without waiting (the entry's basis was not yet visible to
        # it), or it waits for a lock: on the statute's row, or on the audit chain.
        _until(
            lambda: not register.is_alive() or _waiting_for_locks(ext.engine) >= 2,
            "the register change finished or waits",
        )
    finally:
        held.commit()
        holder.close()
    entry.join(GIVE_UP_AFTER)
    register.join(GIVE_UP_AFTER)
    assert entry.error is None and register.error is None, (entry.error, register.error)
    entry_id, revision = entry.result
    with ext.sessions() as session:
        now = session.scalar(select(Entry.revision).where(Entry.id == entry_id))
    # The register change found the entry citing the statute and moved it on.
    assert now == revision + 1
