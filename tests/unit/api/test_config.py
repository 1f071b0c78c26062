"""``api.config.load_settings``: defaults, then ``TILLIT_*`` variables, then the
caller's overrides; the settings derived from others; the values refused at start.
(How long entry heads are kept: tests/unit/catalogue/test_heads.py.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from api.config import DEFAULTS, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("TILLIT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TILLIT_INSTANCE_PATH", str(tmp_path / "instance"))


def test_every_default_is_there_when_nothing_is_set(tmp_path):
    settings = load_settings()
    for name, default in DEFAULTS.items():
        if name not in ("INSTANCE_PATH", "DATABASE_URL", "AUDIENCE", "HEAD_CACHE_SECONDS"):
            assert settings[name] == default, name


def test_the_database_is_a_sqlite_file_in_the_instance_folder(tmp_path):
    settings = load_settings()
    instance = (tmp_path / "instance").resolve()
    assert settings["INSTANCE_PATH"] == str(instance)
    assert settings["DATABASE_URL"] == f"sqlite:///{instance / 'tillit.db'}"


def test_a_relative_instance_path_is_made_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TILLIT_INSTANCE_PATH", "here")
    assert load_settings()["INSTANCE_PATH"] == str((tmp_path / "here").resolve())


def test_environment_variables_are_parsed_as_json_and_overrides_win(monkeypatch):
    monkeypatch.setenv("TILLIT_MAX_PER_PAGE", "25")
    monkeypatch.setenv("TILLIT_RATE_LIMIT_TOKEN", "5/minute")  # not JSON: kept as the string
    monkeypatch.setenv("TILLIT_SMTP_STARTTLS", "true")
    settings = load_settings()
    assert (settings["MAX_PER_PAGE"], settings["RATE_LIMIT_TOKEN"]) == (25, "5/minute")
    assert settings["SMTP_STARTTLS"] is True
    assert load_settings({"MAX_PER_PAGE": 7})["MAX_PER_PAGE"] == 7


def test_the_audience_follows_the_issuer_unless_set(monkeypatch):
    monkeypatch.setenv("TILLIT_ISSUER", "https://tillit.example/")
    assert load_settings()["AUDIENCE"] == "https://tillit.example/api/v1"
    monkeypatch.setenv("TILLIT_AUDIENCE", "https://api.example")
    assert load_settings()["AUDIENCE"] == "https://api.example"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"AUDIT_WRITER": "cron"}, "TILLIT_AUDIT_WRITER"),
        ({"HEAD_CACHE_SECONDS": 3601}, "between 0 and 3600"),
        ({"ACCESS_TOKEN_LIFETIME": 0}, "TILLIT_ACCESS_TOKEN_LIFETIME"),
        ({"ACCESS_TOKEN_LIFETIME": 301}, "TILLIT_ACCESS_TOKEN_LIFETIME"),
    ],
)
def test_a_value_out_of_bounds_stops_the_start(overrides, message):
    with pytest.raises(ValueError, match=message):
        load_settings(overrides)


def test_the_bounds_themselves_are_accepted():
    settings = load_settings(
        {"HEAD_CACHE_SECONDS": 3600, "ACCESS_TOKEN_LIFETIME": 300, "AUDIT_WRITER": "process"}
    )
    assert (settings["HEAD_CACHE_SECONDS"], settings["ACCESS_TOKEN_LIFETIME"]) == (3600.0, 300)
