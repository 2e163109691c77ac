"""End to end in Debian's Chromium: the pages work and make no request outside the server's origin.

Skipped with a visible reason when /usr/bin/chromium or the playwright package is missing (`.ci/run`
installs both). Never downloads a browser. Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kolokol.security.roles import Role
from kolokol.store.db import Database
from tests.web.auth_helpers import TestAccount, login_browser, make_user
from tests.web.browser_harness import ARGS, ARTIFACTS, CHROMIUM, demo_database, live_server, playwright_or_skip

sync_api = playwright_or_skip()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with demo_database(tmp_path_factory.mktemp("demo")) as db:
        yield db


@pytest.fixture(scope="module")
def analyst(demo_db: Database) -> TestAccount:
    """An analyst account (with TOTP) that the browser signs in as: demo incidents are restricted."""
    return make_user(demo_db, Role.ANALYST)


@pytest.fixture(scope="module")
def server(demo_db: Database) -> Iterator[str]:
    with live_server(demo_db) as url:
        yield url


def test_pages_in_chromium_stay_on_the_origin(server: str, demo_db: Database, analyst: TestAccount) -> None:
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

            login_browser(page, server, analyst, db=demo_db)  # password, then the TOTP code
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


def test_sign_in_and_out_in_chromium(server: str, demo_db: Database, analyst: TestAccount) -> None:
    """The real forms: a wrong password, the password and code steps, the account menu, sign out;
    the session cookie is HttpOnly and SameSite=Strict (not Secure: plain http on loopback)."""
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(server + "/reports/1")  # a page for analysts: off to the sign-in form
            assert "/login?next=%2Freports%2F1" in page.url
            page.fill("input[name=username]", analyst.username)
            page.fill("input[name=password]", "not the password at all")
            with page.expect_navigation():
                page.click("form.auth button[type=submit]")
            assert page.locator("p.error").count() == 1 and "/login" in page.url
            page.screenshot(path=str(ARTIFACTS / "web-login.png"), full_page=True)
            login_browser(page, server, analyst, db=demo_db)
            assert page.locator("header .account a[href='/account']").inner_text() == analyst.username
            [cookie] = [c for c in context.cookies() if c["name"] == "kolokol-session"]
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
            page.goto(server + "/reports/1")
            assert page.locator(".report-text").count() == 1
            with page.expect_navigation():
                page.click("header .account button")  # sign out (a POST form with its CSRF token)
            page.goto(server + "/reports/1")
            assert "/login" in page.url
        finally:
            browser.close()
    assert [e for e in errors if "401" not in e] == [], errors
