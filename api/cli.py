"""The ``tillit`` command line."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask

from api.app import create_app
from api.config import DEFAULTS
from catalogue.errors import CatalogueError, ValidationFailed
from catalogue.migrate import upgrade
from catalogue.models import Agency
from catalogue.schemas import AgencyCreateSchema
from catalogue.services.agencies import AgencyService
from catalogue.services.clients import ClientService
from security.identity import system_identity

DEMO_CLIENTS_FILE = "demo-clients.json"


def _app() -> Flask:
    app = create_app()
    upgrade(app.extensions["tillit"].engine)
    return app


@contextmanager
def _cli_app() -> Iterator[Flask]:
    """An app for one command; its database connections are closed afterwards."""
    app = _app()
    try:
        yield app
    finally:
        app.extensions["tillit"].engine.dispose()


def _fail(exc: CatalogueError) -> None:
    message = exc.detail
    if isinstance(exc, ValidationFailed):
        message += " " + "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items())
    raise click.ClickException(message)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tillit")
def main() -> None:
    """Tillit: the cross-agency catalogue of datasets and APIs.

    Configuration comes from TILLIT_* environment variables (see the README);
    with none, Tillit keeps everything in ./instance.
    """


# -- serve ----------------------------------------------------------------
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes.")
@click.option("--threads", default=8, show_default=True, type=int, help="Threads per worker.")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Run the whole catalogue (API, OAuth server, pages) with gunicorn."""
    _default_issuer(host, port)
    # Audit events of reads written by a process of their own (see catalogue.audit_writer).
    os.environ.setdefault("TILLIT_AUDIT_WRITER", "process")
    if "TILLIT_DATABASE_POOL_SIZE" not in os.environ:  # a connection per thread, and two spare
        os.environ["TILLIT_DATABASE_POOL_SIZE"] = str(max(DEFAULTS["DATABASE_POOL_SIZE"], threads + 2))
    app = _app()
    getattr(app.extensions["tillit"].search, "acquire", lambda: None)()  # one server per folder
    from api.cli_search import rebuild_if_needed

    rebuild_if_needed(app)
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-")

        def load(self) -> Flask:
            return app

    click.echo(f"Tillit serves {os.environ['TILLIT_ISSUER']}  (API: /api/v1, docs: /api/v1/openapi.json)")
    Server().run()


# -- db ---------------------------------------------------------------------
@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (safe to run again)."""
    with _cli_app():
        pass
    click.echo("The database schema is up to date.")


def _default_issuer(host: str, port: int) -> None:
    """Without TILLIT_ISSUER, the server's own address is the issuer."""
    if "TILLIT_ISSUER" not in os.environ:
        public_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
        if ":" in public_host:  # an IPv6 address goes in brackets in a URL
            public_host = f"[{public_host}]"
        os.environ["TILLIT_ISSUER"] = f"http://{public_host}:{port}"


# -- demo -----------------------------------------------------------------
@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Where `tillit serve` will listen: only for the token hint printed at the end.",
)
@click.option(
    "--port",
    default=5000,
    show_default=True,
    type=int,
    help="Where `tillit serve` will listen: only for the token hint printed at the end.",
)
@click.pass_context
def demo(ctx: click.Context, host: str, port: int) -> None:
    """Load the demo catalogue and demo clients, and print their credentials.

    Takes the same --host/--port as `tillit serve` (and accepts its other options
    without using them, so `./dev start` can pass them all), so the printed token
    URL is the server's."""
    from catalogue.demo import load_demo, read_json

    _only_serve_options(ctx)
    _default_issuer(host, port)

    with _cli_app() as app:
        _demo(app, load_demo, len(read_json("entries.json")))


def _only_serve_options(ctx: click.Context) -> None:
    """The extra arguments must be `tillit serve`'s options: a typo fails here, before
    the demo is loaded, not only when `serve` starts after it."""
    known = {name for param in serve.params for name in (*param.opts, *param.secondary_opts)}
    for arg in ctx.args:
        if not arg.startswith("-"):
            continue  # an option's value
        name = arg.split("=", 1)[0]
        if name not in known:
            raise click.UsageError(
                f"No such option: {name} (tillit demo takes tillit serve's options: "
                + ", ".join(sorted(known))
                + ")",
                ctx,
            )


