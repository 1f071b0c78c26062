"""Attack: manage another agency with an administrator's token of your own agency.

``catalogue:admin`` is an agency's own administrator; there is no platform
administrator role (security/roles.py). An agency's names, contacts and clearance, and
its retirement (its clients then get no more tokens), are its own administrators'
business, or the operator's (the system, through the CLI). An admin of another agency
gets 403 and nothing changes; agencies are public, so a 404 would hide nothing.
"""

from __future__ import annotations

import pytest

from tests.conftest import LANTMATERIET, SKATTEVERKET

ADMIN = ("catalogue:admin",)


def _url(orgnr: str) -> str:
    return f"/api/v1/agencies/{orgnr}"


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("patch", {"clearance": "sensitive"}),
        ("patch", {"homepage": "https://evil.example"}),
        ("put", {"name": {"sv": "Kapad"}, "clearance": "sensitive"}),
        ("delete", None),
    ],
)
def test_an_admin_of_another_agency_changes_nothing(client, token_for, method, body):
    other = token_for("public", agency=LANTMATERIET, extra=ADMIN)
    before = client.get(_url(SKATTEVERKET))
    response = getattr(client, method)(
        _url(SKATTEVERKET), json=body, headers={**other, "If-Match": before.headers["ETag"]}
    )
    assert response.status_code == 403
    assert response.json["detail"] == "An agency is managed by its own administrators."
    after = client.get(_url(SKATTEVERKET))
    assert after.json == before.json and after.headers["ETag"] == before.headers["ETag"]


def test_the_agency_s_own_admin_manages_it(client, token_for):
    own = token_for("public", agency=SKATTEVERKET, extra=ADMIN)
    current = client.get(_url(SKATTEVERKET))
    changed = client.patch(
        _url(SKATTEVERKET),
        json={"homepage": "https://www.skatteverket.se"},
        headers={**own, "If-Match": current.headers["ETag"]},
    )
    assert changed.status_code == 200 and changed.json["homepage"] == "https://www.skatteverket.se"
    retired = client.delete(_url(SKATTEVERKET), headers={**own, "If-Match": changed.headers["ETag"]})
    assert retired.status_code == 200 and retired.json["retired"] is True


def test_an_agency_admin_lowers_but_never_raises_its_own_agencys_clearance(client, token_for):
    """The agency's clearance caps what its own people read; its admin raising it would be
    the agency granting itself what only the operator decides."""
    before = client.get(_url(LANTMATERIET))
    assert before.json["clearance"] == "sensitive"
    own = token_for("sensitive", agency=LANTMATERIET, extra=ADMIN)
    lowered = client.patch(
        _url(LANTMATERIET),
        json={"clearance": "internal"},
        headers={**own, "If-Match": before.headers["ETag"]},
    )
    assert lowered.status_code == 200 and lowered.json["clearance"] == "internal"
    capped = token_for("internal", agency=LANTMATERIET, extra=ADMIN)
    raised = client.patch(
        _url(LANTMATERIET),
        json={"clearance": "sensitive"},
        headers={**capped, "If-Match": lowered.headers["ETag"]},
    )
    assert raised.status_code == 403
    assert raised.json["detail"] == "No one gives an agency a clearance above their own."
    assert client.get(_url(LANTMATERIET)).json["clearance"] == "internal"


def test_an_admin_never_registers_an_agency_above_its_own_clearance(client, token_for):
    admin = token_for("internal", agency=LANTMATERIET, extra=ADMIN)
    body = {"orgnr": "2021005489", "country": "SE", "name": {"sv": "Bolagsverket"}}
    above = client.post("/api/v1/agencies", json={**body, "clearance": "sensitive"}, headers=admin)
    assert above.status_code == 403
    assert client.get("/api/v1/agencies/202100-5489").status_code == 404
    within = client.post("/api/v1/agencies", json={**body, "clearance": "internal"}, headers=admin)
    assert within.status_code == 201 and within.json["clearance"] == "internal"
