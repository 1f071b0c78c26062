"""ElasticsearchBackend without a server: the pure write plans, and what the
backend sends, recorded by a fake transport node.

The fake only answers canned responses; it proves which requests are (not)
sent and how bulk answers are read. What Elasticsearch does with them is
tested by tests/elasticsearch/ against a real server.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from elastic_transport import ApiResponseMeta, BaseNode, HttpHeaders
from elastic_transport._node import NodeApiResponse
from elasticsearch import Elasticsearch

from search.backend import SearchQuery
from search.elasticsearch import reindex
from search.elasticsearch.backend import ElasticsearchBackend
from search.elasticsearch.mapping import IndexNames, mapped_fields
from security.policy import OPEN_STATUSES, ReadFilter
from tests.contract.docs import make_doc

LEVELS = ("public", "internal", "sensitive")
NAMES = IndexNames("tillit-entries")


# -- pure write plans -------------------------------------------------------------------
def test_upsert_writes_the_level_index_and_tombstones_every_other() -> None:
    doc = make_doc("e1", "Kartor", classification="internal", revision=7)
    tighten, write = reindex.upsert_actions([doc], NAMES.alias, LEVELS)
    assert write == [
        {
            "_op_type": "index",
            "_index": "tillit-entries-internal",
            "_id": "e1",
            "version": 7,
            "version_type": "external_gte",
            "_source": doc,
        }
    ]
    assert [(a["_index"], a["version"], a["version_type"]) for a in tighten] == [
        ("tillit-entries-public", 7, "external_gte"),
        ("tillit-entries-sensitive", 7, "external_gte"),
    ]
    for action in tighten:
        assert action["_source"] == {"id": "e1", "revision": 7, "tombstone": True}


def test_tombstones_carry_no_access_labels_and_fit_the_mapping() -> None:
    stone = reindex.tombstone("e1", 3)
    assert not {"listing_level", "status", "classification", "publisher"} & set(stone)
    assert set(stone) <= mapped_fields()


def test_upsert_keeps_the_newest_revision_of_a_batch() -> None:
    docs = [make_doc("e1", "Ny", revision=5), make_doc("e1", "Gammal", revision=4)]
    _, write = reindex.upsert_actions(docs, NAMES.alias, LEVELS)
    assert [(a["_id"], a["version"], a["_source"]["title_sv"]) for a in write] == [("e1", 5, "Ny")]


def test_a_document_of_a_disabled_level_is_written_nowhere() -> None:
    doc = make_doc("e1", "Hemlig", classification="secret")
    tighten, write = reindex.upsert_actions([doc], NAMES.alias, LEVELS)
    assert write == []
    assert [a["_index"] for a in tighten] == [NAMES.alias(level) for level in LEVELS]


def test_a_fresh_generation_needs_no_tombstones() -> None:
    doc = make_doc("e1", "Kartor")
    tighten, write = reindex.upsert_actions([doc], lambda level: f"new-{level}", LEVELS, tombstones=False)
    assert tighten == [] and [a["_index"] for a in write] == ["new-public"]


def test_delete_actions_cover_every_level() -> None:
    actions = reindex.delete_actions(["a"], [NAMES.alias(level) for level in LEVELS])
    assert actions == [
        {"_op_type": "delete", "_index": f"tillit-entries-{level}", "_id": "a"} for level in LEVELS
    ]


def test_alias_swap_is_one_request_for_all_levels() -> None:
    old = {"public": ["tillit-entries-public-1"], "internal": []}
    new = {"public": "tillit-entries-public-2", "internal": "tillit-entries-internal-2"}
    assert reindex.swap_actions(NAMES, old, new) == [
        {"remove": {"index": "tillit-entries-public-1", "alias": "tillit-entries-public"}},
        {"add": {"index": "tillit-entries-public-2", "alias": "tillit-entries-public"}},
        {"add": {"index": "tillit-entries-internal-2", "alias": "tillit-entries-internal"}},
    ]


# -- a recording fake node ---------------------------------------------------------------
class RecordingNode(BaseNode):
    """Answers from ``RecordingNode.script`` (method, path prefix) → (status, body)."""

    requests: ClassVar[list[tuple[str, str, Any]]] = []
    script: ClassVar[list[tuple[str, str, int, Any]]] = []

    def perform_request(self, method, target, body=None, headers=None, request_timeout=None):  # type: ignore[override]
        lines = body.decode().splitlines() if body else []
        parsed = [json.loads(line) for line in lines] if lines else None
        RecordingNode.requests.append((method, target, parsed))
        for want_method, want_path, status, answer in RecordingNode.script:
            if method == want_method and target.startswith(want_path):
                break
        else:
            status, answer = 404, {"error": {"type": "not_scripted", "reason": target}, "status": 404}
        headers_out = HttpHeaders({"x-elastic-product": "Elasticsearch", "content-type": "application/json"})
        meta = ApiResponseMeta(
            status=status, http_version="1.1", headers=headers_out, duration=0.0, node=self.config
        )
        return NodeApiResponse(meta, json.dumps(answer).encode())


@pytest.fixture
def node() -> type[RecordingNode]:
    RecordingNode.requests = []
    RecordingNode.script = []
    return RecordingNode


@pytest.fixture
def backend(node: type[RecordingNode]) -> ElasticsearchBackend:
    client = Elasticsearch("http://es.invalid:9200", node_class=node, max_retries=0)
    es = ElasticsearchBackend(client, LEVELS)
    es._ensured = True  # setup is tested against a real server
    return es


def test_matches_nothing_sends_no_request(backend: ElasticsearchBackend, node: type[RecordingNode]) -> None:
    nothing = ReadFilter(frozenset(), frozenset(OPEN_STATUSES), None)
    assert backend.search(nothing, SearchQuery(text="skatt")).total == 0
    assert backend.suggest(nothing, "ska") == []
    unknown = ReadFilter(frozenset({"secret"}), frozenset(OPEN_STATUSES), None)
    assert backend.search(unknown, SearchQuery()).total == 0
    assert node.requests == []


def test_search_names_only_permitted_aliases(
    backend: ElasticsearchBackend, node: type[RecordingNode]
) -> None:
    node.script = [("POST", "/", 200, {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}})]
    anon = ReadFilter(frozenset({"public"}), frozenset(OPEN_STATUSES), None)
    backend.search(anon, SearchQuery(text="skatt"))
    ((_method, target, body),) = node.requests
    assert target.startswith("/tillit-entries-public/_search")
    assert "post_filter" not in body[0]


def _bulk_answer(*items: tuple[str, int]) -> dict[str, Any]:
    return {
        "errors": any(status >= 300 for _, status in items),
        "items": [{op: {"status": status, "_id": str(i)}} for i, (op, status) in enumerate(items)],
    }


def test_stale_revisions_are_ignored_and_tombstones_go_first(
    backend: ElasticsearchBackend, node: type[RecordingNode]
) -> None:
    node.script = [("PUT", "/_bulk", 200, _bulk_answer(("index", 409), ("index", 201)))]
    backend.upsert([make_doc("e1", "Kartor", classification="internal", revision=2)])
    first, second = node.requests
    assert "refresh=wait_for" in first[1] and "require_alias=true" in first[1]
    assert [line.get("tombstone") for line in first[2] if "index" not in line] == [True, True]
    assert second[2][0]["index"]["_index"] == "tillit-entries-internal"
    assert "refresh" not in second[1]


def test_other_bulk_failures_raise(backend: ElasticsearchBackend, node: type[RecordingNode]) -> None:
    node.script = [("PUT", "/_bulk", 200, _bulk_answer(("index", 409), ("index", 400)))]
    with pytest.raises(reindex.IndexingError):
        backend.upsert([make_doc("e1", "Kartor", revision=2)])


def test_deleting_what_is_not_there_is_fine(backend: ElasticsearchBackend, node: type[RecordingNode]) -> None:
    node.script = [("PUT", "/_bulk", 200, _bulk_answer(("delete", 404), ("delete", 200), ("delete", 404)))]
    backend.delete(["e1"])
    (request,) = node.requests
    assert [line["delete"]["_index"] for line in request[2]] == [NAMES.alias(level) for level in LEVELS]


def test_not_ready_when_the_server_does_not_answer() -> None:
    client = Elasticsearch("http://127.0.0.1:9", max_retries=0, request_timeout=0.5)
    assert ElasticsearchBackend(client, LEVELS).ready() is False
