""" "Who has read this" shows one line per visit (catalogue.services.reader_visits), while
the audit log keeps every read served: the OpenAPI viewer's page and the document its
script fetches are two reads, one visit."""

from __future__ import annotations

import re

from sqlalchemy import select

from catalogue.models import AuditEvent
from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.integration.web.pagekit import create_api, text
from tests.integration.web.work_helpers import OFFICER


def _reads_by(app, entry_id: str, actor_agency: str) -> list[dict]:
    with app.extensions["tillit"].sessions() as session:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entry_id == entry_id, AuditEvent.actor_agency == actor_agency)
            .order_by(AuditEvent.seq)
        ).all()
        return [{"action": r.action, "details": r.details} for r in rows]


def test_one_visit_to_the_viewer_is_one_line_and_every_read_is_in_the_log(app, client, token_for):
    api = create_api(app, SKATTEVERKET, "Inkomst-API", classification="internal")
    reader = token_for("internal", agency=LANTMATERIET)
    assert client.get(f"/entries/{api}?lang=en", headers=reader).status_code == 200
    assert client.get(f"/entries/{api}/openapi?lang=en", headers=reader).status_code == 200
    assert client.get(f"/entries/{api}/openapi.json", headers=reader).status_code == 200
    # The log: what was served, each once (the viewer page is one read, not two).
    assert _reads_by(app, api, LANTMATERIET) == [{"action": "entry.read", "details": {"view": "full"}}] * 3
    officer = token_for("sensitive", agency=SKATTEVERKET, extra=OFFICER)
    page = text(client.get(f"/work/entries/{api}/readers?lang=en", headers=officer))
    rows = re.findall(r"<tr><td>.*?</tr>", page, re.S)
    lantmateriet = [r for r in rows if "Lantmäteriet" in r or "Swedish Mapping" in r]
    assert len(lantmateriet) == 1, rows  # one visit: the entry page, the viewer and its document
    assert "The whole entry" in lantmateriet[0] and "<td>3</td>" in lantmateriet[0]
    assert "within 30 minutes of their first" in page
