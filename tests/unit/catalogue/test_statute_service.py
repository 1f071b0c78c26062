"""StatuteService on SQLite, called with identities: the register is public to read,
changed by administrators only, and a change reindexes the entries citing the statute."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from catalogue.compose import entry_service, statute_service
from catalogue.errors import Conflict, NotFound, PermissionDenied, PreconditionRequired, ValidationFailed
from catalogue.machinery.audit.chain import verify_chain
from catalogue.models import AuditEvent, OutboxEvent
from catalogue.schemas import DatasetCreateSchema
from catalogue.services.statutes import StatuteService, statute_etag
from security.identity import anonymous_identity, system_identity
from security.levels import DEFAULT_SCHEME
from tests.factories import dataset_payload
from tests.unit.catalogue.callers import ADMIN
from tests.unit.catalogue.conftest import AGENCY
from tests.unit.catalogue.test_reviews import OWNER

ANONYMOUS = anonymous_identity(DEFAULT_SCHEME)
SYSTEM = system_identity(DEFAULT_SCHEME)


class Nudges:
    """An indexer port that records its nudges (the outbox rows are the record)."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def changed(self, entry_ids):
        self.ids += entry_ids


@pytest.fixture
def session(sessions):
    with sessions() as session:
        yield session


@pytest.fixture
def nudges() -> Nudges:
    return Nudges()


@pytest.fixture
def statutes(session, nudges) -> StatuteService:
    return statute_service(session, nudges)


def citing_osl(session) -> str:
    """A draft citing 2009:400 (the factory's OSL_TAX), its outbox drained."""
    data = DatasetCreateSchema().load(dataset_payload(AGENCY, "internal"))
    entry_id = entry_service(session, DEFAULT_SCHEME).create(OWNER, "dataset", data).entry.id
    session.execute(delete(OutboxEvent))
    session.commit()
    return entry_id


def test_the_migration_seeded_the_register_and_anyone_reads_it(statutes):
    page = statutes.list_statutes(ANONYMOUS, jurisdiction="NO", per_page=100)
    assert page.total >= 13 and {s.jurisdiction for s in page.items} == {"NO"}
    osl = statutes.get(ANONYMOUS, "SE", " SFS 2009:400 ")
    assert osl.names["sv"] == "Offentlighets- och sekretesslag (2009:400)"


def test_an_unknown_reference_is_not_found_and_a_malformed_one_is_invalid(statutes):
    with pytest.raises(NotFound):
        statutes.get(ANONYMOUS, "SE", "1999:1")
    with pytest.raises(ValidationFailed) as caught:
        statutes.get(ANONYMOUS, "SE", "LOV-2016-05-27-14")
    assert "reference" in caught.value.errors
    with pytest.raises(ValidationFailed):
        statutes.get(ANONYMOUS, "DE", "1")


def test_labels_name_known_statutes_in_the_readers_language_and_skip_unknown_ones(statutes):
    labels = statutes.labels(ANONYMOUS, [("SE", "2009:400"), ("SE", "1999:1"), ("SE", "2009:400")], "en")
    assert set(labels) == {("SE", "2009:400")}
    assert labels[("SE", "2009:400")].name == "Public Access to Information and Secrecy Act"
    assert labels[("SE", "2009:400")].short_name == "OSL"
    assert statutes.labels(ANONYMOUS, [], "sv") == {}


def test_only_an_administrator_changes_the_register(statutes):
    data = {"jurisdiction": "SE", "reference": "1999:1", "names": {"sv": "Lag"}}
    with pytest.raises(PermissionDenied):
        statutes.create(OWNER, data)
    with pytest.raises(PermissionDenied):
        statutes.replace(ANONYMOUS, "SE", "2009:400", {"names": {"sv": "X"}}, "*")
    with pytest.raises(PermissionDenied):
        statutes.load(OWNER, [])
    added = statutes.create(ADMIN, data)
    assert added.url == "https://rkrattsbaser.gov.se/sfst?bet=1999:1"
    with pytest.raises(Conflict):
        statutes.create(ADMIN, data)


