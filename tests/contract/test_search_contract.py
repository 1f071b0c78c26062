"""The shared contract: every search backend gives these answers."""

from __future__ import annotations

import pytest

from catalogue.statutes import search_words, seed_records
from search.backend import SearchFilters, SearchQuery
from search.documents import legal_text
from security.policy import OPEN_STATUSES, ReadFilter
from tests.contract.docs import make_doc

PUBLIC = ReadFilter(frozenset({"public"}), OPEN_STATUSES, None)
INTERNAL = ReadFilter(frozenset({"public", "internal"}), OPEN_STATUSES, None)
SENSITIVE = ReadFilter(frozenset({"public", "internal", "sensitive"}), OPEN_STATUSES, None)
NOTHING = ReadFilter(frozenset(), OPEN_STATUSES, None)
OWN = ReadFilter(frozenset({"public"}), OPEN_STATUSES, "974761076")


def ids(result):
    return [h.id for h in result.hits]


def facet(result, name):
    return {f.value: f.count for f in result.facets.get(name, ())}


@pytest.fixture
def catalogue(search_backend):
    search_backend.upsert(
        [
            make_doc(
                "inkomst",
                "Inkomstuppgifter från arbetsgivare",
                description="Månadsvis lön per anställd",
                keywords="arbetsgivardeklaration",
                themes=["ECON"],
                legal_basis=["2009:400"],
                personal_data=True,
                formats=["XML"],
                modified="2025-03-01T00:00:00+00:00",
            ),
            make_doc(
                "melding",
                "Skattemeldinger",
                lang="nb",
                publisher="974761076",
                publisher_name="Skatteetaten",
                description="Skattemelding for personlige skattytere",
                themes=["ECON", "GOVE"],
                modified="2025-02-01T00:00:00+00:00",
            ),
            make_doc(
                "fastighet",
                "Fastighetsregistret",
                description="Fastighet, ägare och gränser",
                publisher="202100-4888",
                publisher_name="Lantmäteriet",
                themes=["REGI"],
                formats=["CSV", "JSON"],
                modified="2025-01-15T00:00:00+00:00",
            ),
            make_doc(
                "fast", "Fast anställda i staten", themes=["GOVE"], modified="2024-12-01T00:00:00+00:00"
            ),
            make_doc(
                "kartor",
                "Lantmäteriets kartor",
                publisher="202100-4888",
                publisher_name="Lantmäteriet",
                modified="2024-11-01T00:00:00+00:00",
            ),
            make_doc(
                "hemlig",
                "Skyddade personuppgifter",
                classification="sensitive",
                listing_level="internal",
                keywords="sekretessmarkering",
                themes=["JUST"],
                legal_basis=["2009:400"],
                description="Personer med skyddad identitet",
            ),
            make_doc("draft", "Utkast om inkomster", status="draft", publisher="974761076"),
            make_doc(
                "api",
                "Inkomst-API",
                type="api",
                openapi="Income API\n/income-statements\ngetIncomeStatements get income statements",
                modified="2025-04-01T00:00:00+00:00",
            ),
        ]
    )
    search_backend.refresh()
    return search_backend


def search(backend, rf=PUBLIC, **kw):
    return backend.search(rf, SearchQuery(**kw))


def test_inflected_swedish_and_norwegian_forms_match(catalogue):
    assert ids(search(catalogue, text="inkomstuppgift")) == ["inkomst"]
    assert set(ids(search(catalogue, text="skattemelding"))) == {"melding"}


def test_text_without_diacritics_finds_but_ranks_below_exact(catalogue):
    catalogue.upsert([make_doc("utan", "Lantmateriets kartor", modified="2020-01-01T00:00:00+00:00")])
    catalogue.refresh()
    # Each spelling finds both titles, and ranks the one spelled as typed first.
    assert ids(search(catalogue, text="lantmäteriets")) == ["kartor", "utan"]
    assert ids(search(catalogue, text="lantmateriets")) == ["utan", "kartor"]


def test_hits_carry_no_score(catalogue):
    # A score is computed over every indexed document, hidden ones included.
    hit = search(catalogue, text="inkomst").hits[0]
    assert not hasattr(hit, "score")


