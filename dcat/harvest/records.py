"""A DCAT graph read as Tillit entries: each ``dcat:Dataset`` / ``dcat:DataService`` one
:class:`Record`, keyed by its URI (or its ``dct:identifier`` when it is a blank node).

Pure and before any transaction: the graph in, records out, no database. What a record
holds is the input an ``EntryService`` takes (``catalogue.fields``), so the service's
validation decides what is accepted, exactly as for an entry typed in; what the source
says that Tillit cannot hold is kept in the record's ``notes`` (and reported), never
dropped in silence. The vocabularies (themes, languages, frequencies, media types,
licences, access rights, ELI) are read back through :mod:`dcat.vocabulary`, the one
declaration the export writes with.

Read from each resource (DCAT-AP 3, DCAT-AP-SE 3, DCAT-AP-NO 2):

- ``dct:title``, ``dct:description``, ``dcat:keyword`` by language (sv, nb, nn, en; "no"
  is read as nb; a literal without a language takes the profile's); a data service
  without a description is given its title and a note;
- ``dcat:theme`` (EU data themes), ``dct:accrualPeriodicity``, ``dct:license`` (the
  resource's, else its distributions' when they agree), ``dct:spatial``,
  ``dct:temporal`` (``dcat:startDate`` / ``dcat:endDate``), ``foaf:page`` (https),
  ``dcat:contactPoint`` (vCard name, email, URL);
- ``dct:accessRights``: the proposed classification (``AccessRights.proposed_level``);
  none given: the lowest level, with a note. Every entry is proposed for review;
- legal bases: ``cpsv:follows`` rules typed ruleForDataProcessing / ruleForNonDisclosure /
  ruleForDisclosure (roles processing / restriction / disclosure), the statute read from
  the rule's ``cpsv:implements`` resource or its ``rdfs:seeAlso`` / ``foaf:page`` /
  ``dct:source`` URLs (:mod:`dcat.harvest.legal_urls`); ``dcatap:applicableLegislation``
  and ``dpv:hasLegalBasis`` not already given by a rule become processing bases;
- datasets: ``dcat:distribution`` (access and download URL, ``dct:format``, ``dcat:mediaType``,
  ``dcat:byteSize``, title); data services: ``dcat:endpointURL``, ``dcat:endpointDescription``
  (its OpenAPI document's URL, ``openapi_url``: recorded, fetched later by the refresh),
  ``dcat:version`` / ``owl:versionInfo``, and the datasets it serves (``dcat:servesDataset``, and datasets
  whose distribution names it as ``dcat:accessService``) by URI, resolved to entries
  when written.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from catalogue.legal import LegalReferenceError, normalise_provision
from catalogue.shapes import LANGUAGES, MAX_TEXT, MAX_TITLE
from dcat import vocabulary
from dcat.harvest.legal_urls import recognise
from dcat.terms import CPSV, DCAT, DCATAP, DCTERMS, DPV, FOAF, OWL, RDF, RDFS, SCHEMA, VCARD

#: Raise when the reading of a graph changes: a source harvested cleanly before is then
#: read again even if its bytes are the same (``HarvestRun.load``).
MAPPING_VERSION = "3"
#: The language of a literal without a tag, by profile.
PROFILES: Mapping[str, str] = {"dcat-ap": "en", "dcat-ap-se": "sv", "dcat-ap-no": "nb"}
#: A rule's type, by the end of its URI with anything but letters dropped, lower-cased
#: (DCAT-AP-NO 2 writes ``…#ruleForDataProcessing``; spellings with dashes are read too).
RULE_ROLES: Mapping[str, str] = {
    "rulefordataprocessing": "processing",
    "rulefornondisclosure": "restriction",
    "rulefordisclosure": "disclosure",
}
_LETTERS = re.compile(r"[^a-z]")
#: The longest OpenAPI URL an entry holds (``Entry.openapi_url``).
MAX_URL = 1000
_MEDIA_TYPE = re.compile(r"^[a-z]+/[a-zA-Z0-9.+\-]+$")


@dataclass(frozen=True)
class Record:
    """One harvested dataset or data service: its key, the entry input it gives, and notes."""

    uri: str
    entry_type: str
    #: The input of ``EntryService.create`` / ``update`` (without the publisher).
    data: Mapping[str, Any]
    #: URIs of the datasets a data service serves (resolved to entry ids when written).
    serves: tuple[str, ...] = ()
    #: What the source says that Tillit does not hold, or holds differently.
    notes: tuple[str, ...] = ()
    #: Field-by-field reasons the record cannot become an entry, found before the service.
    problems: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """What decides "unchanged": a hash of everything written from this record."""
        text = json.dumps(
            [self.entry_type, self.data, list(self.serves)], sort_keys=True, ensure_ascii=False, default=str
        )
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _Reading:
    graph: Graph
    language: str
    access: vocabulary.AccessRights
    lowest: str
    notes: list[str] = field(default_factory=list)


def read_records(graph: Graph, *, profile: str, access: vocabulary.AccessRights, lowest: str) -> list[Record]:
    """Every dataset and data service in ``graph`` as a record, in a stable order."""
    language = PROFILES.get(profile, "en")
    resources: dict[str, tuple[Node, str]] = {}
    unkeyed: list[Record] = []
    for kind, entry_type in ((DCAT.Dataset, "dataset"), (DCAT.DataService, "api")):
        for subject in graph.subjects(RDF.type, kind, unique=True):
            key = _key(graph, subject)
            if key is None:
                # Reported, never dropped in silence; the name is only the report's.
                unkeyed.append(
                    Record(
                        f"(a {entry_type} without URI, number {len(unkeyed) + 1})",
                        entry_type,
                        {},
                        problems={"uri": ("The resource has no URI and no dct:identifier to be known by.",)},
                    )
                )
            elif key not in resources:
                resources[key] = (subject, entry_type)
    served_by = _served_by(graph)
    records = []
    for key in sorted(resources):
        subject, entry_type = resources[key]
        reading = _Reading(graph, language, access, lowest)
        records.append(_record(reading, key, subject, entry_type, served_by))
    return records + unkeyed


def _key(graph: Graph, subject: Node) -> str | None:
    if isinstance(subject, URIRef):
        return str(subject)
    identifier = graph.value(subject, DCTERMS.identifier)
    return str(identifier).strip() or None if identifier is not None else None


def _served_by(graph: Graph) -> dict[Node, list[str]]:
    """Data service → the dataset URIs whose distributions name it as their access service."""
    served: dict[Node, list[str]] = {}
    for dataset in graph.subjects(RDF.type, DCAT.Dataset, unique=True):
        key = _key(graph, dataset)
        for distribution in graph.objects(dataset, DCAT.distribution):
            for service in graph.objects(distribution, DCAT.accessService):
                if key is not None and key not in served.setdefault(service, []):
                    served[service].append(key)
    return served


def _record(
    r: _Reading, key: str, subject: Node, entry_type: str, served_by: Mapping[Node, list[str]]
) -> Record:
    g = r.graph
    problems: dict[str, tuple[str, ...]] = {}
    title = _texts(r, subject, DCTERMS.title, "title", MAX_TITLE)
    description = _texts(r, subject, DCTERMS.description, "description", MAX_TEXT)
    if not title:
        problems["title"] = ("The source gives no title in sv, nb, nn or en.",)
    if not description and title and entry_type == "api":
        description = dict(title)
        r.notes.append("description: the source gives none; the title stands in.")
    data: dict[str, Any] = {"title": title, "description": description}
    keywords = _keywords(r, subject)
    if keywords:
        data["keywords"] = keywords
    themes = _themes(r, subject)
    if themes:
        data["themes"] = themes
    contact = _contact(r, subject)
    if contact:
        data["contact_point"] = contact
    data["classification"] = _classification(r, subject)
    bases = _legal_bases(r, subject)
    data["legal_basis"] = bases
    licence = _licence(r, subject)
    if licence:
        data["licence"] = licence
    page = g.value(subject, FOAF.page)
    if isinstance(page, URIRef) and str(page).startswith("https://") and len(str(page)) <= 1000:
        data["documentation_url"] = str(page)
    spatial = g.value(subject, DCTERMS.spatial)
    if spatial is not None:
        data["spatial"] = vocabulary.COUNTRIES.value(str(spatial)) or str(spatial)[:200]
    temporal = _temporal(g, subject)
    if temporal:
        data["temporal"] = temporal
    frequency = g.value(subject, DCTERMS.accrualPeriodicity)
    if frequency is not None:
        code = vocabulary.FREQUENCIES.value(str(frequency))
        if code:
            data["update_frequency"] = code
        else:
            r.notes.append(f"update_frequency: {_short(frequency)} is not an EU frequency.")
    serves: tuple[str, ...] = ()
    if entry_type == "dataset":
        distributions = [_distribution(r, d) for d in g.objects(subject, DCAT.distribution)]
        data["distributions"] = sorted(
            (d for d in distributions if d is not None), key=lambda d: json.dumps(d, sort_keys=True)
        )
    else:
        data["endpoint_urls"] = sorted(str(u) for u in g.objects(subject, DCAT.endpointURL))
        version = g.value(subject, DCAT.version) or g.value(subject, OWL.versionInfo)
        if version is not None:
            data["version"] = str(version)[:64]
        openapi_url = _openapi_url(r, subject)
        if openapi_url is not None:
            data["openapi_url"] = openapi_url
        listed = [_key(g, d) for d in g.objects(subject, DCAT.servesDataset)]
        serves = tuple(sorted({k for k in [*listed, *served_by.get(subject, [])] if k is not None}))
    return Record(key, entry_type, data, serves, tuple(r.notes), problems)


def _openapi_url(r: _Reading, subject: Node) -> str | None:
    """A data service's ``dcat:endpointDescription`` as its OpenAPI document's URL: an
    http(s) IRI (the first, in order); what is not one is a note. The harvest records the
    URL only; the document is fetched by the refresh (docs/harvest.md)."""
    found = sorted(
        str(d) for d in r.graph.objects(subject, DCAT.endpointDescription) if isinstance(d, URIRef)
    )
    usable = [u for u in found if u.startswith(("https://", "http://")) and len(u) <= MAX_URL]
    if len(usable) < len(found) or (not found and r.graph.value(subject, DCAT.endpointDescription)):
        r.notes.append("openapi_url: an endpointDescription that is not an http(s) URL was left out.")
    if len(usable) > 1:
        r.notes.append(f"openapi_url: {len(usable)} endpointDescriptions; the first is taken.")
    return usable[0] if usable else None


def _texts(r: _Reading, subject: Node, predicate: URIRef, name: str, limit: int) -> dict[str, str]:
    texts: dict[str, str] = {}
    others: set[str] = set()
    for literal in _literals(r.graph, subject, predicate):
        lang = _language(r, literal)
        if lang is None:
            others.add(str(literal.language))
            continue
        text = " ".join(str(literal).split()) if name == "title" else str(literal).strip()
        if text and lang not in texts:
            if len(text) > limit:
                r.notes.append(f"{name} ({lang}): cut to {limit} characters.")
                text = text[:limit]
            texts[lang] = text
    if others:
        r.notes.append(f"{name}: languages Tillit does not hold were left out ({', '.join(sorted(others))}).")
    return texts


def _literals(graph: Graph, subject: Node, predicate: URIRef) -> Iterator[Literal]:
    for value in graph.objects(subject, predicate):
        if isinstance(value, Literal):
            yield value


def _language(r: _Reading, literal: Literal) -> str | None:
    tag = (literal.language or "").lower()
    if not tag:
        return r.language
    base = tag.split("-", 1)[0]
    if base in LANGUAGES:
        return base
    return "nb" if base == "no" else None


def _keywords(r: _Reading, subject: Node) -> dict[str, list[str]]:
    words: dict[str, list[str]] = {}
    for literal in _literals(r.graph, subject, DCAT.keyword):
        lang = _language(r, literal)
        word = " ".join(str(literal).split())[:100]
        if lang is not None and word and word not in words.setdefault(lang, []):
            words[lang].append(word)
    return {lang: sorted(ws)[:50] for lang, ws in words.items() if ws}


def _themes(r: _Reading, subject: Node) -> list[str]:
    themes = []
    for uri in r.graph.objects(subject, DCAT.theme):
        code = vocabulary.THEMES.value(str(uri))
        if code is None:
            r.notes.append(f"themes: {_short(uri)} is not an EU data theme.")
        elif code not in themes:
            themes.append(code)
    return sorted(themes)


def _contact(r: _Reading, subject: Node) -> dict[str, Any] | None:
    node = r.graph.value(subject, DCAT.contactPoint)
    if node is None:
        return None
    g = r.graph
    name = g.value(node, VCARD.fn) or g.value(node, VCARD["organization-name"])
    email = g.value(node, VCARD.hasEmail)
    url = g.value(node, VCARD.hasURL)
    if name is None:
        r.notes.append("contact_point: the contact point has no name (vcard:fn); left out.")
        return None
    contact: dict[str, Any] = {"name": " ".join(str(name).split())[:200]}
    if email is not None:
        contact["email"] = str(email).removeprefix("mailto:")
    if isinstance(url, URIRef):
        contact["url"] = str(url)
    return contact


def _classification(r: _Reading, subject: Node) -> str:
    rights = r.graph.value(subject, DCTERMS.accessRights)
    if rights is None:
        r.notes.append(f"classification: the source states no dct:accessRights; {r.lowest!r} is proposed.")
        return r.lowest
    level = r.access.proposed_level(str(rights))
    if level is None:
        r.notes.append(
            f"classification: {_short(rights)} is not an EU access right; {r.lowest!r} is proposed."
        )
        return r.lowest
    return level


def _legal_bases(r: _Reading, subject: Node) -> list[dict[str, Any]]:
    g = r.graph
    bases: list[dict[str, Any]] = []

    def add(role: str, urls: Iterable[str], what: str, titles: Iterable[Literal] = ()) -> None:
        urls = list(dict.fromkeys(u for u in urls if u))
        found = next((f for u in urls if (f := recognise(u)) is not None), None)
        if found is None:
            shown = ", ".join(u[:200] for u in urls) or "no URL"
            r.notes.append(f"legal_basis ({role}): {what} names no statute Tillit recognises ({shown}).")
            return
        provision = found.provision or _provision_in(titles, found.jurisdiction)
        basis = {
            "role": role,
            "jurisdiction": found.jurisdiction,
            "reference": found.reference,
            "provision": provision,
        }
        if basis not in bases:
            bases.append(basis)
        if found.note and not provision:
            r.notes.append(f"legal_basis: {found.note}")

    rules = set()
    for rule in g.objects(subject, CPSV.follows):
        rules.add(rule)
        role = next(
            (RULE_ROLES[k] for t in g.objects(rule, DCTERMS.type) if (k := _local(t)) in RULE_ROLES), None
        )
        if role is None:
            r.notes.append("legal_basis: a cpsv:follows rule has no type Tillit reads; left out.")
            continue
        titles = [t for t in g.objects(rule, DCTERMS.title) if isinstance(t, Literal)]
        add(role, _statute_urls(g, rule, via=CPSV.implements), "a cpsv:follows rule", titles)
    for predicate, what in (
        (DCATAP.applicableLegislation, "applicableLegislation"),
        (DPV.hasLegalBasis, "dpv:hasLegalBasis"),
    ):
        for legislation in g.objects(subject, predicate):
            if legislation in rules:
                continue  # the rule itself (the export says a processing rule both ways)
            urls = [str(legislation)] if isinstance(legislation, URIRef) else []
            urls += _statute_urls(g, legislation, via=None)
            found = next((f for u in urls if (f := recognise(u)) is not None), None)
            if found is not None and any(
                (found.jurisdiction, found.reference) == (b["jurisdiction"], b["reference"]) for b in bases
            ):
                continue  # given by a rule already, with its role
            add("processing", urls, what)
    return bases


#: Where a provision starts in a rule's title ("Folkeregisterloven § 1-1",
#: "Offentlighets- och sekretesslag 22 kap. 1 §", "GDPR Art. 6(1)(e)"), by jurisdiction.
_PROVISION_START = {
    "NO": re.compile(r"§ ?\d.*$"),
    "SE": re.compile(r"\d{1,3} ?[a-z]? kap\. .*§.*$|\d{1,4} ?[a-z]? ?§.*$"),
    "EU": re.compile(r"Art(?:icle|\.)? ?\d.*$", re.IGNORECASE),
}


def _provision_in(titles: Iterable[Literal], jurisdiction: str) -> str | None:
    """The provision a rule's title names after the statute (the export writes it so).

    Searched in the title's last 300 characters: the provision ends the title, and an EU
    act's full name alone can be longer than that (Directive (EU) 2016/680's is 400); the
    window bounds the patterns' backtracking on a hostile title."""
    pattern = _PROVISION_START[jurisdiction]
    for title in titles:
        match = pattern.search(str(title)[-300:])
        if match is None:
            continue
        try:
            return normalise_provision(jurisdiction, match.group(0))
        except LegalReferenceError:
            continue
    return None


