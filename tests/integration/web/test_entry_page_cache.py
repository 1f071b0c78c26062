"""The entry page's kept body (api/web/entry_page.py, ``body_cache``): never another
reader's view, never stale after a change, and every read still audited."""

from __future__ import annotations

from sqlalchemy import func, select

from api.web.entry_page import body_cache
from catalogue.models import AuditEvent
from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.integration.web.pagekit import text
from tests.searchkit import create_entry

ADMIN = ("catalogue:admin",)


def _reads(app, entry_id: str) -> int:
    with app.extensions["tillit"].sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.entry_id == entry_id, AuditEvent.action == "entry.read")
            )
            or 0
        )


def _kept_for(entry_id: str) -> int:
    return sum(1 for key in list(body_cache._items) if key[0] == entry_id)


def test_each_reader_gets_the_body_of_their_own_view_and_each_read_is_audited(app, client, token_for):
    entry_id = create_entry(
        app, SKATTEVERKET, "Inkomstregister", classification="internal", listing_level="public"
    )
    cleared = token_for("internal", agency=LANTMATERIET)
    public = token_for("public", agency=LANTMATERIET)
    before = _reads(app, entry_id)
    for _ in range(2):  # the second round is served from the kept bodies
        whole = text(client.get(f"/entries/{entry_id}?lang=en", headers=cleared))
        summary = text(client.get(f"/entries/{entry_id}?lang=en", headers=public))
        assert "27 kap. 1 §" in whole and "More exists than you can see" not in whole
        assert "More exists than you can see" in summary and "27 kap. 1 §" not in summary
    assert _kept_for(entry_id) == 2  # one body per view
    assert _reads(app, entry_id) - before == 4  # cached or not, each read is an audit event, as in the API
    swedish = text(client.get(f"/entries/{entry_id}?lang=sv", headers=cleared))
    assert "Offentlighets- och sekretesslag" in swedish and "Legal basis" not in swedish


def test_a_renamed_publisher_or_statute_shows_at_once(app, client, token_for):
    entry_id = create_entry(app, SKATTEVERKET, "Inkomstregister", classification="internal")
    reader = token_for("internal", agency=LANTMATERIET)
    path = f"/entries/{entry_id}?lang=en"
    assert "Swedish Tax Agency" in text(client.get(path, headers=reader))
    admin = token_for("public", extra=ADMIN)
    agency = client.get(f"/api/v1/agencies/{SKATTEVERKET}")
    renamed = client.patch(
        f"/api/v1/agencies/{SKATTEVERKET}",
        json={"name": {"en": "The Renamed Tax Agency", "sv": "Skatteverket"}},
        headers={**admin, "If-Match": agency.headers["ETag"]},
    )
    assert renamed.status_code == 200, renamed.json
    page = text(client.get(path, headers=reader))
    assert "The Renamed Tax Agency" in page and "Swedish Tax Agency" not in page
    statute = client.get("/api/v1/statutes/SE/2009:400")
    change = {"names": {"sv": "Provnamn (2009:400)", "en": "Trial Name Act"}, "short_names": {"sv": ["PROV"]}}
    put = client.put(
        "/api/v1/statutes/SE/2009:400", json=change, headers={**admin, "If-Match": statute.headers["ETag"]}
    )
    assert put.status_code == 200, put.json
    page = text(client.get(path, headers=reader))
    assert "Trial Name Act" in page and "Public Access to Information and Secrecy Act" not in page
