"""The analysts' app end to end in Debian's Chromium over the demo database: the review queue by
keyboard, an edit with its history and a revert, search with facets and full text in card, table and
map views, the evidence highlight, the map, the timeline, the actor network, the alerts page (an
admin edits a rule), the Russian interface; a screenshot of each main page in test-artifacts/, and
no request ever leaves the server's origin (nor any console error, CSP violations included).

Skipped with a visible reason when /usr/bin/chromium or the playwright package is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select

from kolokol.security.roles import Role
from kolokol.store import models
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
    return make_user(demo_db, Role.ANALYST)


@pytest.fixture(scope="module")
def admin(demo_db: Database) -> TestAccount:
    return make_user(demo_db, Role.ADMIN)


@pytest.fixture(scope="module")
def server(demo_db: Database) -> Iterator[str]:
    with live_server(demo_db) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@contextmanager
def session(browser: Any, server: str, account: TestAccount, db: Database) -> Iterator[Any]:
    """A signed-in page; on leaving, no request may have left the origin and no error been logged."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        login_browser(page, server, account, db=db)
        yield page
    finally:
        context.close()
    assert requests, "no request recorded"
    outside = [u for u in requests if not u.startswith(server + "/")]
    assert outside == [], f"requests left the origin: {outside}"
    assert errors == [], errors


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


def status_of(db: Database, incident_id: int) -> str:
    with db.session() as s:
        return str(s.scalar(select(models.Incident.review_status).where(models.Incident.id == incident_id)))


def test_review_queue_by_keyboard(browser: Any, server: str, demo_db: Database, analyst: TestAccount) -> None:
    with session(browser, server, analyst, demo_db) as page:
        page.goto(server + "/review")
        items = page.locator("li.queue-item")
        assert items.count() >= 5
        ids = [items.nth(i).get_attribute("data-id") for i in range(4)]
        assert page.locator("li.queue-item.selected").get_attribute("data-id") == ids[0]
        page.keyboard.press("j")
        page.keyboard.press("j")
        assert page.locator("li.queue-item.selected").get_attribute("data-id") == ids[2]
        page.keyboard.press("k")
        assert page.locator("li.queue-item.selected").get_attribute("data-id") == ids[1]
        shot(page, "review")
        page.keyboard.press("a")  # accept #2 through the JSON API; the selection moves on
        page.wait_for_selector(f"li.queue-item.done[data-id='{ids[1]}']")
        assert page.locator("li.queue-item.selected").get_attribute("data-id") == ids[2]
        page.keyboard.press("r")
        page.wait_for_selector(f"li.queue-item.done[data-id='{ids[2]}']")
        assert status_of(demo_db, int(ids[1])) == "accepted" and status_of(demo_db, int(ids[2])) == "rejected"
        page.keyboard.press("?")
        assert page.locator("dialog#keys-help").is_visible()
        shot(page, "review-help")
        page.keyboard.press("Escape")
        assert not page.locator("dialog#keys-help").is_visible()
        page.keyboard.press("m")  # merge: the number field of the selected incident takes the focus
        assert page.evaluate("document.activeElement.name") == "other"
        page.keyboard.press("Escape")
        page.evaluate("document.activeElement.blur()")
        with page.expect_navigation():
            page.keyboard.press("e")
        assert page.url.endswith(f"/incidents/{ids[3]}/edit")
        page.goto(server + "/review")
        assert ids[1] not in [page.locator("li.queue-item").nth(i).get_attribute("data-id")
                              for i in range(page.locator("li.queue-item").count())]


def test_edit_with_history_and_revert(browser: Any, server: str, demo_db: Database, analyst: TestAccount) -> None:
    with demo_db.session() as s:
        iid = s.scalar(select(models.Incident.id).where(models.Incident.country == "TR").order_by(models.Incident.id))
    with session(browser, server, analyst, demo_db) as page:
        page.goto(f"{server}/incidents/{iid}/edit")
        page.fill("input[name=outcome]", "released without charge after two days")
        page.fill("input[name=country]", "DE")
        shot(page, "edit")
        with page.expect_navigation():
            page.click("form.edit button[type=submit]")
        assert page.url.endswith(f"/incidents/{iid}")
        human = page.locator(".value.human")
        assert "released without charge after two days" in " ".join(human.all_inner_texts())
        assert page.locator("dl.summary").inner_text().count("DE") >= 1
        page.click("a[href$='/history']")
        page.wait_for_url(f"**/incidents/{iid}/history")
        row = page.locator("table.history tbody tr").first
        assert "edit" in row.inner_text() and analyst.username in row.inner_text()
        shot(page, "history")
        country = page.locator(".change[data-field=country] form button")
        with page.expect_navigation():
            country.click()
        assert page.locator(".change.reverted[data-field=country]").count() == 1
        assert page.locator("table.history tbody tr").first.get_attribute("data-action") == "revert"
        page.goto(f"{server}/incidents/{iid}")
        assert "TR" in page.locator("dl.summary").inner_text()


