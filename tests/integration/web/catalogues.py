"""Each catalogue area's sources, declared once, and the messages found in them.

The areas (api/web/i18n.py) are merged at run time; each is extracted from its own files
(`pybabel extract -F babel.cfg ... <these files>`). The completeness test of every area
(test_languages.py) and any area's own tests read the sources from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from api.web.i18n import TRANSLATIONS

WEB = Path(__file__).resolve().parents[3] / "api" / "web"
TEMPLATES = WEB / "templates"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}

SOURCES: Mapping[str, tuple[Path, ...]] = {
    "shell": (
        *(WEB / name for name in ("headers.py", "signin.py", "shell.py", "session.py")),
        *(TEMPLATES / name for name in ("base.html", "signin.html", "error.html", "notifications.html")),
        WEB.parents[1] / "authserver" / "templates" / "login.html",
        WEB.parents[1] / "authserver" / "templates" / "login_error.html",
        WEB.parents[1] / "authserver" / "oidc_login.py",
        TEMPLATES / "auth_frame.html",
        TEMPLATES / "frame.html",
    ),
    "discover": (
        *(
            WEB / name
            for name in (
                "labels.py",
                "search_page.py",
                "entry_page.py",
                "agency_pages.py",
                "openapi_page.py",
                "pages.py",
            )
        ),
        *(
            TEMPLATES / name
            for name in (
                "home.html",
                "entry.html",
                "agencies.html",
                "agency.html",
                "themes.html",
                "theme.html",
            )
        ),
        TEMPLATES / "openapi.html",
        *sorted((TEMPLATES / "discover").glob("*.html")),
    ),
    "work": (
        *(
            WEB / name
            for name in (
                "work_forms.py",
                "work_common.py",
                "owner_pages.py",
                "review_pages.py",
                "audit_pages.py",
            )
        ),
        *sorted((TEMPLATES / "work").rglob("*.html")),
    ),
    "access": (
        *(WEB / name for name in ("access_pages.py", "access_forms.py")),
        *sorted((TEMPLATES / "access").rglob("*.html")),
    ),
}


#: Refusals raised below the pages, shown translated on the sign-in error page
#: (authserver/oidc_login.py: ``_(str(exc))``): their messages belong to the shell area.
REFUSALS = {
    "shell": (
        WEB.parents[1] / "security" / "oidc.py",
        WEB.parents[1] / "authserver" / "services" / "users.py",
    )
}
REFUSAL = re.compile(r'(?:ClaimRefused|LoginRefused)\(\s*"[^"]*",\s*"([^"]+)"\s*\)')


def messages(area: str) -> set[str]:
    """The message ids (a plural by its singular) in the area's sources."""
    found: set[str] = {m for path in REFUSALS.get(area, ()) for m in REFUSAL.findall(path.read_text())}
    for path in SOURCES[area]:
        method = "jinja2" if path.suffix == ".html" else "python"
        for _line, message, _comments, _context in extract_from_file(method, str(path), keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else message[0])
    return found


def catalogue(area: str, lang: str) -> Catalog:
    """The area's catalogue for ``lang``, as written (the .po file)."""
    with (TRANSLATIONS / area / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=lang)


def untranslated(area: str, lang: str) -> list[str]:
    """The area's messages without a (complete, not fuzzy) translation into ``lang``."""
    known = catalogue(area, lang)
    missing = []
    for msgid in sorted(messages(area)):
        entry = known.get(msgid)
        strings = (
            () if entry is None else entry.string if isinstance(entry.string, tuple) else (entry.string,)
        )
        if entry is None or not strings or not all(s.strip() for s in strings) or entry.fuzzy:
            missing.append(msgid)
    return missing
