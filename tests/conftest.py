"""Shared fixtures: a real app on a real database, real OAuth tokens.

SQLite always; PostgreSQL too for tests marked ``both_databases`` (what differs
by database, see docs/testing.md): a throw-away server is started per test
session (per xdist worker) from Debian's binaries, or TILLIT_TEST_POSTGRES_URL is
used. With CI=true a missing PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import base64
import fcntl
import gc
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from _pytest.nodeid import NodeId
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import make_url, text

from api.app import create_app
from authserver.services.clients import ClientService
from catalogue.db import make_engine
from catalogue.demo import load_demo
from catalogue.migrate import upgrade
from catalogue.models import Agency
from catalogue.services.agencies import AgencyService
from security.identity import PERSON_SCOPES, system_identity
from security.keys import KEYS_FILE, KeyStore
from tests.agencies import AGENCIES, LANTMATERIET, SKATTEETATEN, SKATTEVERKET
from tests.pgserver import Databases, PostgresServer, find_postgres
from tests.security.people import person_token

pytest_plugins = ["tests.servers"]

__all__ = ["AGENCIES", "LANTMATERIET", "SKATTEETATEN", "SKATTEVERKET"]


# -- where the tests' files go -------------------------------------------------------
#: A RAM disk of at least this much free space takes the tests' files.
RAM_DISK, RAM_DISK_MIN_FREE = Path("/dev/shm"), 4 * 1024**3


def pytest_configure(config: pytest.Config) -> None:
    """Put pytest's temporary folders (every test's database file, instance folder and
    search index; the demo templates) and the PostgreSQL servers' folders
    (tests/pgserver.py) on the RAM disk when there is one with room: each commit of
    SQLite (synchronous=FULL) and of the tantivy index waits for fsync, 3-8 ms on the
    CI machine's disk and nothing on tmpfs, and a test that writes six entries commits
    some 30 times. Measured: tests/security/test_visibility.py's read tests 2.2-2.5x
    faster (docs/testing.md). ``PYTEST_DEBUG_TEMPROOT`` (pytest's own setting, which
    the xdist workers inherit) or ``--basetemp`` given by hand win."""
    if os.environ.get("PYTEST_DEBUG_TEMPROOT") or config.option.basetemp:
        return
    try:
        room = shutil.disk_usage(RAM_DISK).free
    except OSError:
        return
    if room >= RAM_DISK_MIN_FREE and os.access(RAM_DISK, os.W_OK | os.X_OK):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(RAM_DISK)


# -- xdist groups -------------------------------------------------------------------
@pytest.hookimpl(trylast=True)  # after xdist's own hook (and tests/e2e/conftest.py's marks)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make ``xdist_group`` work again. With ``--dist loadgroup`` an xdist worker appends
    ``@group`` to each grouped test's node id, and the scheduler sends the tests with one
    suffix to one worker. pytest-xdist 3.8 does it by setting ``item._nodeid``, which
    pytest 9.2 no longer reads (the id is ``item._id``): without this hook every group was
    spread over both workers (module fixtures made twice, the timing tests side by side)."""
    if not getattr(config.option, "loadgroup", False):  # set on xdist workers only
        return
    for item in items:
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        suffix = "@" + "_".join(sorted(names))
        if names and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)


