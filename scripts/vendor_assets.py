#!/usr/bin/env python3
"""Copy the web app's browser assets from pinned npm packages into the Python package.

The packages and their versions are pinned in package.json and package-lock.json (installed with
`npm ci`); the files below are copied into src/kolokol/web/static/vendor/ (or another directory),
which is git-ignored: the assets are never committed and never loaded from a CDN. Run by
scripts/setup and by the package build (setup.py), so an editable install, a wheel and a plain
`pip install .` all ship them. Standard library only: it runs before Kolokol's dependencies exist.

    python scripts/vendor_assets.py [DEST]     # default DEST: src/kolokol/web/static/vendor
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = ROOT / "src" / "kolokol" / "web" / "static" / "vendor"

# npm file (under node_modules/) -> file under the vendor directory
ASSETS = {
    "world-atlas/countries-110m.json": "world-atlas/countries-110m.json",  # Natural Earth country outlines
    "world-atlas/LICENSE": "world-atlas/LICENSE",
    "leaflet/dist/leaflet.js": "leaflet/leaflet.js",  # only when a tile server is configured
    "leaflet/dist/leaflet.css": "leaflet/leaflet.css",
    "leaflet/dist/images/layers.png": "leaflet/images/layers.png",
    "leaflet/dist/images/layers-2x.png": "leaflet/images/layers-2x.png",
    "leaflet/dist/images/marker-icon.png": "leaflet/images/marker-icon.png",
    "leaflet/dist/images/marker-icon-2x.png": "leaflet/images/marker-icon-2x.png",
    "leaflet/dist/images/marker-shadow.png": "leaflet/images/marker-shadow.png",
    "leaflet/LICENSE": "leaflet/LICENSE",
}


def npm_install(root: Path = ROOT) -> None:
    """`npm ci` from the lock file (no install scripts run)."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed: apt-get install npm (or nodejs), then run this again")
    subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], cwd=root,
                   check=True)


def vendor(dest: Path = DEFAULT_DEST, *, root: Path = ROOT, install: bool = True) -> list[Path]:
    """Copy every asset into `dest` (running `npm ci` first when one is missing); returns the files."""
    modules = root / "node_modules"
    if install and not all((modules / src).is_file() for src in ASSETS):
        npm_install(root)
    missing = [src for src in ASSETS if not (modules / src).is_file()]
    if missing:
        raise RuntimeError(f"missing npm files: {', '.join(missing)} (run npm ci in {root})")
    written = []
    for src, target in ASSETS.items():
        out = dest / target
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(modules / src, out)
        written.append(out)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DEST
    try:
        files = vendor(target)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"vendor_assets: {exc}", file=sys.stderr)
        sys.exit(1)
    print(f"vendor_assets: {len(files)} file(s) in {target}")
