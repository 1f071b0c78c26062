"""``tillit harvest run-due`` records each source's run in the audit chain: one
``harvest.run`` event per source, by the publisher's harvest identity, with the source,
its URL and profile, and the counts or the error, committed with the source's outcome."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from catalogue.models import AuditEvent, utcnow
from catalogue.models_harvest import HarvestSource
from dcat.harvest.running import RUN_ACTION
from tests.agencies import SKATTEVERKET
from tests.integration.test_harvest import _catalogue, _dataset, _Pages, pages  # noqa: F401  (a fixture)


def _register(app: Flask, url: str) -> str:
    with app.extensions["tillit"].sessions() as session:
        source = HarvestSource(
            agency=SKATTEVERKET,
            url=url,
            profile="dcat-ap-se",
            every_hours=24,
            next_run=utcnow(),
            created_by="test",
        )
        session.add(source)
        session.commit()
        return source.id


def _runs(app: Flask) -> list[AuditEvent]:
    with app.extensions["tillit"].sessions() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == RUN_ACTION).order_by(AuditEvent.seq)
            )
        )


def test_each_scheduled_run_is_one_event_of_the_audit_chain(
    app: Flask,
    run_cli: Any,
    pages: str,  # noqa: F811
) -> None:
    _Pages.pages = {"/good": _catalogue(_dataset(1), _dataset(2)).encode(), "/broken": b"<https://broken"}
    good = _register(app, f"{pages}/good")
    broken = _register(app, f"{pages}/broken")
    result = run_cli("harvest", "run-due", "--json")
    assert result.exit_code == 0, result.output

    runs = _runs(app)
    assert [(e.actor, e.actor_agency, e.decision, e.entry_id) for e in runs] == [
        (f"harvest:{SKATTEVERKET}", SKATTEVERKET, "allow", None)
    ] * 2
    by_source = {e.details["source"]: e.details for e in runs}
    assert by_source[good] == {
        "agency": SKATTEVERKET,
        "source": good,
        "url": f"{pages}/good",
        "profile": "dcat-ap-se",
        "outcome": "harvested",
        "counts": {"created": 2, "updated": 0, "unchanged": 0, "retired": 0, "rejected": 0},
    }
    assert by_source[broken] == {
        "agency": SKATTEVERKET,
        "source": broken,
        "url": f"{pages}/broken",
        "profile": "dcat-ap-se",
        "outcome": "failed",
        "error": "The source is not valid Turtle.",
    }
    # Each event comes after the events of the entries its run wrote, and the chain holds.
    with app.extensions["tillit"].sessions() as session:
        creates = session.scalars(
            select(AuditEvent.seq).where(AuditEvent.action == "entry.create").order_by(AuditEvent.seq)
        ).all()
    assert len(creates) == 2
    assert runs[0].seq > creates[-1] or runs[1].seq > creates[-1]
    verified = run_cli("audit", "verify")
    assert verified.exit_code == 0, verified.output

    # Not due again: no run, no event.
    assert run_cli("harvest", "run-due").output.strip() == "No source is due."
    assert len(_runs(app)) == 2
