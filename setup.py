"""Build hook only (metadata lives in pyproject.toml): copy the pinned npm assets of the web app
(scripts/vendor_assets.py) into the package, so a wheel or `pip install .` ships the offline map.
Without npm the build goes on and the map page says how to add its base layer."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithAssets(build_py):
    def run(self) -> None:
        super().run()
        script = ROOT / "scripts" / "vendor_assets.py"
        if not script.is_file():
            return
        spec = importlib.util.spec_from_file_location("kolokol_vendor_assets", script)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        dest = Path(self.build_lib) / "kolokol" / "web" / "static" / "vendor"
        try:
            module.vendor(dest, root=ROOT)
        except Exception as exc:  # a build without npm still yields a working app, minus the base map
            print(f"warning: web assets not vendored ({exc}); the map has no country outlines", file=sys.stderr)


setup(cmdclass={"build_py": BuildWithAssets})
