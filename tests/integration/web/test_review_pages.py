"""Security officers' pages: the queue with the API's filters, the diff, the decision, four eyes."""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

from tests.conftest import LANTMATERIET
from tests.factories import create_entry, publish
from tests.integration.web.work_helpers import (
    OFFICER,
    OWNER,
    OWNER_OFFICER,
    as_posted,
    form_of,
    internal_basis,
)


def _pending(client, headers, entry_id):
    queue = client.get("/api/v1/reviews?state=pending", headers=headers).json["items"]
    return next(r["id"] for r in queue if r["entry"] == entry_id)


def _submitted(client, owner, level="internal"):
    entry = create_entry(client, owner, classification=level)
    assert client.post(f"/api/v1/datasets/{entry['id']}/submit", headers=owner).status_code == 202
    return entry["id"]


def test_the_queue_filters_as_the_api_does(client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    officer = token_for("sensitive", extra=OFFICER)
    _submitted(client, owner, "internal")
    sensitive = create_entry(client, owner, classification="sensitive", title={"en": "Sensitive one"})
    client.post(f"/api/v1/datasets/{sensitive['id']}/submit", headers=owner)
    page = client.get("/work/reviews?state=pending&level=sensitive", headers=officer).get_data(as_text=True)
    assert "Sensitive one" in page and "Income statements" not in page
    bad = client.get("/work/reviews?due_before=tomorrow&state=maybe", headers=officer)
    html = bad.get_data(as_text=True)
    assert 'id="q-due_before-error"' in html and 'id="q-state-error"' in html
    assert "Not a valid date." in html


def test_the_review_shows_the_change_field_by_field(app, client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    officer = token_for("sensitive", extra=OFFICER)
    entry = create_entry(client, owner)
    publish(app, entry["id"])
    etag = client.get(f"/api/v1/datasets/{entry['id']}", headers=owner).headers["ETag"]
    changed = client.patch(
        f"/api/v1/datasets/{entry['id']}",
        json={"classification": "internal", "legal_basis": [internal_basis_json()]},
        headers={**owner, "If-Match": etag},
    )
    assert changed.status_code == 202
    review_id = changed.json["review"]
    page = client.get(f"/work/reviews/{review_id}", headers=officer)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert (
        '<th scope="row">Classification</th><td class="before">Public</td><td class="after">Internal</td>'
        in html
    )
    assert 'class="basis-added"' in html and "2009:400" in html
    assert '<th scope="row">Title</th>' not in html  # unchanged fields are not rows


def internal_basis_json():
    return {"role": "restriction", "jurisdiction": "SE", "reference": "2009:400", "provision": "27 kap. 1 §"}


def test_an_officer_approves_with_a_lowered_listing_level(client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    officer = token_for("sensitive", extra=OFFICER)
    entry_id = _submitted(client, owner, "sensitive")
    review_id = _pending(client, officer, entry_id)
    decided = client.post(
        f"/work/reviews/{review_id}/decision",
        data={"decision": "approve", "listing_level": "public", "rationale": "Its existence is no secret."},
        headers=officer,
    )
    assert decided.status_code == 303, decided.get_data(as_text=True)
    body = client.get(f"/api/v1/datasets/{entry_id}", headers=owner).json
    assert body["status"] == "published" and body["listing_level"] == "public"
    assert body["classification"] == "sensitive"


def test_a_decision_without_rationale_is_the_apis_message_beside_it(client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    officer = token_for("sensitive", extra=OFFICER)
    review_id = _pending(client, officer, _submitted(client, owner))
    page = client.post(f"/work/reviews/{review_id}/decision", data={"decision": "approve"}, headers=officer)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Missing data for required field." in html and 'id="d-rationale-error"' in html
    assert 'aria-describedby="d-rationale-error"' in html


def test_four_eyes_the_submitter_cannot_decide(client, token_for):
    both = token_for("sensitive", extra=OWNER_OFFICER)
    saved = client.post(
        "/work/new/dataset", data=form_of(classification="internal", **internal_basis()), headers=both
    )
    entry_id = saved.headers["Location"].split("/")[3]
    assert client.post(f"/work/entries/{entry_id}/submit", headers=both).status_code == 303
    review_id = _pending(client, both, entry_id)
    page = client.get(f"/work/reviews/{review_id}", headers=both).get_data(as_text=True)
    assert 'id="four-eyes"' in page
    refused = client.post(
        f"/work/reviews/{review_id}/decision",
        data={"decision": "approve", "rationale": "Mine."},
        headers=both,
    )
    assert refused.status_code == 403
    assert "Four eyes: you submitted this review" in refused.get_data(as_text=True)
    assert client.get(f"/api/v1/datasets/{entry_id}", headers=both).json["status"] == "in_review"


def test_another_agencys_review_is_missing(client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    review_id = _pending(client, token_for("sensitive", extra=OFFICER), _submitted(client, owner))
    stranger = token_for("sensitive", agency=LANTMATERIET, extra=OFFICER)
    assert client.get(f"/work/reviews/{review_id}", headers=stranger).status_code == 404
    decided = client.post(
        f"/work/reviews/{review_id}/decision",
        data={"decision": "approve", "rationale": "No."},
        headers=stranger,
    )
    assert decided.status_code == 404
    assert "Income statements" not in client.get("/work/reviews", headers=stranger).get_data(as_text=True)


def test_hostile_titles_and_bases_are_escaped_in_the_queue_and_the_diff(client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    officer = token_for("sensitive", extra=OFFICER)
    hostile = "<script>alert('x')</script>\"'"
    entry = create_entry(
        client,
        owner,
        classification="internal",
        title={"en": hostile},
        legal_basis=[{**internal_basis_json(), "note": hostile}],
    )
    client.post(f"/api/v1/datasets/{entry['id']}/submit", headers=owner)
    review_id = _pending(client, officer, entry["id"])
    for path in ("/work/reviews", f"/work/reviews/{review_id}"):
        html = client.get(path, headers=officer).get_data(as_text=True)
        assert "<script>alert(" not in html, path
        assert "&lt;script&gt;alert(" in html, path


def test_a_form_edit_shows_only_what_it_changes_in_the_diff(app, client, token_for):
    """The edit form sends the whole entry (PUT): unchanged fields are no rows of the diff."""
    owner = token_for("sensitive", extra=OWNER)
    officer = token_for("sensitive", extra=OFFICER)
    entry = create_entry(
        client, owner, contact_point={"name": "Kundtjänst"}, temporal={"start": "2020-01-01"}
    )
    publish(app, entry["id"])
    html = client.get(f"/work/entries/{entry['id']}/edit", headers=owner).get_data(as_text=True)
    changes = {"classification": "internal", **internal_basis(), "action": "confirm"}
    multi = as_posted(html, changes)
    saved = client.post(f"/work/entries/{entry['id']}/edit", data=MultiDict(multi), headers=owner)
    assert saved.status_code == 303, re.findall(
        r"field-error[^>]*>(.*?)</ul>", saved.get_data(as_text=True), re.S
    )
    review_id = _pending(client, officer, entry["id"])
    page = client.get(f"/work/reviews/{review_id}", headers=officer).get_data(as_text=True)
    rows = re.findall(r'<tr class="changed"><th scope="row">([^<]+)</th>', page)
    assert sorted(rows) == ["Classification", "Legal basis"]
