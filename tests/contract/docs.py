"""Documents for the contract suite, in the shape search.documents.build_document gives."""

from __future__ import annotations

from typing import Any

from catalogue.sharing import sharing_status
from search.documents import LANGUAGES


def make_doc(entry_id: str, title: str, *, lang: str = "sv", **over: Any) -> dict[str, Any]:
    description = over.pop("description", "")
    keywords = over.pop("keywords", "")
    classification = over.pop("classification", "public")
    doc: dict[str, Any] = {
        "id": entry_id,
        "type": "dataset",
        "publisher": "202100-5448",
        "publisher_name": "Skatteverket",
        "classification": classification,
        "listing_level": classification,
        "status": "published",
        "revision": 1,
        "modified": "2025-01-01T00:00:00+00:00",
        "themes": [],
        "data_elements": [],
        "legal_basis": [],
        "legal_text": "",
        # As build_document computes it (the contract's scheme: "public" is the lowest).
        "sharing_status": sharing_status(classification, "public", over.pop("roles", ())),
        "personal_data": False,
        "formats": [],
        "openapi": "",
        "auth": [],
        "operation_elements": [],
        "title_sort": title.lower(),
    }
    for lg in LANGUAGES:
        doc[f"title_{lg}"] = title if lg == lang else ""
        doc[f"description_{lg}"] = description if lg == lang else ""
        doc[f"keywords_{lg}"] = keywords if lg == lang else ""
    doc.update(over)
    return doc
