"""List totals are cached per catalogue version: every change to the entries table,
by the services or straight in SQL, makes the next list count again."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.factories import create_entry, publish

pytestmark = pytest.mark.both_databases  # totals counted in SQL, changes made straight in SQL


def _total(client, headers, query: str = "") -> int:
    response = client.get(f"/api/v1/datasets?per_page=1{query}", headers=headers)
    assert response.status_code == 200
    return int(response.json["total"])


def test_totals_follow_every_change(app, client, token_for):
    owner = token_for("sensitive", extra=("catalogue:write",))
    reader = token_for("public", agency="974761076")
    assert _total(client, reader) == 0
    first = create_entry(client, owner)
    assert _total(client, reader) == 0  # a draft is the publisher's own business
    assert _total(client, owner) == 1
    publish(app, first["id"])
    assert _total(client, reader) == 1
    second = create_entry(client, owner)
    publish(app, second["id"])
    assert _total(client, reader) == 2
    assert _total(client, reader, "&publisher=202100-5448") == 2
    # A change made behind the services' back (an operator's SQL) counts too.
    with app.extensions["tillit"].engine.begin() as conn:
        conn.execute(
            text("UPDATE entries SET listing_level = 'internal' WHERE id = :id"), {"id": second["id"]}
        )
    assert _total(client, reader) == 1
    assert _total(client, reader, "&publisher=202100-5448") == 1
    assert _total(client, token_for("internal", agency="974761076")) == 2


def test_a_cached_total_is_never_shared_between_clearances(app, client, token_for):
    owner = token_for("sensitive", extra=("catalogue:write",))
    hidden = create_entry(client, owner, classification="sensitive")
    publish(app, hidden["id"])
    cleared = token_for("sensitive", agency="974761076")
    public = token_for("public", agency="974761076")
    assert _total(client, cleared) == 1
    assert _total(client, public) == 0
    assert _total(client, cleared) == 1
