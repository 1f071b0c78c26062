"""Who has seen this entry, after a page of them was read: every entry above the lowest
level on an audited list page has its own read event, and so appears in its readers list
(docs/reviews-and-audit.md: the per-entry event model, kept in issue 20)."""

from __future__ import annotations

from tests.factories import create_entry, publish

READER = "974761076"  # Skatteetaten: another agency, whose reads of these entries are audited


def test_every_entry_of_an_audited_page_names_its_reader(app, client, token_for):
    owner = token_for("sensitive", extra=("catalogue:write",))
    levels = ["internal", "sensitive", "public", "sensitive", "internal"]
    ids = []
    for level in levels:
        entry = create_entry(
            client, owner, classification=level, listing_level="internal" if level != "public" else "public"
        )
        publish(app, entry["id"])
        ids.append(entry["id"])
    reader = token_for("sensitive", agency=READER)
    page = client.get("/api/v1/datasets?per_page=20", headers=reader)
    assert page.status_code == 200, page.json
    shown = {item["id"]: item for item in page.json["items"]}
    assert set(ids) <= set(shown)
    for entry_id, level in zip(ids, levels, strict=True):
        readers = client.get(f"/api/v1/datasets/{entry_id}/readers", headers=owner).json["items"]
        by_reader = [r for r in readers if r["actor_agency"] == READER]
        if level == "public":
            assert by_reader == []  # reads of the lowest level are not audited
        else:
            assert [(r["entry_level"], r["details"]["view"]) for r in by_reader] == [(level, "full")], (
                entry_id
            )
