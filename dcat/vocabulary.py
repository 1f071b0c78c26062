"""Tillit's values and the EU vocabularies' URIs: the one declaration, read both ways.

The export (:mod:`dcat.export`) turns an entry's values into URIs with the ``uri`` side of
each :class:`Vocabulary`; the harvest reads a source's URIs back with the ``value`` side.
Nothing else in Tillit spells a vocabulary URI.

What Tillit holds, and where it comes from:

- data themes (``catalogue.shapes.THEMES``): the EU data-theme codes themselves;
- languages of text (``catalogue.shapes.LANGUAGES``: sv, nb, nn, en): the EU language
  authority's ISO 639-3 codes (SWE, NOB, NNO, ENG);
- update frequencies (``catalogue.shapes.FREQUENCIES``): the EU frequency codes themselves;
- where an entry is about (``spatial``, a country code): the EU country authority;
- distribution formats (free text such as "CSV", "GeoPackage"): the EU file-type codes, by
  a table of the names agencies write; an unknown format has no URI (it is left out of
  ``dct:format``, never invented);
- media types (``text/csv``): IANA's registry URLs, as DCAT-AP's shapes expect;
- licences (a URL): the EU licence authority's URI for the Creative Commons and Norwegian
  licences agencies name by their own URLs; any other URL is kept as it is;
- classification levels: ``dct:accessRights`` from the EU access-right authority, by a
  configurable mapping (``TILLIT_DCAT_ACCESS_RIGHTS``; :class:`AccessRights`);
- statutes (``catalogue.legal`` references): ELI where the jurisdiction has one
  (:func:`eli_uri`).

Sources (checked 2026-12): the EU authority tables at
``http://publications.europa.eu/resource/authority/{data-theme,language,frequency,file-type,
licence,access-right}`` (Publications Office, EU Vocabularies); the file-type codes as
listed in the Belgian NAP's copy of the EU file-type table (ckanext-benap,
``eu_authority/file_type.py``); ELI for EU acts: ``http://data.europa.eu/eli/{reg,dir,dec}/
YEAR/NUMBER/oj`` (EUR-Lex ELI documentation; the high-value-datasets regulation is
``reg_impl/2023/138``); ELI for Norwegian acts at Lovdata: ``https://lovdata.no/eli/lov/
1994/06/03/15`` (Digdir's DCAT-AP-NO service examples); Sweden publishes no ELI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rdflib import URIRef

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
_MEDIA_TYPE = re.compile(r"^[a-z]+/[a-zA-Z0-9.+\-]+$")


@dataclass(frozen=True)
class Vocabulary:
    """A controlled vocabulary: Tillit's values and the concepts' URIs, one to one.

    ``concepts`` maps a Tillit value to the concept's code in ``scheme`` (its URI is
    ``base + code``, ``base`` being ``scheme + "/"`` unless given). :meth:`uri` reads it
    forwards, :meth:`value` backwards; ``aliases`` are further spellings :meth:`uri`
    accepts (case-insensitively) for one value. ``title`` is the scheme's English title and
    ``labels`` the concepts' English labels by Tillit value (else the value itself), as
    the authority gives them: an export declares each concept it uses with them.
    """

    name: str
    scheme: str
    concepts: Mapping[str, str]
    aliases: Mapping[str, str] = field(default_factory=dict)
    title: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    base: str = ""
    _by_uri: dict[str, str] = field(init=False, repr=False, compare=False)
    _by_spelling: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_uri = {self._concept_uri(code): value for value, code in self.concepts.items()}
        if len(by_uri) != len(self.concepts):
            raise RuntimeError(f"Vocabulary {self.name}: two values share a concept.")
        spelling = {value.casefold(): value for value in self.concepts}
        spelling.update({alias.casefold(): value for alias, value in self.aliases.items()})
        object.__setattr__(self, "_by_uri", by_uri)
        object.__setattr__(self, "_by_spelling", spelling)

    def _concept_uri(self, code: str) -> str:
        return f"{self.base or self.scheme + '/'}{code}"

    def label(self, value: str) -> str:
        """The English label of Tillit's ``value``'s concept."""
        return self.labels.get(value, value)

    def value_of_code(self, code: str) -> str | None:
        """Tillit's value for a concept code of this scheme; None for another code."""
        return self._by_uri.get(self._concept_uri(code))

    @property
    def scheme_uri(self) -> URIRef:
        """The concept scheme's URI (what ``skos:inScheme`` names)."""
        return URIRef(self.scheme)

    def uri(self, value: str | None) -> URIRef | None:
        """The concept of Tillit's ``value`` (or one of its aliases); None if it has none."""
        if value is None:
            return None
        canonical = self._by_spelling.get(value.strip().casefold())
        return URIRef(self._concept_uri(self.concepts[canonical])) if canonical else None

    def value(self, uri: str) -> str | None:
        """Tillit's value for a concept URI; None for a URI outside this vocabulary.

        Harvested sources write the authority's URIs over http and https alike."""
        text = str(uri).strip()
        if text.startswith("https://publications.europa.eu/"):
            text = "http://" + text.removeprefix("https://")
        return self._by_uri.get(text.rstrip("/"))

    def values(self) -> tuple[str, ...]:
        """Every Tillit value this vocabulary has a concept for."""
        return tuple(self.concepts)


