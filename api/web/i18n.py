"""The web pages' languages: which one a page is in, and how content falls back.

A page is in Swedish, Norwegian bokmål, Norwegian nynorsk or English. The reader chooses with
`?lang=` (remembered in a cookie), else the browser's Accept-Language decides. Labels come from
gettext catalogues (Flask-Babel); content (titles, descriptions) is picked from the entry's own
languages, falling back to the nearest Scandinavian language before English, since a Swedish
reader reads Norwegian more easily than English.

The catalogues live under `translations/<area>/<lang>/LC_MESSAGES/messages.po`, one area per part
of the application (`shell`: sign-in, layout and errors; `discover`: search, entries, agencies;
`work`: registration, review and audit; `access`: access requests and grants), each extracted
from its own modules and templates
(`babel.cfg`); Flask-Babel merges the areas. `setup.py` compiles them at install.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from babel.support import NullTranslations
from flask import Flask, Response, g, request
from flask_babel import Babel, get_translations

LANGS = ("sv", "nb", "nn", "en")
LANG_NAMES = {"sv": "Svenska", "nb": "Norsk bokmål", "nn": "Norsk nynorsk", "en": "English"}
COOKIE = "tillit_lang"
ONE_YEAR = 365 * 24 * 3600

# What a reader of each language reads next when a text is missing in theirs.
FALLBACK: Mapping[str, tuple[str, ...]] = {
    "sv": ("sv", "nb", "nn", "en"),
    "nb": ("nb", "nn", "sv", "en"),
    "nn": ("nn", "nb", "sv", "en"),
    "en": ("en", "sv", "nb", "nn"),
}

# A browser's primary language tag → the page language ("no" is what many send for Norwegian).
BROWSER_TAGS = {"sv": "sv", "nb": "nb", "no": "nb", "nn": "nn", "en": "en"}

AREAS = ("shell", "discover", "work", "access")
TRANSLATIONS = Path(__file__).parent / "translations"


def page_language() -> str:
    """The language of the page being answered (decided once per request)."""
    lang = g.get("lang")
    if lang is None:
        lang = g.lang = _choose()
    return str(lang)


def _choose() -> str:
    asked = request.args.get("lang")
    if asked in LANGS:
        g.remember_lang = asked
        return asked
    kept = request.cookies.get(COOKIE)
    if kept in LANGS:
        return kept
    for tag, _quality in request.accept_languages:  # best first
        primary = tag.lower().replace("_", "-").split("-")[0]
        lang = BROWSER_TAGS.get(primary)
        if lang:
            return lang
    return "en"


def pick(texts: Mapping[str, str] | None, lang: str) -> str:
    """The text in `lang`, else in the nearest language there is one, else any."""
    if not texts:
        return ""
    for code in FALLBACK.get(lang, LANGS):
        if texts.get(code):
            return texts[code]
    return next((t for t in texts.values() if t), "")


def remember_language(response: Response) -> Response:
    """Keep a language chosen with ?lang= for the reader's next pages."""
    chosen = g.get("remember_lang")
    if chosen and request.cookies.get(COOKIE) != chosen:  # already remembered: no new cookie
        response.set_cookie(
            COOKIE, chosen, max_age=ONE_YEAR, httponly=True, samesite="Lax", secure=request.is_secure
        )
    return response


def init_languages(app: Flask) -> None:
    """Flask-Babel for the pages, reading every area's catalogue."""
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", ";".join(str(TRANSLATIONS / area) for area in AREAS)
    )
    Babel(app, locale_selector=page_language)
    # Flask-Babel's template callables look the catalogue up again on every message (four
    # lookups of its request namespace and the locale each time): a third of an entry page's
    # template time. The page's language is decided once per request, so is its catalogue.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        gettext=lambda s: page_translations().ugettext(s),
        ngettext=lambda s, p, n: page_translations().ungettext(s, p, n),
        pgettext=lambda c, s: page_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: page_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def page_translations() -> NullTranslations:
    """The catalogue of the page's language, looked up once per request (and again only if
    the language were changed within it: the pages never do)."""
    kept = g.get("page_translations")
    if kept is not None and kept[0] == g.get("lang"):
        return kept[1]  # type: ignore[no-any-return]
    found: NullTranslations = get_translations()  # decides the page's language through the locale selector
    g.page_translations = (g.get("lang"), found)
    return found
