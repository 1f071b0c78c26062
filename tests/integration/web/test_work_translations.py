"""The work area's catalogue is complete: every message of its templates and modules has a
translation in sv, nb and nn, and a page shows them (labels and the API's own words)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.integration.web.work_helpers import OWNER, form_of

WEB = Path(__file__).parents[3] / "api" / "web"
MODULES = ("work_forms.py", "work_common.py", "owner_pages.py", "review_pages.py", "audit_pages.py")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _work_messages(tmp_path: Path) -> set[str | tuple[str, ...]]:
    for name in MODULES:
        shutil.copy(WEB / name, tmp_path / name)
    shutil.copytree(WEB / "templates" / "work", tmp_path / "templates")
    method_map = [("**.py", "python"), ("**.html", "jinja2")]
    found = extract_from_dir(str(tmp_path), method_map, keywords=KEYWORDS)
    return {message if isinstance(message, str) else tuple(message) for _f, _l, message, _c, _x in found}


@pytest.mark.parametrize("lang", ["sv", "nb", "nn"])
def test_every_work_message_is_translated(tmp_path, lang):
    with (WEB / "translations" / "work" / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=lang)
    messages = _work_messages(tmp_path)
    assert len(messages) > 150
    untranslated = []
    for message in messages:
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        strings = entry.string if entry is not None else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            untranslated.append(message)
    assert not untranslated, untranslated


@pytest.mark.parametrize(
    ("lang", "label", "rule", "message"),
    [
        ("sv", "Rättslig grund", "måste ange minst en rättslig grund med rollen", "Ange texten på minst ett"),
        (
            "nb",
            "Rettslig grunnlag",
            "må oppgi minst ett rettslig grunnlag med rollen",
            "Oppgi teksten på minst ett",
        ),
        (
            "nn",
            "Rettsleg grunnlag",
            "må oppgi minst eitt rettsleg grunnlag med rolla",
            "Oppgi teksten på minst eitt",
        ),
    ],
)
def test_the_form_speaks_the_page_language(client, token_for, lang, label, rule, message):
    html = client.get(f"/work/new/dataset?lang={lang}", headers=token_for("sensitive", extra=OWNER)).get_data(
        as_text=True
    )
    assert label in html and rule in html
    page = client.post(
        "/work/new/dataset",
        data=form_of(**{"title.sv": "", "title.en": ""}),
        headers=token_for("sensitive", extra=OWNER),
    )
    assert page.status_code == 422
    assert message in page.get_data(as_text=True)  # the API's message, in the page's language