# -- databases ------------------------------------------------------------------
@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    KeyStore.in_folder(folder).ensure()
    return folder / KEYS_FILE


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("TILLIT_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    binaries = find_postgres()
    if binaries is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs PostgreSQL: install Debian's postgresql package.")
        pytest.skip(
            "PostgreSQL binaries not found (apt-get install postgresql) and "
            "TILLIT_TEST_POSTGRES_URL is not set."
        )
    server = PostgresServer(binaries)  # one per xdist worker: its own port and folder
    server.start()
    try:
        yield server.url("postgres")
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_databases(postgres_admin_url: str) -> Iterator[Databases]:
    """The migrated template, built once per worker, and the tests' copies of it.
    Named per worker: with TILLIT_TEST_POSTGRES_URL the workers share one server."""
    template = "tillit_template_" + os.environ.get("PYTEST_XDIST_WORKER", "main")
    databases = Databases(postgres_admin_url, template)
    with databases.admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{template}"'))
        conn.execute(text(f'CREATE DATABASE "{template}"'))
    engine = make_engine(databases.url(template))
    upgrade(engine)
    engine.dispose()
    try:
        yield databases
    finally:
        databases.close()


DATABASES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The one switch of which database a test runs on: every test that uses
    ``database_url`` (``app``, ``client``, ...) runs on SQLite; a test marked
    ``both_databases`` (on the function or ``pytestmark`` of its module) runs on
    PostgreSQL too. Which tests are marked, and why: docs/testing.md."""
    if "database_url" not in metafunc.fixturenames:
        return
    if any("database_url" in str(m.args[0]) for m in metafunc.definition.iter_markers("parametrize")):
        return  # a test that names its databases itself (kept working; prefer the marker)
    both = metafunc.definition.get_closest_marker("both_databases") is not None
    metafunc.parametrize("database_url", DATABASES if both else DATABASES[:1], indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with the migrated schema (which engine: pytest_generate_tests)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "tillit.db"
        shutil.copy(template, target)
        yield f"sqlite:///{target}"
        return
    databases: Databases = request.getfixturevalue("postgres_databases")
    name = databases.create()
    try:
        yield databases.url(name)
    finally:
        databases.drop(name)


# -- the app --------------------------------------------------------------------
@pytest.fixture
def app_settings(tmp_path: Path, database_url: str, signing_keys: Path) -> dict[str, Any]:
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copy(signing_keys, instance / KEYS_FILE)
    return {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "ISSUER": "http://tillit.test",
        "TESTING": True,
    }


@pytest.fixture
def app(app_settings: dict[str, Any]) -> Iterator[Flask]:
    with running_app(app_settings) as app:
        yield app


@contextmanager
def running_app(app_settings: dict[str, Any], *, agencies: bool = True) -> Iterator[Flask]:
    """The test app with the test agencies (those its database lacks; none with
    ``agencies=False``), closed after use (``app``; the module-wide apps too)."""
    app = create_app(app_settings)
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        service = AgencyService(session, ext.scheme)
        for orgnr, (country, name, clearance) in AGENCIES.items() if agencies else ():
            if session.get(Agency, orgnr) is not None:
                continue  # a copy of the demo template has them already
            service.create(
                system_identity(ext.scheme),
                {"orgnr": orgnr, "country": country, "name": name, "clearance": clearance},
            )
    yield app
    if ext.engine.dialect.name == "postgresql":
        # Connections a test left unreferenced go back to the pool now, while their
        # database still exists, instead of being finalised at a random later moment
        # (the database is dropped next, which would break them mid-finalisation).
        gc.collect()
    ext.close()


# -- the demo catalogue, loaded once per run -------------------------------------------
# Loading the demo takes 20-60 s (every entry goes through the services and the review
# workflow, each change one commit). It is loaded once per run into a
# template (a SQLite file and an instance folder with its search index), shared by the
# xdist workers under a file lock, and each test or module that needs it gets a copy
# (copy_demo: a file copy, well under a second).
DEMO_DATABASE = "tillit.db"


def _demo_template(
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    signing_keys: Path,
    *,
    test_agencies: bool,
) -> Path:
    # Under xdist every worker has its own base folder; their parent is the run's.
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / ("demo-on-test-agencies" if test_agencies else "demo")
    with open(f"{folder}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one worker loads, the others wait for it
        if not (folder / "complete").exists():
            shutil.rmtree(folder, ignore_errors=True)  # a load that failed half-way
            (folder / "instance").mkdir(parents=True)
            shutil.copy(signing_keys, folder / "instance" / KEYS_FILE)
            shutil.copy(sqlite_template, folder / DEMO_DATABASE)
            settings = {
                "INSTANCE_PATH": str(folder / "instance"),
                "DATABASE_URL": f"sqlite:///{folder / DEMO_DATABASE}",
                "ISSUER": "http://tillit.test",  # not stored: each copy serves its own
                "TESTING": True,
            }
            with running_app(settings, agencies=test_agencies) as app:
                ext = app.extensions["tillit"]
                with ext.sessions() as session:
                    # Indexed in one drain of the outbox at the end, not one index commit
                    # per change (two thirds of the load's time): the same documents.
                    # Indexing as each entry is written is the write tests' subject.
                    load_demo(session, ext.scheme)
                ext.indexer.drain()
            (folder / "complete").touch()
    return folder


@pytest.fixture(scope="session")
def demo_template(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, signing_keys: Path
) -> Path:
    """The demo catalogue alone, indexed, as ``tillit demo`` loads it (copy with copy_demo)."""
    return _demo_template(tmp_path_factory, sqlite_template, signing_keys, test_agencies=False)


@pytest.fixture(scope="session")
def demo_on_test_agencies(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, signing_keys: Path
) -> Path:
    """The demo catalogue loaded into an app with the test agencies (``app`` + load_demo)."""
    return _demo_template(tmp_path_factory, sqlite_template, signing_keys, test_agencies=True)


def copy_demo(template: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """A writable copy of a demo template at the SQLite file and instance folder that
    ``settings`` name (before their app starts); the instance keeps its own signing keys."""
    database = make_url(settings["DATABASE_URL"])
    assert database.get_backend_name() == "sqlite" and database.database, "the demo template is SQLite"
    for suffix in ("", "-wal"):
        source = template / (DEMO_DATABASE + suffix)
        if source.exists():
            shutil.copy(source, database.database + suffix)
    shutil.copytree(
        template / "instance",
        settings["INSTANCE_PATH"],
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(KEYS_FILE),
    )
    return settings


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


TokenFor = Callable[..., dict[str, str]]


@pytest.fixture
def token_for(app: Flask, client: FlaskClient) -> TokenFor:
    """``token_for("internal", agency=..., extra=("catalogue:write",))`` → auth headers.

    A real client is registered and a real token fetched from /oauth/token. A scope
    only people may hold (``catalogue:review``) makes it a person's token instead: a
    new person of the agency with the matching roles signs in through an app
    (authorization_code with PKCE), so each distinct call is a distinct person.
    """
    cache: dict[tuple[Any, ...], dict[str, str]] = {}

    def make(
        level: str | None = "public", agency: str = SKATTEVERKET, extra: tuple[str, ...] = ()
    ) -> dict[str, str]:
        key = (level, agency, extra)
        if key not in cache:
            scopes = ([f"catalogue:read:{level}"] if level else []) + list(extra)
            if PERSON_SCOPES & set(extra):
                token = person_token(app, agency=agency, clearance=level, scopes=scopes)
            else:
                client_id, secret = register_client(app, agency, scopes)
                token = fetch_token(client, client_id, secret)
            cache[key] = {"Authorization": f"Bearer {token}"}
        return cache[key]

    return make


def register_client(app: Flask, agency: str, scopes: list[str]) -> tuple[str, str]:
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        issued = ClientService(session, ext.scheme).create(
            system_identity(ext.scheme), agency=agency, name="test client", scopes=scopes
        )
        return issued.client.client_id, issued.secret


def fetch_token(client: FlaskClient, client_id: str, secret: str, scope: str | None = None) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    response = client.post("/oauth/token", data=data, headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200, response.json
    return str(response.json["access_token"])
