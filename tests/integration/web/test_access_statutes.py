"""Issue 16 on the access pages: the grants register, a grant and a request show each legal
basis's statute by name in the page's language, the reference beside it; a statute the
register does not know stays a number."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import SKATTEETATEN, register_client
from tests.factories import GDPR_TASK, OSL_TAX
from tests.integration.test_access_story import (
    OFFICER,
    OSL_DISCLOSURE,
    SKATTEETATEN_PROCESSING,
    WRITER,
    request_body,
    sensitive_api,
)

DECIDER = ("catalogue:review", "catalogue:audit")
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
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    body = request_body(entry["id"], system[0], processing_basis=[SKATTEETATEN_PROCESSING, SKTBL])
    made = client.post("/api/v1/access-requests", json=body, headers=developer)
    assert made.status_code == 201, made.json
    request_id = made.json["id"]
    client.post(f"/api/v1/access-requests/{request_id}/assess", headers=token_for("sensitive", extra=OFFICER))
    decider = token_for("sensitive", extra=DECIDER)
    decided = client.post(
        f"/api/v1/access-requests/{request_id}/decision",
        json={
            "decision": "grant",
            "reason": "OK.",
            "disclosure_basis": OSL_DISCLOSURE,
            "valid_until": str(date.today() + timedelta(days=90)),
        },
        headers=decider,
    )
    assert decided.status_code == 200, decided.json
    return request_id, decided.json["grant"], decider, developer


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