def test_exact_word_ranks_above_stem_collision(catalogue):
    # The Swedish stemmer maps "fastighet" to "fast"; the unstemmed field wins.
    result = search(catalogue, text="fastighet")
    assert ids(result)[0] == "fastighet"


def test_phrase_prefix_and_exclusion(catalogue):
    assert ids(search(catalogue, text='"från arbetsgivare"')) == ["inkomst"]
    assert ids(search(catalogue, text='"arbetsgivare från"')) == []
    assert set(ids(search(catalogue, text="fastig*"))) == {"fastighet"}
    assert set(ids(search(catalogue, text="LANTMÄT*"))) == {"kartor", "fastighet"}
    assert set(ids(search(catalogue, text="lantmat*"))) == {"kartor", "fastighet"}
    assert "kartor" not in ids(search(catalogue, text="lantmäteriet* -kartor"))


def test_terms_combine_with_and(catalogue):
    assert ids(search(catalogue, text="fastighetsregistret ägare")) == ["fastighet"]
    assert ids(search(catalogue, text="fastighetsregistret skattemelding")) == []


def test_openapi_operations_are_searchable(catalogue):
    assert ids(search(catalogue, text="income-statements")) == ["api"]
    assert ids(search(catalogue, text="getincomestatements")) == ["api"]


def test_clearance_filter_is_in_the_query(catalogue):
    everything = search(catalogue, per_page=100)
    assert "hemlig" not in ids(everything) and "draft" not in ids(everything)
    assert everything.total == 6
    assert "hemlig" in ids(search(catalogue, INTERNAL, per_page=100))
    assert "draft" in ids(search(catalogue, OWN, per_page=100))


def test_matches_nothing_fails_closed(catalogue):
    result = search(catalogue, NOTHING)
    assert result.total == 0 and not result.hits and not result.facets
    assert catalogue.suggest(NOTHING, "ink") == []


def test_redacted_entries_match_only_on_summary_fields(catalogue):
    # INTERNAL may list "hemlig" (listing internal) but not read it (sensitive).
    assert ids(search(catalogue, INTERNAL, text="skyddade")) == ["hemlig"]
    assert ids(search(catalogue, INTERNAL, text="sekretessmarkering")) == []
    assert "hemlig" in ids(search(catalogue, INTERNAL, text="-sekretessmarkering", per_page=100))
    assert ids(search(catalogue, SENSITIVE, text="sekretessmarkering")) == ["hemlig"]
    # Full-field filters and facets skip it too.
    by_law = search(catalogue, INTERNAL, filters=SearchFilters(legal_basis=("2009:400",)))
    assert ids(by_law) == ["inkomst"]
    assert "JUST" not in facet(search(catalogue, INTERNAL), "theme")
    assert facet(search(catalogue, SENSITIVE), "theme")["JUST"] == 1


def test_filters(catalogue):
    def found(**f):
        return set(ids(search(catalogue, filters=SearchFilters(**f), per_page=100)))

    assert found(type=("api",)) == {"api"}
    assert found(publisher=("202100-4888",)) == {"fastighet", "kartor"}
    assert found(theme=("ECON", "REGI")) == {"inkomst", "melding", "fastighet"}
    assert found(theme=("GOVE",), publisher=("974761076",)) == {"melding"}
    assert found(legal_basis=("2009:400",)) == {"inkomst"}
    assert found(personal_data=True) == {"inkomst"}
    assert found(format=("CSV",)) == {"fastighet"}
    assert found(classification=("sensitive",)) == set()
    assert found(status=("draft",)) == set()


def test_facet_counts(catalogue):
    result = search(catalogue)
    assert facet(result, "publisher") == {"202100-5448": 3, "202100-4888": 2, "974761076": 1}
    assert facet(result, "type") == {"dataset": 5, "api": 1}
    assert facet(result, "classification") == {"public": 6}
    assert facet(result, "theme") == {"ECON": 2, "GOVE": 2, "REGI": 1}
    assert facet(result, "format") == {"XML": 1, "CSV": 1, "JSON": 1}
    assert facet(result, "personal_data") == {"true": 1, "false": 5}
    assert [f.value for f in result.facets["publisher"]] == ["202100-5448", "202100-4888", "974761076"]
    narrowed = search(catalogue, text="lantmäteriet")
    assert facet(narrowed, "publisher") == {"202100-4888": 2}
    assert "sensitive" not in facet(search(catalogue), "classification")


