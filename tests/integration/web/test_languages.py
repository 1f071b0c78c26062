"""The pages' language: chosen by ?lang=, remembered, else the browser's; content falls back nearby."""

from __future__ import annotations

import pytest

from api.web.i18n import AREAS, pick
from tests.integration.web import catalogues

TAGLINES = {
    "sv": "Myndigheternas katalog över data och API:er",
    "nb": "Etatenes katalog over data og API-er",
    "nn": "Etatane sin katalog over data og API-ar",
    "en": "The agencies' catalogue of data and APIs",
}


@pytest.mark.parametrize("lang", sorted(TAGLINES))
def test_a_page_speaks_the_chosen_language(client, lang):
    page = client.get(f"/?lang={lang}")
    assert page.status_code == 200
    assert TAGLINES[lang] in page.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page.get_data(as_text=True)


def test_the_choice_is_remembered_and_overrides_the_browser(client):
    client.get("/?lang=nn")
    page = client.get("/", headers={"Accept-Language": "en"})
    assert TAGLINES["nn"] in page.get_data(as_text=True)


def test_without_a_choice_the_browser_decides(client):
    assert TAGLINES["sv"] in client.get("/", headers={"Accept-Language": "sv-SE,sv;q=0.9"}).get_data(
        as_text=True
    )
    assert TAGLINES["nb"] in client.get("/", headers={"Accept-Language": "no,en;q=0.5"}).get_data(
        as_text=True
    )
    assert TAGLINES["en"] in client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)


def test_an_unknown_language_is_ignored(client):
    page = client.get("/?lang=xx", headers={"Accept-Language": "sv"})
    assert TAGLINES["sv"] in page.get_data(as_text=True)
    assert "tillit_lang" not in page.headers.get("Set-Cookie", "")


def test_content_falls_back_to_the_nearest_language():
    texts = {"nb": "Folkeregisteret", "en": "The population register"}
    assert pick(texts, "sv") == "Folkeregisteret"
    assert pick(texts, "nn") == "Folkeregisteret"
    assert pick(texts, "en") == "The population register"
    assert pick({"en": "Only English"}, "sv") == "Only English"
    assert pick({"sv": "Bara svenska"}, "en") == "Bara svenska"
    assert pick({}, "sv") == ""


def test_a_message_means_one_thing_in_every_area():
    """Flask-Babel merges the areas' catalogues (later areas win), so a message translated
    differently in two areas would show one of them depending on the order: every area
    must translate a shared message the same way."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    from api.web.i18n import AREAS, TRANSLATIONS

    clashes = []
    for lang in ("sv", "nb", "nn"):
        seen: dict[str, tuple[str, object]] = {}
        for area in AREAS:
            path = Path(TRANSLATIONS, area, lang, "LC_MESSAGES", "messages.po")
            with path.open("rb") as po:
                for message in read_po(po):
                    if not message.id:
                        continue
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    first = seen.setdefault(key, (area, message.string))
                    if first[1] != message.string:
                        clashes.append((lang, key, first, (area, message.string)))
    assert clashes == []


#: Fewer messages than this in an area means its sources were not found (a renamed file).
AT_LEAST = {"shell": 40, "discover": 100, "work": 150, "access": 100}


@pytest.mark.parametrize("lang", ["sv", "nb", "nn"])
@pytest.mark.parametrize("area", AREAS)
def test_every_message_of_every_area_is_translated(area, lang):
    assert len(catalogues.messages(area)) > AT_LEAST[area]
    assert catalogues.untranslated(area, lang) == []
