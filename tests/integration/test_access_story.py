"""Issue 19's story through the HTTP API: from "may we?" to a token that works, with
the law on both sides recorded, and back (revocation, refusal)."""

from __future__ import annotations

import copy
from datetime import date, timedelta

from tests.conftest import SKATTEETATEN, SKATTEVERKET, fetch_token, register_client
from tests.factories import GDPR_TASK, MINIMAL_OPENAPI, OSL_TAX, create_entry, publish
from tests.integration.test_entries_rules import problem
from tests.security.conftest import bearer
from tests.security.people import basic

WRITER = ("catalogue:write",)
OFFICER = ("catalogue:review",)
#: The officer who decides: not the one who assessed (four eyes), and an auditor too.
DECIDER = ("catalogue:review", "catalogue:audit")
OSL_DISCLOSURE = {
    "role": "disclosure",
    "jurisdiction": "SE",
    "reference": "2009:400",
    "provision": "10 kap. 28 §",
}
#: Skatteetaten's own processing basis: skatteforvaltningsloven (LOV-2016-05-27-14), the
#: statute the demo cites for Skatteetaten's own data (catalogue/demo_data/SOURCES.md).
SKATTEETATEN_PROCESSING = {"role": "processing", "jurisdiction": "NO", "reference": "LOV-2016-05-27-14"}


def income_api_document() -> dict:
    document = copy.deepcopy(MINIMAL_OPENAPI)
    document["paths"]["/inkomster"] = {
        "get": {
            "summary": "Sök inkomstuppgifter",
            "operationId": "sokInkomster",
            "responses": {"200": {"description": "OK"}},
        }
    }
    return document


def sensitive_api(client, app, token_for, legal_basis) -> dict:
    """A sensitive Skatteverket API whose existence is public (listed at public)."""
    owner = token_for("sensitive", extra=WRITER)
    entry = create_entry(
        client,
        owner,
        "apis",
        classification="sensitive",
        listing_level="public",
        contains_personal_data=True,
        legal_basis=legal_basis,
        openapi=income_api_document(),
    )
    publish(app, entry["id"])
    return entry


def request_body(entry_id: str, client_id: str, **overrides) -> dict:
    start = date.today()
    body = {
        "entry": entry_id,
        "operations": ["getInkomst", "sokInkomster"],
        "purpose": "Kontroll av inntekt i Sverige for personer skattepliktige i Norge.",
        "purpose_code": "dpv:LegalCompliance",
        "processing_basis": [SKATTEETATEN_PROCESSING],
        "data_elements": ["personal-identity-number", "income"],
        "period_start": start.isoformat(),
        "period_end": (start + timedelta(days=365)).isoformat(),
        "consumer_client_id": client_id,
        "contact": {"name": "Kari Nordmann", "email": "kari@skatteetaten.no"},
    }
    body.update(overrides)
    return body


def granted_through_the_api(
    client, app, token_for, consumer: str | None, *, valid_until: date | None = None, **overrides
) -> dict:
    """A sensitive Skatteverket API with a disclosure basis, granted to Skatteetaten step by
    step through the API: a Skatteetaten developer's request (for client ``consumer``, or
    as ``overrides`` say), an officer's assessment, another officer's grant under the
    entry's disclosure basis. The decision's body, with ``entry``, ``request`` (its id) and
    the tokens of the ``developer`` and the ``decider``."""
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    made = client.post(
        "/api/v1/access-requests", json=request_body(entry["id"], consumer, **overrides), headers=developer
    )
    assert made.status_code == 201, made.json
    client.post(
        f"/api/v1/access-requests/{made.json['id']}/assess", headers=token_for("sensitive", extra=OFFICER)
    )
    decider = token_for("sensitive", extra=DECIDER)
    decided = client.post(
        f"/api/v1/access-requests/{made.json['id']}/decision",
        json={
            "decision": "grant",
            "reason": "OK.",
            "disclosure_basis": OSL_DISCLOSURE,
            "valid_until": str(valid_until or date.today() + timedelta(days=90)),
        },
        headers=decider,
    )
    assert decided.status_code == 200, decided.json
    return {
        **decided.json,
        "entry": entry,
        "request": made.json["id"],
        "developer": developer,
        "decider": decider,
    }


