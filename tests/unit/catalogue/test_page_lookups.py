"""The two lookups a search makes for its page on SQLite, each one statement compiled once
(``Prepared``, the keys as one JSON array): the heads of the hits (the re-check) and the
names of the publisher facet's agencies. Same answers as the plain queries they replace."""

from __future__ import annotations

from sqlalchemy import select

from catalogue.compose import entry_service
from catalogue.models import Entry
from catalogue.services.agencies import AgencyService
from catalogue.visibility import HEAD_COLUMNS, head_of, heads_by_ids
from security.identity import anonymous_identity, system_identity
from security.levels import DEFAULT_SCHEME
from tests.factories import dataset_payload
from tests.unit.catalogue.conftest import AGENCY, LANTMATERIET, add_lantmateriet

SYSTEM = system_identity(DEFAULT_SCHEME)
ANONYMOUS = anonymous_identity(DEFAULT_SCHEME)


def test_heads_by_ids_answers_the_known_ids_once_each_outside_or_inside_a_transaction(session):
    created = [
        entry_service(session, DEFAULT_SCHEME).create(
            SYSTEM, "dataset", dataset_payload(title={"sv": f"Data {i}"})
        )
        for i in range(3)
    ]
    ids = [view.entry.id for view in created]
    expected = {row[0]: head_of(row) for row in session.execute(select(*HEAD_COLUMNS))}
    session.rollback()  # no transaction: read as a statement of its own
    asked = [ids[2], "00000000-0000-4000-8000-000000000000", ids[0], ids[0]]
    found = heads_by_ids(session, asked)
    assert sorted(found, key=by_id) == sorted([expected[ids[0]], expected[ids[2]]], key=by_id)
    assert heads_by_ids(session, []) == []
    session.execute(select(Entry.id).limit(1))  # inside the session's transaction: joins it
    assert {h.id for h in heads_by_ids(session, ids)} == set(ids)


def by_id(head):
    return head.id


def test_agency_labels_name_the_known_agencies_in_the_readers_language(session):
    add_lantmateriet(session)
    labels = AgencyService(session, DEFAULT_SCHEME).labels(
        ANONYMOUS, [LANTMATERIET, "202100-0000", AGENCY, AGENCY], "en"
    )
    assert set(labels) == {AGENCY, LANTMATERIET}
    assert (labels[AGENCY].name, labels[AGENCY].lang) == ("Skatteverket", "sv")  # the nearest it has
    assert labels[LANTMATERIET].name == "Lantmäteriet"
    assert AgencyService(session, DEFAULT_SCHEME).labels(ANONYMOUS, [], "sv") == {}
