"""A real server on 127.0.0.1 (a free port, so xdist workers do not collide) and a
real browser (Debian's chromium via Playwright). On SQLite only, as every test not
marked both_databases: the HTTP paths are the same on PostgreSQL.

What a browser test costs is its set-up, so it is shared (docs/testing.md): the server's
database is a copy of the demo template (loaded once per run, ``demo_on_test_agencies``),
and one chromium serves a whole module, each test in contexts of its own (closed after
it). Each module is an xdist group of its own: its tests run one after another on one
worker, so the module's browser (and ``module_app``) starts once.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from security.keys import KEYS_FILE
from tests.conftest import copy_demo, running_app

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM = os.environ.get("TILLIT_CHROMIUM", "/usr/bin/chromium")
# As the machine's probe starts it: no sandbox as root, nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each browser module is an xdist group (unless it names one): one browser per module."""
    for item in items:
        if item.nodeid.startswith("tests/e2e/") and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


@pytest.fixture
def app_settings(app_settings: dict[str, Any], demo_on_test_agencies: Path) -> dict[str, Any]:
    """Every browser test's app holds the demo catalogue (a copy: the test may write)."""
    return copy_demo(demo_on_test_agencies, app_settings)


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    yield from _serve(app)


def _serve(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def module_app(
    tmp_path_factory: pytest.TempPathFactory, demo_on_test_agencies: Path, signing_keys: Path
) -> Iterator[Any]:
    """One app (SQLite, the test agencies, the demo catalogue) for a whole module of
    browser tests whose steps build on each other."""
    folder = tmp_path_factory.mktemp("e2e-module")
    (folder / "instance").mkdir()
    shutil.copy(signing_keys, folder / "instance" / KEYS_FILE)
    settings = {
        "INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": f"sqlite:///{folder / 'tillit.db'}",
        "ISSUER": "http://tillit.test",
        "TESTING": True,
    }
    with running_app(copy_demo(demo_on_test_agencies, settings)) as app:
        yield app


@pytest.fixture(scope="module")
def module_server(module_app: Any) -> Iterator[str]:
    """``live_server`` for ``module_app``."""
    yield from _serve(module_app)


@pytest.fixture(scope="module")
def module_browser() -> Iterator[Any]:
    """One chromium for a whole module (each person gets a context of their own).
    Not per session: while Playwright's sync API is open its event loop counts as
    running, which other tests on the same worker must not see."""
    yield from _launch()


@pytest.fixture
def browser(module_browser: Any) -> Iterator[Any]:
    """The module's chromium; what a test opens in it (``new_page``/``new_context``: each a
    context of its own, own cookies) is closed after the test."""
    yield module_browser
    for context in module_browser.contexts:
        context.close()


def _launch() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs playwright (pip install -e '.[test]').")
        pytest.skip("playwright is not installed")
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs Debian's chromium at {CHROMIUM} (apt-get install chromium).")
        pytest.skip(f"No chromium at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class AxeCheck:
    """axe-core (bundled with axe-playwright-python) run in the page: every rule axe has
    (WCAG 2.0/2.1 A and AA, and its best practices), zero violations."""

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self._axe = Axe()

    def violations(self, page: Any) -> list[dict[str, Any]]:
        results = self._axe.run(page)
        return list(results.response["violations"])

    def assert_clean(self, page: Any) -> None:
        found = self.violations(page)
        summary = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in found
        ]
        assert not found, f"axe on {page.url}: " + json.dumps(summary, ensure_ascii=False, indent=1)


@pytest.fixture(scope="session")
def axe() -> AxeCheck:
    return AxeCheck()


def save_screenshot(page: Any, name: str) -> Path:
    """The whole page as docs/screenshots/<name>.png (the README shows them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    return save_screenshot