def _statute_urls(g: Graph, node: Node, *, via: URIRef | None) -> list[str]:
    """URLs naming the statute of a rule (through ``via``) or of a legal resource."""
    targets = list(g.objects(node, via)) if via is not None else [node]
    urls: list[str] = []
    for target in targets:
        if isinstance(target, URIRef):
            urls.append(str(target))
        for predicate in (RDFS.seeAlso, FOAF.page, DCTERMS.source, DCTERMS.identifier):
            urls += [str(v) for v in g.objects(target, predicate) if isinstance(v, URIRef | Literal)]
    if via is not None:
        for predicate in (RDFS.seeAlso, FOAF.page, DCTERMS.source):
            urls += [str(v) for v in g.objects(node, predicate) if isinstance(v, URIRef)]
    return list(dict.fromkeys(urls))


def _licence(r: _Reading, subject: Node) -> str | None:
    g = r.graph
    licence = g.value(subject, DCTERMS.license)
    if licence is None:
        found = {
            str(value)
            for d in g.objects(subject, DCAT.distribution)
            for value in g.objects(d, DCTERMS.license)
        }
        if len(found) > 1:
            r.notes.append("licence: the distributions name different licences; none is taken.")
        licence = URIRef(found.pop()) if len(found) == 1 else None
    if licence is None:
        return None
    value = vocabulary.LICENCES.value(str(licence)) or vocabulary.licence_value(str(licence))
    if not value.startswith(("https://", "http://")) or len(value) > 500:
        r.notes.append("licence: not a URL; left out.")
        return None
    return value


