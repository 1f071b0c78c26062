"""The discover area's message catalogue: every label of its pages is translated into
Swedish, Norwegian bokmål and nynorsk, and every theme has a name in each language."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from api.web import labels
from catalogue.schemas import THEMES

WEB = Path(__file__).resolve().parents[3] / "api" / "web"
MODULES = ("labels.py", "search_page.py", "entry_page.py", "agency_pages.py", "openapi_page.py", "pages.py")
TEMPLATES = (
    "home.html", "entry.html", "agencies.html", "agency.html", "themes.html", "theme.html", "openapi.html",
    "discover/entry_item.html", "discover/pager.html", "discover/head.html",
)  # fmt: skip
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}


def _msgids() -> set[str]:
    found: set[str] = set()
    sources = [("python", WEB / m) for m in MODULES]
    sources += [("jinja2.ext:babel_extract", WEB / "templates" / t) for t in TEMPLATES]
    for method, path in sources:
        for _line, message, _comments, _context in extract_from_file(method, str(path), keywords=KEYWORDS):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("lang", ["sv", "nb", "nn"])
def test_every_label_is_translated(lang):
    with (WEB / "translations" / "discover" / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po, locale=lang)
    translated = {
        m.id[0] if isinstance(m.id, tuple) else m.id: m.string
        for m in catalogue
        if m.id and all(s.strip() for s in (m.string if isinstance(m.string, tuple) else (m.string,)))
    }
    wanted = _msgids()
    assert len(wanted) > 100
    assert sorted(wanted - set(translated)) == []


def test_every_theme_is_named_in_every_language():
    assert set(labels.THEMES) == set(THEMES)
    for code, names in labels.THEMES.items():
        assert all(names.get(lang) for lang in ("sv", "nb", "nn", "en")), code
