"""End to end in Debian's Chromium: the pages work and make no request outside the server's origin.

Skipped with a visible reason when /usr/bin/chromium or the playwright package is missing (`.ci/run`
installs both). Never downloads a browser. Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kolokol.store.db import open_database

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (/usr/bin/chromium): apt-get install chromium",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed "
                               "(pip install playwright; no browser download needed)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    from kolokol.config import load_settings
    from kolokol.demo import build_demo_database
    from kolokol.search import reindex_incidents
    from kolokol.web.app import create_app

    url = build_demo_database(tmp_path_factory.mktemp("demo") / "demo.db", load_settings({}))
    db = open_database(url)
    reindex_incidents(db)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, access_log=False, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    db.close()


def test_pages_in_chromium_stay_on_the_origin(server: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    requests: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            page.goto(server + "/")
            assert page.locator("h1").inner_text() == "Dashboard"
            page.screenshot(path=str(ARTIFACTS / "web-dashboard.png"), full_page=True)

            # A facet from the search form: the select submits itself (our JS), state goes to the URL.
            page.goto(server + "/incidents")
            with page.expect_navigation():
                page.select_option("form.filters select[name=type]", "detention")
            assert "type=detention" in page.url
            page.fill("form.filters input[name=q]", "Lozhkin")
            with page.expect_navigation():
                page.click("form.filters button[type=submit]")
            assert "q=Lozhkin" in page.url and "type=detention" in page.url
            rows = page.locator("table.incidents tbody tr td:first-child a")
            assert rows.count() >= 1
            page.screenshot(path=str(ARTIFACTS / "web-search.png"), full_page=True)

            with page.expect_navigation():
                rows.first.click()
            assert "/incidents/" in page.url
            marks = page.locator("details.mention[open] mark.ev")
            assert marks.count() >= 1
            page.click("button.field-focus[data-field=targets]")
            focused = page.locator("mark.ev.focus")
            assert focused.count() >= 1 and "Lozhkin" in " ".join(focused.all_inner_texts())
            page.screenshot(path=str(ARTIFACTS / "web-incident.png"), full_page=True)

            page.click("a[href^='/reports/']")
            page.wait_for_load_state()
            assert page.locator(".report-text mark.ev").count() >= 1
            page.screenshot(path=str(ARTIFACTS / "web-report.png"), full_page=True)
        finally:
            browser.close()
    assert requests, "no request recorded"
    outside = [u for u in requests if not u.startswith(server + "/")]
    assert outside == [], f"requests left the origin: {outside}"
    assert any(u.endswith("/static/kolokol.js") for u in requests)
    assert errors == [], errors  # includes CSP violations reported on the console
