"""The rule that spreads connections over workers (api/cli/balance.py), on its own:
the shared table's entries, their staleness, and the slots the master hands out."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from api.cli.balance import STALE_SECONDS, AcceptTable, may_accept


@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8))
def test_some_worker_always_accepts_and_only_the_least_loaded(held: list[int]) -> None:
    allowed = [i for i, mine in enumerate(held) if may_accept(mine, held[:i] + held[i + 1 :])]
    assert allowed, "no worker would take a connection"
    assert {held[i] for i in allowed} == {min(held)}
    assert allowed == [i for i, mine in enumerate(held) if mine == min(held)]


def test_a_worker_holding_more_than_another_waits_and_ties_accept() -> None:
    table = AcceptTable(slots=4)
    now = 1000.0
    assert table.offer(0, 3, now) is True  # alone
    assert table.offer(1, 2, now) is True
    assert table.offer(0, 3, now) is False  # 3 > 2
    assert table.offer(1, 3, now) is True  # 3 = 3
    assert table.offer(0, 3, now) is True


def test_stale_and_refusing_workers_are_not_counted() -> None:
    table = AcceptTable(slots=4)
    table.offer(1, 0, 1000.0)
    assert table.offer(0, 5, 1000.0 + STALE_SECONDS / 2) is False
    # worker 1 said nothing for STALE_SECONDS: stopped or gone, so it holds nothing back
    assert table.offer(0, 5, 1000.0 + STALE_SECONDS) is True
    table.offer(1, None, 2000.0)  # stopping (or full): takes none, so it is no reference
    assert table.others(0, 2000.0) == []
    assert table.offer(0, 5, 2000.0) is True
    assert table.offer(1, None, 2000.0) is False  # and it does not take any itself


def test_slots_are_reused_once_their_worker_is_gone() -> None:
    table = AcceptTable(slots=2)
    first, second, third = (SimpleNamespace(pid=pid) for pid in (11, 12, 13))
    running = {11, 12}

    def alive(worker: SimpleNamespace) -> bool:
        return worker.pid in running

    assert table.assign(first, alive) == 0
    assert table.assign(second, alive) == 1
    assert table.assign(third, alive) is None  # every slot held: the worker goes unbalanced
    table.offer(0, 7, 1000.0)
    running.discard(11)
    assert table.assign(third, alive) == 0
    assert table.others(1, 1000.0) == []  # the new owner starts with nothing said
