"""Browser assets come from pinned npm packages, copied by scripts/vendor_assets.py (scripts/setup and
the package build run it); nothing is committed and nothing comes from a CDN."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent.parent


def vendor_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vendor_assets", REPO / "scripts" / "vendor_assets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_npm_dependencies_are_pinned() -> None:
    package = json.loads((REPO / "package.json").read_text())
    lock = json.loads((REPO / "package-lock.json").read_text())
    for name, version in package["dependencies"].items():
        assert version[0].isdigit(), f"{name} {version}: pin an exact version"
        locked = lock["packages"][f"node_modules/{name}"]
        assert locked["version"] == version and locked["integrity"].startswith("sha512-")
    assert set(package["dependencies"]) >= {"world-atlas", "leaflet"}
    sources = {src.split("/")[0] for src in vendor_script().ASSETS}
    assert sources <= set(package["dependencies"])  # every copied file comes from a declared package


def test_vendor_copies_the_declared_files(tmp_path: Path) -> None:
    script = vendor_script()
    if not (REPO / "node_modules" / "world-atlas").is_dir():
        pytest.fail("node_modules missing: run scripts/setup (npm ci)")
    written = script.vendor(tmp_path, install=False)
    assert {p.relative_to(tmp_path).as_posix() for p in written} == set(script.ASSETS.values())
    topology = json.loads((tmp_path / "world-atlas" / "countries-110m.json").read_text())
    assert topology["type"] == "Topology" and len(topology["objects"]["countries"]["geometries"]) > 150


def test_vendor_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="missing npm files"):
        vendor_script().vendor(tmp_path / "out", root=tmp_path, install=False)


def test_assets_are_not_in_the_repository() -> None:
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert "node_modules/" in ignored and "src/kolokol/web/static/vendor/" in ignored