def test_sorting_and_paging(catalogue):
    by_title = ids(search(catalogue, sort="title", per_page=100))
    assert by_title == ["fast", "fastighet", "api", "inkomst", "kartor", "melding"]
    by_modified = ids(search(catalogue, sort="modified", per_page=100))
    assert by_modified == ["api", "inkomst", "melding", "fastighet", "fast", "kartor"]
    first = search(catalogue, sort="title", per_page=4)
    second = search(catalogue, sort="title", per_page=4, page=2)
    assert ids(first) + ids(second) == by_title and second.total == 6


def test_highlights_come_from_title_and_description(catalogue):
    hit = search(catalogue, text="inkomstuppgifter").hits[0]
    assert "<mark>Inkomstuppgifter</mark>" in hit.highlights["title"]
    assert set(hit.highlights) <= {"title", "description"}
    redacted = search(catalogue, INTERNAL, text="skyddad").hits[0]
    assert "sekretessmarkering" not in str(redacted.highlights)


def test_suggestions_over_titles_within_clearance(catalogue):
    assert [s.id for s in catalogue.suggest(PUBLIC, "fastig")] == ["fastighet"]
    assert [s.title for s in catalogue.suggest(PUBLIC, "Skatte")] == ["Skattemeldinger"]
    assert catalogue.suggest(PUBLIC, "skydd") == []
    assert [s.id for s in catalogue.suggest(INTERNAL, "skydd")] == ["hemlig"]


def test_revision_aware_upserts(catalogue):
    catalogue.upsert([make_doc("kartor", "Nya kartor", revision=3)])
    catalogue.upsert([make_doc("kartor", "Gamla kartor", revision=2)])
    catalogue.refresh()
    assert catalogue.revisions()["kartor"] == 3
    assert ids(search(catalogue, text="nya")) == ["kartor"]
    assert ids(search(catalogue, text="gamla")) == []
    catalogue.upsert([make_doc("kartor", "Samma revision", revision=3)])  # re-delivery replaces
    catalogue.refresh()
    assert ids(search(catalogue, text="samma")) == ["kartor"]


def test_delete_and_rebuild(catalogue):
    catalogue.delete(["kartor"])
    catalogue.refresh()
    assert "kartor" not in catalogue.revisions()
    assert catalogue.rebuild([make_doc("x", "Ensam")]) == 1
    catalogue.refresh()
    assert catalogue.revisions() == {"x": 1}


def test_statutes_are_found_by_name_short_name_number_and_provision(search_backend):
    """The legal text is built in one place (search.documents.legal_text, with the
    register's words): every engine finds an entry by its statutes' names, short names,
    numbers and provisions, and only for a caller who may read it whole."""
    words = {
        (r["jurisdiction"], r["reference"]): search_words(r["names"], r["short_names"])
        for r in seed_records()
        if r["reference"] in ("2009:400", "1991:481", "LOV-2016-12-09-88")
    }
    navet = [("SE", "1991:481", "1 §"), ("SE", "2009:400", "22 kap. 1 §")]
    osl21 = [("SE", "2009:400", "21 kap. 7 §")]
    fregl = [("NO", "LOV-2016-12-09-88", "§ 9-1"), ("NO", "LOV-2016-12-09-88", "§ 10-2")]
    cited = {"navet": navet, "osl21": osl21, "fregl": fregl}
    search_backend.upsert(
        [
            make_doc(key, key.capitalize(), classification="internal", legal_text=legal_text(bases, words))
            for key, bases in cited.items()
        ]
    )
    search_backend.refresh()
    expected = {
        "folkbokföring": {"navet"},
        "Folkbokföringslagen": {"navet"},
        "FOL": {"navet"},
        "1991:481": {"navet"},
        "OSL": {"navet", "osl21"},
        "Offentlighets- och sekretesslagen": {"navet", "osl21"},
        "OSL 21 kap": {"osl21"},
        "kap. 22 OSL": {"navet"},
        "folkeregisterloven § 10-2": {"fregl"},
        "folkeregisterloven § 10-3": set(),
    }
    for text, found in expected.items():
        assert set(ids(search(search_backend, INTERNAL, text=text))) == found, text
        assert ids(search(search_backend, PUBLIC, text=text)) == [], text


