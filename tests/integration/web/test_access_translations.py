"""The access area's catalogue is complete: every message of its templates and modules has a
translation in sv, nb and nn; the purposes offered are exactly the vocabulary's."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from api.web import access_forms
from api.web.i18n import AREAS
from catalogue import access
from tests.conftest import SKATTEETATEN, register_client
from tests.factories import GDPR_TASK, OSL_TAX
from tests.integration.test_access_story import OSL_DISCLOSURE, WRITER, sensitive_api
from tests.integration.web.catalogues import WEB
from tests.integration.web.test_access_pages import request_form
from tests.integration.web.work_helpers import error_beside


def test_the_purposes_are_the_vocabularys():
    assert list(access_forms.PURPOSES) == list(access.PURPOSES)
    # The page's English words are the vocabulary's own.
    assert {k: str(v) for k, v in access_forms.PURPOSES.items()} == dict(access.PURPOSES)


#: Where the words kept by hand come from (the services and the API's schemas).
SOURCES = (
    "catalogue/access.py",
    "catalogue/services/access_requests.py",
    "catalogue/services/access_decisions.py",
    "catalogue/services/access_request_views.py",
    "catalogue/services/access_steps.py",
    "catalogue/services/grants.py",
    "api/resources/access.py",
)
HAND_NOTE = "kept by hand: the services' and the API schema's own words"


@pytest.mark.parametrize("lang", ["sv", "nb", "nn"])
def test_the_words_kept_by_hand_are_still_the_services(lang):
    """A message kept by hand is translated only while the service still says it verbatim."""
    root = Path(__file__).parents[3]
    said = "".join((root / path).read_text() for path in SOURCES)
    said = said.replace('"\n' + " " * 16 + '"', "").replace('"\n' + " " * 20 + '"', "")  # joined literals
    with (WEB / "translations" / "access" / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=lang)
    kept = [m for m in catalog if HAND_NOTE in m.auto_comments]
    assert len(kept) > 20
    assert [m.id for m in kept if m.id not in said] == []


def test_a_service_message_is_shown_in_the_page_language(client, app, token_for):
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    developer = token_for("public", agency=SKATTEETATEN, extra=WRITER)
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    late = request_form(system[0], period_end=(date.today() - timedelta(days=1)).isoformat())
    page = client.post(f"/entries/{entry['id']}/request-access?lang=sv", data=late, headers=developer)
    assert page.status_code == 422
    assert "Perioden slutar innan den börjar." in error_beside(page.get_data(as_text=True), "f-period_end")


@pytest.mark.parametrize("lang", ["sv", "nb", "nn"])
def test_a_message_other_areas_have_is_translated_as_they_do(lang):
    """Flask-Babel merges the areas, a later one's message over an earlier one's: the access
    area (the last) must not change a word the other areas already show."""
    assert AREAS[-1] == "access"

    def catalog(area: str):
        with (WEB / "translations" / area / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
            return read_po(po, locale=lang)

    shown: dict[object, object] = {}
    for area in AREAS[:-1]:
        shown.update({m.id: m.string for m in catalog(area) if m.id and m.string})
    differ = [
        (m.id, m.string, shown[m.id]) for m in catalog("access") if m.id in shown and m.string != shown[m.id]
    ]
    assert differ == []
