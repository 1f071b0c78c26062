"""PeopleService on SQLite: names beside ids resolved for a whole page in one query,
and who may look up whose people."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from authserver.services.clients import ClientService
from authserver.services.people import ActorLabel, PeopleService
from authserver.services.users import UserService
from catalogue.errors import NotFound, PermissionDenied
from catalogue.services.agencies import agency_label
from security.identity import anonymous_identity, system_identity
from security.levels import DEFAULT_SCHEME
from tests.unit.catalogue.callers import ADMIN, FOREIGN_OFFICER, OTHER_OFFICER, person
from tests.unit.catalogue.conftest import AGENCY, LANTMATERIET

pytestmark = pytest.mark.usefixtures("lantmateriet")

SYSTEM = system_identity(DEFAULT_SCHEME)
AUDITOR = person("auditor-1", LANTMATERIET, "catalogue:read:internal", "catalogue:audit")
READER = person("reader-1", AGENCY, "catalogue:read:internal")
WRITER_CLIENT = person("writer-1", AGENCY, "catalogue:read:internal", "catalogue:write")


def add_person(session, username: str, agency: str = AGENCY, name: str = "Anna Berg") -> str:
    return (
        UserService(session, DEFAULT_SCHEME)
        .create(
            SYSTEM,
            username=username,
            agency=agency,
            name=name,
            roles=["data_owner"],
            password="correct horse battery staple",
        )
        .id
    )


@pytest.fixture
def people(session) -> PeopleService:
    return PeopleService(session)


def count_queries(session) -> list[str]:
    seen: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_a_page_of_ids_is_named_in_one_query(session, people):
    anna = add_person(session, "anna", name="Anna Berg")
    olof = add_person(session, "olof", LANTMATERIET, name="Olof Ek")
    client = ClientService(session, DEFAULT_SCHEME).create(
        SYSTEM, agency=AGENCY, name="Skattekollen", scopes=["catalogue:read:public"]
    )
    client_id = client.client.client_id
    queries = count_queries(session)

    labels = people.labels(AUDITOR, [anna, olof, anna, "anonymous"], [client_id], "en")

    assert len(queries) == 1
    assert labels == {
        anna: ActorLabel("person", "Anna Berg", AGENCY, "Skatteverket", "sv"),
        olof: ActorLabel("person", "Olof Ek", LANTMATERIET, "Lantmäteriet", "sv"),
        client_id: ActorLabel("client", "Skattekollen", AGENCY, "Skatteverket", "sv"),
    }


def test_only_ids_of_people_and_the_clients_asked_for_are_named(session, people):
    add_person(session, "anna")
    client = ClientService(session, DEFAULT_SCHEME).create(
        SYSTEM, agency=AGENCY, name="App", scopes=["catalogue:read:public"]
    )
    # A typed login name, or a client id passed as a person's, names nobody.
    assert people.labels(AUDITOR, ["anna", client.client.client_id], [], None) == {}


def test_a_caller_who_is_shown_no_records_is_told_no_names(session, people):
    anna = add_person(session, "anna")
    assert people.labels(READER, [anna], [], None) == {}
    assert people.labels(anonymous_identity(DEFAULT_SCHEME), [anna], [], None) == {}
    assert people.labels(WRITER_CLIENT, [anna], [], None)[anna].name == "Anna Berg"


def test_an_agency_is_named_in_the_readers_language_or_the_nearest():
    names = {"nb": "Skatteetaten", "en": "Norwegian Tax Administration"}
    assert agency_label("974761076", "NO", names, "en").name == "Norwegian Tax Administration"
    assert agency_label("974761076", "NO", names, "nn").name == "Skatteetaten"  # the sibling
    assert agency_label("974761076", "NO", names, "sv").lang == "nb"  # the country's own
    assert agency_label("974761076", "NO", {}, "sv") is None


def test_officers_see_their_own_agencys_people_and_admins_anyones(session, people):
    anna = add_person(session, "anna")
    olof = add_person(session, "olof", LANTMATERIET)
    assert [u.id for u in people.list_people(OTHER_OFFICER).items] == [anna]
    assert {u.id for u in people.list_people(ADMIN).items} == {anna, olof}
    assert [u.id for u in people.list_people(ADMIN, agency=LANTMATERIET).items] == [olof]
    with pytest.raises(PermissionDenied):
        people.list_people(OTHER_OFFICER, agency=LANTMATERIET)
    with pytest.raises(PermissionDenied):
        people.list_people(AUDITOR)
    assert people.get_person(FOREIGN_OFFICER, olof).id == olof


def test_another_agencys_person_is_the_same_404_as_nobody(session, people):
    olof = add_person(session, "olof", LANTMATERIET)
    with pytest.raises(NotFound) as hidden:
        people.get_person(OTHER_OFFICER, olof)
    with pytest.raises(NotFound) as missing:
        people.get_person(OTHER_OFFICER, "00000000-0000-4000-8000-000000000000")
    with pytest.raises(NotFound) as malformed:
        people.get_person(OTHER_OFFICER, "not-an-id")
    assert str(hidden.value) == str(missing.value) == str(malformed.value)
    with pytest.raises(PermissionDenied):
        people.get_person(READER, olof)
