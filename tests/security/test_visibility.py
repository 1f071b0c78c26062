"""Attack: learn that an entry exists, or read more of it than the caller's clearance allows.

Every caller, at every clearance, against every (classification, listing level):
hidden entries answer exactly like ids that never existed, redacted summaries carry
only the summary fields and no ETag, and lists and totals agree with reads by id.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.security.conftest import LEVELS, NOT_FOUND_BODY, PAIRS, SUMMARY_KEYS, make_entry

pytestmark = pytest.mark.both_databases  # visibility compiled to SQL, at every clearance

#: Callers: None is the anonymous reader (no token); "none" a token with no read scope.
CALLERS = (None, "none", *LEVELS)
RANK = {"none": -1, None: 0, **{lvl: i for i, lvl in enumerate(LEVELS)}}
HIDDEN_MARKERS = ("HIDDEN-KEYWORD", "HIDDEN-URL", "HIDDEN-LICENCE", "HIDDEN-SPATIAL", "SFS 2009:400")


def headers_for(token_for, caller, agency=LANTMATERIET, extra=()):
    if caller is None:
        return {}
    if caller == "none":  # a valid token that grants no read level at all
        return token_for(None, agency=agency, extra=("catalogue:audit", *extra))
    return token_for(caller, agency=agency, extra=extra)


def expected(caller, pair):
    classification, listing = pair
    if RANK[caller] < LEVELS.index(listing):
        return "hidden"
    if RANK[caller] < LEVELS.index(classification):
        return "summary"
    return "full"


CASES = [(caller, pair) for caller in CALLERS for pair in PAIRS]


@pytest.mark.parametrize(("caller", "pair"), CASES, ids=[f"{c}-{p[0]}/{p[1]}" for c, p in CASES])
def test_read_by_id(client, token_for, catalogue, caller, pair):
    h = headers_for(token_for, caller)
    entry_id = catalogue.ids[pair]
    r = client.get(f"/api/v1/datasets/{entry_id}", headers=h)
    outcome = expected(caller, pair)
    if outcome == "hidden":
        missing = client.get(f"/api/v1/datasets/{uuid.uuid4()}", headers=h)
        assert r.status_code == missing.status_code == 404
        assert r.json == missing.json == NOT_FOUND_BODY
        assert sorted(r.headers.items()) == sorted(missing.headers.items())
        assert r.data == missing.data
    elif outcome == "summary":
        assert r.status_code == 200
        assert set(r.json) == SUMMARY_KEYS
        assert r.json["redacted"] is True
        assert "ETag" not in r.headers
        assert not any(marker in r.get_data(as_text=True) for marker in HIDDEN_MARKERS)
    else:
        assert r.status_code == 200
        assert r.json["redacted"] is False
        assert r.headers["ETag"]
        assert "HIDDEN-KEYWORD" in r.get_data(as_text=True)


@pytest.mark.parametrize("caller", CALLERS, ids=str)
def test_list_and_total_match_reads(client, token_for, catalogue, caller):
    h = headers_for(token_for, caller)
    r = client.get("/api/v1/datasets?per_page=100", headers=h)
    assert r.status_code == 200
    listed = {item["id"]: item for item in r.json["items"]}
    visible = {catalogue.ids[p]: expected(caller, p) for p in PAIRS if expected(caller, p) != "hidden"}
    assert set(listed) == set(visible)
    assert r.json["total"] == len(visible)
    for entry_id, outcome in visible.items():
        assert listed[entry_id]["redacted"] is (outcome == "summary")
        if outcome == "summary":
            assert set(listed[entry_id]) == SUMMARY_KEYS
    # Filters must not turn into an oracle either: the same hidden set for every filter.
    for query in ("publisher=" + SKATTEVERKET, "theme=GOVE", "status=published"):
        filtered = client.get(f"/api/v1/datasets?per_page=100&{query}", headers=h)
        assert {i["id"] for i in filtered.json["items"]} == set(visible)
        assert filtered.json["total"] == len(visible)


#: The web pages that show one entry (api/web): each answers like the API's read by id.
PAGE_PATHS = ("/entries/{id}", "/entries/{id}/openapi", "/entries/{id}/openapi.json")
#: Pages that act on one entry the reader may see at least as a summary (a form): a hidden
#: entry's answers as a missing one's.
ENTRY_FORM_PATHS = ("/entries/{id}/request-access",)


@pytest.mark.parametrize(("caller", "pair"), CASES, ids=[f"{c}-{p[0]}/{p[1]}" for c, p in CASES])
def test_pages_by_id(client, token_for, catalogue, caller, pair):
    h = headers_for(token_for, caller)
    entry_id = catalogue.ids[pair]
    missing_id = str(uuid.uuid4())
    outcome = expected(caller, pair)
    for path in PAGE_PATHS:
        r = client.get(path.format(id=entry_id), headers=h)
        missing = client.get(path.format(id=missing_id), headers=h)
        if outcome == "hidden" or path != PAGE_PATHS[0]:  # datasets have no OpenAPI document
            assert r.status_code == missing.status_code == 404, path
            assert r.data.replace(entry_id.encode(), b"ID") == missing.data.replace(
                missing_id.encode(), b"ID"
            )
            continue
        body = r.get_data(as_text=True)
        assert r.status_code == 200
        if outcome == "summary":
            assert 'class="redacted"' in body
            assert not any(marker in body for marker in (*HIDDEN_MARKERS, "27 kap. 1 §")), body
        else:
            assert 'class="redacted"' not in body and "HIDDEN-KEYWORD" in body
    for path in ENTRY_FORM_PATHS:
        r = client.get(path.format(id=entry_id), headers=h)
        missing = client.get(path.format(id=missing_id), headers=h)
        if caller is None:  # anonymous: sent to sign in before any id is looked up
            assert r.status_code == missing.status_code == 302
            assert r.headers["Location"].replace(entry_id, "ID") == missing.headers["Location"].replace(
                missing_id, "ID"
            )
            continue
        assert missing.status_code == 404
        if outcome == "hidden":
            assert r.status_code == 404, path
            assert r.data.replace(entry_id.encode(), b"ID") == missing.data.replace(
                missing_id.encode(), b"ID"
            )
        else:
            assert r.status_code == 200, path
            assert not any(marker in r.get_data(as_text=True) for marker in HIDDEN_MARKERS)


@pytest.mark.parametrize("caller", CALLERS, ids=str)
def test_search_page_lists_and_counts_what_reads_allow(client, token_for, catalogue, caller):
    h = headers_for(token_for, caller)
    visible = {catalogue.ids[p]: expected(caller, p) for p in PAIRS if expected(caller, p) != "hidden"}
    hidden = {catalogue.ids[p] for p in PAIRS} - set(visible)
    for query in ("", "q=HIDDEN", "theme=GOVE", f"publisher={SKATTEVERKET}"):
        body = client.get(f"/?{query}", headers=h).get_data(as_text=True)
        shown = set(re.findall(r'href="/entries/([0-9a-f-]{36})"', body))
        assert not shown & hidden, query
        if query in ("", f"publisher={SKATTEVERKET}"):
            assert shown == set(visible) and f'data-total="{len(visible)}"' in body, query
        if query == "theme=GOVE":  # a full field: only entries read whole
            assert shown == {i for i, o in visible.items() if o == "full"}, query
        assert "HIDDEN-KEYWORD" not in body, query


@pytest.mark.parametrize(
    "guess",
    ["00000000-0000-0000-0000-000000000000", "1", "..", "%00", "x" * 36, "' OR 1=1 --"],
)
def test_guessed_ids_answer_like_missing_ones(client, token_for, guess):
    h = token_for("sensitive")
    r = client.get(f"/api/v1/datasets/{guess}", headers=h)
    assert r.status_code == 404
    assert r.json == NOT_FOUND_BODY


@pytest.mark.parametrize(
    ("method", "body"), [("PUT", {"title": {"en": "x"}}), ("PATCH", {}), ("DELETE", None)]
)
@pytest.mark.parametrize("if_match", ["*", None])
def test_writes_to_hidden_entries_answer_like_missing_ones(client, token_for, app, method, body, if_match):
    """Even a data owner of the publishing agency gets 404 — never 403, 412 or 428 —
    for an entry above its clearance (status-code and ETag oracles)."""
    hidden = make_entry(app, SKATTEVERKET, "sensitive", "sensitive")
    for agency in (SKATTEVERKET, LANTMATERIET):
        h = dict(token_for("internal", agency=agency, extra=("catalogue:write",)))
        if if_match:
            h["If-Match"] = if_match
        kwargs = {"json": body} if body is not None else {}
        r = client.open(f"/api/v1/datasets/{hidden}", method=method, headers=h, **kwargs)
        missing = client.open(f"/api/v1/datasets/{uuid.uuid4()}", method=method, headers=h, **kwargs)
        assert (r.status_code, r.json) == (missing.status_code, missing.json)
        if method != "PUT":  # a PUT body is validated first, identically for both
            assert r.json == NOT_FOUND_BODY
        assert sorted(r.headers.items()) == sorted(missing.headers.items())


@pytest.mark.parametrize("status", ["draft", "in_review", "retired"])
def test_other_agencies_unpublished_entries_are_hidden(client, token_for, app, status):
    entry_id = make_entry(app, SKATTEVERKET, "public", status=status)
    stranger = token_for("sensitive", agency=LANTMATERIET)
    r = client.get(f"/api/v1/datasets/{entry_id}", headers=stranger)
    assert (r.status_code, r.json) == (404, NOT_FOUND_BODY)
    listed = client.get(f"/api/v1/datasets?status={status}", headers=stranger)
    assert listed.json["total"] == 0
    owner = token_for("sensitive", agency=SKATTEVERKET)
    assert client.get(f"/api/v1/datasets/{entry_id}", headers=owner).status_code == 200


def test_redacted_api_entry_never_shows_its_openapi(client, token_for, app, catalogue):
    """The dataset collection must not serve another type's id either."""
    entry_id = catalogue.ids[("sensitive", "public")]
    h = token_for("public")
    r = client.get(f"/api/v1/apis/{entry_id}", headers=h)
    assert (r.status_code, r.json) == (404, NOT_FOUND_BODY)
    r = client.get(f"/api/v1/apis/{entry_id}/openapi", headers=h)
    assert (r.status_code, r.json) == (404, NOT_FOUND_BODY)


