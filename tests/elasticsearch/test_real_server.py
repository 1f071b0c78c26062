"""Elasticsearch-specific behaviour on a real server (TILLIT_ELASTICSEARCH_URL).

Templates and their upgrade, the analysers, external revisions, level moves,
tombstones, strict mapping, require_alias, and the alias-swap rebuild.
"""

from __future__ import annotations

import pytest

from search.backend import SearchQuery
from search.elasticsearch import reindex
from search.elasticsearch.backend import ElasticsearchBackend
from search.elasticsearch.mapping import TEMPLATE_VERSION
from security.policy import OPEN_STATUSES, STATUSES, ReadFilter
from tests.contract.docs import make_doc
from tests.elasticsearch.server import elasticsearch_backend, requires_elasticsearch

pytestmark = [requires_elasticsearch, pytest.mark.elasticsearch]

PUBLIC = ReadFilter(frozenset({"public"}), OPEN_STATUSES, None)
INTERNAL = ReadFilter(frozenset({"public", "internal"}), OPEN_STATUSES, None)
SYSTEM = ReadFilter(frozenset({"public", "internal", "sensitive"}), frozenset(STATUSES), None)


def ids(result):
    return [hit.id for hit in result.hits]


def analyse(es: ElasticsearchBackend, analyser: str, text: str) -> list[str]:
    index = reindex.alias_targets(es.client, es.names, "public")[0]
    answer = es.client.indices.analyze(index=index, analyzer=analyser, text=text)
    return [token["token"] for token in answer["tokens"]]


# -- templates and indices -----------------------------------------------------------
def test_templates_install_then_stay_current_then_upgrade() -> None:
    with elasticsearch_backend(ensure=False) as es:
        assert es.ensure() == "installed"
        assert es.ensure() == "current"
        template = es.client.indices.get_index_template(name=es.names.index_template)
        body = template["index_templates"][0]["index_template"]
        assert body["composed_of"] == [es.names.settings_component, es.names.mappings_component]
        # An older template is upgraded; a newer one (from a newer Tillit) is left alone.
        es.client.indices.put_index_template(
            name=es.names.index_template,
            index_patterns=[es.names.pattern],
            composed_of=body["composed_of"],
            priority=200,
            version=TEMPLATE_VERSION - 1,
        )
        assert es.ensure() == "upgraded"
        es.client.indices.put_index_template(
            name=es.names.index_template,
            index_patterns=[es.names.pattern],
            composed_of=body["composed_of"],
            priority=200,
            version=TEMPLATE_VERSION + 1,
        )
        assert es.ensure() == "newer"


def test_every_level_has_one_index_behind_its_alias(es_backend: ElasticsearchBackend) -> None:
    for level in es_backend.levels:
        (index,) = reindex.alias_targets(es_backend.client, es_backend.names, level)
        assert es_backend.names.is_generation_of(index, level)
        mapping = es_backend.client.indices.get_mapping(index=index)[index]["mappings"]
        assert mapping["dynamic"] == "strict"
    assert es_backend.ready()
    es_backend.ensure()  # idempotent: still one index per alias
    assert all(
        len(reindex.alias_targets(es_backend.client, es_backend.names, lv)) == 1 for lv in es_backend.levels
    )


def test_analysers(es_backend: ElasticsearchBackend) -> None:
    assert analyse(es_backend, "swedish", "Inkomstuppgifter") == analyse(
        es_backend, "swedish", "inkomstuppgift"
    )
    assert analyse(es_backend, "norwegian", "Skattemeldinger") == analyse(
        es_backend, "norwegian", "skattemelding"
    )
    assert analyse(es_backend, "tillit_folded", "Lantmäteriet Særavgift") == ["lantmateriet", "saeravgift"]
    assert analyse(es_backend, "tillit_exact", "Fastighet") == ["fastighet"]


# -- writes -----------------------------------------------------------------------------
def test_a_late_revision_never_overwrites_a_newer_one(es_backend: ElasticsearchBackend) -> None:
    es_backend.upsert([make_doc("e1", "Nya kartor", revision=5)])
    es_backend.upsert([make_doc("e1", "Gamla kartor", revision=4)])  # 409, ignored
    es_backend.refresh()
    assert es_backend.revisions() == {"e1": 5}
    assert ids(es_backend.search(PUBLIC, SearchQuery(text="nya"))) == ["e1"]
    stored = es_backend.client.get(index=es_backend.names.alias("public"), id="e1")
    assert stored["_version"] == 5


