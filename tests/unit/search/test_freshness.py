"""The commit word (search/freshness.py): when a reader of the embedded index reloads.
Two CommitWords on one folder stand for two processes (the file is shared memory)."""

from __future__ import annotations

from search.freshness import CommitWord, Freshness


def _reader(folder, interval: float) -> tuple[Freshness, list[int]]:
    reloads: list[int] = []
    return Freshness(CommitWord(folder), lambda: reloads.append(1), interval), reloads


def test_nothing_committed_means_no_reload(tmp_path):
    reader, reloads = _reader(tmp_path, 0)
    reader.check()
    assert reloads == []


def test_new_documents_are_seen_once_the_interval_has_passed(tmp_path):
    writer = CommitWord(tmp_path)
    patient, patient_reloads = _reader(tmp_path, 3600)
    eager, eager_reloads = _reader(tmp_path, 0)
    writer.committed(narrowed=False)
    patient.check()
    eager.check()
    assert (patient_reloads, eager_reloads) == ([], [1])
    eager.check()  # once per commit
    assert eager_reloads == [1]


def test_removed_documents_are_seen_before_the_next_search_whatever_the_interval(tmp_path):
    writer = CommitWord(tmp_path)
    reader, reloads = _reader(tmp_path, 3600)
    writer.committed(narrowed=False)
    reader.check()
    assert reloads == []
    writer.committed(narrowed=True)
    reader.check()
    assert reloads == [1]
    reader.check()
    assert reloads == [1]


def test_a_reload_asked_for_sees_everything_committed_so_far(tmp_path):
    writer = CommitWord(tmp_path)
    reader, reloads = _reader(tmp_path, 3600)
    writer.committed(narrowed=False)
    reader.reload_now()
    assert reloads == [1]
    reader.check()  # nothing newer
    assert reloads == [1]


def test_the_narrowing_count_wraps_without_being_missed(tmp_path):
    writer = CommitWord(tmp_path)
    reader, reloads = _reader(tmp_path, 3600)
    for expected in range(1, 0x10003):  # past the 16-bit count
        writer.committed(narrowed=True)
        if expected % 4096 == 0 or expected > 0xFFFE:
            reader.check()
    assert len(reloads) == sum(1 for n in range(1, 0x10003) if n % 4096 == 0 or n > 0xFFFE)
