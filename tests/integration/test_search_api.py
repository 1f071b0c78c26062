"""Search through HTTP: contract shape, redaction, validation, the outbox."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from catalogue.models import Agency, OutboxEvent
from tests.conftest import LANTMATERIET, SKATTEETATEN, SKATTEVERKET
from tests.searchkit import create_entry


def test_search_answers_the_contract_shape(app, client, token_for):
    create_entry(app, SKATTEVERKET, "Inkomstuppgifter", keywords={"sv": ["lön"]}, themes=["ECON"])
    create_entry(app, SKATTEETATEN, "Skattemeldinger", lang="nb")
    r = client.get("/api/v1/search?q=inkomstuppgift")
    assert r.status_code == 200
    body = r.json
    assert body["total"] == 1 and body["page"] == 1 and body["per_page"] == 20
    item = body["items"][0]
    assert item["title"] == {"sv": "Inkomstuppgifter"} and item["redacted"] is False
    assert "<mark>" in item["highlights"]["title"]
    # The publisher facet names the agency in the reader's language (none asked: its own).
    assert body["facets"]["publisher"] == [
        {"value": SKATTEVERKET, "count": 1, "agency": {"name": "Skatteverket", "lang": "sv"}}
    ]
    assert {"publisher", "classification", "theme", "type"} <= set(body["facets"])
    nb = client.get("/api/v1/search?q=skattemelding").json
    assert [i["title"] for i in nb["items"]] == [{"nb": "Skattemeldinger"}]


def test_redacted_hits_use_the_summary_view(app, client, token_for):
    create_entry(
        app,
        SKATTEVERKET,
        "Skyddade personuppgifter",
        classification="sensitive",
        listing_level="internal",
        keywords={"sv": ["sekretessmarkering"]},
    )
    h = token_for("internal", agency=LANTMATERIET)
    item = client.get("/api/v1/search?q=skyddade", headers=h).json["items"][0]
    assert item["redacted"] is True and "keywords" not in item and "legal_basis" not in item
    assert client.get("/api/v1/search?q=sekretessmarkering", headers=h).json["total"] == 0
    full = client.get("/api/v1/search?q=sekretessmarkering", headers=token_for("sensitive")).json
    assert full["items"][0]["redacted"] is False


def test_filters_sort_and_paging(app, client):
    for i in range(5):
        create_entry(app, LANTMATERIET if i % 2 else SKATTEVERKET, f"Karta {i}", themes=["REGI"])
    r = client.get(f"/api/v1/search?publisher={LANTMATERIET}&sort=title&per_page=1&page=2").json
    assert r["total"] == 2 and [i["title"]["sv"] for i in r["items"]] == ["Karta 3"]
    r = client.get("/api/v1/search?theme=REGI&theme=ECON&facets=false").json
    assert r["total"] == 5 and r["facets"] == {}


def test_only_the_facets_asked_for_are_counted(app, client, token_for):
    for i in range(3):
        create_entry(app, LANTMATERIET if i % 2 else SKATTEVERKET, f"Karta {i}", themes=["REGI"])
    everything = client.get("/api/v1/search?q=karta").json["facets"]
    some = client.get("/api/v1/search?q=karta&facets=theme,publisher").json
    assert some["total"] == 3 and set(some["facets"]) == {"theme", "publisher"}
    assert some["facets"] == {name: everything[name] for name in ("theme", "publisher")}
    assert client.get("/api/v1/search?q=karta&facets=true").json["facets"] == everything
    assert client.get("/api/v1/search?q=karta&facets=0").json["facets"] == {}
    for wrong in ("theme,nope", "", ",", "publisher;type"):
        r = client.get(f"/api/v1/search?q=karta&facets={wrong}")
        assert (r.status_code, r.mimetype) == (422, "application/problem+json"), wrong
        assert set(r.json["errors"]) == {"facets"}


def test_invalid_arguments_are_problems_with_field_errors(client):
    r = client.get("/api/v1/search?per_page=1000&sort=random&theme=NOPE")
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    assert {"per_page", "sort", "theme"} <= set(r.json["errors"])
    r = client.get("/api/v1/search?page=5000&per_page=100")
    assert r.status_code == 422 and "page" in r.json["errors"]
    assert client.get("/api/v1/search/suggest").status_code == 422


def test_suggest(app, client):
    create_entry(app, LANTMATERIET, "Fastighetsregistret")
    r = client.get("/api/v1/search/suggest?q=fastig")
    assert r.status_code == 200
    assert [s["title"] for s in r.json["items"]] == ["Fastighetsregistret"]


def test_a_part_of_a_compound_finds_the_compound(app, client):
    """The embedded engine splits known parts of Swedish and Norwegian compounds."""
    register = create_entry(app, LANTMATERIET, "Fastighetsregistret", description="Lagfarter, inteckningar")
    monitoring = create_entry(app, SKATTEVERKET, "Miljöövervakning", description="Mätserier")
    create_entry(app, SKATTEVERKET, "Kassaregister", description="Kontrollbesök")

    def found(q: str) -> list[str]:
        r = client.get("/api/v1/search", query_string={"q": q})
        assert r.status_code == 200
        return [item["id"] for item in r.json["items"]]

    assert found("fastighet") == [register]  # fastighet-s-registret
    assert found("registret") == [register]
    assert found("miljö") == [monitoring]
    assert found("övervakning") == [monitoring]
    assert found("overvakning") == [monitoring]  # typed without ö
    assert monitoring not in found("register")


def test_retired_entries_only_when_asked_for_and_only_to_their_publisher(app, client, token_for):
    entry_id = create_entry(app, SKATTEVERKET, "Gammalt register", status="retired")
    own = token_for("public", agency=SKATTEVERKET)
    assert client.get("/api/v1/search?q=register", headers=own).json["total"] == 0
    assert client.get("/api/v1/search?q=register&status=retired").json["total"] == 0
    r = client.get("/api/v1/search?q=register&status=retired", headers=own).json
    assert [i["id"] for i in r["items"]] == [entry_id]


@pytest.mark.both_databases
def test_changes_reach_the_index_and_the_outbox_is_drained(app, client, token_for):
    h = token_for("public", extra=("catalogue:write",))
    entry_id = create_entry(app, SKATTEVERKET, "Momsregistret", description="Moms")
    etag = client.get(f"/api/v1/datasets/{entry_id}", headers=h).headers["ETag"]
    r = client.patch(
        f"/api/v1/datasets/{entry_id}",
        json={"title": {"sv": "Momsdeklarationer"}},
        headers={**h, "If-Match": etag},
    )
    assert r.status_code == 200, r.json
    assert client.get("/api/v1/search?q=momsdeklarationer").json["total"] == 1
    assert client.get("/api/v1/search?q=momsregistret").json["total"] == 0
    with app.extensions["tillit"].sessions() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) == 0


def test_readyz_reports_search(client):
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json["checks"]["search"] == "ok"


@pytest.mark.both_databases
def test_reindex_builds_the_same_documents_in_bulk(app, client, token_for):
    """The bulk document path (reindex, outbox) equals build_document on the entity,
    and a rebuilt index answers as the incrementally built one did."""
    from catalogue.models import Entry
    from search.documents import build_document, documents_for, iter_documents, statute_words
    from search.indexer import OutboxIndexer

    ids = [
        create_entry(
            app,
            SKATTEVERKET,
            "Inkomstuppgifter",
            classification="internal",
            keywords={"sv": ["lön"]},
            themes=["ECON", "GOVE"],
            distributions=[{"format": "csv", "access_url": "https://example.org/a"}],
        ),
        create_entry(app, SKATTEETATEN, "Skattemeldinger", lang="nb", status="draft"),
    ]
    ext = app.extensions["tillit"]
    lowest = ext.scheme.lowest
    with ext.sessions() as session:
        names = {a.orgnr: a.name for a in session.scalars(select(Agency))}
        statutes = statute_words(session)
        expected = {
            e.id: build_document(e, lowest, names.get(e.publisher), statutes)
            for e in session.scalars(select(Entry).where(Entry.id.in_(ids)))
        }
        assert {d["id"]: d for d in documents_for(session, ids, lowest)} == expected
        assert {d["id"]: d for chunk in iter_documents(session, lowest, chunk=1) for d in chunk} == expected
    h = token_for("internal", agency=LANTMATERIET)
    before = client.get("/api/v1/search?q=inkomstuppgift", headers=h).json
    assert before["total"] == 1 and before["facets"]["theme"]
    indexer = ext.indexer
    assert isinstance(indexer, OutboxIndexer)
    assert indexer.count_entries() == 2
    assert indexer.reindex() == 2
    assert indexer.check(repair=False).in_step and indexer.pending() == 0
    assert client.get("/api/v1/search?q=inkomstuppgift", headers=h).json == before
