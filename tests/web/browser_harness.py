"""What the Chromium tests share: Debian's browser (skipped with a visible reason when it or the
playwright package is missing; never downloaded), the flags it runs with, a real uvicorn server on
loopback over a database, and where screenshots go."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from kolokol.store.db import Database

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


def playwright_or_skip() -> Any:
    """playwright.sync_api, or skip the calling test module (call at module level)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium): apt-get install chromium",
                    allow_module_level=True)
    return pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed "
                               "(pip install playwright; no browser download needed)")


@contextmanager
def demo_database(folder: Path) -> Iterator[Database]:
    """The database `kolokol demo` builds (the bundled example reports, extracted and merged) in `folder`."""
    from kolokol.config import load_settings
    from kolokol.demo import build_demo_database
    from kolokol.store.db import open_database

    db = open_database(build_demo_database(folder / "demo.db", load_settings({})))
    try:
        yield db
    finally:
        db.close()


@contextmanager
def live_server(db: Database) -> Iterator[str]:
    """The web app over `db` in a uvicorn thread on a free loopback port; yields its base URL."""
    import uvicorn

    from kolokol.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port, access_log=False,
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
