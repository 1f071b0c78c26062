"""The pieces of catalogue/machinery/readpath/heads.py on their own: which statements count as writing
entries, the shared word, the cache's rules, the setting."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, delete, insert, select, update

from api.config import load_settings
from catalogue.machinery.readpath.heads import HeadCache, WriteGeneration, watch_engine, writes_entries


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO entries (id, type) VALUES (?, ?)",
        'INSERT INTO "entries" (id) VALUES (%(id)s)',
        "insert or replace into entries(id) values (1)",
        "UPDATE entries SET revision=? WHERE entries.id = ?",
        "  update public.entries set status = 'retired'",
        "DELETE FROM entries WHERE id = ?",
        "DELETE FROM entries",
        'UPDATE "public"."entries" SET status = %(s)s',
        "/* a comment */ UPDATE entries SET status = 'retired'",
        "WITH old AS (SELECT id FROM entries) UPDATE entries SET revision = revision + 1",
        "UPDATE ONLY entries SET status = 'retired'",
        "REPLACE INTO entries (id) VALUES (1)",
        "TRUNCATE entries",
        "MERGE INTO entries USING x ON (true) WHEN MATCHED THEN DELETE",
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
        "select count(*) from entries",
        "PRAGMA table_info(entries)",
        "",
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
        "import sys; from catalogue.machinery.readpath.heads import WriteGeneration as W; "
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


def test_a_kept_head_serves_only_a_caller_it_may_answer(tmp_path):
    """A refusal reads the database like an id never kept (its time tells nothing)."""
    cache = HeadCache(WriteGeneration(tmp_path / "w"), seconds=60)
    load = Loads()
    assert cache.row("e1", load) == ("e1", 1)
    assert cache.row("e1", load, usable=lambda row: True) == ("e1", 1)  # kept
    assert cache.row("e1", load, usable=lambda row: False) == ("e1", 2)  # read again
    assert load.count == 2


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


def test_sqlalchemy_statements_say_which_table_they_write(tmp_path):
    """Core and ORM statements are judged by the table they write, not by their text:
    copying entries' ids into another table is no write of entries."""
    meta = MetaData()
    entries = Table("entries", meta, Column("id", String, primary_key=True), Column("revision", Integer))
    copies = Table("copies", meta, Column("id", String, primary_key=True))
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    meta.create_all(engine)
    generation = WriteGeneration(tmp_path / "w")
    watch_engine(engine, generation)

    def changes(statement) -> int:
        before = generation.word()
        with engine.begin() as conn:
            conn.execute(statement)
        assert generation.pending(generation.word()) == 0
        return (generation.word() >> 16) - (before >> 16)

    assert changes(insert(entries).values(id="e1", revision=1)) == 2  # begun and ended
    assert changes(update(entries).values(revision=2)) == 2
    assert changes(insert(copies).from_select(["id"], select(entries.c.id))) == 0
    assert changes(select(entries)) == 0
    assert changes(delete(entries)) == 2
    engine.dispose()


def test_a_write_that_ends_while_a_head_is_read_leaves_nothing_kept(tmp_path):
    """The word is taken before the head is read: a write that begins and ends while the
    database is being read (the read saw the old row) changes it, so the old row is
    never used again. Taking the word after the read would keep the old row."""
    generation = WriteGeneration(tmp_path / "w")
    other_process = WriteGeneration(tmp_path / "w")
    cache = HeadCache(generation, seconds=60)

    def read_while_another_commits() -> tuple[str, str]:
        other_process.begin()
        other_process.end()
        return ("e1", "before the change")

    assert cache.row("e1", read_while_another_commits) == ("e1", "before the change")
    assert cache.row("e1", lambda: ("e1", "after the change")) == ("e1", "after the change")


def test_forked_processes_do_not_share_the_lock(tmp_path):
    """gunicorn forks workers from a master that built the app: each must lock on a file
    of its own (flock locks belong to the open file), or their updates get lost."""
    generation = WriteGeneration(tmp_path / "w")
    rounds, children = 3000, 4
    pids = []
    for _ in range(children):
        pid = os.fork()
        if pid == 0:  # the child: only this, then out
            code = 1
            try:
                for _ in range(rounds):
                    generation.begin()
                    generation.end()
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    for pid in pids:
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    word = generation.word()
    assert generation.pending(word) == 0
    assert word >> 16 == children * rounds * 2


def test_a_writer_in_another_pid_namespace_is_never_taken_for_dead(tmp_path):
    """A process sharing the file from another container has pids we cannot look up:
    its pending writes wait for it to end them (nothing is kept meanwhile)."""
    from catalogue.machinery.readpath import heads

    generation = WriteGeneration(tmp_path / "w")
    gone = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout)  # fmt: skip
    generation.begin()
    _, count, namespace = heads._SLOT.unpack_from(generation._map, heads._SLOTS_AT)
    heads._SLOT.pack_into(generation._map, heads._SLOTS_AT, gone, count, namespace + 1)
    assert generation.reap() == 0
    assert generation.pending(generation.word()) == 1
    heads._SLOT.pack_into(generation._map, heads._SLOTS_AT, gone, count, namespace)  # ours, and gone
    assert generation.reap() == 1
    assert generation.pending(generation.word()) == 0