def _temporal(g: Graph, subject: Node) -> dict[str, str | None] | None:
    node = g.value(subject, DCTERMS.temporal)
    if node is None:
        return None
    start = g.value(node, DCAT.startDate) or g.value(node, SCHEMA.startDate)
    end = g.value(node, DCAT.endDate) or g.value(node, SCHEMA.endDate)
    span = {"start": _date(start), "end": _date(end)}
    return span if any(span.values()) else None


def _date(value: Node | None) -> str | None:
    return str(value)[:10] if value is not None else None


def _distribution(r: _Reading, node: Node) -> dict[str, Any] | None:
    g = r.graph
    access = g.value(node, DCAT.accessURL)
    if access is None:
        r.notes.append("distributions: a distribution without dcat:accessURL was left out.")
        return None
    d: dict[str, Any] = {"access_url": str(access)}
    download = g.value(node, DCAT.downloadURL)
    if download is not None:
        d["download_url"] = str(download)
    title = _texts(r, node, DCTERMS.title, "distribution title", MAX_TITLE)
    if title:
        d["title"] = title
    media = g.value(node, DCAT.mediaType)
    if media is not None:
        d["media_type"] = vocabulary.media_type_value(str(media)) or _plain_media_type(str(media))
    fmt = g.value(node, DCTERMS.format)
    if fmt is not None:
        text = str(fmt)
        if isinstance(fmt, Literal) and _MEDIA_TYPE.match(text):
            d.setdefault("media_type", text)  # DCAT-AP-SE's examples write media types here
        else:
            named = vocabulary.FILE_TYPES.value(text)
            d["format"] = named or _local_name(text)[:64]
    size = g.value(node, DCAT.byteSize)
    if size is not None:
        try:
            d["byte_size"] = int(float(str(size)))
        except ValueError:
            r.notes.append("distributions: a byte size that is not a number was left out.")
    return {k: v for k, v in d.items() if v is not None}


def _plain_media_type(text: str) -> str | None:
    return text if _MEDIA_TYPE.match(text) else None


def _local(node: Node) -> str:
    return _LETTERS.sub("", _local_name(str(node)).lower())


def _local_name(text: str) -> str:
    return re.split(r"[/#]", text.rstrip("/#"))[-1]


def _short(node: Node) -> str:
    text = str(node)
    return repr(text if len(text) <= 120 else text[:117] + "...")


__all__ = ["MAPPING_VERSION", "PROFILES", "Record", "read_records"]