def _identity(codes: Iterable[str]) -> dict[str, str]:
    return {code: code for code in codes}


# Tillit's own lists stay in catalogue.shapes; these are their concepts. A test proves
# every value there has one (tests/unit/dcat/test_vocabulary.py).
THEMES = Vocabulary(
    "data-theme",
    EU_AUTHORITY + "data-theme",
    _identity(
        ("AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "OP_DATPRO",
         "REGI", "SOCI", "TECH", "TRAN")
    ),
    title="Data theme",
    labels={
        "AGRI": "Agriculture, fisheries, forestry and food", "ECON": "Economy and finance",
        "EDUC": "Education, culture and sport", "ENER": "Energy", "ENVI": "Environment",
        "GOVE": "Government and public sector", "HEAL": "Health", "INTR": "International issues",
        "JUST": "Justice, legal system and public safety", "OP_DATPRO": "Provisional data",
        "REGI": "Regions and cities", "SOCI": "Population and society",
        "TECH": "Science and technology", "TRAN": "Transport",
    },
)  # fmt: skip

LANGUAGES = Vocabulary(
    "language",
    EU_AUTHORITY + "language",
    {"sv": "SWE", "nb": "NOB", "nn": "NNO", "en": "ENG"},
    title="Language",
    labels={"sv": "Swedish", "nb": "Norwegian Bokmål", "nn": "Norwegian Nynorsk", "en": "English"},
    # Norwegian without a written standard is read as Bokmål (the more common one).
    aliases={"no": "nb", "nor": "nb", "swe": "sv", "nob": "nb", "nno": "nn", "eng": "en"},
)

FREQUENCIES = Vocabulary(
    "frequency",
    EU_AUTHORITY + "frequency",
    _identity(
        ("CONT", "UPDATE_CONT", "DAILY", "WEEKLY", "BIWEEKLY", "MONTHLY", "QUARTERLY", "BIANNUAL",
         "ANNUAL", "BIENNIAL", "IRREG", "NEVER", "OTHER", "UNKNOWN")
    ),
    title="Frequency",
    labels={
        "CONT": "continuous", "UPDATE_CONT": "continuously updated", "DAILY": "daily",
        "WEEKLY": "weekly", "BIWEEKLY": "biweekly", "MONTHLY": "monthly", "QUARTERLY": "quarterly",
        "BIANNUAL": "semiannual", "ANNUAL": "annual", "BIENNIAL": "biennial", "IRREG": "irregular",
        "NEVER": "never", "OTHER": "other", "UNKNOWN": "unknown",
    },
)  # fmt: skip

#: Where an entry is about (``spatial``: free text, usually a country code): the EU country
#: authority's concepts for the Nordic countries' ISO 3166 codes. Another value has none.
COUNTRIES = Vocabulary(
    "country",
    EU_AUTHORITY + "country",
    {"SE": "SWE", "NO": "NOR", "FI": "FIN", "DK": "DNK", "IS": "ISL"},
    title="Country",
    labels={"SE": "Sweden", "NO": "Norway", "FI": "Finland", "DK": "Denmark", "IS": "Iceland"},
    aliases={"Sverige": "SE", "Sweden": "SE", "Norge": "NO", "Noreg": "NO", "Norway": "NO"},
)