@pytest.fixture
def sharing(search_backend):
    search_backend.upsert(
        [
            make_doc("open", "Öppna data"),
            make_doc("delbar", "Inkomster", classification="internal", roles=("restriction", "disclosure")),
            make_doc("stangd", "Brottsdata", classification="internal", roles=("restriction",)),
            make_doc("utan", "Register", classification="internal"),
            make_doc(
                "hemlig",
                "Skyddade",
                classification="sensitive",
                listing_level="internal",
                roles=("disclosure",),
            ),
        ]
    )
    search_backend.refresh()
    return search_backend


def test_sharing_status_is_a_full_filter_and_facet(sharing):
    def found(rf, *statuses):
        filters = SearchFilters(sharing_status=statuses)
        return set(ids(search(sharing, rf, filters=filters, per_page=100)))

    # INTERNAL lists "hemlig" as a summary only: it is neither counted nor filtered.
    assert len(ids(search(sharing, INTERNAL, per_page=100))) == 5
    assert facet(search(sharing, INTERNAL), "sharing_status") == {
        "open": 1,
        "shareable": 1,
        "no_disclosure_basis": 2,
    }
    assert found(INTERNAL, "shareable") == {"delbar"}
    assert found(INTERNAL, "no_disclosure_basis") == {"stangd", "utan"}
    assert found(INTERNAL, "open", "shareable") == {"open", "delbar"}
    assert facet(search(sharing, SENSITIVE), "sharing_status")["shareable"] == 2
    assert found(SENSITIVE, "shareable") == {"delbar", "hemlig"}
    assert facet(search(sharing, PUBLIC), "sharing_status") == {"open": 1}
    assert found(PUBLIC, "shareable") == set()


# -- data elements (issue 16): a summary filter and facet -------------------------------
@pytest.fixture
def holders(search_backend):
    search_backend.upsert(
        [
            make_doc("folk", "Folkbokföringen", data_elements=["name", "personal-identity-number"]),
            make_doc("adress", "Adresser", data_elements=["postal-address"]),
            # Listed at internal, classified sensitive: a summary for an internal reader.
            make_doc(
                "navet",
                "Navet",
                classification="sensitive",
                listing_level="internal",
                data_elements=["personal-identity-number", "postal-address"],
            ),
            # Listed only at sensitive: hidden below it, never counted.
            make_doc(
                "dold",
                "Dold",
                classification="sensitive",
                listing_level="sensitive",
                data_elements=["personal-identity-number", "civil-status"],
            ),
        ]
    )
    search_backend.refresh()
    return search_backend


def test_element_filter_and_facet_count_only_listed_entries(holders):
    def found(read_filter, *elements):
        result = holders.search(read_filter, SearchQuery(filters=SearchFilters(element=elements)))
        return {h.id for h in result.hits}

    assert found(PUBLIC, "personal-identity-number") == {"folk"}
    assert found(INTERNAL, "personal-identity-number") == {"folk", "navet"}
    assert found(SENSITIVE, "personal-identity-number") == {"folk", "navet", "dold"}
    assert found(INTERNAL, "civil-status") == set()
    assert found(INTERNAL, "name", "postal-address") == {"folk", "adress", "navet"}
    public = holders.search(PUBLIC, SearchQuery())
    assert facet(public, "element") == {"name": 1, "personal-identity-number": 1, "postal-address": 1}
    internal = holders.search(INTERNAL, SearchQuery())
    assert facet(internal, "element") == {"name": 1, "personal-identity-number": 2, "postal-address": 2}
    narrowed = holders.search(INTERNAL, SearchQuery(filters=SearchFilters(element=("postal-address",))))
    assert facet(narrowed, "element") == {"personal-identity-number": 1, "postal-address": 2}


