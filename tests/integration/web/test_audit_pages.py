"""History, "who has read this" and the audit log: names, not ids; no more than the API."""

from __future__ import annotations

import csv
import io
import json

from flask import render_template

from tests.conftest import LANTMATERIET
from tests.factories import create_entry, publish
from tests.integration.web.work_helpers import AUDITOR, OFFICER, OWNER


def _published_internal(app, client, owner):
    entry = create_entry(client, owner, classification="internal")
    publish(app, entry["id"])
    return entry["id"]


def test_readers_are_shown_by_name_and_agency(app, client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    officer = token_for("sensitive", extra=OFFICER)  # a person: has a name
    entry_id = _published_internal(app, client, owner)
    assert client.get(f"/api/v1/datasets/{entry_id}", headers=officer).status_code == 200
    person = client.get("/api/v1/people", headers=officer).json["items"]
    page = client.get(f"/work/entries/{entry_id}/readers", headers=officer)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert any(p["name"] in html for p in person)
    assert "Swedish Tax Agency" in html
    # The entry's own ids are not what names a reader.
    officer_id = next(p["id"] for p in person if p["name"] in html)
    assert officer_id not in html


def test_history_names_the_decider(app, client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    officer = token_for("sensitive", extra=OFFICER)
    entry = create_entry(client, owner, classification="internal")
    client.post(f"/api/v1/datasets/{entry['id']}/submit", headers=owner)
    review = client.get("/api/v1/reviews?state=pending", headers=officer).json["items"][0]
    client.post(
        f"/work/reviews/{review['id']}/decision",
        data={"decision": "approve", "rationale": "Tax secrecy applies."},
        headers=officer,
    )
    html = client.get(f"/work/entries/{entry['id']}/history", headers=owner).get_data(as_text=True)
    assert "Tax secrecy applies." in html and "Internal" in html
    name = client.get("/api/v1/people", headers=officer).json["items"][0]["name"]
    assert name in html


def test_without_the_right_the_pages_are_missing_pages(app, client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    entry_id = _published_internal(app, client, owner)
    missing = client.get("/work/entries/00000000-0000-0000-0000-000000000000/readers", headers=owner)
    for who in (token_for("sensitive", agency=LANTMATERIET, extra=OFFICER), token_for("sensitive"), {}):
        for tool in ("readers", "history"):
            page = client.get(f"/work/entries/{entry_id}/{tool}", headers=who)
            assert page.status_code == 404, (tool, who)
            assert page.get_data() == missing.get_data()


def test_the_audit_log_filters_and_exports(app, client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    auditor = token_for("sensitive", extra=AUDITOR)
    entry_id = _published_internal(app, client, owner)
    page = client.get(f"/work/audit?entry={entry_id}", headers=auditor)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "entry.create" in html
    as_json = client.get(f"/work/audit/export?entry={entry_id}&format=json", headers=auditor)
    lines = [json.loads(line) for line in as_json.get_data(as_text=True).splitlines()]
    assert as_json.mimetype == "application/x-ndjson"
    assert lines and all(e["entry_id"] == entry_id for e in lines) and all("hash" in e for e in lines)
    as_csv = client.get(f"/work/audit/export?entry={entry_id}&format=csv", headers=auditor)
    rows = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert as_csv.mimetype == "text/csv"
    assert [r["seq"] for r in rows] == [str(e["seq"]) for e in lines]
    bad = client.get("/work/audit?since=yesterday", headers=auditor).get_data(as_text=True)
    assert 'id="a-since-error"' in bad


def test_the_audit_log_needs_the_audit_scope(client, token_for):
    for path in ("/work/audit", "/work/audit/export?format=csv"):
        page = client.get(path, headers=token_for("sensitive", extra=OWNER))
        assert page.status_code == 403
        assert "catalogue:audit" in page.get_data(as_text=True)


def test_a_csv_cell_never_starts_a_formula(app, client, token_for):
    from api.web.audit_pages import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("@SUM") == "'@SUM" and _cell("plain") == "plain"


def test_entry_tools_link_only_what_the_reader_may_open(app, client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    entry_id = _published_internal(app, client, owner)
    e = client.get(f"/api/v1/datasets/{entry_id}", headers=owner).json
    for headers, shown in ((owner, True), (token_for("sensitive"), False), ({}, False)):
        with app.test_request_context(headers=headers):
            app.preprocess_request()
            html = render_template("work/entry_tools.html", e=e, identity=None)
        assert (f"/work/entries/{entry_id}/history" in html) is shown
        assert (f"/work/entries/{entry_id}/readers" in html) is shown