#: Distribution formats as agencies write them, to EU file-type codes. The key is the
#: spelling the harvest gives back (the format's usual name).
FILE_TYPES = Vocabulary(
    "file-type",
    EU_AUTHORITY + "file-type",
    {
        "CSV": "CSV", "TSV": "TSV", "JSON": "JSON", "JSON-LD": "JSON_LD", "XML": "XML",
        "XLSX": "XLSX", "XLS": "XLS", "ODS": "ODS", "PDF": "PDF", "HTML": "HTML", "TXT": "TXT",
        "ZIP": "ZIP", "GeoPackage": "GPKG", "GeoJSON": "GEOJSON", "GML": "GML", "KML": "KML",
        "GeoTIFF": "GEOTIFF", "TIFF": "TIFF", "Shapefile": "SHP", "NetCDF": "NETCDF",
        "Parquet": "PARQUET", "RDF/XML": "RDF_XML", "Turtle": "RDF_TURTLE",
        "N-Triples": "RDF_N_TRIPLES", "SPARQL": "SPARQLQ", "WMS": "WMS_SRVC", "WFS": "WFS_SRVC",
    },
    title="File type",
    aliases={"GPKG": "GeoPackage", "JSON_LD": "JSON-LD", "SHP": "Shapefile", "TTL": "Turtle",
             "RDF_TURTLE": "Turtle", "RDF_XML": "RDF/XML", "TEXT": "TXT"},
)  # fmt: skip

#: Licences named by their publishers' own URLs, to the EU licence authority's concepts.
LICENCES = Vocabulary(
    "licence",
    EU_AUTHORITY + "licence",
    {
        "https://creativecommons.org/publicdomain/zero/1.0/": "CC0",
        "https://creativecommons.org/licenses/by/4.0/": "CC_BY_4_0",
        "https://creativecommons.org/licenses/by-sa/4.0/": "CC_BY_SA_4_0",
        "https://data.norge.no/nlod/no/2.0": "NLOD_2_0",
    },
    title="Licence",
    labels={
        "https://creativecommons.org/publicdomain/zero/1.0/": "Creative Commons CC0 1.0 Universal",
        "https://creativecommons.org/licenses/by/4.0/": "Creative Commons Attribution 4.0 International",
        "https://creativecommons.org/licenses/by-sa/4.0/": (
            "Creative Commons Attribution-ShareAlike 4.0 International"
        ),
        "https://data.norge.no/nlod/no/2.0": "Norwegian Licence for Open Government Data (NLOD) 2.0",
    },
    aliases={
        "http://creativecommons.org/publicdomain/zero/1.0/": "https://creativecommons.org/publicdomain/zero/1.0/",
        "https://creativecommons.org/publicdomain/zero/1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
        "http://creativecommons.org/licenses/by/4.0/": "https://creativecommons.org/licenses/by/4.0/",
        "https://creativecommons.org/licenses/by/4.0": "https://creativecommons.org/licenses/by/4.0/",
        "https://creativecommons.org/licenses/by-sa/4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
        "http://data.norge.no/nlod/no/2.0": "https://data.norge.no/nlod/no/2.0",
        "https://data.norge.no/nlod/no/2.0/": "https://data.norge.no/nlod/no/2.0",
    },
)


def licence_uri(url: str | None) -> URIRef | None:
    """The licence to export for Tillit's licence URL: the EU concept when the URL is one
    we know (or already an EU licence concept), else the URL itself."""
    if not url:
        return None
    if url.startswith(LICENCES.scheme + "/"):
        return URIRef(url)
    return LICENCES.uri(url) or URIRef(url)


def licence_value(uri: str) -> str:
    """Tillit's licence URL for an exported or harvested licence URI: the EU concept's URI
    is kept as it is (it is a valid licence URL); the inverse of :func:`licence_uri`."""
    return str(uri)


def is_eu_licence(uri: str) -> bool:
    """Whether ``uri`` is a concept of the EU licence authority."""
    return str(uri).startswith(LICENCES.scheme + "/")


def media_type_uri(media_type: str | None) -> URIRef | None:
    """IANA's URL of a media type such as ``text/csv``; None for a malformed one."""
    if not media_type or not _MEDIA_TYPE.match(media_type):
        return None
    return URIRef(IANA_MEDIA_TYPES + media_type)


def media_type_value(uri: str) -> str | None:
    """The media type of an IANA URL (http or https, trailing slash or not); None otherwise."""
    text = str(uri).strip().rstrip("/")
    for prefix in (IANA_MEDIA_TYPES, "http://www.iana.org/assignments/media-types/"):
        if text.startswith(prefix):
            rest = text.removeprefix(prefix)
            return rest if _MEDIA_TYPE.match(rest) else None
    return None


