from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kolokol.config import Settings, load_settings
from kolokol.errors import ConfigError

DOCS = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def test_layers_file_then_environment_then_flags(tmp_path):
    conf = tmp_path / "config.toml"
    conf.write_text('database_url = "sqlite:///from-file.db"\nmax_file_bytes = 100\n')
    env = {"KOLOKOL_CONFIG": str(conf), "KOLOKOL_MAX_FILE_BYTES": "200"}
    s = load_settings(environ=env)
    assert s.database_url == "sqlite:///from-file.db"
    assert s.max_file_bytes == 200
    s = load_settings({"database_url": "sqlite:///flag.db"}, environ=env)
    assert s.database_url == "sqlite:///flag.db"


def test_database_url_from_environment():
    s = load_settings(environ={"KOLOKOL_DATABASE_URL": "postgresql://u@h/db"})
    assert s.database_url == "postgresql://u@h/db"
    assert load_settings(environ={}).database_url == "sqlite:///kolokol.db"


def test_bad_values_and_unknown_settings_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="max_file_bytes"):
        load_settings(environ={"KOLOKOL_MAX_FILE_BYTES": "lots"})
    conf = tmp_path / "c.toml"
    conf.write_text("colour = 'red'\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings(environ={"KOLOKOL_CONFIG": str(conf)})
    assert load_settings(environ={"KOLOKOL_FETCH_ALLOW_PRIVATE": "yes"}).fetch_allow_private is True


def test_every_setting_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for field in dataclasses.fields(Settings):
        assert f"`{field.name}`" in text, field.name
