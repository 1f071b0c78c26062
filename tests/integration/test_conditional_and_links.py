"""Conditional GET (If-None-Match → 304) and pagination Link headers (RFC 8288)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from search.backend import MAX_WINDOW
from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.factories import create_entry, publish
from tests.security.conftest import make_entry

WRITER = ("catalogue:write",)


# -- conditional GET ---------------------------------------------------------------
@pytest.mark.parametrize("kind", ["entry", "agency"])
def test_if_none_match_with_the_current_etag_is_a_304(app, client, token_for, kind):
    url = (
        f"/api/v1/datasets/{make_entry(app, SKATTEVERKET, 'public', 'public')}"
        if kind == "entry"
        else f"/api/v1/agencies/{SKATTEVERKET}"
    )
    first = client.get(url)
    etag = first.headers["ETag"]
    for tag in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        r = client.get(url, headers={"If-None-Match": tag})
        assert r.status_code == 304, tag
        assert r.data == b""
        assert r.headers["ETag"] == etag  # RFC 9110 §15.4.5: what a 200 would carry
        assert "Content-Type" not in r.headers
        assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert client.head(url, headers={"If-None-Match": etag}).status_code == 304
    other = client.get(url, headers={"If-None-Match": '"not-the-etag"'})
    assert other.status_code == 200 and other.json == first.json


def test_a_changed_entry_is_sent_again(app, client, token_for):
    owner = token_for("public", extra=WRITER)
    entry = create_entry(client, owner)
    url = f"/api/v1/datasets/{entry['id']}"
    etag = client.get(url, headers=owner).headers["ETag"]
    changed = client.patch(url, json={"title": {"sv": "Ny titel"}}, headers={**owner, "If-Match": etag})
    assert changed.status_code == 200
    r = client.get(url, headers={**owner, "If-None-Match": etag})
    assert r.status_code == 200 and r.headers["ETag"] != etag and r.json["title"] == {"sv": "Ny titel"}


def test_if_none_match_is_not_a_precondition_of_writes(app, client, token_for):
    owner = token_for("public", extra=WRITER)
    entry = create_entry(client, owner)
    url = f"/api/v1/datasets/{entry['id']}"
    etag = client.get(url, headers=owner).headers["ETag"]
    r = client.patch(
        url, json={"title": {"sv": "X"}}, headers={**owner, "If-Match": etag, "If-None-Match": etag}
    )
    assert r.status_code == 200


def test_the_etag_follows_the_reader_s_language_when_statutes_are_named(app, client, token_for):
    # The entry cites OSL, which the register names: the names come in the reader's
    # language, so the English answer is another representation with another ETag.
    url = f"/api/v1/datasets/{make_entry(app, SKATTEVERKET, 'internal', 'public')}"
    reader = token_for("internal")
    swedish = client.get(url, headers={**reader, "Accept-Language": "sv"})
    tag = swedish.headers["ETag"]
    english = client.get(url, headers={**reader, "Accept-Language": "en", "If-None-Match": tag})
    assert english.status_code == 200  # not a 304 that would keep the Swedish names
    assert english.headers["ETag"] != tag and "Accept-Language" in english.headers["Vary"]
    again = client.get(
        url, headers={**reader, "Accept-Language": "en", "If-None-Match": english.headers["ETag"]}
    )
    assert again.status_code == 304
    by_query = client.get(f"{url}?lang=en", headers={**reader, "If-None-Match": tag})
    assert by_query.status_code == 200 and by_query.headers["ETag"] == english.headers["ETag"]
    # A write names the version: the tag of any representation of it is accepted.
    writer = token_for("internal", extra=WRITER)
    patched = client.patch(
        url, json={"keywords": {"en": ["tax"]}}, headers={**writer, "If-Match": english.headers["ETag"]}
    )
    assert patched.status_code == 200, patched.json
    stale = client.patch(url, json={"keywords": {"en": ["x"]}}, headers={**writer, "If-Match": tag})
    assert stale.status_code == 412


def test_the_etag_of_an_api_follows_the_served_datasets_the_caller_may_see(app, client, token_for):
    dataset = make_entry(app, SKATTEVERKET, "public", "public", status="draft")
    writer = token_for("public", agency=SKATTEVERKET, extra=WRITER)
    api = create_entry(client, writer, "apis", serves_datasets=[dataset], legal_basis=[])
    publish(app, api["id"])
    reader = token_for("public", agency=LANTMATERIET)
    url = f"/api/v1/apis/{api['id']}"
    before = client.get(url, headers=reader)
    assert before.json["serves_datasets"] == []  # another agency's draft
    publish(app, dataset)  # the API's revision does not move
    after = client.get(url, headers={**reader, "If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.json["serves_datasets"] == [dataset]
    assert after.headers["ETag"] != before.headers["ETag"]


# -- Link headers ---------------------------------------------------------------------
def links(response) -> dict[str, dict[str, list[str]]]:
    """rel → the link's query arguments (and "path")."""
    found = {}
    for target, rel in re.findall(r'<([^>]*)>;\s*rel="([^"]+)"', response.headers.get("Link", "")):
        parts = urlsplit(target)
        found[rel] = {**parse_qs(parts.query), "path": [parts.path]}
    return found


