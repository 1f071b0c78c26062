"""AgencyService on SQLite, called with identities: agencies are public facts that only
administrators change, and every change names the revision it was made against."""

from __future__ import annotations

import pytest

from catalogue.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from catalogue.models import Agency
from catalogue.services.agencies import AgencyService, agency_etag
from catalogue.services.common import MAX_PER_PAGE
from security.identity import anonymous_identity
from security.levels import DEFAULT_SCHEME
from tests.unit.catalogue.callers import ADMIN, LANTMATERIET
from tests.unit.catalogue.conftest import AGENCY
from tests.unit.catalogue.test_reviews import OWNER

ANONYMOUS = anonymous_identity(DEFAULT_SCHEME)


def lantmateriet(**overrides: object) -> dict[str, object]:
    return {"orgnr": LANTMATERIET, "country": "SE", "name": {"sv": "Lantmäteriet"}, **overrides}


@pytest.fixture
def agencies(session) -> AgencyService:
    return AgencyService(session, DEFAULT_SCHEME)


def test_anyone_reads_an_agency_and_an_unknown_number_is_not_found(agencies):
    assert agencies.get(ANONYMOUS, AGENCY).name == {"sv": "Skatteverket"}
    with pytest.raises(NotFound):
        agencies.get(ANONYMOUS, LANTMATERIET)


def test_only_an_administrator_registers_an_agency(session, agencies):
    with pytest.raises(PermissionDenied):
        agencies.create(OWNER, lantmateriet())
    session.rollback()
    assert session.get(Agency, LANTMATERIET) is None

    created = agencies.create(ADMIN, lantmateriet())
    assert created.orgnr == LANTMATERIET
    assert created.clearance == DEFAULT_SCHEME.lowest  # no clearance given: the lowest level
    assert not created.retired


def test_a_number_is_registered_once(agencies):
    agencies.create(ADMIN, lantmateriet())
    with pytest.raises(Conflict):
        agencies.create(ADMIN, lantmateriet(name={"sv": "Another"}))


@pytest.mark.parametrize("clearance", ["restricted", "unknown"])
def test_a_clearance_must_be_a_level_in_force(session, agencies, clearance):
    with pytest.raises(ValidationFailed) as refused:
        agencies.create(ADMIN, lantmateriet(clearance=clearance))
    assert set(refused.value.errors) == {"clearance"}
    session.rollback()
    assert session.get(Agency, LANTMATERIET) is None


def test_listing_filters_by_country_and_caps_the_page(agencies):
    agencies.create(ADMIN, lantmateriet())
    agencies.create(ADMIN, {"orgnr": "974761076", "country": "NO", "name": {"nb": "Skatteetaten"}})

    swedish = agencies.list_agencies(ANONYMOUS, country="SE")
    assert [a.orgnr for a in swedish.items] == [LANTMATERIET, AGENCY]  # by organisation number
    assert swedish.total == 2
    assert [a.orgnr for a in agencies.list_agencies(ANONYMOUS, country="NO").items] == ["974761076"]

    everything = agencies.list_agencies(ANONYMOUS, per_page=10_000)
    assert everything.per_page == MAX_PER_PAGE and everything.total == 3
    second = agencies.list_agencies(ANONYMOUS, page=2, per_page=2)
    assert [a.orgnr for a in second.items] == ["974761076"] and second.total == 3


def test_an_update_needs_an_administrator_and_the_current_etag(session, agencies):
    agency = agencies.get(ADMIN, AGENCY)
    etag = agency_etag(agency)
    with pytest.raises(PermissionDenied):
        agencies.update(OWNER, AGENCY, {"homepage": "https://example.se"}, etag)
    with pytest.raises(PreconditionRequired):
        agencies.update(ADMIN, AGENCY, {"homepage": "https://example.se"}, None)
    with pytest.raises(PreconditionFailed):
        agencies.update(ADMIN, AGENCY, {"homepage": "https://example.se"}, '"stale"')
    session.rollback()
    assert agencies.get(ADMIN, AGENCY).homepage is None

    # No one gives an agency a clearance above their own (this admin reads internal).
    with pytest.raises(PermissionDenied):
        agencies.update(ADMIN, AGENCY, {"clearance": "sensitive"}, etag)
    session.rollback()
    updated = agencies.update(
        ADMIN, AGENCY, {"homepage": "https://skatteverket.se", "clearance": "public"}, etag
    )
    assert (updated.homepage, updated.clearance) == ("https://skatteverket.se", "public")
    # The change made a new revision: the ETag read before it no longer matches.
    assert agency_etag(updated) != etag
    with pytest.raises(PreconditionFailed):
        agencies.update(ADMIN, AGENCY, {"homepage": None}, etag)


def test_retiring_keeps_the_agency_and_is_idempotent(agencies):
    with pytest.raises(PermissionDenied):
        agencies.retire(OWNER, AGENCY, "*")
    retired = agencies.retire(ADMIN, AGENCY, "*")
    assert retired.retired
    etag = agency_etag(retired)
    again = agencies.retire(ADMIN, AGENCY, etag)
    assert again.retired and agency_etag(again) == etag  # nothing changed the second time
    assert agencies.get(ANONYMOUS, AGENCY).retired  # still there, and still public
