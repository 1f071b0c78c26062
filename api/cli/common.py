"""What every ``tillit`` command shares: building the app (with the schema
migrated), closing its connections, and turning a domain error into a clean exit.

A command reads the app's wiring only through ``api.wiring.tillit(app)``, or takes it
with a session from ``app_session()``; never ``app.extensions`` directly.

Commands get the app only through here, so a test (``tests/security/conftest.py``
``run_cli``) can follow every app a command makes by patching ``create_app`` here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask
from sqlalchemy.orm import Session

from api.app import create_app
from api.wiring import Tillit, tillit
from catalogue.errors import CatalogueError, ValidationFailed
from catalogue.migrate import upgrade
from catalogue.orgnr import OrgnrError, normalise_orgnr


class OrgNumberType(click.ParamType):  # type: ignore[type-arg]  # generic only in click 8.2+ stubs
    """An organisation number in any common form, taken as its canonical form: the CLI's
    twin of the API's ``OrgNumber`` field (one normaliser, ``catalogue.orgnr``). A malformed
    or invalid number is a usage error naming the option (exit 2), never a lookup that
    silently finds nothing."""

    name = "orgnr"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return normalise_orgnr(None, str(value))
        except OrgnrError as exc:
            self.fail(str(exc), param, ctx)


#: ``type=ORGNR`` on every option or argument that names an agency.
ORGNR = OrgNumberType()


def load_app(migrate: bool = True) -> Flask:
    """The app as configured by ``TILLIT_*``; its schema upgraded unless ``migrate`` is off
    (the key commands touch only the key file and the audit log)."""
    app = create_app()
    if migrate:
        upgrade(tillit(app).engine)
    return app


@contextmanager
def cli_app() -> Iterator[Flask]:
    """An app for one command; its database connections are closed afterwards."""
    app = load_app()
    try:
        yield app
    finally:
        tillit(app).engine.dispose()


@contextmanager
def app_session() -> Iterator[tuple[Tillit, Session]]:
    """The app's wiring and a session for one command (not committed here: a service
    commits its own change); the session and the app's connections are closed afterwards."""
    with cli_app() as app, tillit(app).sessions() as session:
        yield tillit(app), session


def echo_rows(rows: list[dict[str, Any]], as_json: bool, line: Callable[[dict[str, Any]], str]) -> None:
    """A listing: JSON (a list of objects) with ``--json``, else one ``line`` per row."""
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        click.echo(line(row))


def fail(exc: CatalogueError) -> None:
    """A domain error as the command's error message (exit 1)."""
    message = exc.detail
    if isinstance(exc, ValidationFailed):
        message += " " + _messages(exc.errors)
    raise click.ClickException(message)


def _messages(errors: object) -> str:
    """A field's messages in one line: a list joined, a nested schema's fields named."""
    if isinstance(errors, Mapping):
        return "; ".join(f"{field}: {_messages(inner)}" for field, inner in errors.items())
    if isinstance(errors, list | tuple):
        return " ".join(_messages(message) for message in errors)
    return str(errors)


def default_issuer(host: str, port: int) -> None:
    """Without TILLIT_ISSUER, the server's own address is the issuer."""
    if "TILLIT_ISSUER" not in os.environ:
        public_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
        if ":" in public_host:  # an IPv6 address goes in brackets in a URL
            public_host = f"[{public_host}]"
        os.environ["TILLIT_ISSUER"] = f"http://{public_host}:{port}"
