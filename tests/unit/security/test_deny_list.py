"""The in-memory deny-list of revoked access tokens: at once here, within the sync
interval from elsewhere, and closed when the store cannot be read."""

from __future__ import annotations

import time

import pytest

from security.tokens import DenyList, TokenStateUnavailable


class Store:
    """Stands for the database table (jti -> exp), counting reloads."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self.loads = 0
        self.broken = False

    def load(self) -> dict[str, int]:
        self.loads += 1
        if self.broken:
            raise ConnectionError("database unreachable")
        return dict(self.rows)


def test_a_revocation_made_here_counts_at_once_without_a_reload():
    store = Store()
    deny = DenyList(store.load, sync_seconds=3600)
    assert "a" not in deny  # first check loads
    deny.add("a", int(time.time()) + 300)
    assert "a" in deny
    assert store.loads == 1


def test_revocations_made_elsewhere_arrive_at_the_next_sync():
    store = Store()
    deny = DenyList(store.load, sync_seconds=3600)
    assert "b" not in deny
    store.rows["b"] = int(time.time()) + 300  # another worker revoked it
    assert "b" not in deny  # within the interval: not reloaded (the documented window)
    deny.sync()
    assert "b" in deny


def test_zero_interval_reads_the_store_on_every_check():
    store = Store()
    deny = DenyList(store.load, sync_seconds=0)
    assert "c" not in deny
    store.rows["c"] = int(time.time()) + 300
    assert "c" in deny
    assert store.loads == 2


def test_an_unreadable_store_fails_closed():
    store = Store()
    store.broken = True
    deny = DenyList(store.load, sync_seconds=0)
    with pytest.raises(TokenStateUnavailable) as refused:
        "d" in deny
    assert isinstance(refused.value.__cause__, ConnectionError)


def test_expired_local_additions_are_forgotten_at_sync_but_stored_ones_kept():
    store = Store()
    deny = DenyList(store.load, sync_seconds=3600)
    now = int(time.time())
    deny.add("old", now - 10)
    deny.add("fresh", now + 300)
    store.rows["stored"] = now + 300
    deny.sync()
    assert "old" not in deny and "fresh" in deny and "stored" in deny