# -- classification <-> dct:accessRights ----------------------------------------------
ACCESS_RIGHT_CODES = ("PUBLIC", "RESTRICTED", "NON_PUBLIC")
ACCESS_RIGHTS_VOCABULARY = Vocabulary(
    "access-right",
    EU_AUTHORITY + "access-right",
    _identity(ACCESS_RIGHT_CODES),
    title="Access right",
    labels={"PUBLIC": "public", "RESTRICTED": "restricted", "NON_PUBLIC": "non-public"},
)
#: The default mapping (TILLIT_DCAT_ACCESS_RIGHTS empty). The default scheme's lowest level
#: is open to all (PUBLIC); "internal" is shared with other agencies on request
#: (RESTRICTED: "available under certain conditions"); every level above, and any level not
#: named, is NON_PUBLIC, the statement that promises least.
DEFAULT_ACCESS_RIGHTS: Mapping[str, str] = {"public": "PUBLIC", "internal": "RESTRICTED"}


class AccessRightsError(ValueError):
    """TILLIT_DCAT_ACCESS_RIGHTS is not a JSON object of level keys to access-right codes."""


@dataclass(frozen=True)
class AccessRights:
    """Which EU access right each classification level is exported as, and back.

    ``levels`` is the scheme's enabled level keys, lowest first; ``mapping`` names a code
    for some of them. A level not named is NON_PUBLIC. Read back (the harvest),
    an access right proposes the lowest level exported as it: a proposal a security
    officer reviews, never a publication (issue 18)."""

    levels: tuple[str, ...]
    mapping: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ACCESS_RIGHTS))

    def __post_init__(self) -> None:
        for level, code in self.mapping.items():
            if code not in ACCESS_RIGHT_CODES:
                raise AccessRightsError(
                    f"TILLIT_DCAT_ACCESS_RIGHTS: {level!r} must map to one of "
                    + ", ".join(ACCESS_RIGHT_CODES)
                )

    @classmethod
    def from_setting(cls, levels: tuple[str, ...], text: str) -> AccessRights:
        """The mapping TILLIT_DCAT_ACCESS_RIGHTS gives (empty: the default, for the levels
        the scheme has); AccessRightsError for a level the scheme does not have."""
        if not text.strip():
            return cls(levels, {k: v for k, v in DEFAULT_ACCESS_RIGHTS.items() if k in levels})
        mapping = parse_access_rights(text)
        unknown = sorted(set(mapping) - set(levels))
        if unknown:
            raise AccessRightsError("TILLIT_DCAT_ACCESS_RIGHTS names levels the scheme does not have.")
        return cls(levels, mapping)

    def code(self, classification: str) -> str:
        """The access-right code a level is exported as."""
        return self.mapping.get(classification, "NON_PUBLIC")

    def uri(self, classification: str) -> URIRef:
        """The access-right concept a level is exported as."""
        concept = ACCESS_RIGHTS_VOCABULARY.uri(self.code(classification))
        assert concept is not None  # every code is a concept of the vocabulary
        return concept

    def proposed_level(self, uri: str) -> str | None:
        """The lowest level exported as the access right ``uri``; None for a URI that is
        not an access right, or one no level is exported as."""
        code = ACCESS_RIGHTS_VOCABULARY.value(uri)
        return next((level for level in self.levels if self.code(level) == code), None)


def parse_access_rights(text: str) -> dict[str, str]:
    """The mapping of a TILLIT_DCAT_ACCESS_RIGHTS value (a JSON object); empty: the default."""
    if not text.strip():
        return dict(DEFAULT_ACCESS_RIGHTS)
    try:
        value = json.loads(text)
    except ValueError:
        raise AccessRightsError("TILLIT_DCAT_ACCESS_RIGHTS must be a JSON object.") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise AccessRightsError("TILLIT_DCAT_ACCESS_RIGHTS must map level keys to strings.")
    return value


# -- statutes -> ELI --------------------------------------------------------------------
#: CELEX's type letter (sector 3, legislation) to ELI's type of act.
_CELEX_ELI_TYPES = {"R": "reg", "L": "dir", "D": "dec"}
#: Acts whose ELI type the CELEX number does not tell (implementing acts share "R").
_EU_ELI_TYPE_EXCEPTIONS = {"32023R0138": "reg_impl"}
_CELEX = re.compile(r"^3(\d{4})([RLD])(\d{4})$")
_LOVDATA = re.compile(r"^(LOV|FOR)-(\d{4})-(\d{2})-(\d{2})(?:-(\d{1,4}))?$")


