"""Names for the codes the catalogue stores, in the page's language: a reader sees
"Ekonomi och finans", never ``ECON``; "Folkbokföringslag (1991:481)", never a bare number.

Two kinds of source, declared once each:

- **vocabularies with official translations** (the EU data-theme table): a table here, each
  label as the vocabulary gives it (sv, nb, en: the Publications Office's authority table
  http://publications.europa.eu/resource/authority/data-theme, as republished by
  Informasjonsforvaltning/fdk and DIGG's DCAT-AP-SE processor); nynorsk, and ``OP_DATPRO``
  (added to the table after those copies), are our own translations;
- **words of the application** (statuses, types, authentication mechanisms, frequencies):
  gettext messages in the `discover` catalogue, like every other label on the pages.

Names that live in the database come from their services: agencies (`AgencyService.labels`),
statutes (`StatuteService.labels`), data elements (`DataElementService.list_elements`) and
classification levels (the scheme in force). A code nobody names is shown as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString

from api.web.i18n import pick
from api.wiring import services
from catalogue.statutes import jurisdiction_of
from security.identity import Identity
from security.levels import ClassificationScheme

THEMES: Mapping[str, Mapping[str, str]] = {
    "AGRI": {
        "sv": "Jordbruk, fiske, skogsbruk och livsmedel",
        "nb": "Jordbruk, fiskeri, skogbruk og mat",
        "nn": "Jordbruk, fiskeri, skogbruk og mat",
        "en": "Agriculture, fisheries, forestry and food",
    },
    "ECON": {
        "sv": "Ekonomi och finans",
        "nb": "Økonomi og finans",
        "nn": "Økonomi og finans",
        "en": "Economy and finance",
    },
    "EDUC": {
        "sv": "Utbildning, kultur och sport",
        "nb": "Utdanning, kultur og sport",
        "nn": "Utdanning, kultur og sport",
        "en": "Education, culture and sport",
    },
    "ENER": {"sv": "Energi", "nb": "Energi", "nn": "Energi", "en": "Energy"},
    "ENVI": {"sv": "Miljö", "nb": "Miljø", "nn": "Miljø", "en": "Environment"},
    "GOVE": {
        "sv": "Regeringen och den offentliga sektorn",
        "nb": "Forvaltning og offentlig sektor",
        "nn": "Forvaltning og offentleg sektor",
        "en": "Government and public sector",
    },
    "HEAL": {"sv": "Hälsa", "nb": "Helse", "nn": "Helse", "en": "Health"},
    "INTR": {
        "sv": "Internationella frågor",
        "nb": "Internasjonale temaer",
        "nn": "Internasjonale tema",
        "en": "International issues",
    },
    "JUST": {
        "sv": "Rättvisa, rättsliga system och allmän säkerhet",
        "nb": "Justis, rettssystem og allmenn sikkerhet",
        "nn": "Justis, rettssystem og allmenn tryggleik",
        "en": "Justice, legal system and public safety",
    },
    "OP_DATPRO": {
        "sv": "Preliminära uppgifter",
        "nb": "Foreløpige data",
        "nn": "Førebelse data",
        "en": "Provisional data",
    },
    "REGI": {
        "sv": "Regioner och städer",
        "nb": "Regioner og byer",
        "nn": "Regionar og byar",
        "en": "Regions and cities",
    },
    "SOCI": {
        "sv": "Befolkning och samhälle",
        "nb": "Befolkning og samfunn",
        "nn": "Befolkning og samfunn",
        "en": "Population and society",
    },
    "TECH": {
        "sv": "Vetenskap och teknik",
        "nb": "Vitenskap og teknologi",
        "nn": "Vitskap og teknologi",
        "en": "Science and technology",
    },
    "TRAN": {"sv": "Transport", "nb": "Transport", "nn": "Transport", "en": "Transport"},
}

TYPES: Mapping[str, LazyString] = {"dataset": lazy_gettext("Dataset"), "api": lazy_gettext("API")}

STATUSES: Mapping[str, LazyString] = {
    "draft": lazy_gettext("Draft"),
    "in_review": lazy_gettext("In review"),
    "published": lazy_gettext("Published"),
    "deprecated": lazy_gettext("Deprecated"),
    "retired": lazy_gettext("Retired"),
}

SHARING: Mapping[str, LazyString] = {
    "open": lazy_gettext("Open"),
    "shareable": lazy_gettext("Shareable"),
    "no_disclosure_basis": lazy_gettext("No disclosure basis"),
}
#: What each sharing status means (docs/sharing.md), said to a person.
SHARING_MEANINGS: Mapping[str, LazyString] = {
    "open": lazy_gettext("Anyone may read this entry: it is at the lowest level."),
    "shareable": lazy_gettext(
        "It cites a disclosure basis: a provision that lets the data be given to another agency."
    ),
    "no_disclosure_basis": lazy_gettext(
        "It cites no disclosure basis: sharing it needs a new legal basis, "
        "or a consent or decision outside the catalogue."
    ),
}

ROLES: Mapping[str, LazyString] = {
    "processing": lazy_gettext("Processing"),
    "restriction": lazy_gettext("Restriction"),
    "disclosure": lazy_gettext("Disclosure"),
}

AUTH: Mapping[str, LazyString] = {
    "maskinporten": lazy_gettext("Maskinporten"),
    "idporten": lazy_gettext("ID-porten"),
    "x-road": lazy_gettext("X-Road"),
    "oauth2-client-credentials": lazy_gettext("OAuth 2 client credentials"),
    "mtls": lazy_gettext("Mutual TLS"),
    "api-key": lazy_gettext("API key"),
    "none": lazy_gettext("No authentication"),
}

FREQUENCIES: Mapping[str, LazyString] = {
    "CONT": lazy_gettext("Continuous"),
    "UPDATE_CONT": lazy_gettext("Continuously updated"),
    "DAILY": lazy_gettext("Daily"),
    "WEEKLY": lazy_gettext("Weekly"),
    "BIWEEKLY": lazy_gettext("Every two weeks"),
    "MONTHLY": lazy_gettext("Monthly"),
    "QUARTERLY": lazy_gettext("Quarterly"),
    "BIANNUAL": lazy_gettext("Twice a year"),
    "ANNUAL": lazy_gettext("Annual"),
    "BIENNIAL": lazy_gettext("Every two years"),
    "IRREG": lazy_gettext("Irregular"),
    "NEVER": lazy_gettext("Never"),
    "OTHER": lazy_gettext("Other"),
    "UNKNOWN": lazy_gettext("Unknown"),
}

LIFECYCLES: Mapping[str, LazyString] = {
    "experimental": lazy_gettext("Experimental"),
    "stable": lazy_gettext("Stable"),
    "deprecated": lazy_gettext("Deprecated"),
}

PERSONAL_DATA: Mapping[str, LazyString] = {
    "true": lazy_gettext("Contains personal data"),
    "false": lazy_gettext("No personal data"),
}

#: The search facets' headings, in the order the page shows them.
FACET_TITLES: Mapping[str, LazyString] = {
    "type": lazy_gettext("Type"),
    "publisher": lazy_gettext("Publisher"),
    "theme": lazy_gettext("Theme"),
    "sharing_status": lazy_gettext("Sharing status"),
    "legal_basis": lazy_gettext("Legal basis"),
    "element": lazy_gettext("Data element"),
    "auth": lazy_gettext("Authentication"),
    "classification": lazy_gettext("Classification"),
    "format": lazy_gettext("Format"),
    "personal_data": lazy_gettext("Personal data"),
    "status": lazy_gettext("Status"),
}


def theme_label(code: str, lang: str) -> str:
    return pick(THEMES.get(code), lang) or code


def level_label(scheme: ClassificationScheme, key: str, lang: str) -> str:
    """A level's label from the scheme in force (nynorsk falls back to bokmål)."""
    try:
        return pick(scheme.level(key).labels, lang) or key
    except KeyError:
        return key