def _demo(app: Flask, load_demo: Any, total: int) -> None:
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        with click.progressbar(length=total, label="Loading demo entries") as bar:
            last = [0]

            def step(done: int) -> None:
                bar.update(done - last[0])
                last[0] = done

            result = load_demo(session, ext.scheme, ext.indexer, progress=step)
        if result.skipped:
            click.echo("The demo catalogue is loaded already.")
        else:
            click.echo(f"Loaded {result.agencies} agencies and {result.entries} entries.")
        creds = _demo_clients(app, session)
    click.echo("\nDemo clients (client_credentials, client_secret_basic):")
    for c in creds:
        click.echo(f"  {c['label']}  [{c['scopes']}]")
        click.echo(f"    client_id={c['client_id']}  client_secret={c['client_secret']}")
    issuer = str(app.config["ISSUER"]).rstrip("/")
    click.echo(
        f"\nGet a token from the running server (`tillit serve` at {issuer}):\n"
        f"  curl -s -u CLIENT_ID:CLIENT_SECRET -d grant_type=client_credentials {issuer}/oauth/token"
    )


DEMO_CLIENTS = (
    ("Skatteverket data owner (sensitive)", "202100-5448",
     "catalogue:read:sensitive catalogue:write"),
    ("Lantmäteriet developer (internal)", "202100-4888", "catalogue:read:internal"),
    ("Skatteetaten developer (sensitive)", "974761076", "catalogue:read:sensitive"),
    ("Catalogue administrator", "202100-5448", "catalogue:read:sensitive catalogue:admin"),
)  # fmt: skip


def _demo_clients(app: Flask, session: Any) -> list[dict[str, str]]:
    path = Path(app.instance_path) / DEMO_CLIENTS_FILE
    if path.exists():
        stored: list[dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
        return stored
    ext = app.extensions["tillit"]
    service = ClientService(session, ext.scheme)
    out = []
    for label, orgnr, scopes in DEMO_CLIENTS:
        if session.get(Agency, orgnr) is None:
            continue
        issued = service.create(system_identity(ext.scheme), agency=orgnr, name=label, scopes=scopes.split())
        out.append(
            {
                "label": label,
                "client_id": issued.client.client_id,
                "client_secret": issued.secret,
                "scopes": scopes,
            }
        )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=2)
    return out


# -- agencies ---------------------------------------------------------------
@main.group()
def agencies() -> None:
    """Manage agencies."""


@agencies.command("create")
@click.option("--orgnr", required=True, help="Organisation number, e.g. 202100-5448.")
@click.option("--name", required=True, help="The agency's name.")
@click.option("--country", required=True, type=click.Choice(["SE", "NO", "FI", "DK"]))
@click.option("--clearance", default=None, help="Highest level its clients may get (default: lowest).")
@click.option(
    "--lang", default=None, help="Language of --name (default: sv for SE, nb for NO, en otherwise)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the agency as JSON.")
def agencies_create(
    orgnr: str, name: str, country: str, clearance: str | None, lang: str | None, as_json: bool
) -> None:
    """Register an agency."""
    from marshmallow import ValidationError

    language = lang or {"SE": "sv", "NO": "nb"}.get(country, "en")
    try:
        data = AgencyCreateSchema().load(
            {"orgnr": orgnr, "name": {language: name}, "country": country, "clearance": clearance}
        )
    except ValidationError as exc:
        raise click.ClickException(json.dumps(exc.messages, ensure_ascii=False)) from exc
    with _cli_app() as app, app.extensions["tillit"].sessions() as session:
        ext = app.extensions["tillit"]
        try:
            agency = AgencyService(session, ext.scheme).create(system_identity(ext.scheme), data)
        except CatalogueError as exc:
            _fail(exc)
        from catalogue.schemas import AgencySchema

        out = AgencySchema().dump(agency)
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        click.echo(f"Registered {out['orgnr']} ({name}), clearance {out['clearance']}.")


# -- clients ----------------------------------------------------------------
@main.group()
def clients() -> None:
    """Manage OAuth clients of agencies."""