def test_search_facets_and_full_text(browser: Any, server: str, demo_db: Database, analyst: TestAccount) -> None:
    with session(browser, server, analyst, demo_db) as page:
        page.goto(server + "/incidents")
        total = int(page.locator("p.total strong").inner_text())
        with page.expect_navigation():
            page.click("section[data-facet=nationality] a:text-is('RU')")
        assert "nationality=RU" in page.url
        with page.expect_navigation():
            page.click("section[data-facet=country] a:text-is('KG')")
        assert "nationality=RU" in page.url and "country=KG" in page.url
        narrowed = int(page.locator("p.total strong").inner_text())
        assert 0 < narrowed < total
        page.fill("form.filters input[name=q]", "Drozdov")
        with page.expect_navigation():
            page.click("form.filters button[type=submit]")
        assert "q=Drozdov" in page.url and "country=KG" in page.url
        assert 1 <= int(page.locator("p.total strong").inner_text()) < narrowed
        shot(page, "search")
        with page.expect_navigation():
            page.click("nav.views a:text-is('Cards')")
        assert "view=cards" in page.url and page.locator("article.incident-card").count() >= 1
        shot(page, "search-cards")
        with page.expect_navigation():
            page.click("nav.views a:text-is('Map')")
        assert "view=map" in page.url and page.locator("svg.map-svg circle.place").count() >= 1
        shot(page, "search-map")
        # the state is in the URL: a fresh page from the same address shows the same search
        url = page.url
        page.goto(server + "/")
        page.goto(url)
        assert page.locator("form.filters input[name=q]").input_value() == "Drozdov"
        with page.expect_navigation():
            page.click("nav.views a:text-is('Table')")
        with page.expect_navigation():
            page.locator("table.incidents tbody tr td:first-child a").first.click()
        marks = page.locator("details.mention[open] mark.ev")
        assert marks.count() >= 1
        page.click("button.field-focus[data-field=targets]")
        focused = page.locator("mark.ev.focus")
        assert focused.count() >= 1 and "Drozdov" in " ".join(focused.all_inner_texts())
        shot(page, "incident")


def test_map_timeline_and_network(browser: Any, server: str, demo_db: Database, analyst: TestAccount) -> None:
    with session(browser, server, analyst, demo_db) as page:
        page.goto(server + "/map")
        assert page.locator("svg.map-svg path.land").count() > 150  # country outlines from world-atlas
        assert page.locator("svg.map-svg path.land[data-country=KG].level-0").count() == 0  # shaded
        bishkek = page.locator("svg.map-svg circle.place[data-place='kolokol:bishkek']")
        assert bishkek.count() == 1
        shot(page, "map")
        with page.expect_navigation():
            bishkek.click()
        assert "place=kolokol%3Abishkek" in page.url or "place=kolokol:bishkek" in page.url
        assert int(page.locator("p.total strong").inner_text()) >= 3
        page.goto(server + "/timeline")
        assert page.locator("svg.timeline-svg rect.bar").count() >= 5
        shot(page, "timeline")
        page.goto(server + "/network")
        assert page.locator("svg.network-svg circle.node").count() >= 5
        shot(page, "network")
        with page.expect_navigation():
            page.locator("table.network-table a").first.click()
        assert "/actors/" in page.url and page.locator("table.history tbody tr").count() >= 1
        shot(page, "actor")


def test_alerts_page_and_rules(browser: Any, server: str, demo_db: Database, admin: TestAccount) -> None:
    with session(browser, server, admin, demo_db) as page:
        page.goto(server + "/")
        assert page.locator(".alerts-box li.alert").count() >= 1  # the dashboard shows them
        shot(page, "dashboard")
        page.goto(server + "/alerts")
        alerts = page.locator(".alerts-box li.alert")
        assert alerts.count() >= 1
        assert any("nationals of RU in KG" in t for t in alerts.all_inner_texts())  # the Bishkek surge
        shot(page, "alerts")
        form = page.locator("tr[data-rule] form.rule").first
        form.locator("input[name=min_count]").fill("4")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert page.locator("tr[data-rule] form.rule").first.locator("input[name=min_count]").input_value() == "4"
        with page.expect_navigation():
            page.locator("a[href^='/incidents?country=KG']").first.click()
        assert "nationality=RU" in page.url and int(page.locator("p.total strong").inner_text()) >= 3


def test_russian_interface(browser: Any, server: str, demo_db: Database, analyst: TestAccount) -> None:
    with session(browser, server, analyst, demo_db) as page:
        page.goto(server + "/incidents?q=Lozhkin")
        with page.expect_navigation():
            page.click("form.language button[value=ru]")
        assert page.url.endswith("/incidents?q=Lozhkin")  # back to the same search
        assert page.locator("html").get_attribute("lang") == "ru"
        assert page.locator("h1").inner_text() == "Инциденты"
        page.goto(server + "/")
        assert page.locator("h1").inner_text() == "Обзор"
        shot(page, "dashboard-ru")
        with page.expect_navigation():
            page.click("form.language button[value=en]")
        assert page.locator("h1").inner_text() == "Dashboard"
