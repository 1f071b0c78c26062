"""Search answers carry no relevance score, and entries a caller may not see
cannot change what it is shown: not a score, not the order, not a byte.

Before this fix a hit carried BM25's ``score``, computed over every indexed
document: the anonymous caller's score for a visible hit fell (259.6 → 208.0)
when hidden drafts gained the query word, and with two words the order of two
visible hits flipped."""

from __future__ import annotations

from typing import Any

from flask import Flask

from catalogue.compose import entry_service
from catalogue.schemas import DatasetUpdateSchema
from security.identity import system_identity
from tests.conftest import LANTMATERIET, SKATTEETATEN, SKATTEVERKET
from tests.searchkit import create_entry

QUERY = "/api/v1/search?q=zebra+quokka&per_page=100"


def _rewrite(app: Flask, entry_id: str, text: str) -> None:
    """Change a hidden entry's title and description (its publisher's edit)."""
    ext = app.extensions["tillit"]
    change = DatasetUpdateSchema(partial=True).load(
        {"title": {"sv": text}, "description": {"sv": f"{text} " * 10}}
    )
    with ext.sessions() as session:
        service = entry_service(session, ext.scheme, ext.indexer, ext.anchor)
        service.update(system_identity(ext.scheme), entry_id, dict(change), "*")


def _visible_and_hidden(app: Flask) -> tuple[list[str], list[str]]:
    visible = [
        create_entry(app, SKATTEVERKET, "Zebra zebra quokka", description="zebra quokka"),
        create_entry(app, SKATTEVERKET, "Zebra quokka quokka", description="zebra quokka"),
        create_entry(app, LANTMATERIET, "Registret över kartor"),
    ]
    hidden = [create_entry(app, SKATTEETATEN, "Quokka quokka quokka", status="draft") for _ in range(4)]
    hidden += [
        create_entry(app, LANTMATERIET, "Quokka quokka quokka", classification="internal") for _ in range(4)
    ]
    return visible, hidden


def test_a_hit_never_carries_a_score(app, client, token_for):
    _visible_and_hidden(app)
    for headers in ({}, token_for("public", agency=LANTMATERIET), token_for("sensitive")):
        body: dict[str, Any] = client.get(QUERY, headers=headers).json
        assert body["items"], headers
        for item in body["items"]:
            assert not {"score", "_score", "max_score"} & set(item), item
        assert not {"score", "max_score"} & set(body)


def test_the_anonymous_answer_does_not_move_when_hidden_entries_gain_the_words(app, client):
    visible, hidden = _visible_and_hidden(app)
    suggest = "/api/v1/search/suggest?q=zebra+quok"
    before, suggested = client.get(QUERY), client.get(suggest)
    assert len(suggested.json["items"]) == 2
    assert [i["id"] for i in before.json["items"]] in (visible[:2], visible[1::-1])
    for entry_id in hidden:
        _rewrite(app, entry_id, "Zebra zebra zebra")
    after = client.get(QUERY)
    assert [i["id"] for i in after.json["items"]] == [i["id"] for i in before.json["items"]]
    # Byte for byte: the same items, in the same order, with the same snippets.
    assert after.status_code == before.status_code == 200
    assert after.data == before.data
    assert client.get(suggest).data == suggested.data
