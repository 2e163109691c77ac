"""English and Russian interface: every message in the templates has a Russian translation, pages
render in the language of the cookie or of Accept-Language, the switcher is a POST that puts nothing
in a URL, and content (names, report text) stays as written; the public pages too, without a word of
English chrome and without showing more than in English."""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kolokol.security.roles import Role
from kolokol.store.db import Database
from kolokol.web import i18n
from tests.web.auth_helpers import anonymous_client, form_token, signed_in_client

WEB = Path(i18n.__file__).parent


def template_messages() -> set[str | tuple[str, ...]]:
    method_map = [("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"trim_blocks": "True", "lstrip_blocks": "True"}}
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(WEB), method_map, options):
        found.add(message)
    return found


def test_every_template_message_has_a_russian_translation() -> None:
    with (i18n.LOCALES / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="ru")
    translated = {}
    for m in catalog:
        if m.id:
            key = m.id if isinstance(m.id, str) else tuple(m.id)
            translated[key] = m.string
    messages = template_messages()
    assert len(messages) > 150
    missing = [m for m in messages if not translated.get(m) or (isinstance(translated[m], tuple)
                                                               and not all(translated[m]))]
    assert missing == [], f"add Russian translations (see kolokol/web/i18n.py): {missing}"
    for key, value in translated.items():  # placeholders survive translation
        for src, dst in zip(key if isinstance(key, tuple) else (key,), value if isinstance(value, tuple)
                            else (value,), strict=False):
            assert sorted(_placeholders(src)) == sorted(_placeholders(dst)), key


def _placeholders(text: str) -> list[str]:
    return re.findall(r"%\(\w+\)s", text)


@pytest.mark.parametrize(("cookie", "accept", "expected"), [
    ("ru", None, "ru"), ("en", "ru", "en"), (None, "ru-RU,ru;q=0.9,en;q=0.8", "ru"), (None, "de, en;q=0.5", "en"),
    (None, "fr", "en"), ("xx", None, "en"), (None, "en;q=0.2, ru;q=0.8", "ru"), (None, "ru;q=0", "en")])
def test_language_choice(cookie: str | None, accept: str | None, expected: str) -> None:
    assert i18n.pick_language(cookie, accept) == expected


@pytest.fixture(scope="module")
def app(web_db: Database) -> FastAPI:
    from kolokol.web.app import create_app

    return create_app(web_db)


def test_russian_pages(app: FastAPI, web_db: Database) -> None:
    client = signed_in_client(app, web_db, Role.ANALYST)
    english = client.get("/").text
    assert '<html lang="en">' in english and "Dashboard" in english
    client.cookies.set(i18n.COOKIE, "ru")
    page = client.get("/")
    assert '<html lang="ru">' in page.text and "Обзор" in page.text and "Последние инциденты" in page.text
    assert "Latest incidents" not in page.text
    search = client.get("/incidents").text
    assert "Гражданство пострадавших" in search and "инцидента" in search  # 3 инцидента (Russian plural)
    assert "Давлат Назаров" in client.get("/api/incidents/3").text or "Назаров" in search  # content as written
    review = client.get("/review").text
    assert "Очередь проверки" in review and "Принять" in review
    for url in ("/timeline", "/map", "/network", "/alerts"):
        assert client.get(url).status_code == 200
    assert "Хронология инцидентов по типам" in client.get("/timeline").text
    client.cookies.delete(i18n.COOKIE)
    assert "Обзор" in client.get("/", headers={"Accept-Language": "ru,en;q=0.5"}).text


def test_language_switcher_is_a_post(app: FastAPI, web_db: Database) -> None:
    anonymous: TestClient = anonymous_client(app)
    page = anonymous.get("/login")
    assert 'action="/language"' in page.text  # before signing in too
    r = anonymous.post("/language", data={"lang": "ru", "next": "/login", "csrf_token": form_token(page.text)},
                       follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "kolokol-lang=ru" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
    assert '<html lang="ru">' in anonymous.get("/login").text
    client = signed_in_client(app, web_db, Role.VIEWER)
    page = client.get("/incidents?q=Rahmonzoda")
    assert 'name="next" value="/incidents?q=Rahmonzoda"' in page.text  # in the form body, not in a URL
    r = client.post("/language", data={"lang": "ru", "next": "/incidents?q=Rahmonzoda"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/incidents?q=Rahmonzoda"
    r = client.post("/language", data={"lang": "en", "next": "https://elsewhere.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/"  # never to another site
    assert anonymous.post("/language", data={"lang": "ru"}).status_code == 403  # CSRF token required


# --- the public pages --------------------------------------------------------------------------------

PUBLIC_TEMPLATES = ("public_base.html", "public_incident.html", "public_incidents.html", "public_macros.html")


def public_template_messages() -> set[str]:
    """The English messages of the public templates (singular forms of plurals included)."""
    method_map = [("**/templates/public_*.html", "jinja2")]
    options = {"**/templates/public_*.html": {"trim_blocks": "True", "lstrip_blocks": "True"}}
    found: set[str] = set()
    for file, _line, message, _comments, _context in extract_from_dir(str(WEB), method_map, options):
        assert Path(file).name in PUBLIC_TEMPLATES
        found.update([message] if isinstance(message, str) else message)
    return found


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture(scope="module")
def public_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    from kolokol.export.public import public_records
    from kolokol.store.db import open_database
    from kolokol.web.app import create_app
    from tests.export.public_data import Source, Story, build, group, person, publish

    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('public-i18n') / 'kolokol.db'}")
    story = Story(types=["detention", "ill_treatment"], date="2024-03-09", country="KZ", place="Almaty",
                  origin_country="TJ", outcome="released after three days", legal_basis=["Article 330"],
                  targets=[person("Rustam Sharipov", "TJ"), group("Таджикские мигранты", 3, "TJ"),
                           group("students of the college", 12, "TJ")],
                  perpetrators=[{"name": "police", "country": "KZ"}],
                  sources=[Source(outlet="Steppe Herald", url="https://steppeherald.example/2024/03/x",
                                  published="2024-03-12")])
    ids = build(db, [story])
    publish(db, ids)
    [record] = public_records(db)
    yield anonymous_client(create_app(db)), record["id"]
    db.close()


def test_public_pages_in_russian(public_site: tuple[TestClient, str]) -> None:
    client, pid = public_site
    urls = ("/public", f"/public/incidents/{pid}", "/public?type=closure")
    english = {url: client.get(url) for url in urls}
    russian = {url: client.get(url, headers={"Accept-Language": "ru-RU,ru;q=0.9"}) for url in urls}
    for url in urls:
        assert english[url].status_code == russian[url].status_code == 200
        assert '<html lang="en">' in english[url].text and '<html lang="ru">' in russian[url].text
    listing, detail, empty = (visible_text(russian[url].text) for url in urls)
    assert "Опубликованные инциденты" in listing and "1 опубликованный инцидент" in listing
    assert "жестокое обращение, задержание" in listing and "Отобрать" in listing
    assert "меньше 5 человек (TJ)" in listing and "12 человек (TJ)" in listing
    assert "Опубликованных инцидентов нет." in empty
    for label in ("Дата", "Где", "В интересах", "Пострадавшие", "Исполнители", "Правовое основание", "Итог",
                  "Независимые источники", "Источники", "Издание", "Сайт", "с точностью до месяца"):
        assert label in detail, label
    # content stays as written: places, bodies, outcomes, outlets, the pseudonyms of the record
    for content in ("Almaty", "police", "released after three days", "Article 330", "Steppe Herald", "Person A"):
        assert content in detail, content
    # no English chrome left: every message the English pages show is gone from the Russian ones
    messages = public_template_messages()
    for url in urls:
        shown_en, shown_ru = visible_text(english[url].text), visible_text(russian[url].text)
        left = [m for m in messages if len(m) > 2 and m in shown_en and m in shown_ru]
        assert left == [], (url, left)
    # nor any Latin word that is not content: what is left of the Russian pages is the record's own words
    record = json.dumps(client.get(f"/api/public/incidents/{pid}").json(), ensure_ascii=False)
    allowed = set(re.findall(r"[A-Za-z]+", record)) | {"Kolokol", "JSON", "Person", "A", "B", "KG"}
    for url in urls:
        latin = set(re.findall(r"[A-Za-z]+", visible_text(russian[url].text))) - allowed
        assert latin == set(), (url, latin)
    # the Russian pages hold no more than the English ones: protected names and group words never shown
    for url in urls:
        for hidden in ("Sharipov", "Шарипов", "Таджикские", "students of the college"):
            assert hidden not in russian[url].text
    client.cookies.set(i18n.COOKIE, "ru")
    assert '<html lang="ru">' in client.get("/public").text
    client.cookies.delete(i18n.COOKIE)
