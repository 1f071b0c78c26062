"""The search page: named facets and counts within the reader's clearance, grammar of counts,
escaping, pages, sorting, filters that survive a change of language, type-ahead."""

from __future__ import annotations

import html
import re

import pytest

from api.web.search_page import snippet
from tests.conftest import LANTMATERIET, SKATTEETATEN, SKATTEVERKET
from tests.integration.web.pagekit import text
from tests.searchkit import create_entry

HITS = {
    "sv": ("1 träff", "2 träffar"),
    "nb": ("1 treff", "2 treff"),
    "nn": ("1 treff", "2 treff"),
    "en": ("1 hit", "2 hits"),
}


def plain(response) -> str:
    """The page without highlight marks."""
    return text(response).replace("<mark>", "").replace("</mark>", "")


def count_line(page: str) -> str:
    found = re.search(r'<p class="count" data-total="\d+">([^<]*)</p>', page)
    assert found, "no count on the page"
    return found.group(1)


def facet(page: str, name: str) -> dict[str, int]:
    """Facet ``name`` as shown: label → count."""
    section = re.search(rf'<section class="facet facet-{name}">(.*?)</section>', page, re.S)
    if section is None:
        return {}
    pairs = re.findall(r'<span class="label">([^<]*)</span> <span class="n">(\d+)</span>', section.group(1))
    return {html.unescape(label): int(n) for label, n in pairs}


@pytest.mark.parametrize("lang", sorted(HITS))
def test_the_number_of_hits_is_said_in_each_language(app, client, lang):
    create_entry(app, SKATTEVERKET, "Fastighetstaxering")
    assert count_line(text(client.get(f"/?q=fastighetstaxering&lang={lang}"))) == HITS[lang][0]
    create_entry(app, LANTMATERIET, "Fastighetstaxering per kommun")
    assert count_line(text(client.get(f"/?q=fastighetstaxering&lang={lang}"))) == HITS[lang][1]


def test_facets_are_named_in_the_page_language(app, client, token_for):
    create_entry(app, SKATTEVERKET, "Inkomster", themes=["ECON"], classification="internal")
    create_entry(app, SKATTEETATEN, "Skattemeldinger", themes=["ECON", "GOVE"], lang="nb")
    h = token_for("internal", agency=LANTMATERIET)
    sv = text(client.get("/?lang=sv", headers=h))
    assert facet(sv, "publisher") == {"Skatteverket": 1, "Skatteetaten": 1}
    assert facet(sv, "theme") == {"Ekonomi och finans": 2, "Regeringen och den offentliga sektorn": 1}
    assert facet(sv, "classification") == {"Intern": 1, "Öppen": 1}
    assert facet(sv, "legal_basis") == {"Offentlighets- och sekretesslag (2009:400) (OSL)": 1}
    assert facet(sv, "sharing_status") == {"Saknar grund för utlämnande": 1, "Öppen": 1}
    # DCAT-AP-SE's Swedish word (tests/data/shacl/dcat-ap-se-3.0.1), as the work pages say it.
    assert facet(sv, "type") == {"Datamängd": 2}
    en = text(client.get("/?lang=en", headers=h))
    assert facet(en, "theme") == {"Economy and finance": 2, "Government and public sector": 1}
    assert facet(en, "legal_basis") == {"Public Access to Information and Secrecy Act (OSL)": 1}
    assert facet(en, "sharing_status") == {"No disclosure basis": 1, "Open": 1}
    nn = text(client.get("/?lang=nn", headers=h))
    assert facet(nn, "theme")["Forvaltning og offentleg sektor"] == 1
    assert "ECON" not in re.sub(r'(href|data-value)="[^"]*"', "", nn)


def test_a_hidden_entry_changes_nothing_on_the_page(app, client, token_for):
    """Hostile setup: above the reader's clearance, the searched word in its title, the
    same publisher, theme and legal basis as the visible ones; the page stays the same."""
    for i in range(21):  # two pages
        create_entry(app, SKATTEVERKET, f"Taxering {i}", themes=["ECON"], classification="internal")
    h = token_for("internal", agency=LANTMATERIET)
    urls = [
        "/?q=taxering&sort=title&lang=sv",
        "/?q=taxering&sort=title&lang=sv&page=2",
        "/?q=taxering&theme=ECON&sort=title&lang=en",
        "/?lang=sv",
        "/?q=taxering&lang=sv",
        "/?q=taxering&lang=sv&page=2",
    ]
    before = [text(client.get(u, headers=h)) for u in urls]
    create_entry(
        app,
        SKATTEVERKET,
        "Taxering hemlig",
        themes=["ECON", "JUST"],
        classification="sensitive",
        description="Taxering av skyddade personer",
    )
    create_entry(  # listed for the reader, but only as a summary: full facets must not count it
        app,
        SKATTEETATEN,
        "Skattekontroll",
        themes=["JUST"],
        classification="sensitive",
        listing_level="internal",
    )
    after = [text(client.get(u, headers=h)) for u in urls]
    assert after[:3] == before[:3]
    # Relevance ties come in an engine-chosen order (search/backend.py), which any write to
    # the index may change, and so may which of the 21 tied hits fill the first page: over
    # both pages, the same lines: the same hits, facets and snippets.
    both = [sorted((pages[4] + pages[5]).splitlines()) for pages in (before, after)]
    assert both[0] == both[1]
    assert "hemlig" not in after[0] and "skyddade" not in after[0]
    assert count_line(after[0]) == "21 träffar"
    # The summary is listed (and counted as a hit) on the unfiltered page; its theme is not.
    assert count_line(after[3]) == "22 träffar" and "Skattekontroll" in after[3]
    assert "Rättvisa, rättsliga system och allmän säkerhet" not in facet(after[3], "theme")
    assert facet(after[3], "classification") == {"Intern": 21, "Sekretessbelagd": 1}
    cleared = text(client.get("/?q=taxering&lang=sv", headers=token_for("sensitive")))
    assert count_line(cleared) == "22 träffar"  # the same setup, seen by a reader cleared for it