@clients.command("create")
@click.option("--agency", required=True, help="The owning agency's organisation number.")
@click.option("--name", required=True, help="A name for the client.")
@click.option("--scopes", required=True, help='Space-separated scopes, e.g. "catalogue:read:internal".')
@click.option("--json", "as_json", is_flag=True, help="Print client_id and client_secret as JSON.")
def clients_create(agency: str, name: str, scopes: str, as_json: bool) -> None:
    """Register a confidential client (client_secret_basic). The secret is shown once."""
    with _cli_app() as app, app.extensions["tillit"].sessions() as session:
        ext = app.extensions["tillit"]
        try:
            issued = ClientService(session, ext.scheme).create(
                system_identity(ext.scheme), agency=agency, name=name, scopes=scopes.split()
            )
        except CatalogueError as exc:
            _fail(exc)
    if as_json:
        click.echo(json.dumps({"client_id": issued.client.client_id, "client_secret": issued.secret}))
    else:
        click.echo(f"client_id={issued.client.client_id}\nclient_secret={issued.secret}")


# -- keys -------------------------------------------------------------------
@main.group()
def keys() -> None:
    """Manage the token signing keys."""


@keys.command("rotate")
def keys_rotate() -> None:
    """Add a new signing key; new tokens use it, older keys still verify."""
    from catalogue.services.security_events import record_security_event

    with _cli_app() as app, app.extensions["tillit"].sessions() as session:
        ext = app.extensions["tillit"]
        kid = ext.keys.add_key()
        record_security_event(
            session, system_identity(ext.scheme), "key.rotate", {"kid": kid}, anchor=ext.anchor
        )
    click.echo(f"New signing key {kid}.")


from api.cli_search import register as _register_search_commands  # noqa: E402

_register_search_commands(main)
from api.cli_auth import register_auth_commands  # noqa: E402

register_auth_commands(main)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


# -- audit --------------------------------------------------------------------
@main.group()
def audit() -> None:
    """The tamper-evident audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Walk the hash chain; exit 1 naming the first broken event."""
    from catalogue.audit import verify_chain

    with _cli_app() as app, app.extensions["tillit"].sessions() as session:
        result = verify_chain(session, app.extensions["tillit"].anchor)
    if result.ok:
        click.echo(f"The audit chain is intact: {result.checked} events.")
        return
    where = f"at event {result.broken_seq}" if result.broken_seq else "at its head"
    click.echo(
        f"The audit chain is broken {where}: {result.reason} ({result.checked} events before it are intact).",
        err=True,
    )
    sys.exit(1)


@audit.command("export")
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File to write (default: standard output).",
)
def audit_export(output: Any) -> None:
    """Write every event, oldest first, as JSON Lines."""
    from catalogue.services.audit import AuditService, as_json_lines

    with _cli_app() as app, app.extensions["tillit"].sessions() as session:
        ext = app.extensions["tillit"]
        events = AuditService(session, ext.anchor).export(system_identity(ext.scheme))
        for line in as_json_lines(events):
            output.write(line)


# -- reviews ------------------------------------------------------------------
@main.group()
def reviews() -> None:
    """Classification reviews."""


@reviews.command("schedule")
def reviews_schedule() -> None:
    """Open a periodic review for every entry whose review is due (run daily)."""
    from catalogue.services.entries import EntryService
    from catalogue.services.reviews import ReviewService

    with _cli_app() as app, app.extensions["tillit"].sessions() as session:
        ext = app.extensions["tillit"]
        service = ReviewService(
            EntryService(session, ext.scheme, ext.indexer, ext.anchor, ext.review_intervals)
        )
        count = service.schedule_due(system_identity(ext.scheme))
    click.echo(f"Opened {count} periodic review(s).")


@db.command("grant-app-role")
@click.argument("role")
def db_grant_app_role(role: str) -> None:
    """PostgreSQL: let ROLE (the app's login) use the tables, but only read and append
    the audit log (no UPDATE, DELETE or TRUNCATE)."""
    from catalogue.migrate import grant_app_role

    with _cli_app() as app:
        grant_app_role(app.extensions["tillit"].engine, role)
    click.echo(f"Granted {role}: audit_events is append-only for it.")


# -- notifications ------------------------------------------------------------------
@main.group()
def notifications() -> None:
    """Notifications of waiting work."""


@notifications.command("send")
def notifications_send() -> None:
    """Deliver pending notifications by e-mail and webhook (retries failures; run by cron)."""
    from api.delivery import deliver_now

    with _cli_app() as app:
        count = deliver_now(app)
    click.echo(f"Delivered {count} notification(s).")
