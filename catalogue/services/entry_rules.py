"""The rules every entry keeps, checked on the entry as it will be after a change.

``merged`` gives that entry (the stored values, the input over them, the defaults);
``EntryRules.check`` refuses it if it breaks a rule (unknown levels, a listing above
the classification, the legal bases a level or personal data needs, unknown data
elements, an API's operations above its level or naming unknown elements, links to
datasets the caller cannot see, a level above the caller's clearance);
``reviewed_changes`` names the reviewed fields it changes (where ``EntryWriter.update``
sends the change to a security officer instead of applying it). Changing the entry
and committing the change are ``entry_writing``'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import fields as entry_fields
from catalogue.errors import PermissionDenied, ValidationFailed
from catalogue.models import DataElement, Entry
from catalogue.operations import Operation, operation_problems
from catalogue.services.entry_views import PreparedInput
from catalogue.visibility import visible_clause
from security import policy
from security.identity import Identity
from security.levels import ClassificationScheme

#: The rules every entry keeps that span fields, each worded once: ``check`` refuses
#: with these words, and the registration forms (``api/web/work_forms.py``) explain the
#: rule beside the field it concerns before anyone breaks it. ``{level}``: the level, quoted.
RULE_RESTRICTION = (
    "An entry classified {level} must cite at least one legal basis with role 'restriction' "
    "(the provision that restricts access, such as a secrecy provision)."
)
RULE_PROCESSING = (
    "An entry with personal data must cite at least one legal basis with role "
    "'processing' (for example GDPR Art. 6(1)(e) and the national law)."
)
RULE_SPECIAL_CATEGORIES = "Special categories of personal data imply contains_personal_data."
RULE_LISTING = "The listing level may not be above the classification."
#: Which field each rule is reported on.
RULES: Mapping[str, tuple[str, ...]] = {
    "legal_basis": (RULE_RESTRICTION, RULE_PROCESSING),
    "special_categories": (RULE_SPECIAL_CATEGORIES,),
    "listing_level": (RULE_LISTING,),
}


class EntryRules:
    """Checks the entry as it will be (``merged``) in the session's catalogue."""

    def __init__(self, session: Session, scheme: ClassificationScheme) -> None:
        self.session = session
        self.scheme = scheme

    def check(self, identity: Identity, entry: Entry, m: dict[str, Any], links: list[str]) -> None:
        """ValidationFailed or PermissionDenied unless ``m`` (the merged entry) keeps every rule."""
        errors: dict[str, list[str]] = {}
        enabled = ", ".join(self.scheme.enabled_keys)
        classification, listing = m["classification"], m["listing_level"]
        if not self.scheme.is_enabled(classification):
            errors.setdefault("classification", []).append(
                f"Unknown classification level {classification!r}; expected one of {enabled}."
            )
        if not self.scheme.is_enabled(listing):
            errors.setdefault("listing_level", []).append(
                f"Unknown classification level {listing!r}; expected one of {enabled}."
            )
        elif self.scheme.is_enabled(classification) and not self.scheme.not_above(listing, classification):
            errors.setdefault("listing_level", []).append(RULE_LISTING)
        roles = {b["role"] for b in m["legal_basis"]}
        if (
            self.scheme.is_enabled(classification)
            and classification != self.scheme.lowest
            and "restriction" not in roles
        ):
            errors.setdefault("legal_basis", []).append(RULE_RESTRICTION.format(level=repr(classification)))
        if m["special_categories"] and not m["contains_personal_data"]:
            errors.setdefault("special_categories", []).append(RULE_SPECIAL_CATEGORIES)
        if m["contains_personal_data"] and "processing" not in roles:
            errors.setdefault("legal_basis", []).append(RULE_PROCESSING)
        self._check_elements(m, errors)
        # An OpenAPI document was checked by ``EntryWriter.prepare``, before the transaction.
        if entry.type == "api":
            problems = operation_problems(
                m["operations"],
                classification,
                is_enabled=self.scheme.is_enabled,
                not_above=self.scheme.not_above,
                known_elements=self._known_elements,
            )
            if problems:
                errors.setdefault("openapi", []).extend(problems)
            missing = self._unknown_datasets(identity, links)
            if missing:
                errors.setdefault("serves_datasets", []).append(
                    "No dataset with id " + ", ".join(missing) + "."
                )
        if errors:
            raise ValidationFailed(errors)
        for level in {classification, listing}:
            if not policy.can_classify(identity, level):
                raise PermissionDenied(f"You may not classify an entry above your own clearance ({level!r}).")

    def _check_elements(self, m: dict[str, Any], errors: dict[str, list[str]]) -> None:
        """Data elements must be in the vocabulary; an entry is authoritative only for
        elements it holds. The messages name only keys the caller sent."""
        held = list(m["data_elements"])
        if held:
            known = self._known_elements(held)
            unknown = [k for k in held if k not in known]
            if unknown:
                errors.setdefault("data_elements", []).append(
                    "Unknown data element " + ", ".join(map(repr, unknown)) + " (GET /api/v1/data-elements)."
                )
        not_held = [k for k in m["authoritative_for"] if k not in held]
        if not_held:
            errors.setdefault("authoritative_for", []).append(
                "An entry can be authoritative only for data elements it holds (data_elements): "
                + ", ".join(map(repr, not_held))
                + "."
            )

    def _known_elements(self, keys: Sequence[str]) -> set[str]:
        """Those of ``keys`` that are in the vocabulary."""
        return set(self.session.scalars(select(DataElement.key).where(DataElement.key.in_(list(keys)))))

    def _unknown_datasets(self, identity: Identity, ids: list[str]) -> list[str]:
        """Ids that are not datasets the caller may see (hidden ones look missing)."""
        if not ids:
            return []
        if len(set(ids)) != len(ids):
            return sorted({i for i in ids if ids.count(i) > 1})
        found = set(
            self.session.scalars(
                select(Entry.id).where(
                    Entry.id.in_(ids),
                    Entry.type == "dataset",
                    visible_clause(policy.read_filter(identity)),
                )
            ).all()
        )
        return [i for i in ids if i not in found]


