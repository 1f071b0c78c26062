"""Compile the web pages' message catalogues (.po → .mo) whenever the package is built or installed.

Everything else about the package is declared in pyproject.toml. The compiled catalogues are
not in git (.gitignore): a fresh clone gets them from `pip install` (`./dev start`,
`./dev test`), editable installs included, since setuptools runs build's sub-commands then too.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import Command, setup
from setuptools.command.build import build

CATALOGUES = Path(__file__).parent / "api" / "web" / "translations"


class CompileCatalogues(Command):
    """Write each messages.po's compiled messages.mo beside it, before the files are collected."""

    description = "compile the web pages' message catalogues"
    user_options: ClassVar[list[tuple[str, str | None, str]]] = []

    def initialize_options(self) -> None:
        self.editable_mode = False

    def finalize_options(self) -> None:
        pass

    def run(self) -> None:
        for po_path in sorted(CATALOGUES.rglob("*.po")):
            with po_path.open("rb") as po:
                catalog = read_po(po, locale=po_path.parent.parent.name)
            with po_path.with_suffix(".mo").open("wb") as mo:
                write_mo(mo, catalog)

    def get_outputs(self) -> list[str]:
        return [str(p.with_suffix(".mo")) for p in CATALOGUES.rglob("*.po")]

    def get_output_mapping(self) -> dict[str, str]:
        return {}


build.sub_commands = [("compile_catalogues", None), *build.sub_commands]
setup(cmdclass={"compile_catalogues": CompileCatalogues})