def level_meaning(scheme: ClassificationScheme, key: str, lang: str) -> str:
    """What a classification means to a reader: who may read the whole entry."""
    if key == scheme.lowest:
        return str(gettext("Anyone may read the whole entry."))
    meaning = gettext(
        "Only readers cleared for %(level)s or higher may read the whole entry; "
        "others see a summary if it is listed for them.",
        level=level_label(scheme, key, lang),
    )
    try:
        # The scheme describes a level in one language (English): shown on English pages only.
        extra = scheme.level(key).description if lang == "en" else ""
    except KeyError:
        extra = ""
    return f"{meaning} {extra}".strip()


def element_labels(identity: Identity, lang: str, keys: Iterable[str] | None = None) -> dict[str, str]:
    """Data-element key → its label (the vocabulary is public): of ``keys``, or of every element."""
    if keys is not None:
        found = services().data_elements.labels_of(identity, keys)
        return {key: pick(names, lang) or key for key, names in found.items()}
    return {e.key: pick(e.labels, lang) or e.key for e in services().data_elements.list_elements(identity)}


def agency_names(identity: Identity, orgnrs: Iterable[str], lang: str) -> dict[str, str]:
    """Organisation number → the agency's name (a number no agency has is left out)."""
    return {orgnr: shown.name for orgnr, shown in services().agencies.labels(identity, orgnrs, lang).items()}


def statute_names(identity: Identity, references: Iterable[str], lang: str) -> dict[str, str]:
    """Bare reference → "Name (SHORT)" for the statutes the register knows."""
    cited = [(code, ref) for ref in references if (code := jurisdiction_of(ref)) is not None]
    if not cited:
        return {}
    named = services().statutes.labels(identity, cited, lang)
    return {ref: statute_text(shown.name, shown.short_name) for (_code, ref), shown in named.items()}


def statute_text(name: str, short_name: str | None) -> str:
    """A statute as the pages name it: "Name (SHORT)", or its name alone (also when the
    name holds the short name already: "Lov om skatteforvaltning (skatteforvaltningsloven)")."""
    return f"{name} ({short_name})" if short_name and short_name not in name else name


def facet_label(
    name: str, value: str, lang: str, scheme: ClassificationScheme, named: Mapping[str, str]
) -> str:
    """The name of one facet value; ``named`` holds those looked up in the database
    (agencies, statutes, data elements) for this facet."""
    if name in ("publisher", "legal_basis", "element"):
        return named.get(value, value)
    if name == "theme":
        return theme_label(value, lang)
    if name == "classification":
        return level_label(scheme, value, lang)
    table: Mapping[str, LazyString] | None = {
        "type": TYPES,
        "status": STATUSES,
        "sharing_status": SHARING,
        "auth": AUTH,
        "personal_data": PERSONAL_DATA,
    }.get(name)
    shown = table.get(value) if table is not None else None
    return str(shown) if shown is not None else value
