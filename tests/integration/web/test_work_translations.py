"""The work area's catalogue is complete: every message of its templates and modules has a
translation in sv, nb and nn, and a page shows them (labels and the API's own words)."""

from __future__ import annotations

import pytest

from tests.integration.web.work_helpers import OWNER, form_of


@pytest.mark.parametrize(
    ("lang", "label", "rule", "message"),
    [
        ("sv", "Rättslig grund", "måste ange minst en rättslig grund med rollen", "Ange texten på minst ett"),
        (
            "nb",
            "Rettslig grunnlag",
            "må oppgi minst ett rettslig grunnlag med rollen",
            "Oppgi teksten på minst ett",
        ),
        (
            "nn",
            "Rettsleg grunnlag",
            "må oppgi minst eitt rettsleg grunnlag med rolla",
            "Oppgi teksten på minst eitt",
        ),
    ],
)
def test_the_form_speaks_the_page_language(client, token_for, lang, label, rule, message):
    html = client.get(f"/work/new/dataset?lang={lang}", headers=token_for("sensitive", extra=OWNER)).get_data(
        as_text=True
    )
    assert label in html and rule in html
    page = client.post(
        "/work/new/dataset",
        data=form_of(**{"title.sv": "", "title.en": ""}),
        headers=token_for("sensitive", extra=OWNER),
    )
    assert page.status_code == 422
    assert message in page.get_data(as_text=True)  # the API's message, in the page's language