def test_hostile_titles_and_descriptions_are_escaped(app, client):
    create_entry(
        app,
        SKATTEVERKET,
        "<script>alert(1)</script> Karta",
        description='Karta "><img src=x onerror=alert(2)> & <b>fet</b>',
    )
    for url in ("/?q=karta", "/", f"/agencies/{SKATTEVERKET}"):
        page = text(client.get(url))
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>fet" not in page, url
        assert "&lt;script&gt;" in page, url
    page = text(client.get("/?q=karta"))
    assert "<mark>Karta</mark>" in page  # the highlight survives, nothing else does
    assert "&amp;lt;" not in page  # escaped once, not twice


def test_snippets_keep_only_the_highlight_marks():
    assert str(snippet("a &lt;b&gt; <mark>x</mark>")) == "a &lt;b&gt; <mark>x</mark>"
    assert str(snippet('<img src=x onerror="y"><mark>k</mark>')) == (
        "&lt;img src=x onerror=&#34;y&#34;&gt;<mark>k</mark>"
    )
    assert str(snippet("<mark>open")) == "<mark>open</mark>"
    assert str(snippet("</mark>stray")) == "stray"


def test_filters_survive_a_change_of_language(app, client):
    create_entry(app, SKATTEVERKET, "Inkomster", themes=["ECON"])
    page = text(client.get(f"/?q=inkomster&theme=ECON&publisher={SKATTEVERKET}&sort=title&lang=sv"))
    link = re.search(r'<a href="([^"]*lang=en[^"]*)"', page)
    assert link is not None
    english = client.get(html.unescape(link.group(1)))
    body = text(english)
    assert english.request.args.getlist("theme") == ["ECON"]
    assert english.request.args["q"] == "inkomster" and english.request.args["sort"] == "title"
    assert english.request.args["publisher"] == SKATTEVERKET
    assert count_line(body) == "1 hit" and "Economy and finance" in body


def test_facet_links_add_and_remove_a_filter(app, client):
    create_entry(app, SKATTEVERKET, "Inkomster", themes=["ECON"])
    create_entry(app, LANTMATERIET, "Kartor", themes=["REGI"])
    page = text(client.get("/?lang=en"))
    href = re.search(r'<a href="([^"]*)" class="" data-value="REGI">', page)
    assert href is not None
    filtered = text(client.get(html.unescape(href.group(1))))
    assert count_line(filtered) == "1 hit" and "Kartor" in filtered and "Inkomster" not in filtered
    off = re.search(r'<a href="([^"]*)" class="selected" data-value="REGI">', filtered)
    assert off is not None
    assert count_line(text(client.get(html.unescape(off.group(1))))) == "2 hits"


def test_pages_are_numbered_with_previous_and_next(app, client):
    for i in range(45):
        create_entry(app, LANTMATERIET, f"Ortofoto {i:02d}")
    first = plain(client.get("/?q=ortofoto&sort=title&lang=en"))
    assert 'aria-current="page">1<' in first and 'rel="prev"' not in first and 'rel="next"' in first
    assert ">3</a>" in first
    third = plain(client.get("/?q=ortofoto&sort=title&page=3&lang=en"))
    assert 'aria-current="page">3<' in third and 'rel="prev"' in third and 'rel="next"' not in third
    assert "Ortofoto 44" in third and "Ortofoto 00" not in third
    # Past the end, or nonsense: the nearest real page, never an error.
    assert 'aria-current="page">3<' in text(client.get("/?q=ortofoto&page=99999&lang=en"))
    assert client.get("/?q=ortofoto&page=abc&sort=nonsense&theme=NOPE&publisher=x").status_code == 200


def test_sorting_by_title(app, client):
    for title in ("Björk", "Al", "Ceder"):
        create_entry(app, LANTMATERIET, f"Träd {title}")
    page = plain(client.get("/?q=träd&sort=title&lang=en"))
    assert page.index("Träd Al") < page.index("Träd Björk") < page.index("Träd Ceder")


def test_bearer_identities_see_more_and_anonymous_readers_are_told(app, client, token_for):
    create_entry(app, SKATTEVERKET, "Lönestatistik öppen")
    create_entry(app, SKATTEVERKET, "Lönestatistik intern", classification="internal")
    anonymous = text(client.get("/?q=lönestatistik&lang=en"))
    assert count_line(anonymous) == "1 hit" and "signing in may show more" in anonymous
    internal = text(client.get("/?q=lönestatistik&lang=en", headers=token_for("internal")))
    assert count_line(internal) == "2 hits" and "signing in may show more" not in internal


def test_suggestions_answer_with_the_page_identity(app, client, token_for):
    create_entry(app, SKATTEVERKET, "Arbetsgivardeklarationer")
    create_entry(app, SKATTEVERKET, "Arbetsgivarregister", classification="internal")
    anonymous = client.get("/search/suggest?q=arbetsgivar")
    assert anonymous.headers["Cache-Control"] == "no-store"
    assert [i["title"] for i in anonymous.json["items"]] == ["Arbetsgivardeklarationer"]
    internal = client.get("/search/suggest?q=arbetsgivar", headers=token_for("internal")).json
    assert sorted(i["title"] for i in internal["items"]) == [
        "Arbetsgivardeklarationer",
        "Arbetsgivarregister",
    ]
    assert internal["items"][0]["url"].startswith("/entries/")
    assert client.get("/search/suggest").json == {"items": []}
    assert client.get("/search/suggest?q=" + "x" * 5000).status_code == 200
