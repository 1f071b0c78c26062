"""Issue 16 on the access pages: the grants register, a grant and a request show each legal
basis's statute by name in the page's language, the reference beside it; a statute the
register does not know stays a number."""

from __future__ import annotations

import pytest

from tests.conftest import SKATTEETATEN, register_client
from tests.integration.test_access_story import (
    SKATTEETATEN_PROCESSING,
    granted_through_the_api,
)

#: SE 2009:400 as the register names it (catalogue/statutes_data/statutes.json), reference beside.
OSL = {
    "sv": "Offentlighets- och sekretesslag (2009:400) (OSL) <code>2009:400</code>",
    "en": "Public Access to Information and Secrecy Act (OSL) <code>2009:400</code>",
}
#: Named only in bokmål, the official language; its short name is in its name already.
SKTFVL = "Lov om skatteforvaltning (skatteforvaltningsloven) <code>LOV-2016-05-27-14</code>"
#: Skattebetalingsloven, lov 17. juni 2005 nr. 67 (Lovdata id LOV-2005-06-17-67, per
#: hjelp.matrix.no's copy of Lovdata and karnovgroup.no): real, and not in the seed register.
SKTBL = {"role": "processing", "jurisdiction": "NO", "reference": "LOV-2005-06-17-67"}


@pytest.fixture
def granted(client, app, token_for):
    """A grant whose request cites a known and an unknown Norwegian processing basis:
    (request id, grant id, the provider's officer, the receiver's data owner)."""
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    done = granted_through_the_api(
        client, app, token_for, system[0], processing_basis=[SKATTEETATEN_PROCESSING, SKTBL]
    )
    return done["request"], done["grant"], done["decider"], done["developer"]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_grants_register_and_a_grant_name_the_statutes(client, granted, lang):
    _request_id, grant_id, officer, receiver = granted
    for path in ("/access/grants", f"/access/grants/{grant_id}"):
        for who in (officer, receiver):
            html = client.get(f"{path}?lang={lang}", headers=who).get_data(as_text=True)
            assert OSL[lang] in html, path
            assert SKTFVL in html, path
            assert OSL["en" if lang == "sv" else "sv"] not in html
            # Unknown to the register: its number alone.
            assert "LOV-2005-06-17-67" in html and "<code>LOV-2005-06-17-67</code>" not in html


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_request_page_names_the_statutes_on_both_sides(client, granted, lang):
    request_id, _grant_id, officer, receiver = granted
    for who in (officer, receiver):
        html = client.get(f"/access/requests/{request_id}?lang={lang}", headers=who).get_data(as_text=True)
        assert SKTFVL in html
        assert "<code>LOV-2005-06-17-67</code>" not in html
