"""Alembic environment: runs with the connection handed over by catalogue.migrate."""

from __future__ import annotations

from alembic import context

from catalogue import models, models_access, models_auth, models_harvest  # noqa: F401  (registers the tables)
from catalogue.db import Base

config = context.config
connection = config.attributes.get("connection")


def run() -> None:
    if connection is None:
        raise RuntimeError("Run migrations through `tillit db upgrade` (catalogue.migrate).")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
