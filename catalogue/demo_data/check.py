"""Consistency check for the demo catalogue data.

Run: python catalogue/demo_data/check.py  (needs python-stdnum and openapi-spec-validator).
Exits non-zero and lists every problem when the data breaks a rule the catalogue enforces.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from openapi_spec_validator import validate
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

HERE = Path(__file__).resolve().parent
LEVELS = ("public", "internal", "sensitive")
RANK = {level: i for i, level in enumerate(LEVELS)}
THEMES = {
    "AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL",
    "INTR", "JUST", "OP_DATPRO", "REGI", "SOCI", "TECH", "TRAN",
}
FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "QUARTERLY", "ANNUAL", "IRREG", "CONT", "UPDATE_CONT"}
LICENCES = {
    "http://publications.europa.eu/resource/authority/licence/CC0",
    "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
}
ROLES = {"processing", "restriction", "disclosure"}
# Reference and provision forms per jurisdiction.
REFERENCE = {
    "SE": re.compile(r"^\d{4}:\d{1,4}$"),
    "NO": re.compile(r"^LOV-\d{4}-\d{2}-\d{2}(-\d+)?$"),
    "EU": re.compile(r"^3\d{4}[LRD]\d{4}$"),
}
PROVISION = {
    "SE": re.compile(r"^(\d+ kap\. )?\d+ [a-z]? ?§$"),
    "NO": re.compile(r"^§ \d+( ?[a-z])?(-\d+)?$"),
    "EU": re.compile(r"^Art\. \d+(\(\d+\))?(\([a-z]\))?$"),
}
LANGS = {"SE": "sv", "NO": "nb"}


def load(name: str) -> Any:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def valid_orgnr(orgnr: str, country: str) -> bool:
    if country == "SE":
        return re.fullmatch(r"\d{6}-\d{4}", orgnr) is not None and se_orgnr.is_valid(orgnr)
    if country == "NO":
        return re.fullmatch(r"\d{9}", orgnr) is not None and no_orgnr.is_valid(orgnr)
    return False


def check_agencies(agencies: list[dict[str, Any]], errors: list[str]) -> dict[str, dict[str, Any]]:
    by_orgnr: dict[str, dict[str, Any]] = {}
    for agency in agencies:
        orgnr, country = agency["orgnr"], agency["country"]
        if not valid_orgnr(orgnr, country):
            errors.append(f"agency {orgnr}: invalid {country} organisation number")
        if orgnr in by_orgnr:
            errors.append(f"agency {orgnr}: duplicate")
        if agency.get("clearance") not in LEVELS:
            errors.append(f"agency {orgnr}: unknown clearance {agency.get('clearance')!r}")
        if LANGS[country] not in agency["name"] or "en" not in agency["name"]:
            errors.append(f"agency {orgnr}: name needs {LANGS[country]} and en")
        by_orgnr[orgnr] = agency
    return by_orgnr


def check_legal_basis(key: str, basis: dict[str, Any], errors: list[str]) -> None:
    role, jur, ref = basis.get("role"), basis.get("jurisdiction"), basis.get("reference", "")
    if role not in ROLES:
        errors.append(f"{key}: legal basis role {role!r}")
    if jur not in REFERENCE:
        errors.append(f"{key}: legal basis jurisdiction {jur!r}")
        return
    if not REFERENCE[jur].match(ref):
        errors.append(f"{key}: {jur} reference {ref!r} is not in the expected form")
    provision = basis.get("provision")
    if provision is not None and not PROVISION[jur].match(provision):
        errors.append(f"{key}: {jur} provision {provision!r} is not in the expected form")
    if role == "restriction" and not provision:
        errors.append(f"{key}: a restriction must name its provision")


def check_entry(
    entry: dict[str, Any], agencies: dict[str, dict[str, Any]], kinds: dict[str, str], errors: list[str]
) -> None:
    key = entry["key"]
    agency = agencies.get(entry["publisher"])
    if agency is None:
        errors.append(f"{key}: publisher {entry['publisher']} is not an agency")
        return
    lang = LANGS[agency["country"]]
    for field in ("title", "description"):
        if not entry[field].get(lang) or not entry[field].get("en"):
            errors.append(f"{key}: {field} needs {lang} and en")
    if not entry["keywords"].get(lang) or not entry["keywords"].get("en"):
        errors.append(f"{key}: keywords need {lang} and en")
    themes = entry.get("themes", [])
    if not 1 <= len(themes) <= 2 or not set(themes) <= THEMES:
        errors.append(f"{key}: themes {themes}")
    if entry.get("update_frequency") not in FREQUENCIES:
        errors.append(f"{key}: update frequency {entry.get('update_frequency')!r}")
    if entry.get("spatial") != agency["country"]:
        errors.append(f"{key}: spatial {entry.get('spatial')!r} differs from publisher country")

    cls, listing = entry["classification"], entry["listing_level"]
    if cls not in RANK or listing not in RANK:
        errors.append(f"{key}: unknown level {cls!r}/{listing!r}")
        return
    if RANK[listing] > RANK[cls]:
        errors.append(f"{key}: listing_level {listing} is above classification {cls}")
    if RANK[cls] > RANK[agency["clearance"]]:
        errors.append(f"{key}: classification {cls} is above the publisher's clearance")

    bases = entry.get("legal_basis", [])
    for basis in bases:
        check_legal_basis(key, basis, errors)
    roles = {b.get("role") for b in bases}
    if cls != "public" and "restriction" not in roles:
        errors.append(f"{key}: classified {cls} without a restriction basis")
    if entry["contains_personal_data"] and "processing" not in roles:
        errors.append(f"{key}: personal data without a processing basis")
    if entry["special_categories"] and not entry["contains_personal_data"]:
        errors.append(f"{key}: special categories but no personal data")

    licence = entry.get("licence")
    if licence is not None and (licence not in LICENCES or cls != "public"):
        errors.append(f"{key}: licence {licence!r} on a {cls} entry")

    if entry["type"] == "dataset":
        if not entry.get("distributions"):
            errors.append(f"{key}: dataset without distributions")
    elif entry["type"] == "api":
        for field in ("endpoint_urls", "version", "lifecycle", "serves", "openapi"):
            if not entry.get(field):
                errors.append(f"{key}: api without {field}")
        for served in entry.get("serves", []):
            if kinds.get(served) != "dataset":
                errors.append(f"{key}: serves {served!r}, which is not a dataset")
        spec = HERE / "openapi" / entry.get("openapi", "")
        if not spec.is_file():
            errors.append(f"{key}: missing OpenAPI file {spec.name}")
        else:
            try:
                validate(json.loads(spec.read_text(encoding="utf-8")))
            except Exception as exc:  # the validator raises several exception types
                errors.append(f"{key}: {spec.name} does not validate: {exc}")
    else:
        errors.append(f"{key}: unknown type {entry['type']!r}")


def main() -> int:
    errors: list[str] = []
    agencies = check_agencies(load("agencies.json"), errors)
    entries: list[dict[str, Any]] = load("entries.json")

    keys = Counter(e["key"] for e in entries)
    errors += [f"{k}: duplicate key" for k, n in keys.items() if n > 1]
    kinds = {e["key"]: e["type"] for e in entries}
    for entry in entries:
        check_entry(entry, agencies, kinds, errors)

    referenced = {e["openapi"] for e in entries if e["type"] == "api"}
    errors += [
        f"openapi/{p.name}: not referenced by any api entry"
        for p in sorted((HERE / "openapi").glob("*.json"))
        if p.name not in referenced
    ]

    total = len(entries)
    types = Counter(e["type"] for e in entries)
    levels = Counter(e["classification"] for e in entries)
    lowered = sum(1 for e in entries if e["listing_level"] != e["classification"])
    print(f"agencies: {len(agencies)}  entries: {total}  {dict(types)}")
    print("levels: " + ", ".join(f"{lv} {levels[lv]} ({levels[lv] / total:.0%})" for lv in LEVELS))
    print(f"listing_level below classification: {lowered}")
    if len(agencies) < 18 or total < 90:
        errors.append("too few agencies or entries")
    if not (0.35 <= levels["public"] / total <= 0.55 and levels["internal"] and levels["sensitive"]):
        errors.append("level distribution far from roughly 45/30/25")

    for error in errors:
        print("ERROR", error)
    print("OK" if not errors else f"{len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
