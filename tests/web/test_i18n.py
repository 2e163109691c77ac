"""English and Russian interface: every message in the templates has a Russian translation, pages
render in the language of the cookie or of Accept-Language, the switcher is a POST that puts nothing
in a URL, and content (names, report text) stays as written."""

from __future__ import annotations

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
    import re

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