def resource_server(app) -> tuple[str, str]:
    from authserver.services.clients import ClientService
    from security.identity import system_identity

    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        issued = ClientService(session, ext.scheme).create(
            system_identity(ext.scheme),
            agency=SKATTEVERKET,
            name="Skatteverket API gateway",
            scopes=["catalogue:read:public"],
            resource_server=True,
        )
        return issued.client.client_id, issued.secret


def test_the_whole_story(client, app, token_for):
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    # A Skatteetaten developer sees the entry only as a summary...
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    summary = client.get(f"/api/v1/apis/{entry['id']}", headers=developer).json
    assert summary["redacted"] is True
    # ...and asks for two of its operations, for Skatteetaten's own system.
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    made = client.post(
        "/api/v1/access-requests", json=request_body(entry["id"], system[0]), headers=developer
    )
    assert made.status_code == 201, made.json
    request_id = made.json["id"]
    assert made.headers["Location"] == f"/api/v1/access-requests/{request_id}"
    assert made.json["state"] == "submitted" and made.json["flags"] == []  # flags are the provider's
    assert made.json["disclosure_bases"] is None

    # Skatteverket's officers see it in their queue, with the law on both sides.
    assessor = token_for("sensitive", extra=OFFICER)
    queue = client.get("/api/v1/access-requests?role=incoming", headers=assessor).json
    assert [r["id"] for r in queue["items"]] == [request_id]
    seen = queue["items"][0]
    assert seen["sharing_status"] == "shareable"
    assert [b["provision"] for b in seen["disclosure_bases"]] == ["10 kap. 28 §"]
    assert seen["processing_basis"][0]["reference"] == "LOV-2016-05-27-14"
    assert {e["key"]: e["special_category"] for e in seen["data_elements"]} == {
        "personal-identity-number": False,
        "income": False,
    }
    assert [(o["name"], o["known"], o["classification"]) for o in seen["operations"]] == [
        ("getInkomst", True, "sensitive"),
        ("sokInkomster", True, "sensitive"),
    ]
    assert not [f for f in seen["flags"] if f["blocking"]]
    assert client.post(f"/api/v1/access-requests/{request_id}/assess", headers=assessor).status_code == 200

    decision = {
        "decision": "grant",
        "reason": "Utlämnande enligt 10 kap. 28 § OSL; endast enskild uppgift behövs.",
        "disclosure_basis": OSL_DISCLOSURE,
        "valid_until": (date.today() + timedelta(days=365)).isoformat(),
        "operations": ["getInkomst"],
    }
    # Four eyes: the agency has two officers, so the assessor does not decide.
    decider = token_for("sensitive", extra=("catalogue:review", "catalogue:audit"))
    mine = client.post(f"/api/v1/access-requests/{request_id}/decision", json=decision, headers=assessor)
    assert "Four eyes" in problem(mine, 403)["detail"]
    wrong_basis = {**decision, "disclosure_basis": {**OSL_DISCLOSURE, "provision": "10 kap. 2 §"}}
    bad = client.post(f"/api/v1/access-requests/{request_id}/decision", json=wrong_basis, headers=decider)
    assert problem(bad, 422)["errors"]["disclosure_basis"]
    decided = client.post(f"/api/v1/access-requests/{request_id}/decision", json=decision, headers=decider)
    assert decided.status_code == 200, decided.json
    assert decided.json["state"] == "granted"
    assert [s["state"] for s in decided.json["steps"]] == ["submitted", "in_assessment", "granted"]
    grant_id = decided.json["grant"]

    # Both sides see the grant in their register.
    given = client.get("/api/v1/grants?direction=given", headers=decider).json
    assert [g["id"] for g in given["items"]] == [grant_id]
    grant = given["items"][0]
    assert grant["operations"] == ["getInkomst"] and grant["state"] == "active"
    assert grant["disclosure_basis"]["provision"] == "10 kap. 28 §"
    assert grant["processing_basis"][0]["reference"] == "LOV-2016-05-27-14"
    received = client.get("/api/v1/grants?direction=received", headers=developer).json
    assert [g["id"] for g in received["items"]] == [grant_id]
    scope = f"grant:{grant_id}"
    assert received["items"][0]["scope"] == scope

    # A Skatteetaten client gets a token with the grant's scope; introspection shows it.
    token = fetch_token(client, *system, scope=f"catalogue:read:public {scope}")
    rs = resource_server(app)
    shown = client.post("/oauth/introspect", data={"token": token}, headers=basic(*rs)).json
    assert shown["active"] is True and scope in shown["scope"].split()
    # Another client of the same agency may not ask for it.
    other = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    refused = client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "scope": scope}, headers=basic(*other)
    )
    assert refused.json["error"] == "invalid_scope"

    # Exports for systems that enforce access elsewhere.
    exported = client.get(f"/api/v1/grants/{grant_id}/export?format=maskinporten", headers=decider).json
    assert exported["scope"] == scope and exported["consumer_orgnr"] == "974761076"
    assert exported["owner_orgnr"] == "2021005448"

    # Revoked: a new token lacks the scope at once, and the old one is refused.
    revoked = client.post(
        f"/api/v1/grants/{grant_id}/revoke", json={"reason": "Avtalet har upphört."}, headers=decider
    )
    assert revoked.status_code == 200 and revoked.json["state"] == "revoked"
    again = client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "scope": scope}, headers=basic(*system)
    )
    assert again.json["error"] == "invalid_scope"
    plain = fetch_token(client, *system)
    assert (
        scope not in client.post("/oauth/introspect", data={"token": plain}, headers=basic(*rs)).json["scope"]
    )
    assert client.post("/oauth/introspect", data={"token": token}, headers=basic(*rs)).json == {
        "active": False
    }
    assert client.get("/api/v1/datasets", headers=bearer(token)).status_code == 401


