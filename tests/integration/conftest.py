"""Fixtures shared with the attack suite."""

from tests.security.conftest import run_cli  # noqa: F401  (a fixture)
