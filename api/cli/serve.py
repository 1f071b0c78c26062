"""``tillit serve``: the whole catalogue (API, OAuth server, pages) under gunicorn."""

from __future__ import annotations

import os

import click
from flask import Flask

from api.cli.common import default_issuer, load_app
from api.cli.index import rebuild_if_needed
from api.config import DEFAULTS
from api.edge import MAX_HEADER_BYTES, MAX_HEADER_FIELDS
from api.wiring import tillit
from search.embedded import EmbeddedBackend
from search.setup import start_writer
from search.writer import RemoteIndexer, WriterUnavailable

#: gunicorn's bounds on a request's head, above Tillit's own (api/edge.py), so a
#: client meets Tillit's 414/431 problems, never gunicorn's text/html pages.
#: - request line: gunicorn's largest, 8190; the method (gunicorn takes at most
#:   20 characters), Tillit's longest URL and " HTTP/1.1" fit with room to spare;
#: - a header line: twice Tillit's, for the whitespace around a value that the
#:   WSGI environ no longer holds;
#: - header lines: twice Tillit's count, as repeated fields are one in the environ.
GUNICORN_LIMITS = {
    "limit_request_line": 8190,
    "limit_request_field_size": 2 * MAX_HEADER_BYTES,
    "limit_request_fields": 2 * MAX_HEADER_FIELDS,
}


#: Two worker processes where there is a second core: each has its own interpreter lock,
#: and the embedded index is written by a process of its own (search/writer.py).
DEFAULT_WORKERS = 2 if (os.cpu_count() or 1) > 1 else 1


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers",
    default=DEFAULT_WORKERS,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker processes (2 on a machine with more than one core, else 1).",
)
@click.option("--threads", default=8, show_default=True, type=int, help="Threads per worker.")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Run the whole catalogue (API, OAuth server, pages) with gunicorn."""
    default_issuer(host, port)
    # Audit events of reads written by a process of their own (see catalogue.machinery.audit.writer).
    os.environ.setdefault("TILLIT_AUDIT_WRITER", "process")
    if "TILLIT_DATABASE_POOL_SIZE" not in os.environ:  # a connection per thread, and two spare
        os.environ["TILLIT_DATABASE_POOL_SIZE"] = str(max(DEFAULTS["DATABASE_POOL_SIZE"], threads + 2))
    # The embedded index written by a process of its own, so that workers only read it.
    os.environ.setdefault("TILLIT_INDEX_WRITER", "process")
    app = load_app()
    ext = tillit(app)
    writer = None
    if isinstance(ext.indexer, RemoteIndexer):
        try:  # the writer takes the folder's lock: a second server on it stops here
            writer = start_writer(app.config, ext.scheme.lowest)
        except WriterUnavailable as exc:
            raise click.ClickException(
                f"{exc} Is another Tillit server using {app.config['INSTANCE_PATH']}?"
            ) from None
    else:
        if workers > 1 and isinstance(ext.search, EmbeddedBackend):
            raise click.ClickException("--workers above 1 needs TILLIT_INDEX_WRITER=process (the default).")
        getattr(ext.search, "acquire", lambda: None)()  # one server per folder
        rebuild_if_needed(app)
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]  # gunicorn ships no types: its base is Any
        def load_config(self) -> None:
            for name, value in gunicorn_settings(host, port, workers, threads).items():
                if name in self.cfg.settings:  # control_socket_disable: gunicorn 24+
                    self.cfg.set(name, value)

        def load(self) -> Flask:
            return app

    click.echo(f"Tillit serves {os.environ['TILLIT_ISSUER']}  (API: /api/v1, docs: /api/v1/openapi.json)")
    try:
        Server().run()
    finally:
        if writer is not None:
            writer.stop()  # in the master only (the workers, forked from it, pass here too)


def gunicorn_settings(host: str, port: int, workers: int, threads: int) -> dict[str, object]:
    """Every gunicorn setting ``tillit serve`` makes."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "accesslog": "-",
        # gunicorn's refusals as problems that echo nothing (api/cli/serve_worker.py)
        "worker_class": "api.cli.serve_worker.ProblemWorker",
        # gunicorn 24+'s control socket (gunicornc: worker counts, reload, shutdown) has one
        # path per user, shared by every server that user runs; Tillit uses none of it, and
        # a worker count changed at run time would bypass --workers. Signals remain.
        "control_socket_disable": True,
        **GUNICORN_LIMITS,
    }


def serve_options() -> set[str]:
    """Every option name ``tillit serve`` takes (``tillit demo`` accepts them too)."""
    return {name for param in serve.params for name in (*param.opts, *param.secondary_opts)}
