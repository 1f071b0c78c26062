"""The one switch of which database an app test runs on (tests/conftest.py,
docs/testing.md): SQLite for every test, PostgreSQL too for a test marked
``both_databases`` on the function or on its module."""

from __future__ import annotations

import pytest

pytest_plugins = ("pytester",)

TESTS = """
import pytest

def test_plain(database_url):
    pass

@pytest.mark.both_databases
def test_marked(database_url):
    pass

def test_without_a_database():
    pass
"""


def collected(pytester: pytest.Pytester, source: str) -> set[str]:
    pytester.makeini("[pytest]\nmarkers =\n    both_databases: on PostgreSQL too\n")
    pytester.makeconftest("from tests.conftest import database_url, pytest_generate_tests  # noqa: F401\n")
    pytester.makepyfile(test_switch=source)
    result = pytester.runpytest_inprocess("--collect-only", "-q", "-p", "no:cacheprovider")
    return {line.split("::", 1)[1] for line in result.outlines if "::" in line}


def test_a_marked_test_runs_on_both_databases_an_unmarked_one_on_sqlite(pytester: pytest.Pytester) -> None:
    assert collected(pytester, TESTS) == {
        "test_plain[sqlite]",
        "test_marked[sqlite]",
        "test_marked[postgresql]",
        "test_without_a_database",
    }


def test_a_module_mark_reaches_every_test_of_the_module(pytester: pytest.Pytester) -> None:
    source = "import pytest\npytestmark = pytest.mark.both_databases\n" + TESTS
    assert collected(pytester, source) == {
        "test_plain[sqlite]",
        "test_plain[postgresql]",
        "test_marked[sqlite]",
        "test_marked[postgresql]",
        "test_without_a_database",
    }
