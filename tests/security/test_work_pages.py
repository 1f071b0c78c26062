"""Attack the work pages as the API is attacked: another agency's entries and reviews by
id, hidden ones, forged form fields. Each page path is refused exactly as the API
refuses the same request: a visible entry that is not yours is 403 with the service's
words, a hidden one is the page of a missing id, byte for byte."""

from __future__ import annotations

import pytest
from markupsafe import escape

from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.security.conftest import make_entry

WRITER = ("catalogue:write",)
OFFICER = ("catalogue:review",)
MISSING = "00000000-0000-0000-0000-000000000000"
FORM = {"title.en": "Defaced", "description.en": "x", "classification": "public", "etag": "*"}

#: Every work page that names an entry by id: (method, path template, form).
ENTRY_PAGES = [
    ("GET", "/work/entries/{id}/edit", None),
    ("POST", "/work/entries/{id}/edit", FORM),
    ("POST", "/work/entries/{id}/submit", {}),
    ("GET", "/work/entries/{id}/history", None),
    ("GET", "/work/entries/{id}/readers", None),
]


def _open(client, method, path, headers, form):
    return client.open(path, method=method, headers=headers, data=form if form is not None else None)


@pytest.mark.parametrize(("method", "template", "form"), ENTRY_PAGES, ids=lambda v: str(v)[:30])
@pytest.mark.parametrize(
    ("status", "classification"), [("draft", "public"), ("in_review", "internal"), ("published", "sensitive")]
)
def test_hidden_entries_are_missing_pages(
    client, token_for, app, method, template, form, status, classification
):
    """Another agency's draft or entry in review, or one above the caller's clearance."""
    entry_id = make_entry(app, SKATTEVERKET, classification, status=status)
    caller = token_for(
        "internal" if status == "published" else "sensitive", agency=LANTMATERIET, extra=WRITER
    )
    hidden = _open(client, method, template.format(id=entry_id), caller, form)
    missing = _open(client, method, template.format(id=MISSING), caller, form)
    api = client.get(f"/api/v1/datasets/{entry_id}", headers=caller)
    assert api.status_code == 404
    assert hidden.status_code == missing.status_code == 404, hidden.get_data(as_text=True)[:300]
    assert hidden.get_data() == missing.get_data()


def test_a_visible_entry_of_another_agency_is_refused_as_the_api_refuses(client, token_for, app):
    entry_id = make_entry(app, SKATTEVERKET, "public")
    caller = token_for("sensitive", agency=LANTMATERIET, extra=WRITER)
    etag = client.get(f"/api/v1/datasets/{entry_id}", headers=caller).headers["ETag"]
    api = client.patch(
        f"/api/v1/datasets/{entry_id}",
        json={"title": {"en": "Defaced"}},
        headers={**caller, "If-Match": etag},
    )
    page = client.post(f"/work/entries/{entry_id}/edit", data={**FORM, "etag": etag}, headers=caller)
    assert api.status_code == page.status_code == 403
    assert str(escape(api.json["detail"])) in page.get_data(as_text=True)
    assert "Defaced" not in client.get(f"/api/v1/datasets/{entry_id}", headers=caller).get_data(as_text=True)
    for tool in ("history", "readers"):
        assert client.get(f"/work/entries/{entry_id}/{tool}", headers=caller).status_code == 404


def test_registering_for_another_agency_through_the_form_is_refused(client, token_for):
    caller = token_for("sensitive", agency=LANTMATERIET, extra=WRITER)
    form = {
        "publisher": SKATTEVERKET,
        "title.en": "Planted",
        "description.en": "x",
        "classification": "public",
    }
    page = client.post("/work/new/dataset", data=form, headers=caller)
    api = client.post(
        "/api/v1/datasets",
        headers=caller,
        json={
            "publisher": SKATTEVERKET,
            "title": {"en": "Planted"},
            "description": {"en": "x"},
            "classification": "public",
        },
    )
    assert page.status_code == api.status_code == 403
    assert str(escape(api.json["detail"])) in page.get_data(as_text=True)


def test_forged_system_fields_in_the_form_are_ignored(client, token_for):
    """Fields the form does not derive (status, revision, id) are never read from a post."""
    owner = token_for("sensitive", extra=WRITER)
    form = {
        "publisher": SKATTEVERKET,
        "title.en": "Mine",
        "description.en": "x",
        "classification": "public",
        "status": "published",
        "revision": "99",
        "id": MISSING,
    }
    saved = client.post("/work/new/dataset", data=form, headers=owner)
    assert saved.status_code == 303
    entry_id = saved.headers["Location"].split("/")[3]
    body = client.get(f"/api/v1/datasets/{entry_id}", headers=owner).json
    assert body["status"] == "draft" and body["revision"] == 1 and body["id"] == entry_id


def test_another_agencys_review_is_a_missing_page(client, token_for, app):
    entry_id = make_entry(app, SKATTEVERKET, "internal", status="in_review")
    own = token_for("sensitive", extra=OFFICER)
    review_id = next(
        r["id"] for r in client.get("/api/v1/reviews", headers=own).json["items"] if r["entry"] == entry_id
    )
    stranger = token_for("sensitive", agency=LANTMATERIET, extra=OFFICER)
    for method, path, form in (
        ("GET", f"/work/reviews/{review_id}", None),
        ("POST", f"/work/reviews/{review_id}/decision", {"decision": "approve", "rationale": "x"}),
    ):
        hidden = _open(client, method, path, stranger, form)
        missing = _open(client, method, path.replace(review_id, MISSING), stranger, form)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.get_data() == missing.get_data()
    api = client.post(
        f"/api/v1/reviews/{review_id}/decision",
        headers=stranger,
        json={"decision": "approve", "rationale": "x"},
    )
    assert api.status_code == 404
