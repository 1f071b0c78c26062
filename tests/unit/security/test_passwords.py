"""Local-account passwords: Argon2id, and no stored hash never verifies."""

from __future__ import annotations

import pytest

from security.passwords import WeakPassword, hash_password, verify_password


def test_the_right_password_verifies_and_a_wrong_one_does_not():
    stored = hash_password("korrekt häst batteri")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "korrekt häst batteri")
    assert not verify_password(stored, "korrekt häst batterI")


@pytest.mark.parametrize("stored", [None, ""])
@pytest.mark.parametrize("password", ["not-a-real-password", "", "korrekt häst batteri"])
def test_no_stored_hash_never_verifies(stored, password):
    # Not even the dummy hash's own password (it only makes the timing uniform).
    assert verify_password(stored, password) is False


def test_garbage_in_the_store_is_a_mismatch_not_an_error():
    assert verify_password("$argon2id$v=19$broken", "korrekt häst batteri") is False


@pytest.mark.parametrize("password", ["kort", "x" * 1025])
def test_weak_passwords_are_refused(password):
    with pytest.raises(WeakPassword):
        hash_password(password)
