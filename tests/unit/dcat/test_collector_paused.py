"""``collector_paused``: no collection inside the block, the block's cycles freed at its end,
and the collector's state as it was (a harvest batch: dcat.collector)."""

from __future__ import annotations

import gc
import weakref

from dcat.collector import collector_paused


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_the_block_runs_unpaused_by_passes_and_its_cycles_are_freed_at_the_end():
    with collector_paused():
        assert not gc.isenabled()
        node = _Node()
        gone = weakref.ref(node)
        del node
        assert gone() is not None  # no pass ran: the cycle is still there
    assert gc.isenabled()
    assert gone() is None


def test_a_paused_collector_stays_paused_after_the_block():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
