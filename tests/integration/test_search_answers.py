"""A search answered from the engine's kept answer (search/result_cache.py) is still a read
of every hit it shows: each request re-checks the hits and audits those above the lowest
level, whether or not the engine computed the answer again."""

from __future__ import annotations

from tests import searchkit
from tests.conftest import SKATTEVERKET

READER = "974761076"  # Skatteetaten: another agency, whose reads are audited


def test_every_search_audits_its_hits_even_when_the_engine_answer_was_kept(app, client, token_for):
    entry_id = searchkit.create_entry(app, SKATTEVERKET, "Kvarnstensregistret", classification="sensitive")
    reader = token_for("sensitive", agency=READER)
    backend = app.extensions["tillit"].search
    path = "/api/v1/search?q=kvarnstensregistret"
    kept_before = backend.answers.hits
    pages = [client.get(path, headers=reader) for _ in range(3)]
    assert all([item["id"] for item in page.json["items"]] == [entry_id] for page in pages)
    assert backend.answers.hits - kept_before == 2  # the engine answered once, the kept answer twice
    owner = token_for("sensitive", extra=("catalogue:write",))
    readers = client.get(f"/api/v1/datasets/{entry_id}/readers", headers=owner).json["items"]
    assert [r["actor_agency"] for r in readers].count(READER) == 3