# -- operations' data elements (docs/operations.md): the full half of ``element`` ---------
@pytest.fixture
def operated(search_backend):
    search_backend.upsert(
        [
            make_doc("adresser", "Adresser", data_elements=["postal-address"]),
            make_doc("vegdata", "Vegdata", type="api", operation_elements=["vehicle-registration"]),
            # Listed at internal, classified sensitive: a summary for an internal reader,
            # who must not learn what its operations carry, by hit or by count.
            make_doc(
                "folkereg",
                "Folkeregisteret",
                type="api",
                classification="sensitive",
                listing_level="internal",
                data_elements=["name"],
                operation_elements=["postal-address"],
            ),
        ]
    )
    search_backend.refresh()
    return search_backend


def test_operation_elements_match_and_count_only_for_whole_readers(operated):
    def found(read_filter, *elements):
        result = operated.search(read_filter, SearchQuery(filters=SearchFilters(element=elements)))
        return {h.id for h in result.hits}

    assert found(PUBLIC, "vehicle-registration") == {"vegdata"}
    assert found(INTERNAL, "postal-address") == {"adresser"}
    assert found(INTERNAL, "name") == {"folkereg"}  # its own tag: a summary field
    assert found(SENSITIVE, "postal-address") == {"adresser", "folkereg"}
    assert found(SENSITIVE, "name", "postal-address") == {"adresser", "folkereg"}
    internal = operated.search(INTERNAL, SearchQuery())
    assert facet(internal, "element") == {"name": 1, "postal-address": 1, "vehicle-registration": 1}
    sensitive = operated.search(SENSITIVE, SearchQuery())
    assert facet(sensitive, "element") == {"name": 1, "postal-address": 2, "vehicle-registration": 1}
    narrowed = operated.search(INTERNAL, SearchQuery(filters=SearchFilters(element=("postal-address",))))
    assert facet(narrowed, "element") == {"postal-address": 1}
    # A text query for the word finds nothing through the keyword either.
    assert {h.id for h in operated.search(INTERNAL, SearchQuery(text="postal-address")).hits} <= {"adresser"}


# -- authentication mechanisms (issue 16): a full filter and facet ----------------------
@pytest.fixture
def authenticated(search_backend):
    search_backend.upsert(
        [
            make_doc("aapen", "Vegdata", type="api", auth=["none"]),
            make_doc(
                "folkereg", "Folkeregisteret", type="api", classification="internal", auth=["maskinporten"]
            ),
            make_doc(
                "aareg",
                "Arbeidsforhold",
                type="api",
                classification="internal",
                auth=["maskinporten", "mtls"],
            ),
            make_doc(
                "xroad",
                "Skjult",
                type="api",
                classification="sensitive",
                listing_level="internal",
                auth=["x-road"],
            ),
        ]
    )
    search_backend.refresh()
    return search_backend


def test_auth_is_a_full_filter_and_facet(authenticated):
    def found(rf, *types):
        return set(ids(search(authenticated, rf, filters=SearchFilters(auth=types), per_page=100)))

    # INTERNAL lists "xroad" as a summary only: its mechanisms are neither counted nor matched.
    assert len(ids(search(authenticated, INTERNAL, per_page=100))) == 4
    assert facet(search(authenticated, INTERNAL), "auth") == {"none": 1, "maskinporten": 2, "mtls": 1}
    assert found(INTERNAL, "maskinporten") == {"folkereg", "aareg"}
    assert found(INTERNAL, "mtls", "none") == {"aareg", "aapen"}
    assert found(INTERNAL, "x-road") == set()
    assert facet(search(authenticated, SENSITIVE), "auth")["x-road"] == 1
    assert found(SENSITIVE, "x-road") == {"xroad"}
    assert facet(search(authenticated, PUBLIC), "auth") == {"none": 1}
    assert found(PUBLIC, "maskinporten") == set()
