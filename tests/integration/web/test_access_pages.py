"""The access pages (issue 19 in the browser): the request form from a summary, its
messages beside the fields, the officers' queue and decision, the grants register with
revocation and renewal; a hidden entry, and other agencies' requests and grants, answer as
missing ones; hostile text is escaped; a signed-in form without its CSRF token is refused.

People act with bearer tokens (WEB-R5.md), except where the cookie session is the point."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest

from tests.conftest import LANTMATERIET, SKATTEETATEN, register_client
from tests.factories import GDPR_TASK, OSL_TAX, create_entry, publish
from tests.integration.test_access_story import OFFICER, OSL_DISCLOSURE, WRITER, sensitive_api
from tests.integration.web.signing_in import HTML, page_csrf, sign_in
from tests.integration.web.work_helpers import error_beside
from tests.security.people import make_user

DECIDER = ("catalogue:review", "catalogue:audit")
MISSING = "00000000-0000-0000-0000-000000000000"


def request_form(client_id: str, **over: str) -> dict[str, object]:
    """The request form as a browser posts it (the API's paths as input names)."""
    today = date.today()
    form: dict[str, object] = {
        "operations": ["getInkomst", "sokInkomster"],
        "purpose": "Kontroll av inntekt i Sverige for personer skattepliktige i Norge.",
        "purpose_code": "dpv:LegalCompliance",
        "processing_basis.count": "1",
        "processing_basis.0.jurisdiction": "NO",
        "processing_basis.0.reference": "LOV-2016-05-27-14",
        "data_elements": ["personal-identity-number", "income"],
        "period_start": today.isoformat(),
        "period_end": (today + timedelta(days=365)).isoformat(),
        "consumer_client_id": client_id,
        "contact.name": "Kari Nordmann",
        "contact.email": "kari@skatteetaten.no",
    }
    form.update(over)
    return form


def _request_id(location: str) -> str:
    found = re.search(r"/access/requests/([0-9a-f-]{36})", location)
    assert found, location
    return found.group(1)


@pytest.fixture
def asked(client, app, token_for):
    """A Skatteetaten request for two operations of a sensitive Skatteverket API, made on
    the page from its summary: (entry, request id, developer headers)."""
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    sent = client.post(
        f"/entries/{entry['id']}/request-access", data=request_form(system[0]), headers=developer
    )
    assert sent.status_code == 303, sent.get_data(as_text=True)
    request_id = _request_id(sent.headers["Location"])
    # Every ticked box counts (the form's checkbox lists post one value each).
    made = client.get(f"/api/v1/access-requests/{request_id}", headers=developer).json
    assert [e["key"] for e in made["data_elements"]] == ["personal-identity-number", "income"]
    return entry, request_id, developer


def test_request_access_from_the_summary(client, app, token_for):
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    summary = client.get(f"/entries/{entry['id']}", headers=developer).get_data(as_text=True)
    assert "More exists than you can see" in summary
    assert f'href="/entries/{entry["id"]}/request-access"' in summary
    form = client.get(f"/entries/{entry['id']}/request-access", headers=developer).get_data(as_text=True)
    assert "Fraud prevention and detection" in form  # DPV purposes by their labels
    assert 'value="dpv:LegalCompliance"' in form
    assert 'name="data_elements" value="income"' in form  # the vocabulary
    assert 'name="processing_basis.0.role"' not in form  # always a processing basis
    # A summary reader is not shown the API's operations; names are typed.
    assert "getInkomst" not in form and '<textarea id="f-operations"' in form
    # Anonymous readers are sent to sign in first, and are not offered the link.
    anonymous = client.get(f"/entries/{entry['id']}/request-access")
    assert anonymous.status_code == 302 and "/signin" in anonymous.headers["Location"]
    for path in ("/access/requests", "/access/incoming", "/access/grants"):
        assert client.get(path).status_code == 302
    # The owner's own agency is not offered the link.
    owner = client.get(f"/entries/{entry['id']}", headers=token_for("sensitive", extra=WRITER))
    assert "request-access" not in owner.get_data(as_text=True)


def test_the_forms_messages_are_beside_their_fields(client, app, token_for):
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    bad = request_form(
        system[0],
        purpose="",
        **{"contact.email": "not an address", "processing_basis.0.reference": "skatteloven"},
    )
    page = client.post(f"/entries/{entry['id']}/request-access", data=bad, headers=developer)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Missing data for required field." in error_beside(html, "f-purpose")
    assert "Not a valid email address." in error_beside(html, "f-contact-email")
    assert error_beside(html, "f-processing_basis-0-reference")
    assert "not an address" in html  # what was typed is kept
    # The service's own checks come back beside their fields too: the period, the system.
    later = request_form(
        "no-such-client",
        period_end=(date.today() - timedelta(days=1)).isoformat(),
    )
    page = client.post(f"/entries/{entry['id']}/request-access", data=later, headers=developer)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "The period ends before it starts." in error_beside(html, "f-period_end")
    assert "No enabled client of your agency" in error_beside(html, "f-consumer_client_id")


def test_the_form_speaks_swedish(client, app, token_for):
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    html = client.get(f"/entries/{entry['id']}/request-access?lang=sv", headers=developer).get_data(
        as_text=True
    )
    assert "Begär åtkomst" in html and "Ändamål" in html


def test_a_hidden_entrys_request_page_is_a_missing_one(client, app, token_for):
    owner = token_for("sensitive", extra=WRITER)
    hidden = create_entry(
        client, owner, "apis", classification="sensitive", listing_level="sensitive", legal_basis=[OSL_TAX]
    )
    publish(app, hidden["id"])
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    for method in ("get", "post"):
        answers = [
            getattr(client, method)(
                f"/entries/{i}/request-access", data=request_form(system[0]), headers={**developer, **HTML}
            )
            for i in (hidden["id"], MISSING, "not-an-id")
        ]
        assert {a.status_code for a in answers} == {404}
        bodies = {
            a.get_data(as_text=True).replace(i, "ID")
            for a, i in zip(answers, (hidden["id"], MISSING, "not-an-id"), strict=True)
        }
        assert len(bodies) == 1
        assert len({tuple(sorted(a.headers.keys())) for a in answers}) == 1


def test_the_officer_assesses_narrows_and_grants(client, app, token_for, asked):
    _entry, request_id, developer = asked
    mine = client.get("/access/requests", headers=developer).get_data(as_text=True)
    assert f"/access/requests/{request_id}" in mine and "Submitted" in mine
    requester_view = client.get(f"/access/requests/{request_id}", headers=developer).get_data(as_text=True)
    assert "The entry&#39;s disclosure bases" not in requester_view  # the provider's side only

    assessor = token_for("sensitive", extra=OFFICER)
    decider = token_for("sensitive", extra=DECIDER)  # a second officer: four eyes apply
    queue = client.get("/access/incoming", headers=assessor).get_data(as_text=True)
    assert f"/access/requests/{request_id}" in queue
    page = client.get(f"/access/requests/{request_id}", headers=assessor).get_data(as_text=True)
    assert "10 kap. 28 §" in page  # the entry's disclosure basis
    assert "LOV-2016-05-27-14" in page  # the requester's processing basis
    assert "Take into assessment" in page
    assert client.post(f"/access/requests/{request_id}/assess", headers=assessor).status_code == 303
    page = client.get(f"/access/requests/{request_id}", headers=assessor).get_data(as_text=True)
    assert 'id="four-eyes"' in page

    decision = {
        "decision": "grant",
        "reason": "Utlämnande enligt 10 kap. 28 § OSL.",
        "basis": "0",
        "valid_until": (date.today() + timedelta(days=365)).isoformat(),
        "operations": ["getInkomst"],
        "data_elements": ["personal-identity-number", "income"],
    }
    # Four eyes: the service refuses the assessor, and the page says so.
    own = client.post(f"/access/requests/{request_id}/decision", data=decision, headers=assessor)
    assert own.status_code == 403 and "Four eyes" in own.get_data(as_text=True), re.findall(
        r"field-error.*?</ul>", own.get_data(as_text=True), re.S
    )
    # A grant without its last day: the schema's message beside the field.
    undated = client.post(
        f"/access/requests/{request_id}/decision", data={**decision, "valid_until": ""}, headers=decider
    )
    assert undated.status_code == 422
    assert "A grant names the last day" in error_beside(undated.get_data(as_text=True), "d-valid_until")
    # Every operation unticked means none (the API would read it as "as asked"): asked again.
    none = client.post(
        f"/access/requests/{request_id}/decision", data={**decision, "operations": []}, headers=decider
    )
    assert none.status_code == 422
    assert "Tick at least one operation" in error_beside(none.get_data(as_text=True), "d-operations")
    done = client.post(f"/access/requests/{request_id}/decision", data=decision, headers=decider)
    assert done.status_code == 303, done.get_data(as_text=True)
    grant_id = client.get(f"/api/v1/access-requests/{request_id}", headers=decider).json["grant"]

    register = client.get("/access/grants?direction=received", headers=developer).get_data(as_text=True)
    assert f"/access/grants/{grant_id}" in register and "LOV-2016-05-27-14" in register
    given = client.get(f"/access/grants/{grant_id}", headers=decider).get_data(as_text=True)
    assert "getInkomst" in given and "sokInkomster" not in given  # narrowed
    assert "Revoke the grant" in given
    received = client.get(f"/access/grants/{grant_id}", headers=developer).get_data(as_text=True)
    assert "Revoke the grant" not in received and ">Renew<" in received

    # Revoke: a reason is needed, beside its field; then the grant is revoked.
    empty = client.post(f"/access/grants/{grant_id}/revoke", data={"reason": " "}, headers=decider)
    assert empty.status_code == 422 and error_beside(empty.get_data(as_text=True), "r-reason")
    assert (
        client.post(f"/access/grants/{grant_id}/revoke", data={"reason": "Avtalet upphör."}, headers=decider)
    ).status_code == 303
    assert "Avtalet upphör." in client.get(f"/access/grants/{grant_id}", headers=developer).get_data(
        as_text=True
    )

    # Renew: a new request, pre-filled from the old one.
    renewed = client.post(f"/access/requests/{request_id}/renew", headers=developer)
    assert renewed.status_code == 303
    new_id = _request_id(renewed.headers["Location"])
    assert new_id != request_id
    again = client.get(f"/api/v1/access-requests/{new_id}", headers=developer).json
    assert again["renews"] == grant_id and [o["name"] for o in again["operations"]] == ["getInkomst"]


def test_a_refusal_shows_its_reason_and_the_blocking_flag(client, app, token_for):
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK])  # no disclosure basis
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    sent = client.post(
        f"/entries/{entry['id']}/request-access", data=request_form(system[0]), headers=developer
    )
    request_id = _request_id(sent.headers["Location"])
    officer = token_for("sensitive", extra=DECIDER)
    client.post(f"/access/requests/{request_id}/assess", headers=officer)
    page = client.get(f"/access/requests/{request_id}", headers=officer).get_data(as_text=True)
    assert "No disclosure basis" in page and "cannot be granted as it stands" in page
    granted = client.post(
        f"/access/requests/{request_id}/decision",
        data={
            "decision": "grant",
            "reason": "x",
            "valid_until": (date.today() + timedelta(days=30)).isoformat(),
        },
        headers=officer,
    )
    assert granted.status_code == 422 and "cites no disclosure basis" in granted.get_data(as_text=True)
    reason = "Uppgifterna får inte lämnas ut: ingen bestämmelse medger utlämnande."
    client.post(
        f"/access/requests/{request_id}/decision",
        data={"decision": "refuse", "reason": reason},
        headers=officer,
    )
    seen = client.get(f"/access/requests/{request_id}", headers=developer).get_data(as_text=True)
    assert "Refused" in seen and "Why it was refused" in seen and reason in seen


