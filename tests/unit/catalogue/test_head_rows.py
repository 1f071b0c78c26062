"""HeadCache.rows (catalogue/machinery/readpath/heads.py): the heads of a page of search
hits, kept ones used and the rest read in one load, by the same rules as one head."""

from __future__ import annotations

from catalogue.machinery.readpath.heads import HeadCache, WriteGeneration


class Database:
    """Head rows (id, version) as a database would answer them; counts the loads."""

    def __init__(self, *ids: str) -> None:
        self.version = {entry_id: 1 for entry_id in ids}
        self.asked: list[list[str]] = []

    def __call__(self, ids):
        self.asked.append(list(ids))
        return [(entry_id, self.version[entry_id]) for entry_id in ids if entry_id in self.version]


def _sorted(rows):
    return sorted(rows)


def test_kept_heads_are_used_and_only_the_others_are_read(tmp_path):
    cache = HeadCache(WriteGeneration(tmp_path / "w"), seconds=60)
    db = Database("a", "b", "c")
    assert _sorted(cache.rows(["a", "b"], db)) == [("a", 1), ("b", 1)]
    assert _sorted(cache.rows(["a", "b", "c", "gone"], db)) == [("a", 1), ("b", 1), ("c", 1)]
    assert db.asked == [["a", "b"], ["c", "gone"]]
    assert _sorted(cache.rows(["a", "b", "c"], db)) == [("a", 1), ("b", 1), ("c", 1)]
    assert len(db.asked) == 2  # all kept: no read
    assert cache.rows(["gone"], db) == [] and db.asked[-1] == ["gone"]  # a missing id is never kept


def test_any_write_to_entries_ends_every_kept_head(tmp_path):
    generation = WriteGeneration(tmp_path / "w")
    cache = HeadCache(generation, seconds=60)
    db = Database("a", "b")
    cache.rows(["a", "b"], db)
    db.version["a"] = 2
    generation.begin()
    # While the write is pending nothing kept is used, and nothing read is kept.
    assert _sorted(cache.rows(["a", "b"], db)) == [("a", 2), ("b", 1)]
    assert _sorted(cache.rows(["a", "b"], db)) == [("a", 2), ("b", 1)]
    generation.end()
    assert _sorted(cache.rows(["a", "b"], db)) == [("a", 2), ("b", 1)]
    assert db.asked == [["a", "b"]] * 4
    cache.rows(["a", "b"], db)
    assert len(db.asked) == 4  # kept again once the write ended


def test_a_kept_head_the_caller_may_not_be_answered_with_is_read_again(tmp_path):
    cache = HeadCache(WriteGeneration(tmp_path / "w"), seconds=60)
    db = Database("a", "b")
    cache.rows(["a", "b"], db)
    rows = cache.rows(["a", "b"], db, usable=lambda row: row[0] != "b")
    assert _sorted(rows) == [("a", 1), ("b", 1)]
    assert db.asked == [["a", "b"], ["b"]]


def test_kept_heads_last_their_seconds(tmp_path):
    now = [0.0]
    cache = HeadCache(WriteGeneration(tmp_path / "w"), seconds=5, clock=lambda: now[0])
    db = Database("a")
    cache.rows(["a"], db)
    now[0] = 4.9
    cache.rows(["a"], db)
    now[0] = 5.0
    cache.rows(["a"], db)
    assert db.asked == [["a"], ["a"]]
