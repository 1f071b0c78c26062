"""Statutes by name on the review diff and the entry page (issue 16): the officer deciding
a change of legal basis reads which act it is, in the page's language, with the
reference beside it; a name that already holds its short name is not doubled."""

from __future__ import annotations

import pytest

from tests.factories import create_entry
from tests.integration.web.work_helpers import OFFICER, OWNER

#: The Norwegian tax administration act, LOV-2016-05-27-14 (lovdata.no), whose register
#: name already ends in its short name: "Lov om skatteforvaltning (skatteforvaltningsloven)".
SKTFVL = {"role": "restriction", "jurisdiction": "NO", "reference": "LOV-2016-05-27-14", "provision": "§ 3-1"}
#: SE 2009:400 by its register names (catalogue/statutes_data/statutes.json).
OSL = {
    "sv": "Offentlighets- och sekretesslag (2009:400) (OSL)",
    "en": "Public Access to Information and Secrecy Act (OSL)",
}
OSL_BASIS = {"role": "restriction", "jurisdiction": "SE", "reference": "2009:400", "provision": "27 kap. 1 §"}


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_review_diff_names_each_statute_beside_its_reference(client, token_for, lang):
    owner = token_for("sensitive", extra=OWNER)
    entry = create_entry(client, owner, classification="internal", legal_basis=[OSL_BASIS])
    submitted = client.post(f"/api/v1/datasets/{entry['id']}/submit", headers=owner)
    assert submitted.status_code == 202, submitted.json
    page = client.get(
        f"/work/reviews/{submitted.json['review']}?lang={lang}", headers=token_for("sensitive", extra=OFFICER)
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"<td>{OSL[lang]} <code>2009:400</code></td>" in html
    assert OSL["en" if lang == "sv" else "sv"] not in html


def test_the_entry_page_shows_a_name_holding_its_short_name_once(client, token_for):
    owner = token_for("sensitive", extra=OWNER)
    entry = create_entry(client, owner, classification="internal", legal_basis=[SKTFVL])
    html = client.get(f"/entries/{entry['id']}?lang=nb", headers=owner).get_data(as_text=True)
    assert "Lov om skatteforvaltning (skatteforvaltningsloven)" in html
    assert "(skatteforvaltningsloven) (skatteforvaltningsloven)" not in html
