"""``tillit`` and ``python -m api.cli`` are one command line: the same group, the
same commands (before the CLI became a package, ``python -m api.cli`` listed 9 of
the 12, the ``__main__`` block sat between the registrations)."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

from click.testing import CliRunner

from api.cli import main

EXPECTED = {
    "access",
    "agencies",
    "audit",
    "clients",
    "data-elements",
    "db",
    "demo",
    "harvest",
    "index",
    "keys",
    "notifications",
    "reindex",
    "reviews",
    "serve",
    "statutes",
    "sharing",
    "tokens",
    "users",
}


def listed_commands(help_text: str) -> set[str]:
    lines = help_text.split("Commands:\n", 1)[1].splitlines()
    return {line.split()[0] for line in lines if line.startswith("  ") and line.strip()}


def test_the_tillit_script_is_the_main_group():
    (script,) = entry_points(group="console_scripts", name="tillit")
    assert script.load() is main


def test_python_m_api_cli_lists_the_commands_of_tillit():
    in_process = CliRunner().invoke(main, ["--help"])
    assert in_process.exit_code == 0, in_process.output
    as_module = subprocess.run(
        [sys.executable, "-m", "api.cli", "--help"], capture_output=True, text=True, timeout=120, check=True
    )
    assert listed_commands(in_process.output) == listed_commands(as_module.stdout) == EXPECTED


def test_every_group_keeps_its_subcommands():
    runner = CliRunner()
    for group, subcommands in {
        "clients": {"create", "register", "list", "disable"},
        "keys": {"rotate", "retire-expired", "list"},
        "users": {"create", "list", "disable"},
        "db": {"upgrade", "grant-app-role"},
        "index": {"sync", "check"},
        "audit": {"verify", "export"},
        "statutes": {"list", "add", "load"},
        "sharing": {"report"},
        "data-elements": {"list", "add"},
        "access": {"requests", "grants", "notify-expiring"},
        "tokens": {"purge-expired"},
        "harvest": {"run-due", "openapi-due"},  # and `harvest SOURCE`, the hidden "once" (api/cli/harvest.py)
    }.items():
        result = runner.invoke(main, [group, "--help"])
        assert result.exit_code == 0, result.output
        assert listed_commands(result.output) == subcommands, group
