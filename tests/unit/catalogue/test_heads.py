"""The pieces of catalogue/heads.py on their own: which statements count as writing
entries, the shared word, the cache's rules, the setting."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from api.config import load_settings
from catalogue.heads import HeadCache, WriteGeneration, writes_entries


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO entries (id, type) VALUES (?, ?)",
        'INSERT INTO "entries" (id) VALUES (%(id)s)',
        "insert or replace into entries(id) values (1)",
        "UPDATE entries SET revision=? WHERE entries.id = ?",
        "  update public.entries set status = 'retired'",
        "DELETE FROM entries WHERE id = ?",
    ],
)
def test_statements_that_write_entries(statement):
    assert writes_entries(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT entries.id FROM entries WHERE entries.id = ?",
        "INSERT INTO entry_themes (entry_id, theme) VALUES (?, ?)",
        "UPDATE entries_archive SET x = 1",
        "INSERT INTO audit_events (seq) VALUES (?)",
        "WITH x AS (SELECT 1) SELECT * FROM entries",
    ],
)
def test_statements_that_do_not(statement):
    assert not writes_entries(statement)


def test_the_word_counts_pending_writes_and_changes_with_each(tmp_path):
    one, two = WriteGeneration(tmp_path / "w"), WriteGeneration(tmp_path / "w")
    start = one.word()
    one.begin()
    assert two.pending(two.word()) == 1 and two.word() != start
    two.begin()
    middle = one.word()
    assert one.pending(middle) == 2
    one.end()
    two.end()
    end = one.word()
    assert one.pending(end) == 0 and end >> 16 == (start >> 16) + 4
    assert one.reap() == 0  # this process is alive: nothing to end for it


def test_threads_of_one_process_share_its_slot(tmp_path):
    generation = WriteGeneration(tmp_path / "w")
    barrier = threading.Barrier(8)

    def write() -> None:
        barrier.wait()
        for _ in range(50):
            generation.begin()
            generation.end()

    threads = [threading.Thread(target=write) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    word = generation.word()
    assert generation.pending(word) == 0 and word >> 16 == 800


def test_a_dead_process_s_writes_are_ended_by_reap(tmp_path):
    code = (
        "import sys; from catalogue.heads import WriteGeneration as W; "
        f"g = W({str(tmp_path / 'w')!r}); g.begin(); g.begin()"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    generation = WriteGeneration(tmp_path / "w")
    before = generation.word()
    assert generation.pending(before) == 2
    assert generation.reap() == 2
    after = generation.word()
    assert generation.pending(after) == 0 and after >> 16 > before >> 16


class Loads:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> tuple[str, int]:
        self.count += 1
        return ("e1", self.count)


def test_a_head_read_while_a_write_is_pending_is_not_kept(tmp_path):
    generation = WriteGeneration(tmp_path / "w")
    cache = HeadCache(generation, seconds=60)
    load = Loads()
    generation.begin()
    assert cache.row("e1", load) == ("e1", 1)
    assert cache.row("e1", load) == ("e1", 2)  # not kept
    generation.end()
    assert cache.row("e1", load) == ("e1", 3)  # kept from now on
    assert cache.row("e1", load) == ("e1", 3)
    generation.begin()  # any write, even one that began after it was kept
    assert cache.row("e1", load) == ("e1", 4)
    generation.end()
    assert cache.row("e1", load) == ("e1", 5)
    assert load.count == 5


def test_a_missing_entry_is_never_kept(tmp_path):
    cache = HeadCache(WriteGeneration(tmp_path / "w"), seconds=60)
    calls = []
    assert cache.row("nope", lambda: calls.append(1)) is None
    assert cache.row("nope", lambda: calls.append(1)) is None
    assert len(calls) == 2


def test_a_kept_head_lasts_its_seconds(tmp_path):
    now = [0.0]
    cache = HeadCache(WriteGeneration(tmp_path / "w"), seconds=5, clock=lambda: now[0])
    load = Loads()
    cache.row("e1", load)
    now[0] = 4.9
    assert cache.row("e1", load) == ("e1", 1)
    now[0] = 5.0
    assert cache.row("e1", load) == ("e1", 2)


def test_the_setting(tmp_path):
    sqlite = load_settings({"INSTANCE_PATH": str(tmp_path)})
    assert sqlite["HEAD_CACHE_SECONDS"] == 5.0
    postgres = load_settings({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "postgresql://x@h/db"})
    assert postgres["HEAD_CACHE_SECONDS"] == 0.0
    off = load_settings({"INSTANCE_PATH": str(tmp_path), "HEAD_CACHE_SECONDS": "0"})
    assert off["HEAD_CACHE_SECONDS"] == 0
    for bad in ("soon", "-1", "99999"):
        with pytest.raises(ValueError, match="TILLIT_HEAD_CACHE_SECONDS"):
            load_settings({"INSTANCE_PATH": str(tmp_path), "HEAD_CACHE_SECONDS": bad})
