"""The entry page: everything the reader may see, named; a summary that says more exists and
whom to ask; the OpenAPI viewer only for readers of the whole API; agencies and themes."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from catalogue.models import AuditEvent
from tests.conftest import LANTMATERIET, SKATTEETATEN, SKATTEVERKET
from tests.factories import MINIMAL_OPENAPI
from tests.integration.web.pagekit import create_api, text
from tests.searchkit import create_entry

CONTACT = {"name": "Registerenheten", "email": "register@skatteverket.se"}


def test_a_whole_dataset_is_shown_with_names_and_meanings(app, client, token_for):
    entry_id = create_entry(
        app,
        SKATTEVERKET,
        "Inkomstuppgifter",
        classification="internal",
        themes=["ECON"],
        keywords={"sv": ["inkomst"], "en": ["income"]},
        contact_point=CONTACT,
        licence="https://creativecommons.org/licenses/by/4.0/",
        update_frequency="MONTHLY",
        spatial="Sverige",
        temporal={"start": "2019-01-01", "end": "2024-12-31"},
        data_elements=["postal-address", "name"],
        authoritative_for=["postal-address"],
        distributions=[{"format": "CSV", "access_url": "https://www.skatteverket.se/data"}],
    )
    page = text(
        client.get(f"/entries/{entry_id}?lang=sv", headers=token_for("internal", agency=LANTMATERIET))
    )
    assert "Offentlighets- och sekretesslag (2009:400) (OSL)" in page
    assert 'href="https://rkrattsbaser.gov.se/' in page  # the official text
    assert "Sekretess" in page and "27 kap. 1 §" in page  # the role, named; the provision
    assert "Bara läsare med behörighet för Intern eller högre" in page  # the level's meaning
    assert "Saknar grund för utlämnande" in page and "kräver en ny rättslig grund" in page
    assert f'href="/agencies/{SKATTEVERKET}"' in page and ">Skatteverket<" in page
    assert "register@skatteverket.se" in page and "Registerenheten" in page
    assert "Ekonomi och finans" in page and "Varje månad" in page and "Sverige" in page
    assert "2019-01-01" in page and "2024-12-31" in page
    assert ">inkomst<" in page and ">income<" not in page  # keywords in the page's language
    assert "postadress" in page and "källregister" in page and "namn" in page
    assert "https://www.skatteverket.se/data" in page and "creativecommons.org" in page
    english = text(
        client.get(f"/entries/{entry_id}?lang=en", headers=token_for("internal", agency=LANTMATERIET))
    )
    assert ">income<" in english and "Public Access to Information and Secrecy Act (OSL)" in english
    assert "Monthly" in english and "authoritative source" in english


def test_a_redacted_summary_says_more_exists_and_whom_to_ask(app, client, token_for):
    entry_id = create_entry(
        app,
        SKATTEVERKET,
        "Skyddade personuppgifter",
        classification="sensitive",
        listing_level="internal",
        keywords={"sv": ["HEMLIGT-NYCKELORD"]},
        contact_point=CONTACT,
        spatial="HEMLIG-PLATS",
    )
    page = text(
        client.get(f"/entries/{entry_id}?lang=sv", headers=token_for("internal", agency=LANTMATERIET))
    )
    assert 'class="redacted"' in page and "Det finns mer än du kan se" in page
    assert "Kontakta Registerenheten på Skatteverket" in page and "register@skatteverket.se" in page
    assert "HEMLIGT-NYCKELORD" not in page and "HEMLIG-PLATS" not in page and "27 kap. 1 §" not in page
    whole = text(client.get(f"/entries/{entry_id}?lang=sv", headers=token_for("sensitive")))
    assert "HEMLIGT-NYCKELORD" in whole and 'class="redacted"' not in whole


def test_hidden_entries_answer_like_missing_ones(app, client, token_for):
    hidden = create_entry(app, SKATTEVERKET, "Hemlig", classification="sensitive")
    api = create_api(app, SKATTEVERKET, "Hemligt API", classification="sensitive")
    h = token_for("internal", agency=LANTMATERIET)
    missing = client.get(f"/entries/{uuid.uuid4()}", headers=h)
    for path in (
        f"/entries/{hidden}",
        f"/entries/{api}",
        f"/entries/{api}/openapi",
        f"/entries/{api}/openapi.json",
        "/entries/not-a-uuid",
    ):
        r = client.get(path, headers=h)
        assert (r.status_code, r.data) == (404, missing.data), path


def test_an_api_page_and_its_openapi_document(app, client, token_for):
    served = create_entry(app, SKATTEVERKET, "Inkomstregister", classification="internal")
    api = create_api(
        app,
        SKATTEVERKET,
        "Inkomst-API",
        classification="internal",
        serves_datasets=[served],
        auth_mechanisms=[{"type": "maskinporten", "scope": "skatteverket:inkomst"}],
    )
    h = token_for("internal", agency=LANTMATERIET)
    page = text(client.get(f"/entries/{api}?lang=en", headers=h))
    assert "https://api.example.se/v1" in page and "1.2.0" in page and "Stable" in page
    assert "Maskinporten" in page and "skatteverket:inkomst" in page
    assert "/inkomster/{id}" in page and "Hämta inkomstuppgift" in page and ">GET<" in page
    assert f'href="/entries/{served}"' in page and "Inkomstregister" in page
    assert f'href="/entries/{api}/openapi"' in page
    dataset = text(client.get(f"/entries/{served}?lang=en", headers=h))
    assert "APIs serving this dataset" in dataset and f'href="/entries/{api}"' in dataset
    viewer = client.get(f"/entries/{api}/openapi?lang=en", headers=h)
    assert viewer.status_code == 200
    assert f'data-url="/entries/{api}/openapi.json"' in text(viewer)
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in text(viewer)
    document = client.get(f"/entries/{api}/openapi.json", headers=h)
    assert document.status_code == 200 and document.json == MINIMAL_OPENAPI
    assert document.headers["Cache-Control"] == "no-store"


def test_a_summary_reader_gets_no_operations_viewer_or_links(app, client, token_for):
    served = create_entry(app, SKATTEVERKET, "Inkomstregister")
    api = create_api(
        app,
        SKATTEVERKET,
        "Inkomst-API",
        classification="sensitive",
        listing_level="public",
        serves_datasets=[served],
    )
    h = token_for("internal", agency=LANTMATERIET)
    page = text(client.get(f"/entries/{api}?lang=en", headers=h))
    assert "More exists than you can see" in page
    assert "Hämta inkomstuppgift" not in page and f"/entries/{api}/openapi" not in page and served not in page
    missing = client.get(f"/entries/{uuid.uuid4()}/openapi", headers=h)
    for path in (f"/entries/{api}/openapi", f"/entries/{api}/openapi.json"):
        r = client.get(path, headers=h)
        assert (r.status_code, r.data) == (404, missing.data), path
    # The dataset's page does not name an API its reader may not read whole.
    assert api not in text(client.get(f"/entries/{served}?lang=en", headers=h))


def test_hostile_content_is_escaped_on_the_entry_page(app, client):
    entry_id = create_entry(
        app,
        SKATTEVERKET,
        '<script>alert(1)</script>"><img src=x onerror=alert(1)>',
        description="<iframe src=javascript:alert(1)>",
        keywords={"sv": ["<svg onload=alert(1)>"]},
        contact_point={"name": '"><script>alert(3)</script>'},
    )
    page = text(client.get(f"/entries/{entry_id}?lang=sv"))
    for raw in ("<script>alert", "<img src=x", "<iframe", "<svg onload"):
        assert raw not in page, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;svg onload" in page


def test_agency_pages_list_only_what_the_reader_may_see(app, client, token_for):
    create_entry(app, SKATTEETATEN, "Skattemeldinger", lang="nb")
    create_entry(app, SKATTEETATEN, "Skattekontroll", classification="sensitive", lang="nb")
    agencies = text(client.get("/agencies?lang=nb"))
    assert f'href="/agencies/{SKATTEETATEN}"' in agencies and "Skatteetaten" in agencies
    assert "1 oppføring" in agencies
    page = text(client.get(f"/agencies/{SKATTEETATEN}?lang=nb"))
    assert "Skattemeldinger" in page and "Skattekontroll" not in page and "1 oppføring" in page
    cleared = text(client.get(f"/agencies/{SKATTEETATEN}?lang=nb", headers=token_for("sensitive")))
    assert "Skattekontroll" in cleared and "2 oppføringer" in cleared
    # Any common form of the number finds the agency; a malformed or unknown one is a 404.
    assert client.get(f"/agencies/{SKATTEETATEN.replace('-', '')}").status_code in (200, 301)
    assert client.get("/agencies/123").status_code == 404
    assert client.get("/agencies/556000-0000").status_code == 404


def test_themes_count_only_entries_read_whole(app, client, token_for):
    create_entry(app, LANTMATERIET, "Kartor", themes=["REGI"])
    create_entry(
        app,
        LANTMATERIET,
        "Skyddade kartor",
        themes=["REGI"],
        classification="sensitive",
        listing_level="public",
    )
    themes = text(client.get("/themes?lang=en"))
    assert 'href="/themes/REGI"' in themes and "Regions and cities" in themes
    assert 'Regions and cities</a>\n    <span class="n">1 entry</span>' in themes
    regi = text(client.get("/themes/REGI?lang=en"))
    assert "Kartor" in regi and "Skyddade kartor" not in regi
    cleared = text(client.get("/themes/REGI?lang=en", headers=token_for("sensitive")))
    assert "Skyddade kartor" in cleared and "2 entries" in cleared
    assert client.get("/themes/NOPE").status_code == 404


def _openapi_refusals(app, entry_id: str) -> list[int]:
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entry_id == entry_id, AuditEvent.action == "entry.openapi")
            .order_by(AuditEvent.seq)
        ).all()
        return [row.details["answered"] for row in rows if row.decision == "deny"]


def test_the_audit_log_says_what_the_openapi_viewer_answered(app, client, token_for):
    """A summary reader's viewer and document are the 404 of a missing id, and the audit
    record of the refusal says 404 (it said 403, the API's answer); the API keeps its 403
    and records that."""
    api = create_api(app, SKATTEVERKET, "Inkomst-API", classification="internal", listing_level="public")
    h = token_for("public", agency=LANTMATERIET)
    assert client.get(f"/entries/{api}", headers=h).status_code == 200  # the summary is listed
    assert client.get(f"/entries/{api}/openapi", headers=h).status_code == 404
    assert client.get(f"/entries/{api}/openapi.json", headers=h).status_code == 404
    assert _openapi_refusals(app, api) == [404, 404]
    assert client.get(f"/api/v1/apis/{api}/openapi", headers=h).status_code == 403
    assert _openapi_refusals(app, api) == [404, 404, 403]
