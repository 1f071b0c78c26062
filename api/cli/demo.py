"""``tillit demo``: the demo catalogue, demo clients and demo people, with their credentials
printed.

Secrets and passwords are made at random on the first run, kept only in the instance folder
(``demo-clients.json``, ``demo-people.json``, mode 0600) so that a second run prints the same
ones, and never written anywhere in the repository."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

import click
from flask import Flask
from sqlalchemy.orm import Session

from api.cli.common import cli_app, default_issuer
from api.cli.index import outbox_indexer
from api.cli.serve import serve_options
from api.wiring import tillit
from authserver.services.clients import ClientService
from authserver.services.users import UserService
from catalogue.models import Agency
from security.identity import system_identity

DEMO_CLIENTS_FILE = "demo-clients.json"
DEMO_PEOPLE_FILE = "demo-people.json"


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
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
    default_issuer(host, port)

    with cli_app() as app:
        _demo(app, load_demo, len(read_json("entries.json")))


def _only_serve_options(ctx: click.Context) -> None:
    """The extra arguments must be `tillit serve`'s options: a typo fails here, before
    the demo is loaded, not only when `serve` starts after it."""
    known = serve_options()
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
    ext = tillit(app)
    with ext.sessions() as session:
        with click.progressbar(length=total, label="Loading demo entries") as bar:
            last = [0]

            def step(done: int) -> None:
                bar.update(done - last[0])
                last[0] = done

            # Indexed in one drain of the outbox at the end rather than one index commit
            # per change (two thirds of the load's time): the same documents.
            result = load_demo(session, ext.scheme, None, progress=step)
        if result.skipped:
            click.echo("The demo catalogue is loaded already.")
        else:
            click.echo(f"Loaded {result.agencies} agencies and {result.entries} entries; indexing them ...")
        outbox_indexer(app).drain()
        creds = _demo_clients(app, session)
        people = _demo_people(app, session)
    issuer = str(app.config["ISSUER"]).rstrip("/")
    click.echo(f"\nDemo people (sign in at {issuer}/signin):")
    for p in people:
        click.echo(f"  {p['label']}: {p['name']}, {p['agency']}")
        click.echo(f"    username={p['username']}  password={p['password']}")
    click.echo("\nDemo clients (client_credentials, client_secret_basic):")
    for c in creds:
        click.echo(f"  {c['label']}  [{c['scopes']}]")
        click.echo(f"    client_id={c['client_id']}  client_secret={c['client_secret']}")
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


def _demo_clients(app: Flask, session: Session) -> list[dict[str, str]]:
    path = Path(app.instance_path) / DEMO_CLIENTS_FILE
    if path.exists():
        stored: list[dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
        return stored
    ext = tillit(app)
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


#: One person for each role of the journeys in issue 17 (fictional names).
DEMO_PEOPLE = (
    ("Data owner", "lisa.owner", "Lisa Lind", "202100-4888", ("data_owner",)),
    ("Security officer", "sven.officer", "Sven Sjöberg", "202100-4888", ("security_officer",)),
    ("Auditor", "ada.auditor", "Ada Ek", "202100-5448", ("auditor",)),
    ("Developer", "ola.developer", "Ola Nordmann", "974761076", ("developer",)),
)  # fmt: skip


def _demo_people(app: Flask, session: Session) -> list[dict[str, str]]:
    path = Path(app.instance_path) / DEMO_PEOPLE_FILE
    if path.exists():
        stored: list[dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
        return stored
    ext = tillit(app)
    users = UserService(session, ext.scheme)
    out = []
    for label, username, name, orgnr, roles in DEMO_PEOPLE:
        agency = session.get(Agency, orgnr)
        if agency is None or users.by_username(username) is not None:
            continue
        password = secrets.token_urlsafe(15)
        users.create(
            system_identity(ext.scheme),
            username=username,
            agency=orgnr,
            name=name,
            roles=roles,
            password=password,
        )
        agency_name = (
            agency.name.get("sv") or agency.name.get("nb") or next(iter(agency.name.values()), orgnr)
        )
        out.append(
            {"label": label, "username": username, "name": name, "agency": agency_name, "password": password}
        )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=2)
    return out
