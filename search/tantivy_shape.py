"""The embedded index's shape: its analysers, fields and schema, and each catalogue
document as a tantivy document (search/embedded.py reads and writes the index).

Analysis, per text group (title, description, keywords):

- ``<group>_<lang>``       language stemmer (Swedish, Norwegian for nb/nn, English)
- ``<group>_<lang>_fold``  the same, ascii-folded: ``lantmateriet`` finds "Lantmäteriet"
- ``<group>_exact``        unstemmed, all languages: exact words rank first (the Swedish
                           stemmer maps ``fastighet`` to ``fast``)
- ``<group>_compound``     folded and split into known parts ("fastighetsregistret" →
                           fastighets + registret), so a part finds the compound

The read filter is carried by each document's ``access`` tokens (:func:`access_tokens`),
and each full facet by a single-valued ``<classification>SEP<values>`` combination
(:func:`combination`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import tantivy
from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

from search.backend import FACET_FIELDS, FULL_EXTENSIONS, FULL_FACETS
from search.documents import (
    BOOLEAN_FIELDS,
    LANGUAGE_TEXT_GROUPS,
    LANGUAGES,
    MATCH_GROUP,
    MULTI_KEYWORD_FIELDS,
    PLAIN_TEXT_FIELDS,
    SINGLE_KEYWORD_FIELDS,
)
from search.snippets import SUMMARY_GROUPS

# 3: the linking "s" is a compound part of its own; 4: sharing_status; 5: data_elements; 6: auth;
# 7: legal_text also ascii-folded; 8: operation_elements (and its combination field).
SCHEMA_VERSION = "8"
STEMMER = {"sv": "swedish", "nb": "norwegian", "nn": "norwegian", "en": "english"}
#: The per-language text of the documents (search.documents, from catalogue.fields).
TEXT_GROUPS = LANGUAGE_TEXT_GROUPS
#: How much a match in each counts; a group or text field declared in catalogue.fields
#: and missing here fails the import (tests/unit/catalogue/test_fields.py says so too).
GROUP_WEIGHT = {"title": 3.0, "keywords": 2.5, "description": 1.0}
#: Text of no particular language: (name suffix, analyser, weight) of each form.
PLAIN_TEXT_FORMS: Mapping[str, tuple[tuple[str, str, float], ...]] = {
    "publisher_name": (("", "t_exact", 2.0), ("_fold", "t_fold", 1.2)),
    # Folded too, as Elasticsearch does: "folkbokforing" finds folkbokföringslagen's entries.
    "legal_text": (("", "t_exact", 1.5), ("_fold", "t_fold", 0.9)),
    "openapi": (("", "t_fold", 1.0),),
}
VARIANT_WEIGHT = {"exact": 6.0, "stem": 1.0, "fold": 0.5, "compound": 0.4}
MAX_WORD = 60
#: Separates the parts of access tokens and facet combinations (never in a value).
SEP = "\x1f"
VALUE_SEP = "\x1e"

#: Common parts of Swedish and Norwegian administrative compounds, folded. The
#: linking "s" (fastighet-s-registret) is a part of its own, so the word a person
#: types ("fastighet") is what the compound is split into.
COMPOUND_PARTS = sorted(
    {
        "s", "fastighet", "registret", "register", "registre", "registeret",
        "inkomst", "inkomster", "uppgift", "uppgifter", "skatte", "skatt",
        "melding", "meldinger", "folkbokforing", "folkeregister", "folkeregisteret",
        "adress", "adresser", "person", "personer", "foretag", "bedrift",
        "arbets", "arbeids", "giver", "givare", "lon", "lone", "lonn",
        "data", "tjanst", "tjenste", "karta", "kart", "grans", "grense", "fordon",
        "kjoretoy", "trafik", "trafikk", "halsa", "helse", "vard", "omsorg", "miljo",
        "byggnad", "bygning", "bygg", "plan", "planer", "mark", "vatten", "vann",
        "statistik", "statistikk", "moms", "avgift", "avgifter", "deklaration",
        "deklarasjon", "ekonomi", "okonomi", "belopp", "bank", "konto", "kontroll",
        "overvakning", "overvaking", "tillstand", "tillatelse", "ansokan", "soknad",
        "beslut", "vedtak", "forsakring", "forsikring", "sjuk", "penning", "pension",
        "pensjon", "tull", "import", "export", "eksport", "bolag", "selskap", "handel",
        "kommun", "kommune", "region", "befolkning", "utbildning", "utdanning", "skola",
        "skole", "ersattning", "bidrag", "identitet", "nummer", "rapport", "rapportering",
        "arende", "handling", "handlingar", "matning", "maling", "gransen", "grensen",
    }
)  # fmt: skip


def analyzers() -> dict[str, tantivy.TextAnalyzer]:
    def base() -> TextAnalyzerBuilder:
        return TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(MAX_WORD))

    out = {
        "t_exact": base().filter(Filter.lowercase()).build(),
        "t_fold": base().filter(Filter.lowercase()).filter(Filter.ascii_fold()).build(),
        "t_compound": base()
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .filter(Filter.split_compound(COMPOUND_PARTS))
        .build(),
    }
    for lang, stemmer in STEMMER.items():
        out[f"t_stem_{lang}"] = base().filter(Filter.lowercase()).filter(Filter.stemmer(stemmer)).build()
        out[f"t_foldstem_{lang}"] = (
            base()
            .filter(Filter.lowercase())
            .filter(Filter.ascii_fold())
            .filter(Filter.stemmer(stemmer))
            .build()
        )
    return out


def _text_fields() -> dict[str, tuple[str, str, float]]:
    """field → (analyser, group kind "summary"/"full", weight)."""
    fields: dict[str, tuple[str, str, float]] = {}
    for group in TEXT_GROUPS:
        kind = MATCH_GROUP[group]
        w = GROUP_WEIGHT[group]
        for lang in LANGUAGES:
            fields[f"{group}_{lang}"] = (f"t_stem_{lang}", kind, w * VARIANT_WEIGHT["stem"])
            fields[f"{group}_{lang}_fold"] = (f"t_foldstem_{lang}", kind, w * VARIANT_WEIGHT["fold"])
        fields[f"{group}_exact"] = ("t_exact", kind, w * VARIANT_WEIGHT["exact"])
        fields[f"{group}_compound"] = ("t_compound", kind, w * VARIANT_WEIGHT["compound"])
    for name in PLAIN_TEXT_FIELDS:
        for suffix, analyser, weight in PLAIN_TEXT_FORMS[name]:
            fields[name + suffix] = (analyser, MATCH_GROUP[name], weight)
    return fields


TEXT_FIELDS = _text_fields()
#: The text fields a clause matches in, by whom they may be matched: "summary" fields for
#: everyone who may list the entry, "full" ones where the whole entry may be read.
FIELDS_BY_VIEW = {
    view: {name: spec for name, spec in TEXT_FIELDS.items() if spec[1] == view}
    for view in ("summary", "full")
}
#: Fields where a prefix clause looks (unstemmed ones; the value is lower-cased or folded).
PREFIX_FIELDS = {
    name: ("fold" if analyser in ("t_fold", "t_compound") or name.endswith("_fold") else "exact")
    for name, (analyser, _kind, _w) in TEXT_FIELDS.items()
    if not analyser.startswith("t_stem_")
}
KEYWORDS = SINGLE_KEYWORD_FIELDS
#: Raw text columns of several values; a boolean is one of "true"/"false".
MULTI_KEYWORDS = (*MULTI_KEYWORD_FIELDS, *BOOLEAN_FIELDS)
#: Single-valued ``<classification>SEP<values>`` per full facet: a terms aggregation
#: on a single-valued column costs a fraction of one on a multi-valued column, and
#: the classification prefix lets the caller's levels be applied to the buckets.
COMBO_FACETS = {name: f"facet_{FACET_FIELDS[name]}" for name in FULL_FACETS}
#: The same for the full half of a filter that reads both groups (FULL_EXTENSIONS),
#: by document field.
COMBO_EXTENSIONS = {field: f"facet_{field}" for field in FULL_EXTENSIONS.values()}
STORED_TEXT = tuple(f"{g}_{lang}" for g in SUMMARY_GROUPS for lang in LANGUAGES)


def schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for name in (*KEYWORDS, *MULTI_KEYWORDS, *COMBO_FACETS.values(), *COMBO_EXTENSIONS.values()):
        sb.add_text_field(name, stored=name == "id", tokenizer_name="raw", fast=True)
    # The access labels in the shapes the read filter asks for (QueryBuilder.visible).
    sb.add_text_field("access", tokenizer_name="raw")
    sb.add_integer_field("revision", stored=True, indexed=True, fast=True)
    sb.add_date_field("modified", stored=False, indexed=True, fast=True)
    sb.add_text_field("title_sort", tokenizer_name="raw", fast=True)
    for name, (analyser, _kind, _w) in TEXT_FIELDS.items():
        sb.add_text_field(name, stored=name in STORED_TEXT, tokenizer_name=analyser)
    return sb.build()


def to_tantivy(doc: Mapping[str, Any]) -> tantivy.Document:
    """A catalogue document (search.documents) as the index holds it."""
    out = tantivy.Document()
    for name in KEYWORDS:
        if doc[name] is not None:  # an optional keyword left empty, as Elasticsearch does
            out.add_text(name, str(doc[name]))
    for name in MULTI_KEYWORD_FIELDS:
        for value in doc[name]:
            out.add_text(name, str(value))
    for name in BOOLEAN_FIELDS:
        out.add_text(name, "true" if doc[name] else "false")
    for token in access_tokens(doc):
        out.add_text("access", token)
    for name, field in COMBO_FACETS.items():
        out.add_text(field, combination(doc, FACET_FIELDS[name]))
    for source, field in COMBO_EXTENSIONS.items():
        out.add_text(field, combination(doc, source))
    out.add_integer("revision", int(doc["revision"]))
    out.add_date("modified", datetime.fromisoformat(doc["modified"]))
    out.add_text("title_sort", doc["title_sort"])
    for group in TEXT_GROUPS:
        texts = [doc.get(f"{group}_{lang}") or "" for lang in LANGUAGES]
        for lang, text in zip(LANGUAGES, texts, strict=True):
            if text:
                out.add_text(f"{group}_{lang}", text)
                out.add_text(f"{group}_{lang}_fold", text)
        joined = "\n".join(t for t in texts if t)
        if joined:
            out.add_text(f"{group}_exact", joined)
            out.add_text(f"{group}_compound", joined)
    for name in PLAIN_TEXT_FIELDS:
        if doc.get(name):
            for suffix, _analyser, _weight in PLAIN_TEXT_FORMS[name]:
                out.add_text(name + suffix, doc[name])
    return out


def access_tokens(doc: Mapping[str, Any]) -> list[str]:
    """The access labels of a document as the tokens :func:`visible_access_terms` asks for:
    ``o`` (open to every reader of the listing level, by status), ``p`` (the
    publisher's own, any status) and ``q`` (the publisher's own, by status)."""
    level, status, publisher = (clean(str(doc[k])) for k in ("listing_level", "status", "publisher"))
    return [
        SEP.join(("o", level, status)),
        SEP.join(("p", level, publisher)),
        SEP.join(("q", level, status, publisher)),
    ]


def combination(doc: Mapping[str, Any], field: str) -> str:
    """``<classification>SEP<values>`` of the document field ``field``."""
    value = doc[field]
    if field == "personal_data":
        values = ["true" if value else "false"]
    elif isinstance(value, str):  # a keyword of one value (sharing_status)
        values = [value]
    else:
        values = [str(v) for v in value]
    # Each value once per document, as a terms aggregation over the plain field counts it.
    return clean(str(doc["classification"])) + SEP + VALUE_SEP.join(sorted({clean(v) for v in values}))


def clean(value: str) -> str:
    return value.replace(SEP, " ").replace(VALUE_SEP, " ")