def test_refusal_for_an_entry_without_a_disclosure_basis_shows_its_reason(client, app, token_for):
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK])
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    made = client.post(
        "/api/v1/access-requests", json=request_body(entry["id"], system[0]), headers=developer
    )
    request_id = made.json["id"]
    officer = token_for("sensitive", extra=OFFICER)
    seen = client.get(f"/api/v1/access-requests/{request_id}", headers=officer).json
    assert seen["sharing_status"] == "no_disclosure_basis"
    assert [f["code"] for f in seen["flags"] if f["blocking"]] == ["no_disclosure_basis"]
    client.post(f"/api/v1/access-requests/{request_id}/assess", headers=officer)
    grant = {
        "decision": "grant",
        "reason": "Ja.",
        "valid_until": (date.today() + timedelta(days=30)).isoformat(),
    }
    decider = token_for("sensitive", extra=("catalogue:review", "catalogue:audit"))
    cannot = client.post(f"/api/v1/access-requests/{request_id}/decision", json=grant, headers=decider)
    assert "no disclosure basis" in problem(cannot, 422)["errors"]["decision"][0]
    reason = "Uppgifterna omfattas av skattesekretess och ingen sekretessbrytande bestämmelse gäller."
    refused = client.post(
        f"/api/v1/access-requests/{request_id}/decision",
        json={"decision": "refuse", "reason": reason},
        headers=decider,
    )
    assert refused.json["state"] == "refused"
    mine = client.get(f"/api/v1/access-requests/{request_id}", headers=developer).json
    assert mine["state"] == "refused" and mine["reason"] == reason
    assert mine["flags"] == []  # the requester reads the reason, not the provider's assessment


def test_no_processing_basis_for_personal_data_is_flagged(client, app, token_for):
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    body = request_body(entry["id"], system[0], processing_basis=[])
    request_id = client.post("/api/v1/access-requests", json=body, headers=developer).json["id"]
    seen = client.get(
        f"/api/v1/access-requests/{request_id}", headers=token_for("sensitive", extra=OFFICER)
    ).json
    assert [f["code"] for f in seen["flags"] if f["blocking"]] == ["no_processing_basis"]