def merged(entry: Entry, data: dict[str, Any], creating: bool) -> dict[str, Any]:
    """The entry as it will be after the change, for checking the rules."""
    if creating:
        current: dict[str, Any] = {}
    else:
        current = {f.name: getattr(entry, f.name) for f in entry_fields.column_fields()}
        # The "special" fields (catalogue.fields): relations, and a pair of columns.
        current.update(
            legal_basis=[
                {
                    "role": b.role,
                    "jurisdiction": b.jurisdiction,
                    "reference": b.reference,
                    "provision": b.provision,
                    "url": b.url,
                    "note": b.note,
                }
                for b in entry.legal_bases
            ],
            temporal={"start": entry.temporal_start, "end": entry.temporal_end},
            distributions=[],
            serves_datasets=entry.served_dataset_ids,
        )
        # Derived from the document, checked with it: the stored ones, unless the
        # input sends a document (``merged_input``).
        current["operations"] = tuple(
            Operation(
                r.method,
                r.path,
                r.operation_id,
                r.summary,
                tuple(r.tags),
                tuple(r.data_elements),
                r.classification,
            )
            for r in entry.operation_rows
        )
    merged = {**current, **data}
    merged.setdefault("operations", ())
    for key, value in entry_fields.input_defaults().items():
        merged.setdefault(key, value)
    if merged["listing_level"] is None:
        merged["listing_level"] = merged["classification"]
    merged["serves_datasets"] = [str(d) for d in merged["serves_datasets"]]
    return merged


def merged_input(entry: Entry, prepared: PreparedInput, creating: bool) -> dict[str, Any]:
    """``merged`` for prepared input: with the operations of the document the input
    sends, if it sends one."""
    after = merged(entry, prepared.data, creating)
    if prepared.operations is not None:
        after["operations"] = prepared.operations
    return after


def supplied_links(data: dict[str, Any]) -> list[str]:
    """Only links the caller sends are checked: stored links may point at datasets
    above the caller's clearance, and an error must never name them."""
    return [str(d) for d in data["serves_datasets"]] if "serves_datasets" in data else []


def reviewed_changes(entry: Entry, after: dict[str, Any]) -> list[str]:
    """The reviewed fields (catalogue.fields) that differ between ``entry`` and ``after``,
    the entry as it would be after the change (``merged``), not the input."""
    return [f for f in entry_fields.REVIEWED_FIELDS if _differs(entry, f, after[f])]


def _differs(entry: Entry, field: str, value: Any) -> bool:
    if field == "legal_basis":
        current = [(b.role, b.jurisdiction, b.reference, b.provision) for b in entry.legal_bases]
        return current != [(b["role"], b["jurisdiction"], b["reference"], b.get("provision")) for b in value]
    if field == "listing_level" and value is None:
        return False
    return bool(getattr(entry, field) != value)
