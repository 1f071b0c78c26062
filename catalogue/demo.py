"""The demo catalogue: real agencies, realistic entries at every level.

Everything is loaded through the services with the system identity, so every
rule that guards real input also guards the demo data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.compose import entry_service
from catalogue.demo_access import load_access_demo
from catalogue.models import Agency, Entry
from catalogue.ports import Indexer
from catalogue.schemas import AgencyCreateSchema, ApiCreateSchema, DatasetCreateSchema
from catalogue.services.agencies import AgencyService
from catalogue.services.reviews import ReviewService
from security.identity import system_identity
from security.levels import ClassificationScheme

DATA = Path(__file__).with_name("demo_data")
#: Demo entries left in these states instead of published, so the workflow shows.
UNPUBLISHED = {"draft", "in_review"}


@dataclass(frozen=True)
class DemoResult:
    """How many demo agencies and entries were loaded, or that the catalogue had entries already."""

    agencies: int
    entries: int
    skipped: bool


def read_json(name: str) -> Any:
    """A demo data file (catalogue/demo_data), parsed."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def load_demo(
    session: Session,
    scheme: ClassificationScheme,
    indexer: Indexer | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Load the demo agencies and entries once; a second call changes nothing."""
    if session.scalar(select(func.count()).select_from(Entry)):
        return DemoResult(0, 0, skipped=True)
    system = system_identity(scheme)
    # The loader submits as the system; a second system subject decides (four eyes).
    officer = replace(system, subject="system:demo-review")
    agencies = AgencyService(session, scheme)
    agency_schema = AgencyCreateSchema()  # validates each organisation number
    for item in read_json("agencies.json"):
        if session.get(Agency, item["orgnr"]) is None:
            agencies.create(system, agency_schema.load(item))
    entries = entry_service(session, scheme, indexer)
    reviews = ReviewService(entries)
    ids: dict[str, str] = {}
    raw_entries = read_json("entries.json")
    # Kept beside entries.json, by entry key: which data elements each entry holds,
    # and which it is the authoritative source for (sources: SOURCES-elements.md).
    element_tags: dict[str, dict[str, list[str]]] = read_json("elements.json")["entries"]
    # And how a client authenticates to each API, where public documentation says so
    # (sources: SOURCES.md, "Authentication mechanisms").
    auth: dict[str, list[dict[str, Any]]] = read_json("auth.json")["entries"]
    # Datasets first: APIs link to the datasets they serve.
    ordered = sorted(raw_entries, key=lambda e: e["type"] != "dataset")
    for count, raw in enumerate(ordered, start=1):
        item = dict(raw)
        key = item.pop("key")
        entry_type = item.pop("type")
        target_status = item.pop("status", "published")
        item.update(element_tags.get(key, {}))
        if entry_type == "api":
            item["serves_datasets"] = [ids[k] for k in item.pop("serves", [])]
            if key in auth:
                item["auth_mechanisms"] = auth[key]
            spec = item.pop("openapi", None)
            if spec:
                item["openapi"] = read_json(f"openapi/{spec}")
            schema: Any = ApiCreateSchema()
        else:
            schema = DatasetCreateSchema()
        data = schema.load(item)
        view = entries.create(system, entry_type, data)
        ids[key] = view.entry.id
        if target_status != "draft":
            submitted = reviews.submit(system, view.entry.id)
            if target_status not in UNPUBLISHED:
                reviews.decide(
                    officer,
                    str(submitted.pending_review),
                    decision="approve",
                    rationale="Demo catalogue: classification checked against the cited provisions.",
                )
        if progress:
            progress(count)
    # Access requests and grants, one in each state (demo_data/access.json).
    load_access_demo(entries, ids, read_json("access.json")["requests"])
    return DemoResult(len(read_json("agencies.json")), len(raw_entries), skipped=False)
