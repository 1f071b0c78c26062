"""Issue 16: the audit views show statutes by name in the reader's language, the reference
beside it. A grant's event cites the entry's disclosure basis (SE 2009:400, the
Offentlighets- och sekretesslag); the audit page and ``GET /api/v1/audit`` name it in sv and
en; a statute the register does not know stays a number."""

from __future__ import annotations

import pytest
from flask import render_template

from api.resources.audit import name_statutes
from api.web import labels
from security.identity import system_identity
from tests.conftest import SKATTEETATEN, register_client
from tests.integration.test_access_story import (
    OSL_DISCLOSURE,
    granted_through_the_api,
)
from tests.integration.web.work_helpers import AUDITOR

#: The register's names of SE 2009:400 (catalogue/statutes_data/statutes.json).
OSL = {
    "sv": "Offentlighets- och sekretesslag (2009:400) (OSL)",
    "en": "Public Access to Information and Secrecy Act (OSL)",
}
#: A real statute the seed register does not hold: SFS 2001:181, lag om behandling av
#: uppgifter i Skatteverkets beskattningsverksamhet (rkrattsbaser.gov.se, SFS-nummer 2001:181).
UNKNOWN = {"jurisdiction": "SE", "reference": "2001:181"}


@pytest.fixture
def granted(client, app, token_for):
    """A grant under the entry's disclosure basis (10 kap. 28 § OSL): its event is in the log."""
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    granted_through_the_api(client, app, token_for, system[0])
    return token_for("sensitive", extra=AUDITOR)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_audit_page_names_the_statute_beside_its_reference(client, granted, lang):
    page = client.get(f"/work/audit?action=access.grant&lang={lang}", headers=granted)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'<span lang="{lang}">{OSL[lang]}</span> <code>2009:400</code>' in html
    other = OSL["en" if lang == "sv" else "sv"]
    assert other not in html


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_audit_api_names_the_statute_beside_the_reference(client, granted, lang):
    events = client.get(
        "/api/v1/audit?action=access.grant", headers={**granted, "Accept-Language": lang}
    ).json["items"]
    assert len(events) == 1
    event = events[0]
    assert event["details"]["disclosure_basis"]["reference"] == "2009:400"  # as recorded
    assert "statute" not in event["details"]["disclosure_basis"]
    [cited] = event["statutes"]
    assert (cited["jurisdiction"], cited["reference"]) == ("SE", "2009:400")
    assert cited["statute"]["lang"] == lang
    name = cited["statute"]["name"]
    assert f"{name} ({cited['statute']['short_name']})" == OSL[lang]


def test_an_event_citing_nothing_has_no_statutes(client, granted):
    events = client.get("/api/v1/audit?action=access.assess", headers=granted).json["items"]
    assert events and all(e["statutes"] == [] for e in events)


def test_an_unknown_statute_stays_a_number(app, client, granted):
    ext = app.extensions["tillit"]
    body = {
        "seq": 1,
        "at": "2026-01-01T00:00:00Z",
        "action": "access.grant",
        "decision": "allow",
        "actor": "someone",
        "actor_label": None,
        "details": {"disclosure_basis": {**UNKNOWN, "role": "disclosure"}, "also": [OSL_DISCLOSURE]},
        "redacted": False,
    }
    with app.test_request_context("/work/audit?lang=sv", headers=granted):
        app.preprocess_request()
        [named] = name_statutes([body], (system_identity(ext.scheme), "sv"))
        html = render_template(
            "work/audit.html",
            events=[named],
            total=1,
            page=1,
            asked={},
            errors={},
            exports={"csv": {}, "json": {}},
            statute_text=labels.statute_text,
        )
    assert named["statutes"] == [
        UNKNOWN,
        {
            "jurisdiction": "SE",
            "reference": "2009:400",
            "statute": {
                "name": "Offentlighets- och sekretesslag (2009:400)",
                "short_name": "OSL",
                "lang": "sv",
            },
        },
    ]
    assert "<li><code>2001:181</code></li>" in html
