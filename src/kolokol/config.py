"""Layered settings: package defaults < user file < environment < command-line flags.

The user file is TOML, at `$KOLOKOL_CONFIG` or `~/.config/kolokol/config.toml`. Each setting
below may be given there by its name, or in the environment as `KOLOKOL_<NAME>` (upper case).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from kolokol.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///kolokol.db"


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting Kolokol reads. Documented in docs/configuration.md (a test keeps them in step)."""

    database_url: str = DEFAULT_DATABASE_URL
    max_file_bytes: int = 20 * 1024 * 1024
    fetch_timeout: float = 20.0
    fetch_max_redirects: int = 5
    fetch_allow_private: bool = False
    fetch_allow_networks: str | None = None  # "10.8.0.0/16, 127.0.0.1": private addresses that may be fetched
    user_agent: str = "Kolokol/0.1 (+human-rights research; polite crawler)"
    copy_threshold: float = 0.7
    engine: str = "rules"
    llm_url: str | None = None
    llm_model: str | None = None
    extract_on_ingest: bool = True
    map_tile_url: str | None = None  # e.g. http://127.0.0.1:8080/{z}/{x}/{y}.png: the map uses tiles
    key_file: str | None = None  # docs/encryption.md; a passphrase is read from KOLOKOL_PASSPHRASE only
    encryption: bool = True


def _coerce(name: str, value: Any, default: Any) -> Any:
    if value is None:
        return None
    target = type(default) if default is not None else str
    try:
        if target is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
        return target(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r} has an invalid value {value!r}",
                          hint=f"expected {target.__name__}") from exc


def user_config_path() -> Path:
    env = os.environ.get("KOLOKOL_CONFIG")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "kolokol" / "config.toml"


def load_settings(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    settings = Settings()
    names = {f.name: f for f in fields(Settings)}
    layers: list[dict[str, Any]] = []
    path = user_config_path() if environ is None else Path(env.get("KOLOKOL_CONFIG", "/nonexistent"))
    if path.is_file():
        try:
            layers.append(tomllib.loads(path.read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    layers.append({n: env[f"KOLOKOL_{n.upper()}"] for n in names if f"KOLOKOL_{n.upper()}" in env})
    layers.append({k: v for k, v in (overrides or {}).items() if v is not None})
    for layer in layers:
        unknown = set(layer) - set(names)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        values = {k: _coerce(k, v, getattr(Settings(), k)) for k, v in layer.items()}
        settings = replace(settings, **values)
    return settings
