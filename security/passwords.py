"""Password hashing for local accounts: Argon2id (argon2-cffi, OWASP parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
#: Verified against when the account does not exist, so timing does not tell.
_DUMMY = _hasher.hash("not-a-real-password")
MIN_LENGTH = 12


class WeakPassword(ValueError):
    """A password refused by :func:`check_strength`; its message says why and may be shown."""

    pass


def check_strength(password: str) -> None:
    """Refuse (WeakPassword) a password shorter than MIN_LENGTH or longer than 1024 characters."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"A password needs at least {MIN_LENGTH} characters.")
    if len(password) > 1024:
        raise WeakPassword("A password may have at most 1024 characters.")


def hash_password(password: str) -> str:
    """The Argon2id hash to store for ``password``, once it passes :func:`check_strength`."""
    check_strength(password)
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the stored hash; False, after the same work, when there is none."""
    try:
        # No stored hash (no account, or one that signs in elsewhere) still costs a
        # verification, so timing does not tell; it never succeeds.
        return _hasher.verify(stored or _DUMMY, password[:1024]) and bool(stored)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
