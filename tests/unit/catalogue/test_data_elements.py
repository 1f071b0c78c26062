"""DataElementService on SQLite: the vocabulary migration 0008 seeds, tags kept in
step with their rows, the rules of a tag, and holders within the caller's clearance."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from catalogue.compose import entry_service
from catalogue.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from catalogue.models import AuditEvent, EntryDataElement
from catalogue.schemas import DatasetCreateSchema, DatasetUpdateSchema
from catalogue.services.data_elements import DataElementService
from catalogue.services.reviews import ReviewService
from security.identity import anonymous_identity, build_identity, system_identity
from security.levels import DEFAULT_SCHEME
from tests.factories import dataset_payload
from tests.unit.catalogue.callers import ADMIN, OTHER_OFFICER, person
from tests.unit.catalogue.conftest import AGENCY

SYSTEM = system_identity(DEFAULT_SCHEME)
OWNER = build_identity(
    DEFAULT_SCHEME,
    kind="client",
    subject="owner-client",
    client_id="owner-client",
    agency=AGENCY,
    scopes=["catalogue:read:internal", "catalogue:write"],
)
ANONYMOUS = anonymous_identity(DEFAULT_SCHEME)
INTERNAL_READER = person("reader-1", None, "catalogue:read:internal")
TWELVE = {
    "personal-identity-number",
    "coordination-number",
    "d-number",
    "name",
    "postal-address",
    "civil-status",
    "income",
    "tax-assessment",
    "employment",
    "property-unit",
    "organisation-number",
    "vehicle-registration",
}


@pytest.fixture
def session(sessions):
    with sessions() as session:
        yield session


@pytest.fixture
def elements(session) -> DataElementService:
    return DataElementService(entry_service(session, DEFAULT_SCHEME))


def publish(elements: DataElementService, classification: str, listing: str | None = None, **tags) -> str:
    """A published dataset of AGENCY with these tags (submitted and approved by two system subjects)."""
    payload = dataset_payload(AGENCY, classification, listing_level=listing, **tags)
    view = elements.entries.create(SYSTEM, "dataset", DatasetCreateSchema().load(payload))
    reviews = ReviewService(elements.entries)
    submitted = reviews.submit(SYSTEM, view.entry.id)
    officer = replace(SYSTEM, subject="system:second")
    reviews.decide(officer, str(submitted.pending_review), decision="approve", rationale="Checked.")
    return view.entry.id


def test_the_migration_seeds_the_twelve_elements_with_labels_and_uris(elements):
    found = {e.key: e for e in elements.list_elements(ANONYMOUS)}
    assert set(found) == TWELVE
    for element in found.values():
        assert {"sv", "nb", "en"} <= set(element.labels) and all(element.labels.values())
        assert element.uri.startswith(("http://", "https://", "urn:tillit:data-element:"))
        assert element.vocabulary
    # SEMIC where a concept fits, a Tillit URN elsewhere.
    assert found["name"].uri == "http://xmlns.com/foaf/0.1/name"
    assert found["organisation-number"].uri == "http://www.w3.org/ns/legal#legalIdentifier"
    assert found["civil-status"].uri == "urn:tillit:data-element:civil-status"
    assert len({e.uri for e in found.values()}) == 12


def test_tags_are_mirrored_as_rows_and_follow_every_change(session, elements):
    payload = dataset_payload(AGENCY, data_elements=["name", "postal-address"], authoritative_for=["name"])
    entry_id = elements.entries.create(OWNER, "dataset", DatasetCreateSchema().load(payload)).entry.id

    def rows():
        return {
            (r.element, r.authoritative)
            for r in session.scalars(select(EntryDataElement).where(EntryDataElement.entry_id == entry_id))
        }

    assert rows() == {("name", True), ("postal-address", False)}
    change = DatasetUpdateSchema(partial=True).load({"data_elements": ["name", "income"]})
    view = elements.entries.update(OWNER, entry_id, change, "*")
    assert view.document["data_elements"] == ["name", "income"]
    assert rows() == {("name", True), ("income", False)}


def test_unknown_elements_and_authority_over_an_element_not_held_are_refused(elements):
    for tags, field in [
        ({"data_elements": ["name", "shoe-size"]}, "data_elements"),
        ({"data_elements": ["name"], "authoritative_for": ["income"]}, "authoritative_for"),
    ]:
        payload = DatasetCreateSchema().load(dataset_payload(AGENCY, **tags))
        with pytest.raises(ValidationFailed) as refused:
            elements.entries.create(OWNER, "dataset", payload)
        assert list(refused.value.errors) == [field]


def test_tags_are_not_reviewed_but_an_authoritative_claim_is(session, elements):
    entry_id = publish(elements, "internal", data_elements=["name"])
    retag = DatasetUpdateSchema(partial=True).load({"data_elements": ["name", "income"]})
    applied = elements.entries.update(OWNER, entry_id, retag, "*")
    assert applied.pending_review is None and applied.document["data_elements"] == ["name", "income"]

    claim = DatasetUpdateSchema(partial=True).load({"authoritative_for": ["income"]})
    waiting = elements.entries.update(OWNER, entry_id, claim, "*")
    assert waiting.pending_review is not None
    assert elements.holders(SYSTEM, "income").items[0].authoritative is False
    ReviewService(elements.entries).decide(
        OTHER_OFFICER, waiting.pending_review, decision="approve", rationale="The base register."
    )
    assert elements.holders(SYSTEM, "income").items[0].authoritative is True


def test_holders_come_authoritative_first_within_the_callers_clearance(elements):
    copy = publish(elements, "public", data_elements=["postal-address"])
    source = publish(
        elements, "public", data_elements=["postal-address"], authoritative_for=["postal-address"]
    )
    redacted = publish(elements, "sensitive", "internal", data_elements=["postal-address"])
    hidden = publish(elements, "sensitive", data_elements=["postal-address"])

    public = elements.holders(ANONYMOUS, "postal-address")
    assert [h.view.entry.id for h in public.items] == [source, copy] and public.total == 2
    assert public.items[0].authoritative and not public.items[1].authoritative

    internal = elements.holders(INTERNAL_READER, "postal-address")
    assert internal.total == 3 and hidden not in {h.view.entry.id for h in internal.items}
    shown = {h.view.entry.id: h for h in internal.items}
    # Disclosure bases only where the whole entry may be read; a summary shows none.
    assert shown[redacted].view.full is False and shown[redacted].disclosure_bases is None
    assert shown[copy].disclosure_bases == []
    # The sharing status as the entry's full view shows it; a summary hides it with the legal bases.
    assert shown[copy].sharing_status == shown[source].sharing_status == "open"
    assert shown[redacted].sharing_status is None

    paged = elements.holders(INTERNAL_READER, "postal-address", page=2, per_page=2)
    assert paged.total == 3 and len(paged.items) == 1


def test_disclosure_bases_are_the_legal_bases_of_that_role(elements):
    disclosure = {
        "role": "disclosure",
        "jurisdiction": "SE",
        "reference": "2009:400",
        "provision": "10 kap. 28 §",
    }
    restriction = {
        "role": "restriction",
        "jurisdiction": "SE",
        "reference": "2009:400",
        "provision": "27 kap. 1 §",
    }
    entry_id = publish(elements, "internal", data_elements=["income"], legal_basis=[restriction, disclosure])
    (holder,) = elements.holders(INTERNAL_READER, "income").items
    assert holder.view.entry.id == entry_id
    assert [(b["role"], b["provision"]) for b in holder.disclosure_bases or []] == [
        ("disclosure", "10 kap. 28 §")
    ]


def test_an_unknown_element_is_not_found(elements):
    with pytest.raises(NotFound):
        elements.holders(ANONYMOUS, "shoe-size")
    with pytest.raises(NotFound):
        elements.get(ANONYMOUS, "shoe-size")


def test_only_administrators_extend_the_vocabulary_and_it_is_audited(session, elements):
    new = {
        "key": "driving-licence",
        "uri": "urn:tillit:data-element:driving-licence",
        "vocabulary": "Tillit (proposed URN)",
        "labels": {"sv": "körkort", "nb": "førerkort", "en": "driving licence"},
    }
    with pytest.raises(PermissionDenied):
        elements.add(OWNER, new)
    added = elements.add(ADMIN, new)
    assert (
        added.key == "driving-licence"
        and elements.get(ANONYMOUS, "driving-licence").labels["nb"] == "førerkort"
    )
    with pytest.raises(Conflict):
        elements.add(ADMIN, {**new, "key": "another-key"})  # the same URI
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "data_element.add")).all()
    assert [e.details["key"] for e in events] == ["driving-licence"]
