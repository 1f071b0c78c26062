"""The access area's catalogue is complete: every message of its templates and modules has a
translation in sv, nb and nn; the purposes offered are exactly the vocabulary's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from api.web import access_forms
from catalogue import access

WEB = Path(__file__).parents[3] / "api" / "web"
MODULES = ("access_pages.py", "access_forms.py")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _access_messages(tmp_path: Path) -> set[str | tuple[str, ...]]:
    for name in MODULES:
        shutil.copy(WEB / name, tmp_path / name)
    shutil.copytree(WEB / "templates" / "access", tmp_path / "templates")
    method_map = [("**.py", "python"), ("**.html", "jinja2")]
    found = extract_from_dir(str(tmp_path), method_map, keywords=KEYWORDS)
    return {message if isinstance(message, str) else tuple(message) for _f, _l, message, _c, _x in found}


@pytest.mark.parametrize("lang", ["sv", "nb", "nn"])
def test_every_access_message_is_translated(tmp_path, lang):
    with (WEB / "translations" / "access" / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=lang)
    messages = _access_messages(tmp_path)
    assert len(messages) > 100
    untranslated = []
    for message in messages:
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        strings = entry.string if entry is not None else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            untranslated.append(message)
    assert not untranslated, untranslated


def test_the_purposes_are_the_vocabularys():
    assert list(access_forms.PURPOSES) == list(access.PURPOSES)
    # The page's English words are the vocabulary's own.
    assert {k: str(v) for k, v in access_forms.PURPOSES.items()} == dict(access.PURPOSES)
