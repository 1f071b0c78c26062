"""The drain folds an entry's later outbox rows into the batch that indexes it: the entry
is indexed once, from its current row, and all its rows are drained (search/indexer.py,
``_later_rows``). A harvest writes two rows an entry (created, then submitted)."""

from __future__ import annotations

from sqlalchemy import func, select

from catalogue.compose import entry_service
from catalogue.models import OutboxEvent
from catalogue.schemas import DatasetCreateSchema, DatasetUpdateSchema
from dcat.harvest.running import DeferredIndexer
from search.indexer import OutboxIndexer
from security.identity import system_identity
from tests.conftest import SKATTEVERKET


def _dataset(title: str) -> dict[str, object]:
    return {
        "publisher": SKATTEVERKET,
        "title": {"sv": title},
        "description": {"sv": f"Om {title}"},
        "classification": "public",
        "legal_basis": [],
    }


def test_an_entrys_later_rows_are_drained_with_its_first(app):
    ext = app.extensions["tillit"]
    system = system_identity(ext.scheme)
    held = DeferredIndexer(ext.indexer)  # the rows stay in the outbox until drained below
    with ext.sessions() as session:
        service = entry_service(session, ext.scheme, held, ext.anchor)
        a, b = (
            service.create(system, "dataset", DatasetCreateSchema().load(_dataset(title))).entry.id
            for title in ("Alfaregistret", "Betaregistret")
        )
        change = DatasetUpdateSchema(partial=True).load({"title": {"sv": "Gammaregistret"}})
        service.update(system, a, change, "*", "dataset")
    with ext.sessions() as session:
        rows = session.execute(select(OutboxEvent.entry_id).order_by(OutboxEvent.id)).scalars().all()
    assert rows == [a, b, a]
    indexer = ext.indexer
    assert isinstance(indexer, OutboxIndexer)
    one_at_a_time = OutboxIndexer(ext.sessions, indexer.backend, ext.scheme.lowest, batch_size=1)
    commits = indexer.backend.commits.read() >> 16
    assert one_at_a_time.drain() == len(rows)
    # Batches of one row: a's first row took its later one along (one index commit), then
    # b's; not three commits, and a indexed once, as it is now.
    assert (indexer.backend.commits.read() >> 16) - commits == 2
    with ext.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 0
    revisions = indexer.backend.revisions()
    assert revisions[a] == 2 and revisions[b] == 1