def test_links_page_through_a_filtered_list(app, client, token_for):
    for _ in range(5):
        make_entry(app, SKATTEVERKET, "public", "public")
    query = f"/api/v1/datasets?publisher={SKATTEVERKET}&per_page=2&theme=GOVE"
    first = client.get(query)
    assert first.json["total"] == 5
    rels = links(first)
    assert set(rels) == {"first", "next", "last"}  # no prev on the first page
    assert rels["next"]["page"] == ["2"] and rels["last"]["page"] == ["3"]
    for rel in rels.values():  # the other arguments are kept, the page size too
        assert rel["path"] == ["/api/v1/datasets"]
        assert rel["publisher"] == [SKATTEVERKET] and rel["theme"] == ["GOVE"] and rel["per_page"] == ["2"]
    # Following next to the end visits every item once.
    seen, page = [], first
    while True:
        seen += [item["id"] for item in page.json["items"]]
        nxt = links(page).get("next")
        if nxt is None:
            break
        page = client.get(nxt["path"][0], query_string={k: v for k, v in nxt.items() if k != "path"})
    assert len(seen) == len(set(seen)) == 5
    last = links(page)
    assert set(last) == {"first", "prev", "last"} and last["prev"]["page"] == ["2"]


def test_links_keep_only_the_documented_arguments(app, client, token_for):
    # An argument the list does not document is not repeated into every link (it may be
    # anything the caller typed); the documented ones, and lang, are kept.
    for _ in range(3):
        make_entry(app, SKATTEVERKET, "public", "public")
    r = client.get("/api/v1/datasets?per_page=1&theme=GOVE&lang=en&utm_source=x&%3Cscript%3E=1&theme=ECON")
    assert r.status_code == 200
    for rel in links(r).values():
        assert set(rel) == {"path", "theme", "lang", "page", "per_page"}, rel
        assert rel["theme"] == ["GOVE", "ECON"] and rel["lang"] == ["en"]
    assert "utm_source" not in r.headers["Link"] and "script" not in r.headers["Link"]
    found = client.get("/api/v1/search?q=x&per_page=1&element=income&debug=1")
    assert "debug" not in found.headers["Link"] and "element=income" in found.headers["Link"]
    holders = client.get("/api/v1/data-elements/income/holders?per_page=1&x=1")
    assert holders.status_code == 200 and "x=1" not in holders.headers["Link"]


def test_an_empty_list_links_to_its_one_page(client):
    r = client.get("/api/v1/apis")
    assert r.json["total"] == 0
    rels = links(r)
    assert set(rels) == {"first", "last"}
    assert rels["first"]["page"] == rels["last"]["page"] == ["1"]


def test_repeated_arguments_are_kept(app, client):
    make_entry(app, SKATTEVERKET, "public", "public")
    r = client.get("/api/v1/search?q=*&theme=ECON&theme=GOVE&per_page=1")
    assert r.status_code == 200, r.json
    assert links(r)["first"]["theme"] == ["ECON", "GOVE"]


def test_search_links_stay_within_the_result_window(app, client):
    for _ in range(3):
        make_entry(app, SKATTEVERKET, "public", "public")
    r = client.get("/api/v1/search?q=*&per_page=1&page=2")
    assert r.json["total"] == 3 and "facets" in r.json
    rels = links(r)
    assert rels["prev"]["page"] == ["1"] and rels["next"]["page"] == ["3"] and rels["last"]["page"] == ["3"]
    assert int(rels["last"]["page"][0]) * 1 <= MAX_WINDOW


@pytest.mark.parametrize(
    ("path", "scopes"),
    [
        ("/api/v1/datasets", ()),
        ("/api/v1/apis", ()),
        ("/api/v1/agencies", ()),
        ("/api/v1/search?q=skatt", ()),
        ("/api/v1/reviews", ("catalogue:review",)),
        ("/api/v1/audit", ("catalogue:audit",)),
        ("/api/v1/notifications", WRITER),
        ("/api/v1/datasets/{entry}/readers", WRITER),
    ],
)
def test_every_paginated_list_has_links(app, client, token_for, path, scopes):
    entry = make_entry(app, SKATTEVERKET, "public", "public")
    r = client.get(
        path.format(entry=entry) + ("&" if "?" in path else "?") + "per_page=1",
        headers=token_for("sensitive", extra=scopes),
    )
    assert r.status_code == 200, r.json
    rels = links(r)
    assert {"first", "last"} <= set(rels)
    assert rels["first"]["page"] == ["1"] and rels["first"]["per_page"] == ["1"]
    assert rels["first"]["path"] == [urlsplit(path.format(entry=entry)).path]
    last = max(1, r.json["total"])
    assert rels["last"]["page"] == [str(last)]
    assert ("next" in rels) is (last > 1)