def test_other_agencies_requests_and_grants_are_missing(client, app, token_for, asked):
    _entry, request_id, _developer = asked
    decider = token_for("sensitive", extra=DECIDER)
    client.post(f"/api/v1/access-requests/{request_id}/assess", headers=decider)
    decision = {
        "decision": "grant",
        "reason": "OK.",
        "disclosure_basis": OSL_DISCLOSURE,
        "valid_until": str(date.today() + timedelta(days=365)),
    }
    made = client.post(f"/api/v1/access-requests/{request_id}/decision", json=decision, headers=decider)
    grant_id = made.json["grant"]
    for extra in (("catalogue:write",), ("catalogue:review",), ("catalogue:audit",)):
        outsider = {**token_for("sensitive", agency=LANTMATERIET, extra=extra), **HTML}
        for path, known in (("/access/requests/{}", request_id), ("/access/grants/{}", grant_id)):
            theirs = client.get(path.format(known), headers=outsider)
            never = client.get(path.format(MISSING), headers=outsider)
            assert theirs.status_code == never.status_code == 404
            assert theirs.get_data(as_text=True).replace(known, "ID") == never.get_data(as_text=True).replace(
                MISSING, "ID"
            )
        for post in ("assess", "decision", "withdraw", "renew"):
            assert client.post(f"/access/requests/{request_id}/{post}", headers=outsider).status_code == 404
        revoke = client.post(f"/access/grants/{grant_id}/revoke", data={"reason": "x"}, headers=outsider)
        assert revoke.status_code == 404
        for listing in ("/access/incoming", "/access/requests", "/access/grants"):
            html = client.get(listing, headers=outsider).get_data(as_text=True)
            assert request_id not in html and grant_id not in html


