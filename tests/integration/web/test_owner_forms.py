"""Data owners' forms: the API's messages beside the fields, the rules explained, drafts,
submission, and edits of published entries (review needed; stale edits caught)."""

from __future__ import annotations

import json

from werkzeug.datastructures import MultiDict

from tests.conftest import SKATTEVERKET
from tests.factories import GDPR_TASK, MINIMAL_OPENAPI, OSL_TAX, create_entry, publish
from tests.integration.web.work_helpers import (
    OFFICER,
    OWNER,
    as_posted,
    entry_id_of,
    error_beside,
    form_of,
    internal_basis,
)


def test_the_form_is_derived_from_the_declared_fields(client, token_for):
    page = client.get("/work/new/dataset", headers=token_for("sensitive", extra=OWNER))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for name in (
        "title.sv",
        "description.en",
        "legal_basis.0.reference",
        "contact_point.email",
        "temporal.start",
        "distributions.0.access_url",
        "contains_personal_data",
    ):
        assert f'name="{name}"' in html, name
    assert 'name="endpoint_urls"' not in html  # an API's field, not a dataset's
    # The rule is explained where it applies, in the service's own words.
    assert "must cite at least one legal basis with role &#39;restriction&#39;" in html
    assert 'name="csrf_token"' in html


def test_a_validation_error_is_shown_beside_its_field_and_the_input_kept(client, token_for):
    headers = token_for("sensitive", extra=OWNER)
    form = form_of(
        **{
            "contact_point.name": "Kundtjänst",
            "contact_point.email": "not-an-address",
            "title.sv": "Min <b>titel</b>",
        }
    )
    page = client.post("/work/new/dataset", data=form, headers=headers)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    # marshmallow's message for an e-mail field, as the API gives it.
    api = client.post(
        "/api/v1/datasets",
        headers=headers,
        json={
            "publisher": SKATTEVERKET,
            "title": {"sv": "x"},
            "description": {"sv": "y"},
            "classification": "public",
            "contact_point": {"name": "K", "email": "not-an-address"},
        },
    )
    assert api.status_code == 422
    message = api.json["errors"]["contact_point"]["email"][0]
    assert message in error_beside(html, "f-contact_point-email")
    assert 'value="not-an-address"' in html and 'value="Kundtjänst"' in html
    assert 'value="Min &lt;b&gt;titel&lt;/b&gt;"' in html  # kept, and escaped