def eli_uri(jurisdiction: str, reference: str) -> URIRef | None:
    """The ELI of a statute given by its canonical reference (:mod:`catalogue.legal`), where
    the jurisdiction publishes one: EU acts (regulations, directives, decisions) and
    Norwegian acts and regulations at Lovdata. None for Sweden (no ELI) or another act."""
    if jurisdiction == "EU":
        match = _CELEX.match(reference)
        if not match:
            return None
        year, kind, number = match.groups()
        eli_type = _EU_ELI_TYPE_EXCEPTIONS.get(reference, _CELEX_ELI_TYPES[kind])
        return URIRef(f"http://data.europa.eu/eli/{eli_type}/{year}/{int(number)}/oj")
    if jurisdiction == "NO":
        match = _LOVDATA.match(reference)
        if not match or match.group(5) is None:
            return None
        kind, year, month, day, number = match.groups()
        path = "lov" if kind == "LOV" else "forskrift"
        return URIRef(f"https://lovdata.no/eli/{path}/{year}/{month}/{day}/{int(number)}")
    return None


#: The EU resource-type authority's kinds of act (an ``eli:LegalResource``'s ``dct:type``,
#: which DCAT-AP-NO 2 requires). National statutes are ``LAW_NATIONAL``: an SFS number does
#: not tell a lag from a förordning, so nothing finer is claimed.
RESOURCE_TYPES = Vocabulary(
    "resource-type",
    EU_AUTHORITY + "resource-type",
    _identity(("REG", "REG_IMPL", "DIR", "DEC", "LAW_NATIONAL")),
    title="Resource type",
    labels={
        "REG": "Regulation", "REG_IMPL": "Implementing regulation", "DIR": "Directive",
        "DEC": "Decision", "LAW_NATIONAL": "National law",
    },
)  # fmt: skip


def resource_type(jurisdiction: str, reference: str) -> str:
    """The resource-type code of a statute given by its canonical reference."""
    eli = eli_uri(jurisdiction, reference) if jurisdiction == "EU" else None
    if eli is None:
        return "LAW_NATIONAL"
    kind = str(eli).split("/")[4]
    return {"reg": "REG", "reg_impl": "REG_IMPL", "dir": "DIR", "dec": "DEC"}[kind]


def eli_reference(uri: str) -> tuple[str, str] | None:
    """(jurisdiction, canonical reference) of an ELI :func:`eli_uri` makes; None otherwise."""
    text = str(uri).strip().rstrip("/")
    eu = re.match(r"^https?://data\.europa\.eu/eli/(reg|reg_impl|dir|dec)/(\d{4})/(\d{1,4})(?:/oj)?$", text)
    if eu:
        eli_type, year, number = eu.groups()
        letter = {"reg": "R", "reg_impl": "R", "dir": "L", "dec": "D"}[eli_type]
        return "EU", f"3{year}{letter}{int(number):04d}"
    no = re.match(r"^https?://lovdata\.no/eli/(lov|forskrift)/(\d{4})/(\d{2})/(\d{2})/(\d{1,4})$", text)
    if no:
        kind, year, month, day, number = no.groups()
        return "NO", f"{'LOV' if kind == 'lov' else 'FOR'}-{year}-{month}-{day}-{int(number)}"
    return None


# -- publishers -------------------------------------------------------------------------
#: ADMS publisher types (DCAT-AP's Publisher_ShapeCV): every Tillit agency is a public
#: authority of its state.
PUBLISHER_TYPE_SCHEME = "http://purl.org/adms/publishertype/1.0"
PUBLISHER_TYPES = Vocabulary(
    "publishertype",
    PUBLISHER_TYPE_SCHEME,
    {"national-authority": "NationalAuthority"},
    title="Publisher type",
    labels={"national-authority": "National authority"},
    base="http://purl.org/adms/publishertype/",
)
NATIONAL_AUTHORITY = URIRef("http://purl.org/adms/publishertype/NationalAuthority")

#: Every vocabulary with concepts, by name (the export declares each concept it uses).
VOCABULARIES: Mapping[str, Vocabulary] = {
    v.name: v
    for v in (
        THEMES,
        LANGUAGES,
        FREQUENCIES,
        COUNTRIES,
        FILE_TYPES,
        LICENCES,
        ACCESS_RIGHTS_VOCABULARY,
        RESOURCE_TYPES,
        PUBLISHER_TYPES,
    )
}