def test_hostile_text_is_escaped(client, app, token_for):
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    hostile = '<script>alert("x")</script> "quoted" \'single\''
    sent = client.post(
        f"/entries/{entry['id']}/request-access",
        data=request_form(system[0], purpose=hostile, **{"contact.name": hostile}),
        headers=developer,
    )
    assert sent.status_code == 303
    request_id = _request_id(sent.headers["Location"])
    for who in (developer, token_for("sensitive", extra=OFFICER)):
        html = client.get(f"/access/requests/{request_id}", headers=who).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    # The form shown again with a message keeps the text, escaped.
    again = client.post(
        f"/entries/{entry['id']}/request-access",
        data=request_form(system[0], purpose=hostile, **{"contact.email": "x"}),
        headers=developer,
    )
    assert again.status_code == 422 and "<script>alert" not in again.get_data(as_text=True)


def test_a_signed_in_form_without_its_token_is_refused(client, app, token_for):
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    make_user(app, "kari", agency=SKATTEETATEN, roles=("data_owner",))
    sign_in(client, "kari")
    form_page = client.get(f"/entries/{entry['id']}/request-access", headers=HTML)
    assert form_page.status_code == 200
    html = form_page.get_data(as_text=True)
    forms = re.findall(r'<form method="post".*?</form>', html, re.S)
    assert forms and all('name="csrf_token" value="' in f for f in forms)
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    for path in (
        f"/entries/{entry['id']}/request-access",
        f"/access/requests/{MISSING}/assess",
        f"/access/requests/{MISSING}/decision",
        f"/access/requests/{MISSING}/withdraw",
        f"/access/requests/{MISSING}/renew",
        f"/access/grants/{MISSING}/revoke",
    ):
        refused = client.post(path, data=request_form(system[0]), headers=HTML)
        assert refused.status_code == 400, path
    # With its token, the same session's request is sent.
    sent = client.post(
        f"/entries/{entry['id']}/request-access",
        data={**request_form(system[0]), "csrf_token": page_csrf(html)},
        headers=HTML,
    )
    assert sent.status_code == 303
    assert uuid.UUID(_request_id(sent.headers["Location"]))