def test_withdraw_and_renew(client, app, token_for):
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    body = request_body(entry["id"], None, consumer_client_id=None, consumer_xroad="NO/GOV/974761076/skatt")
    first = client.post("/api/v1/access-requests", json=body, headers=developer).json
    withdrawn = client.post(
        f"/api/v1/access-requests/{first['id']}/withdraw", json={"reason": "Feil system."}, headers=developer
    )
    assert withdrawn.json["state"] == "withdrawn"
    again = client.post(
        f"/api/v1/access-requests/{first['id']}/withdraw", json={"reason": "x"}, headers=developer
    )
    problem(again, 409)

    second = client.post("/api/v1/access-requests", json=body, headers=developer).json
    officer = token_for("sensitive", extra=OFFICER)
    client.post(f"/api/v1/access-requests/{second['id']}/assess", headers=officer)
    decider = token_for("sensitive", extra=("catalogue:review", "catalogue:audit"))
    until = date.today() + timedelta(days=20)
    granted = client.post(
        f"/api/v1/access-requests/{second['id']}/decision",
        json={
            "decision": "grant",
            "reason": "OK.",
            "disclosure_basis": OSL_DISCLOSURE,
            "valid_until": str(until),
        },
        headers=decider,
    ).json
    grant_id = granted["grant"]
    xroad = client.get(f"/api/v1/grants/{grant_id}/export?format=xroad", headers=developer).json
    assert xroad["subject"]["member_code"] == "974761076" and xroad["service_codes"] == [
        "getInkomst",
        "sokInkomster",
    ]
    renewed = client.post(f"/api/v1/access-requests/{second['id']}/renew", headers=developer)
    assert renewed.status_code == 201, renewed.json
    assert renewed.json["renews"] == grant_id and renewed.json["state"] == "submitted"
    assert renewed.json["period_start"] == str(until + timedelta(days=1))
    assert renewed.json["consumer_xroad"] == "NO/GOV/974761076/skatt"


def _assessed(client, app, token_for, elements=("income",)):
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    body = request_body(entry["id"], system[0], data_elements=list(elements))
    made = client.post("/api/v1/access-requests", json=body, headers=developer)
    assert made.status_code == 201, made.json
    officer = token_for("sensitive", extra=OFFICER)
    assert (
        client.post(f"/api/v1/access-requests/{made.json['id']}/assess", headers=officer).status_code == 200
    )
    return made.json["id"], officer


def test_a_special_category_element_is_flagged_without_blocking(client, app, token_for):
    admin = token_for(None, extra=("catalogue:admin",))
    added = client.post(
        "/api/v1/data-elements",
        json={
            "key": "health-data",
            "uri": "urn:tillit:data-element:health-data",
            "vocabulary": "Tillit (test)",
            "labels": {"sv": "hälsouppgifter", "nb": "helseopplysninger", "en": "health data"},
            "special_category": True,
        },
        headers=admin,
    )
    assert added.status_code == 201 and added.json["special_category"] is True
    request_id, officer = _assessed(client, app, token_for, elements=("income", "health-data"))
    seen = client.get(f"/api/v1/access-requests/{request_id}", headers=officer).json
    assert {e["key"]: e["special_category"] for e in seen["data_elements"]} == {
        "income": False,
        "health-data": True,
    }
    flags = {f["code"]: f for f in seen["flags"]}
    assert (
        flags["special_category"]["blocking"] is False
        and "health-data" in flags["special_category"]["reason"]
    )


def test_narrowing_only_and_a_validity_that_has_not_ended(client, app, token_for):
    request_id, _ = _assessed(client, app, token_for)
    decider = token_for("sensitive", extra=("catalogue:review", "catalogue:audit"))
    base = {"decision": "grant", "reason": "OK.", "disclosure_basis": OSL_DISCLOSURE}
    url = f"/api/v1/access-requests/{request_id}/decision"
    widened = {**base, "valid_until": str(date.today() + timedelta(days=30)), "data_elements": ["name"]}
    assert problem(client.post(url, json=widened, headers=decider), 422)["errors"]["data_elements"]
    ended = {**base, "valid_from": "2020-01-01", "valid_until": "2020-12-31"}
    assert problem(client.post(url, json=ended, headers=decider), 422)["errors"]["valid_until"]
    missing = {k: v for k, v in base.items()}
    assert problem(client.post(url, json=missing, headers=decider), 422)["errors"]["valid_until"]
