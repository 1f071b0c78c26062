"""The signing-key file is looked at most every ``recheck_seconds`` for other
processes' changes; this process's own changes count at once."""

from __future__ import annotations

import pytest

import security.keys
from security.keys import KeyStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(security.keys.time, "monotonic", fake)
    return fake


def _kids(store: KeyStore) -> list[str]:
    return [key.kid for key in store.private_set()]


def test_other_processes_changes_count_after_the_interval(tmp_path, clock):
    server = KeyStore.in_folder(tmp_path, recheck_seconds=5)
    cli = KeyStore.in_folder(tmp_path)  # another process: the CLI
    first = cli.add_key()
    assert _kids(server) == [first]
    second = cli.add_key()
    clock.now += 4.9
    assert _kids(server) == [first]  # not looked at yet
    clock.now += 0.2
    assert _kids(server) == [first, second]
    cli.retire_expired(max_token_age=0, now=10**10)
    assert _kids(server) == [first, second]
    clock.now += 5.1
    assert _kids(server) == [second]


def test_own_changes_count_at_once(tmp_path, clock):
    store = KeyStore.in_folder(tmp_path, recheck_seconds=3600)
    first = store.add_key()
    assert _kids(store) == [first]
    second = store.add_key()
    assert _kids(store) == [first, second]
    assert store.retire_expired(max_token_age=0, now=10**10) == [first]
    assert _kids(store) == [second]


def test_zero_looks_every_time(tmp_path, clock):
    server = KeyStore.in_folder(tmp_path)
    cli = KeyStore.in_folder(tmp_path)
    first = cli.add_key()
    assert _kids(server) == [first]
    second = cli.add_key()
    assert _kids(server) == [first, second]
