"""The harvest-source register (/api/v1/agencies/<orgnr>/harvest-sources) and
``tillit harvest run-due``: an agency's own administrators only; sources due are harvested."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from catalogue.models import AuditEvent, Entry, utcnow
from catalogue.models_harvest import HarvestSource
from tests.agencies import LANTMATERIET, SKATTEVERKET
from tests.integration.test_harvest import _catalogue, _dataset, _Pages, pages  # noqa: F401  (a fixture)

BASE = f"/api/v1/agencies/{SKATTEVERKET}/harvest-sources"


def test_an_agency_admin_registers_lists_and_removes_sources(client: FlaskClient, token_for: Any) -> None:
    admin = token_for("public", agency=SKATTEVERKET, extra=("catalogue:admin",))
    created = client.post(
        BASE,
        json={"url": "https://data.example.se/catalog.ttl", "profile": "dcat-ap-se", "every_hours": 6},
        headers=admin,
    )
    assert created.status_code == 201, created.json
    source = created.json
    assert (source["url"], source["profile"], source["every_hours"]) == (
        "https://data.example.se/catalog.ttl",
        "dcat-ap-se",
        6,
    )
    assert created.headers["Location"] == f"{BASE}/{source['id']}"
    again = client.post(BASE, json={"url": "https://data.example.se/catalog.ttl"}, headers=admin)
    assert again.status_code == 409
    listed = client.get(BASE, headers=admin)
    assert [s["id"] for s in listed.json["items"]] == [source["id"]]
    assert client.delete(f"{BASE}/{source['id']}", headers=admin).status_code == 204
    assert client.get(BASE, headers=admin).json["items"] == []
    assert client.delete(f"{BASE}/{source['id']}", headers=admin).status_code == 404


def test_only_the_agencys_own_admins(client: FlaskClient, token_for: Any) -> None:
    other_admin = token_for("public", agency=LANTMATERIET, extra=("catalogue:admin",))
    data_owner = token_for("public", agency=SKATTEVERKET, extra=("catalogue:write",))
    body = {"url": "https://data.example.se/catalog.ttl"}
    # Another agency's administrator learns nothing of this agency's register: 404.
    assert client.get(BASE, headers=other_admin).status_code == 404
    assert client.post(BASE, json=body, headers=other_admin).status_code == 404
    # Without the admin scope: 403 at the edge.
    assert client.get(BASE, headers=data_owner).status_code == 403
    assert client.get(BASE).status_code in (401, 403)


def test_a_url_outside_the_outbound_rules_is_refused(client: FlaskClient, token_for: Any) -> None:
    admin = token_for("public", agency=SKATTEVERKET, extra=("catalogue:admin",))
    for url, field in (
        ("http://data.example.se/catalog.ttl", "url"),
        ("https://127.0.0.1/catalog.ttl", "url"),
        ("https://user:secret@data.example.se/", "url"),
    ):
        response = client.post(BASE, json={"url": url}, headers=admin)
        assert response.status_code == 422, response.json
        assert response.content_type == "application/problem+json"
        assert field in response.json["errors"]
        assert "secret" not in json.dumps(response.json)
    bad = client.post(BASE, json={"url": "https://x.example/", "every_hours": 0}, headers=admin)
    assert bad.status_code == 422


def test_run_due_harvests_the_sources_whose_time_has_come(
    app: Flask,
    client: FlaskClient,
    token_for: Any,
    run_cli: Any,
    pages: str,  # noqa: F811
) -> None:
    _Pages.pages = {"/catalog": _catalogue(_dataset(1), _dataset(2)).encode()}
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        session.add(
            HarvestSource(
                agency=SKATTEVERKET,
                url=f"{pages}/catalog",
                profile="dcat-ap-se",
                every_hours=24,
                next_run=utcnow(),
                created_by="test",
            )
        )
        session.commit()
    result = run_cli("harvest", "run-due", "--json")
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output.splitlines()[0])
    assert outcome["report"]["counts"]["created"] == 2
    with ext.sessions() as session:
        source = session.scalars(select(HarvestSource)).one()
        assert source.last_outcome == {"counts": outcome["report"]["counts"]}
        assert source.next_run > source.last_run  # the next one in 24 hours
        assert len(session.scalars(select(Entry)).all()) == 2
    # Not due again: nothing runs.
    assert run_cli("harvest", "run-due").output.strip() == "No source is due."
    # A failing source is recorded as failed, and the run goes on.
    _Pages.pages = {"/catalog": b"<https://broken"}
    with ext.sessions() as session:
        session.execute(update(HarvestSource).values(next_run=source.last_run))
        session.commit()
    result = run_cli("harvest", "run-due", "--json")
    outcome = json.loads(result.output.splitlines()[0])
    assert outcome["error"] == "The source is not valid Turtle."


def test_every_change_of_the_register_is_in_the_audit_chain(
    app: Flask, client: FlaskClient, token_for: Any
) -> None:
    admin = token_for("public", agency=SKATTEVERKET, extra=("catalogue:admin",))
    url = "https://data.example.se/catalog.ttl"
    source = client.post(BASE, json={"url": url, "every_hours": 6}, headers=admin).json
    changed = client.patch(
        f"{BASE}/{source['id']}", json={"profile": "dcat-ap-se", "every_hours": 12}, headers=admin
    )
    assert changed.status_code == 200, changed.json
    assert (changed.json["profile"], changed.json["every_hours"], changed.json["url"]) == (
        "dcat-ap-se",
        12,
        url,
    )
    # A change to nothing new is no change, and is not recorded.
    assert client.patch(f"{BASE}/{source['id']}", json={"every_hours": 12}, headers=admin).status_code == 200
    assert client.post(f"{BASE}/{source['id']}/run", headers=admin).status_code == 200
    assert client.delete(f"{BASE}/{source['id']}", headers=admin).status_code == 204
    # Refused changes change nothing and record nothing here.
    other_admin = token_for("public", agency=LANTMATERIET, extra=("catalogue:admin",))
    assert (
        client.patch(f"{BASE}/{source['id']}", json={"every_hours": 1}, headers=other_admin).status_code
        == 404
    )
    bad = client.patch(f"{BASE}/x", json={"every_hours": 0}, headers=admin)
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    with app.extensions["tillit"].sessions() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("harvest_source.%")).order_by(AuditEvent.seq)
        ).all()
        seen = [(e.action, e.actor_agency, e.details) for e in events]
    common = {"agency": SKATTEVERKET, "source": source["id"], "url": url}
    assert seen == [
        ("harvest_source.create", SKATTEVERKET, {**common, "profile": "dcat-ap", "every_hours": 6}),
        (
            "harvest_source.update",
            SKATTEVERKET,
            {**common, "profile": "dcat-ap-se", "every_hours": 12, "fields": ["every_hours", "profile"]},
        ),
        ("harvest_source.run", SKATTEVERKET, {**common, "profile": "dcat-ap-se", "every_hours": 12}),
        ("harvest_source.delete", SKATTEVERKET, {**common, "profile": "dcat-ap-se", "every_hours": 12}),
    ]