def test_moving_between_levels_leaves_one_copy_and_tombstones(es_backend: ElasticsearchBackend) -> None:
    es_backend.upsert([make_doc("e1", "Kartor", classification="public", revision=1)])
    es_backend.upsert([make_doc("e1", "Kartor", classification="internal", revision=2)])
    es_backend.refresh()
    assert ids(es_backend.search(PUBLIC, SearchQuery(text="kartor"))) == []
    result = es_backend.search(INTERNAL, SearchQuery(text="kartor"))
    assert ids(result) == ["e1"] and result.total == 1
    old = es_backend.client.get(index=es_backend.names.alias("public"), id="e1")
    assert old["_source"] == {"id": "e1", "revision": 2, "tombstone": True}
    # A late write of revision 1 to the level it left is refused by the tombstone.
    es_backend.upsert([make_doc("e1", "Kartor", classification="public", revision=1)])
    es_backend.refresh()
    assert ids(es_backend.search(PUBLIC, SearchQuery(text="kartor"))) == []
    assert es_backend.revisions() == {"e1": 2}


def test_retired_entries_stay_indexed_but_hidden(es_backend: ElasticsearchBackend) -> None:
    es_backend.upsert([make_doc("e1", "Kartor", revision=1)])
    es_backend.upsert([make_doc("e1", "Kartor", status="retired", revision=2)])
    es_backend.refresh()
    assert es_backend.search(PUBLIC, SearchQuery()).total == 0
    assert ids(es_backend.search(SYSTEM, SearchQuery())) == ["e1"]
    own = ReadFilter(frozenset({"public"}), OPEN_STATUSES, "202100-5448")
    assert ids(es_backend.search(own, SearchQuery())) == ["e1"]


def test_strict_mapping_refuses_unknown_fields(es_backend: ElasticsearchBackend) -> None:
    with pytest.raises(reindex.IndexingError):
        es_backend.upsert([make_doc("e1", "Kartor", secret_field="x")])


def test_writes_never_create_an_index_behind_a_missing_alias(es_backend: ElasticsearchBackend) -> None:
    ghost = reindex.upsert_actions(
        [make_doc("e1", "Kartor")], lambda level: f"{es_backend.names.prefix}-ghost", ("public",)
    )[1]
    with pytest.raises(reindex.IndexingError):
        reindex.run_bulk(es_backend.client, ghost, require_alias=True)
    assert not es_backend.client.indices.exists(index=f"{es_backend.names.prefix}-ghost")


# -- rebuild ----------------------------------------------------------------------------
def test_rebuild_swaps_aliases_and_drops_the_old_generation(es_backend: ElasticsearchBackend) -> None:
    es_backend.upsert([make_doc("old", "Gammal post", revision=1)])
    es_backend.refresh()
    before = {lv: reindex.alias_targets(es_backend.client, es_backend.names, lv) for lv in es_backend.levels}
    changed = [make_doc("late", "Sen post", revision=1)]
    report = es_backend.rebuild_with_report(
        [make_doc("new", "Ny post", revision=3), make_doc("int", "Intern post", classification="internal")],
        catch_up=lambda: changed,
    )
    assert report.indexed == 2 and report.caught_up >= 1
    after = {lv: reindex.alias_targets(es_backend.client, es_backend.names, lv) for lv in es_backend.levels}
    for level in es_backend.levels:
        assert after[level] == [report.new_indices[level]] and after[level] != before[level]
        assert not es_backend.client.indices.exists(index=before[level][0])
    es_backend.refresh()
    assert es_backend.revisions() == {"new": 3, "int": 1, "late": 1}
    assert sorted(ids(es_backend.search(INTERNAL, SearchQuery(per_page=10)))) == ["int", "late", "new"]
    settings = es_backend.client.indices.get_settings(index=report.new_indices["public"])
    assert settings[report.new_indices["public"]]["settings"]["index"]["refresh_interval"] == "1s"


def test_a_failed_rebuild_leaves_the_old_indices_serving(es_backend: ElasticsearchBackend) -> None:
    es_backend.upsert([make_doc("old", "Gammal post")])
    es_backend.refresh()
    before = {lv: reindex.alias_targets(es_backend.client, es_backend.names, lv) for lv in es_backend.levels}

    def broken():
        yield make_doc("x", "X")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        es_backend.rebuild(broken())
    after = {lv: reindex.alias_targets(es_backend.client, es_backend.names, lv) for lv in es_backend.levels}
    assert after == before
    assert ids(es_backend.search(PUBLIC, SearchQuery(text="gammal"))) == ["old"]
    indices = es_backend.client.indices.get(index=es_backend.names.pattern)
    assert sorted(indices) == sorted(i for lv in before.values() for i in lv)