def test_authenticated_responses_are_not_cached(client, token_for, catalogue):
    r = client.get("/api/v1/datasets", headers=token_for("sensitive"))
    assert r.headers["Cache-Control"] == "no-store"
    assert "Authorization" in r.headers["Vary"]


def _api_serving(app, dataset_id):
    from catalogue.compose import entry_service
    from catalogue.schemas import ApiCreateSchema
    from security.identity import system_identity

    ext = app.extensions["tillit"]
    data = ApiCreateSchema().load(
        {
            "publisher": SKATTEVERKET,
            "title": {"en": "API"},
            "description": {"en": "d"},
            "classification": "public",
            "serves_datasets": [dataset_id],
        }
    )
    with ext.sessions() as session:
        return entry_service(session, ext.scheme).create(system_identity(ext.scheme), "api", data).entry.id


def test_links_to_hidden_datasets_never_leak_through_edits(client, token_for, app):
    """An editor of the same agency below the dataset's listing level edits an API
    that serves it: no error names the hidden id, and the hidden link survives."""
    hidden = make_entry(app, SKATTEVERKET, "sensitive", "sensitive")
    api_id = _api_serving(app, hidden)
    h = dict(token_for("internal", agency=SKATTEVERKET, extra=("catalogue:write",)))
    r = client.get(f"/api/v1/apis/{api_id}", headers=h)
    assert r.json["serves_datasets"] == []
    h["If-Match"] = r.headers["ETag"]
    r = client.patch(f"/api/v1/apis/{api_id}", json={"title": {"en": "renamed"}}, headers=h)
    assert r.status_code == 200, r.json
    assert hidden not in r.get_data(as_text=True)
    h["If-Match"] = r.headers["ETag"]
    r = client.patch(f"/api/v1/apis/{api_id}", json={"serves_datasets": []}, headers=h)
    assert r.status_code == 200 and hidden not in r.get_data(as_text=True)
    owner = token_for("sensitive", agency=SKATTEVERKET)
    assert client.get(f"/api/v1/apis/{api_id}", headers=owner).json["serves_datasets"] == [hidden]
