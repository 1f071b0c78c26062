"""What the work pages' tests share: the people, and a form body as a browser posts it."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from tests.conftest import SKATTEVERKET

OWNER = ("catalogue:write",)
OFFICER = ("catalogue:review",)
# An officer who is also a data owner: may submit, and so meets four eyes on their own proposal.
OWNER_OFFICER = ("catalogue:write", "catalogue:review")
AUDITOR = ("catalogue:audit",)


def form_of(**fields: Any) -> dict[str, Any]:
    """A dataset form as a browser posts it (the API's paths as input names)."""
    body: dict[str, Any] = {
        "publisher": SKATTEVERKET,
        "title.sv": "Inkomstuppgifter",
        "title.en": "Income statements",
        "description.sv": "Arbetsgivares uppgifter om ersättning.",
        "classification": "public",
        "legal_basis.count": "1",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def internal_basis(i: int = 0, **over: str) -> dict[str, str]:
    """The form fields of a restriction basis (OSL 27:1, tax secrecy) in row ``i``."""
    row = {"role": "restriction", "jurisdiction": "SE", "reference": "2009:400", "provision": "27 kap. 1 §"}
    row.update(over)
    return {f"legal_basis.{i}.{k}": v for k, v in row.items()}


def entry_id_of(location: str) -> str:
    found = re.search(r"/work/entries/([0-9a-f-]{36})/", location)
    assert found, location
    return found.group(1)


def error_beside(html: str, field_id: str) -> str:
    """The messages shown beside the field with id ``field_id``, which names them."""
    assert 'aria-describedby="' in html
    tag = re.search(rf'<[^>]*id="{re.escape(field_id)}"[^>]*>', html)
    assert tag, f"no field {field_id}"
    assert f"{field_id}-error" in tag.group(0), tag.group(0)
    found = re.search(rf'<ul class="field-error" id="{re.escape(field_id)}-error">(.*?)</ul>', html, re.S)
    assert found, f"no messages for {field_id}"
    return found.group(1)


def as_posted(html: str, changes: dict[str, str]) -> list[tuple[str, str]]:
    """What a browser posts for the form as the page shows it, with ``changes`` typed in."""
    fields = dict(
        re.findall(r'<input(?![^>]*type="checkbox")[^>]* name="([^"]+)"[^>]* value="([^"]*)"', html)
    )
    fields.update(re.findall(r'<textarea[^>]* name="([^"]+)"[^>]*>([^<]*)</textarea>', html))
    select = r'<select[^>]* name="([^"]+)"[^>]*>(?:(?!</select>).)*?<option value="([^"]*)" selected'
    fields.update(re.findall(select, html, re.S))
    fields = {k: unescape(v) for k, v in fields.items() if k != "csrf_token"}
    fields.update(changes)
    ticked = re.findall(r'<input type="checkbox"[^>]* name="([^"]+)" value="([^"]*)" checked', html)
    ticked += [
        (k, "on") for k in re.findall(r'<input type="checkbox" id="[^"]+" name="([^"]+)" checked', html)
    ]
    return [*fields.items(), *((k, unescape(v)) for k, v in ticked)]
