"""The bulk verbs against the single ones on PostgreSQL: ``create_many`` and
``submit_many`` write their groups by Core inserts (``catalogue.new_rows``), which on
PostgreSQL go through psycopg's executemany; every table, audit events and outbox rows
included, holds what ``create`` and ``submit`` one by one leave (the comparison of
tests/unit/catalogue/test_bulk_writes.py, on the other engine)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from catalogue.db import make_engine, make_session_factory
from catalogue.schemas import ApiCreateSchema
from catalogue.services.agencies import AgencyService
from security.identity import system_identity
from security.levels import DEFAULT_SCHEME
from tests.factories import api_payload
from tests.pgserver import Databases
from tests.unit.catalogue.conftest import AGENCY, add_lantmateriet
from tests.unit.catalogue.test_bulk_writes import _datasets, _one_by_one, _snapshot, _together


@pytest.fixture
def two_databases(postgres_databases: Databases) -> Iterator[list[sessionmaker[Session]]]:
    names = [postgres_databases.create() for _ in range(2)]
    engines: list[Engine] = []
    factories = []
    for name in names:
        engine = make_engine(postgres_databases.url(name))
        engines.append(engine)
        factory = make_session_factory(engine)
        with factory() as session:
            AgencyService(session, DEFAULT_SCHEME).create(
                system_identity(DEFAULT_SCHEME),
                {"orgnr": AGENCY, "country": "SE", "name": {"sv": "Skatteverket"}, "clearance": "internal"},
            )
            add_lantmateriet(session)
        factories.append(factory)
    try:
        yield factories
    finally:
        for engine in engines:
            engine.dispose()
        for name in names:
            postgres_databases.drop(name)


def test_the_same_rows_on_postgresql(two_databases: list[sessionmaker[Session]]) -> None:
    results = []
    for factory, write in zip(two_databases, (_one_by_one, _together), strict=True):
        with factory() as session:
            datasets = write(session, "dataset", _datasets())
            written = [d for d in datasets if isinstance(d, str)]
            apis = [
                ApiCreateSchema().load(
                    api_payload(AGENCY, "public", title={"sv": "API"}, serves_datasets=written[:2])
                )
            ]
            answers = write(session, "api", apis)
            results.append((datasets, _snapshot(session, datasets + answers)))
    (single, expected), (bulk, got) = results
    assert [isinstance(a, str) for a in single] == [isinstance(a, str) for a in bulk]
    assert [a for a in single if not isinstance(a, str)] == [a for a in bulk if not isinstance(a, str)]
    assert len(got["legal_bases"]) > 0 and len(got["served_datasets"]) == 2
    for table in expected:
        assert got[table] == expected[table], table
