"""The ``tillit`` command line: one ``main`` group, one module per command group.

``api.cli.common`` holds what the commands share (building the app, exiting on a
domain error); the command modules import only it and the services, never each
other's private helpers (``demo`` reuses ``serve``'s public option list, ``serve``
the index rebuild). ``python -m api.cli`` (``__main__.py``) and the ``tillit``
script run this same group, so both list the same commands.
"""

from __future__ import annotations

import click

from api.cli.access import access
from api.cli.agencies import agencies
from api.cli.audit import audit
from api.cli.clients import clients
from api.cli.data_elements import data_elements
from api.cli.db import db
from api.cli.demo import demo
from api.cli.harvest import harvest
from api.cli.index import index, reindex
from api.cli.keys import keys
from api.cli.notifications import notifications
from api.cli.reviews import reviews
from api.cli.serve import serve
from api.cli.sharing import sharing
from api.cli.statutes import statutes
from api.cli.tokens import tokens
from api.cli.users import users

COMMANDS: tuple[click.Command, ...] = (
    serve,
    demo,
    db,
    agencies,
    statutes,
    data_elements,
    clients,
    users,
    keys,
    audit,
    reviews,
    sharing,
    notifications,
    access,
    tokens,
    harvest,
    index,
    reindex,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tillit")
def main() -> None:
    """Tillit: the cross-agency catalogue of datasets and APIs.

    Configuration comes from TILLIT_* environment variables (see the README);
    with none, Tillit keeps everything in ./instance.
    """


for command in COMMANDS:
    main.add_command(command)