def test_a_change_to_a_cited_statute_reindexes_the_entries_citing_it(session, statutes, nudges):
    entry_id = citing_osl(session)
    osl = statutes.get(ANONYMOUS, "SE", "2009:400")
    with pytest.raises(PreconditionRequired):
        statutes.replace(ADMIN, "SE", "2009:400", {"names": osl.names}, None)
    names = {**osl.names, "nb": "Offentlighets- og sekretessloven (svensk)"}
    statutes.replace(
        ADMIN, "SE", "2009:400", {"names": names, "short_names": {"sv": ["OSL"]}}, statute_etag(osl)
    )
    assert session.scalars(select(OutboxEvent.entry_id)).all() == [entry_id]
    assert nudges.ids == [entry_id]
    assert statutes.get(ANONYMOUS, "SE", "2009:400").revision == 2
    # A statute nobody cites reindexes nothing.
    statutes.create(ADMIN, {"jurisdiction": "SE", "reference": "1999:1", "names": {"sv": "Lag"}})
    assert nudges.ids == [entry_id]


def test_load_adds_what_is_missing_and_replaces_only_when_asked(session, statutes):
    citing_osl(session)
    record = {"jurisdiction": "SE", "reference": "2009:400", "names": {"sv": "Ändrad"}, "source": "test"}
    new = {"jurisdiction": "SE", "reference": "sfs 1999:1", "names": {"sv": "Lag (1999:1)"}}
    assert statutes.load(SYSTEM, [record, new]) == (1, 0)
    assert statutes.get(ANONYMOUS, "SE", "2009:400").names["sv"] != "Ändrad"
    assert session.scalars(select(OutboxEvent)).all() == []
    assert statutes.load(SYSTEM, [record, new], replace=True) == (0, 1)
    assert statutes.get(ANONYMOUS, "SE", "2009:400").names == {"sv": "Ändrad"}
    assert len(session.scalars(select(OutboxEvent)).all()) == 1
    with pytest.raises(ValidationFailed) as caught:
        statutes.load(SYSTEM, [{"jurisdiction": "SE", "reference": "nope", "names": {"sv": "X"}}])
    assert "statute 1" in caught.value.errors["records"][0]


def test_every_register_change_is_in_the_audit_chain(session, statutes):
    # An administrative change every agency relies on, like the data-element vocabulary's.
    data = {"jurisdiction": "SE", "reference": "1999:1", "names": {"sv": "Lag (1999:1)"}}
    added = statutes.create(ADMIN, data)
    statutes.replace(ADMIN, "SE", "1999:1", {"names": {"sv": "Lag"}}, statute_etag(added))
    record = {"jurisdiction": "SE", "reference": "2009:400", "names": {"sv": "Ändrad"}, "source": "test"}
    new = {"jurisdiction": "SE", "reference": "1999:2", "names": {"sv": "Lag (1999:2)"}}
    statutes.load(SYSTEM, [record, new], replace=True)
    statutes.load(SYSTEM, [record, new], replace=True)  # nothing changes: nothing recorded
    events = session.execute(
        select(AuditEvent.action, AuditEvent.actor, AuditEvent.details)
        .where(AuditEvent.action.like("statute.%"))
        .order_by(AuditEvent.seq)
    ).all()
    assert [(action, details) for action, _actor, details in events] == [
        ("statute.add", {"jurisdiction": "SE", "reference": "1999:1"}),
        ("statute.replace", {"jurisdiction": "SE", "reference": "1999:1"}),
        ("statute.replace", {"jurisdiction": "SE", "reference": "2009:400"}),
        ("statute.add", {"jurisdiction": "SE", "reference": "1999:2"}),
    ]
    assert events[0].actor == ADMIN.subject
    assert verify_chain(session, None).ok
