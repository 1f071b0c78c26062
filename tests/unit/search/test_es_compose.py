"""docker-compose.yml and the Dockerfile cannot be run here (no container
engine); this checks that they say what the deployment needs."""

from __future__ import annotations

import re
from pathlib import Path

import elasticsearch
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_services_and_healthchecks(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"tillit", "postgres", "elasticsearch"}
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
    assert services["tillit"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "elasticsearch": {"condition": "service_healthy"},
    }


def test_tillit_is_built_here_and_pointed_at_both_servers(compose: dict) -> None:
    tillit = compose["services"]["tillit"]
    assert tillit["build"] == "."
    env = tillit["environment"]
    assert env["TILLIT_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in env["TILLIT_DATABASE_URL"]
    assert env["TILLIT_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
    assert "/readyz" in " ".join(tillit["healthcheck"]["test"])


def test_postgres_16(compose: dict) -> None:
    assert compose["services"]["postgres"]["image"] == "postgres:16"


def test_elasticsearch_single_node_matching_the_client_major(compose: dict) -> None:
    es = compose["services"]["elasticsearch"]
    match = re.fullmatch(
        r"docker\.elastic\.co/elasticsearch/elasticsearch:\$\{ELASTICSEARCH_VERSION:-(\d+)\.\d+\.\d+\}",
        es["image"],
    )
    assert match, es["image"]
    assert int(match.group(1)) == elasticsearch.__version__[0] == 9
    env = es["environment"]
    assert env["discovery.type"] == "single-node"
    assert env["xpack.security.enabled"] == "false"
    assert "wait_for_status=yellow" in " ".join(es["healthcheck"]["test"])
    # Local use only: ports bound to the loopback interface.
    assert all(port.startswith("127.0.0.1:") for port in es["ports"])


def test_dockerfile() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM python:3.11-slim" in text.splitlines()
    assert "RUN pip install ." in text
    assert re.search(r'CMD \["tillit", "serve", "--host", "0\.0\.0\.0"', text)
    assert "USER tillit" in text