def test_a_business_rule_refusal_is_shown_beside_the_legal_basis(client, token_for):
    page = client.post(
        "/work/new/dataset",
        data=form_of(classification="internal"),
        headers=token_for("sensitive", extra=OWNER),
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "An entry classified &#39;internal&#39; must cite at least one legal basis" in error_beside(
        html, "f-legal_basis"
    )


def test_a_wrong_reference_form_is_the_apis_message_beside_the_reference(client, token_for):
    form = form_of(classification="internal", **internal_basis(reference="400/2009"))
    page = client.post("/work/new/dataset", data=form, headers=token_for("sensitive", extra=OWNER))
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert error_beside(html, "f-legal_basis-0-reference").strip()
    assert 'value="400/2009"' in html


def test_draft_then_submit_then_in_the_officers_queue(client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    saved = client.post(
        "/work/new/dataset", data=form_of(classification="internal", **internal_basis()), headers=owner
    )
    assert saved.status_code == 303, saved.get_data(as_text=True)
    entry_id = entry_id_of(saved.headers["Location"])
    mine = client.get("/work/mine", headers=owner).get_data(as_text=True)
    assert "Income statements" in mine and "Draft" in mine
    submitted = client.post(f"/work/entries/{entry_id}/submit", headers=owner)
    assert submitted.status_code == 303
    assert "In review" in client.get("/work/mine", headers=owner).get_data(as_text=True)
    queue = client.get("/work/reviews?state=pending", headers=token_for("sensitive", extra=OFFICER))
    assert queue.status_code == 200
    assert "Income statements" in queue.get_data(as_text=True)


def test_an_api_with_an_uploaded_openapi_document(client, token_for):
    from io import BytesIO

    owner = token_for("sensitive", extra=OWNER)
    form = form_of(
        **{
            "endpoint_urls": "https://api.skatteverket.se/inkomst/v1",
            "version": "1.0.0",
            "openapi.file": (BytesIO(json.dumps(MINIMAL_OPENAPI).encode()), "openapi.json"),
        }
    )
    saved = client.post("/work/new/api", data=form, headers=owner, content_type="multipart/form-data")
    assert saved.status_code == 303, saved.get_data(as_text=True)
    entry_id = entry_id_of(saved.headers["Location"])
    assert client.get(f"/api/v1/apis/{entry_id}/openapi", headers=owner).json == MINIMAL_OPENAPI


def test_a_broken_openapi_text_is_explained_and_kept(client, token_for):
    form = form_of(openapi='{"openapi": "3.0.3", ')
    page = client.post("/work/new/api", data=form, headers=token_for("sensitive", extra=OWNER))
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Not valid JSON" in error_beside(html, "f-openapi")
    assert "{&#34;openapi&#34;: &#34;3.0.3&#34;, </textarea>" in html


def _published(app, client, headers, **payload):
    body = create_entry(client, headers, **payload)
    publish(app, body["id"])
    return body["id"]


def test_editing_a_published_entry_says_which_changes_wait_for_review(app, client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    entry_id = _published(app, client, owner)
    page = client.get(f"/work/entries/{entry_id}/edit", headers=owner)
    html = page.get_data(as_text=True)
    etag = client.get(f"/api/v1/datasets/{entry_id}", headers=owner).headers["ETag"]
    assert f'name="etag" value="{etag.replace(chr(34), "&#34;")}"' in html
    form = form_of(classification="internal", etag=etag, **internal_basis(), **{"title.en": "Income"})
    preview = client.post(f"/work/entries/{entry_id}/edit", data=form, headers=owner)
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert 'id="waiting"' in text and "Classification" in text and "Legal basis" in text
    # Nothing saved yet.
    assert client.get(f"/api/v1/datasets/{entry_id}", headers=owner).json["classification"] == "public"
    confirmed = client.post(
        f"/work/entries/{entry_id}/edit", data={**form, "action": "confirm"}, headers=owner
    )
    assert confirmed.status_code == 303 and "done=review" in confirmed.headers["Location"]
    assert client.get(f"/api/v1/datasets/{entry_id}", headers=owner).json["classification"] == "public"


def test_a_change_needing_no_review_is_saved_at_once(app, client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    entry_id = _published(app, client, owner)
    etag = client.get(f"/api/v1/datasets/{entry_id}", headers=owner).headers["ETag"]
    saved = client.post(
        f"/work/entries/{entry_id}/edit", data=form_of(etag=etag, **{"title.en": "Income"}), headers=owner
    )
    assert saved.status_code == 303 and "done=saved" in saved.headers["Location"]
    assert client.get(f"/api/v1/datasets/{entry_id}", headers=owner).json["title"]["en"] == "Income"


def test_a_stale_edit_is_caught_and_the_input_kept(client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    entry_id = create_entry(client, owner)["id"]
    old_etag = client.get(f"/api/v1/datasets/{entry_id}", headers=owner).headers["ETag"]
    # Someone else saves first (through the API).
    other = client.patch(
        f"/api/v1/datasets/{entry_id}", json={"spatial": "Sverige"}, headers={**owner, "If-Match": old_etag}
    )
    assert other.status_code == 200
    mine = form_of(etag=old_etag, **{"title.en": "My careful edit"})
    page = client.post(f"/work/entries/{entry_id}/edit", data=mine, headers=owner)
    html = page.get_data(as_text=True)
    assert page.status_code == 409
    notice = html[html.index('id="stale"') : html.index("</div>", html.index('id="stale"'))]
    assert "Spatial coverage" in notice and "Title" in notice and "Classification" not in notice
    assert 'value="My careful edit"' in html
    assert (
        client.get(f"/api/v1/datasets/{entry_id}", headers=owner).json["title"]["en"] == "Income statements"
    )
    # The form now carries the current version: saving again replaces it knowingly.
    current = client.get(f"/api/v1/datasets/{entry_id}", headers=owner).headers["ETag"]
    assert current.replace('"', "&#34;") in html


def test_hostile_input_is_escaped_everywhere(client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    hostile = '"><script>alert(1)</script>'
    saved = client.post(
        "/work/new/dataset", data=form_of(**{"title.en": hostile, "spatial": hostile}), headers=owner
    )
    entry_id = entry_id_of(saved.headers["Location"])
    for path in ("/work/mine", f"/work/entries/{entry_id}/edit"):
        html = client.get(path, headers=owner).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
    # A hostile value in a field the API refuses is escaped in the message beside it too.
    page = client.post(
        "/work/new/dataset", data=form_of(**{"data_elements": "<img src=x onerror=alert(1)>"}), headers=owner
    )
    assert "<img src=x" not in page.get_data(as_text=True)


def test_nobody_without_the_write_scope_saves(client, token_for):
    page = client.post("/work/new/dataset", data=form_of(), headers=token_for("sensitive"))
    assert page.status_code == 403
    assert "only for your own agency" in page.get_data(as_text=True)


def test_work_pages_are_never_cached(client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    for path in ("/work/mine", "/work/new/dataset", "/work/reviews"):
        response = client.get(path, headers=owner)
        assert response.headers["Cache-Control"] == "no-store", path


def test_editing_an_api_keeps_its_document_unless_a_new_one_is_given(client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    entry = create_entry(client, owner, collection="apis")
    etag = client.get(f"/api/v1/apis/{entry['id']}", headers=owner).headers["ETag"]
    form = form_of(etag=etag, keep_openapi="on", **{"title.en": "Renamed"})
    page = client.get(f"/work/entries/{entry['id']}/edit", headers=owner).get_data(as_text=True)
    assert 'name="keep_openapi" checked' in page
    saved = client.post(f"/work/entries/{entry['id']}/edit", data=form, headers=owner)
    assert saved.status_code == 303, saved.get_data(as_text=True)
    assert client.get(f"/api/v1/apis/{entry['id']}/openapi", headers=owner).json == MINIMAL_OPENAPI


def test_an_invalid_document_in_an_edit_of_a_published_api_is_a_message(app, client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    entry = create_entry(client, owner, collection="apis")
    publish(app, entry["id"])
    etag = client.get(f"/api/v1/apis/{entry['id']}", headers=owner).headers["ETag"]
    broken = json.dumps({"openapi": "3.0.3", "paths": {"/x": {"get": {"responses": "nope"}}}})
    page = client.post(
        f"/work/entries/{entry['id']}/edit",
        data=form_of(etag=etag, classification="internal", openapi=broken, **internal_basis()),
        headers=owner,
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert error_beside(html, "f-openapi").strip()


def test_saving_the_form_unchanged_needs_no_review(app, client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    entry_id = _published(
        app,
        client,
        owner,
        classification="internal",
        contains_personal_data=True,
        legal_basis=[OSL_TAX, GDPR_TASK],
        temporal={"start": "2020-01-01", "end": None},
    )
    html = client.get(f"/work/entries/{entry_id}/edit", headers=owner).get_data(as_text=True)
    saved = client.post(f"/work/entries/{entry_id}/edit", data=MultiDict(as_posted(html, {})), headers=owner)
    assert saved.status_code == 303 and "done=saved" in saved.headers["Location"]


def test_theme_choices_are_named_as_discover_names_them(client, token_for):
    """The themes are the EU data-theme table's labels in the page's language (the search
    page's words), not its codes."""
    h = token_for("sensitive", extra=OWNER)
    for lang, economy, government in (
        ("sv", "Ekonomi och finans", "Regeringen och den offentliga sektorn"),
        ("en", "Economy and finance", "Government and public sector"),
    ):
        html = client.get(f"/work/new/dataset?lang={lang}", headers=h).get_data(as_text=True)
        assert f'value="ECON"> {economy}</label>' in html, lang
        assert f'value="GOVE"> {government}</label>' in html, lang
        assert 'value="ECON"> ECON</label>' not in html
