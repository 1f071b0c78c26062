"""The entry forms are the API's input, field for field (api/web/work_forms.py)."""

from __future__ import annotations

from io import BytesIO

from werkzeug.datastructures import FileStorage, MultiDict

from api.web import work_forms as wf
from catalogue.fields import input_fields


def test_every_input_field_of_each_type_has_a_widget():
    for entry_type in ("dataset", "api"):
        for creating in (True, False):
            names = [w.name for w in wf.widgets(entry_type, creating=creating)]
            assert names == [f.name for f in input_fields(entry_type, creating=creating)]


def test_a_posted_form_is_the_apis_json():
    form = MultiDict(
        [
            ("title.sv", " Fastigheter "),
            ("title.en", ""),
            ("keywords.sv", "mark, fastighet,"),
            ("themes", "ENVI"),
            ("themes", "REGI"),
            ("legal_basis.count", "3"),
            ("legal_basis.0.role", "restriction"),
            ("legal_basis.0.jurisdiction", "SE"),
            ("legal_basis.1.role", ""),  # an empty row is no row
            ("legal_basis.2.reference", "2009:400"),
            ("contains_personal_data", "on"),
            ("contact_point.name", ""),
        ]
    )
    data = wf.parse(wf.widgets("dataset", creating=True), wf.FormInput(form, MultiDict(), 1000))
    assert data["title"] == {"sv": "Fastigheter"}
    assert data["keywords"] == {"sv": ["mark", "fastighet"]}
    assert data["themes"] == ["ENVI", "REGI"]
    assert data["legal_basis"] == [{"role": "restriction", "jurisdiction": "SE"}, {"reference": "2009:400"}]
    assert data["contains_personal_data"] is True and data["special_categories"] is False
    assert "contact_point" not in data  # an empty group is left out, as an API client would


def test_messages_land_on_the_field_the_form_shows():
    loaded, errors = wf.load(
        "api",
        True,
        {"title": {"xx": "Nope"}, "endpoint_urls": ["https://ok.example", "not a url"], "legal_basis": [{}]},
    )
    assert loaded == {}
    shown = wf.shown_paths(wf.widgets("api", creating=True), {"legal_basis": [{}]})
    placed = wf.place(errors, shown)
    assert any(m.startswith("#2: ") for m in placed["endpoint_urls"])
    assert "legal_basis.0.role" in placed and "legal_basis.0.reference" in placed
    assert "publisher" in placed and "description" in placed  # required, as in the API
    # A language the form has no input for: the message goes to the title, naming it.
    assert placed["title"] == ["xx: Must be one of: sv, nb, nn, en."]


def test_an_oversized_or_broken_upload_is_a_message_not_a_crash():
    big = FileStorage(BytesIO(b"{" + b" " * 2000 + b"}"), filename="o.json")
    posted = wf.FormInput(MultiDict(), MultiDict([("openapi.file", big)]), 1000)
    assert wf.parse(wf.widgets("api", creating=True), posted).get("openapi") is None
    assert "larger than 1000 bytes" in posted.errors["openapi"][0]
    posted = wf.FormInput(MultiDict([("openapi", "[1, 2]")]), MultiDict(), 1000)
    wf.parse(wf.widgets("api", creating=True), posted)
    assert posted.errors["openapi"] == ["An OpenAPI document is a JSON object."]
