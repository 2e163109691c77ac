"""Cross-site scripting: report text, titles, outlets, URLs, names, analysts' edits, alert rules and
every query or form value are shown escaped on every page, to every role, and no stored URL becomes a
`javascript:` (or `data:`, `vbscript:`) link.

A database is filled with payloads through the real paths (a hostile report ingested and extracted,
stories stored as mentions, an analyst's edit through the edit form, an admin's alert rule through
its form); then every GET route is fetched with every id, anonymously and as an admin, and every
query parameter of every route is fed payloads. Each HTML response is parsed: scripts only from
/static, no event-handler attribute, no dangerous URL in href/src/action, no tag a payload brings,
no template expression evaluated.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from kolokol.config import load_settings
from kolokol.security.roles import Role
from kolokol.store import models
from kolokol.store.db import Database, open_database
from kolokol.web.access import app_routes
from kolokol.web.app import create_app
from tests.export.public_data import Source, Story, build, group, org, person, publish
from tests.web.auth_helpers import anonymous_client, form_token, signed_in_client

SCRIPT = '<script>alert("xss")</script>'
IMG = '"><img src=x onerror=alert(1)>'
SVG = "<svg/onload=alert(1)>"
TEXTAREA = "</textarea><script>alert(2)</script>"
TITLE = "</title><script>alert(3)</script>"
QUOTE = "' onfocus='alert(4)' autofocus='"
TEMPLATE = "{{7*'7'}} {% raw %}{{ config }}{% endraw %} ${7*7}"
IFRAME = "<iframe src=javascript:alert(5)>"
PAYLOADS = [SCRIPT, IMG, SVG, TEXTAREA, TITLE, QUOTE, TEMPLATE, IFRAME]
BAD_URLS = ["javascript:alert(document.cookie)", " JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
            "vbscript:msgbox(1)", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            'https://example.org/"><script>alert(6)</script>']
EVALUATED = ("7777777",)  # what {{7*'7'}} renders to if a template ever evaluates data
FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "img", "frame", "frameset", "applet"}  # charts: inline svg
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "data"}

REPORT = """---
source_id: "xss-1"
url: "javascript:alert('front matter')"
outlet: "<script>alert('outlet')</script> Daily"
title: "</title><script>alert('title')</script> Exiled blogger detained"
published: "2024-03-12"
lang: "en"
---
ISTANBUL -- Turkish police detained the exiled Tajik blogger Zafar Rahmonzoda <script>alert("body")</script> on
March 3, his lawyer said. "><img src=x onerror=alert(1)> He was questioned about his posts {{7*'7'}} and
</textarea><script>alert(2)</script> faces deportation to Tajikistan under Article 307 <svg/onload=alert(1)>.
"""


class Audit(HTMLParser):
    """Collects what an HTML page would run or load."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> tag")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                plain = re.sub(r"[\x00-\x20]+", "", html.unescape(value)).lower()
                if plain.startswith(("javascript:", "vbscript:", "data:")):
                    self.problems.append(f"{name}={value!r} on <{tag}>")
            if name == "style" and value and ("expression(" in value or "url(" in value):
                self.problems.append(f"style {value!r}")
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if not src.startswith("/static/"):
                self.problems.append(f"<script> not from /static: {attrs!r}")
            self.in_script = True
        if tag == "meta" and (dict(attrs).get("http-equiv") or "").lower() == "refresh":
            self.problems.append("meta refresh")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.problems.append(f"inline script {data[:60]!r}")
        for canary in EVALUATED:
            if canary in data:
                self.problems.append(f"template evaluated: {canary}")


def audit_page(text: str) -> list[str]:
    parser = Audit()
    parser.feed(text)
    parser.close()
    return parser.problems


@dataclass
class World:
    db: Database
    app: Any
    clients: dict[str, TestClient]
    ids: dict[str, list[str]] = field(default_factory=dict)  # path parameter -> values


def _stories() -> list[Story]:
    stories = []
    for n, payload in enumerate(PAYLOADS[:6]):
        url = f"https://example.org/{n}/{payload}"  # an http(s) URL may hold anything after the host
        stories.append(Story(
            types=["detention"], date=f"2024-0{n + 1}-05", country="TR", place=f"Istanbul {IFRAME}",
            targets=[person(f"Aziz {payload}", "TJ"), person(f"Figure{n} {SVG}", "TJ"), org(f"Fund {TEXTAREA}"),
                     group(f"migrants {SCRIPT}", 7, "UZ")],
            perpetrators=[{"name": f"police {TEMPLATE}", "country": "TR"}],
            legal_basis=[f"Article 1 {QUOTE}"], outcome=f"released {IMG}",
            sources=[Source(outlet=f"Outlet {payload}", url=url, published="2024-03-12",
                            title=f"{TITLE} {payload}", evidence=f"Police detained Aziz {payload} {SCRIPT}."),
                     Source(outlet=f"Second {SCRIPT}", url=BAD_URLS[-1], published="2024-03-13")]))
    return stories


def _hostile_edit(client: TestClient, incident_id: int) -> None:
    """An analyst types payloads into the edit form: once accepted, once refused (the form comes back)."""
    page = client.get(f"/incidents/{incident_id}/edit")
    assert page.status_code == 200, page.text[:300]
    token = form_token(page.text)
    values = {"csrf_token": token, "types": "detention", "date": "2024-03-05", "country": "TR",
              "place": f"Bursa {SCRIPT}", "origin_country": "TJ", "outcome": f"held {IMG} {TEMPLATE}",
              "targets": f"Malika {SVG} | TJ | person\nFund {TEXTAREA} | | organization",
              "perpetrators": f"GKNB {QUOTE} | KG", "legal_basis": f"Article 2 {IFRAME}"}
    r = client.post(f"/incidents/{incident_id}/edit", data=values, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    bad = {**values, "country": SCRIPT[:20], "date": IMG}
    r = client.post(f"/incidents/{incident_id}/edit", data=bad, follow_redirects=False)
    assert r.status_code == 400
    assert not audit_page(r.text), audit_page(r.text)
    assert "&lt;script&gt;" in r.text or "&lt;img" in r.text  # the typed values came back, escaped


def _hostile_rule(client: TestClient) -> None:
    page = client.get("/alerts")
    assert page.status_code == 200
    r = client.post("/alerts/rules", data={"csrf_token": form_token(page.text), "name": f"Rule {SCRIPT} {QUOTE}",
                                           "types": "detention", "target_nationality": "", "country": "",
                                           "min_count": "3", "window_days": "14", "rate_factor": "3",
                                           "baseline_days": "90", "enabled": "1"}, follow_redirects=False)
    assert r.status_code in (200, 303), r.text[:500]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from kolokol.export.public import public_id
    from kolokol.extract.store import store_extraction
    from kolokol.ingest import ingest_sources
    from kolokol.resolve.merge import merge_pending

    folder = tmp_path_factory.mktemp("xss")
    db = open_database(f"sqlite:///{folder / 'kolokol.db'}")
    report = folder / "hostile.md"
    report.write_text(REPORT, encoding="utf-8")
    summary = ingest_sources(db, [str(report)], load_settings({}), after_store=store_extraction, progress=False)
    assert summary.new, summary.failed
    merge_pending(db)
    ids = build(db, _stories())
    with db.session() as s:
        all_ids = list(s.scalars(select(models.Incident.id)))
    publish(db, all_ids)
    with db.session() as s:  # public figures are named on the public pages: give them payloads too
        for actor in s.scalars(select(models.Actor).where(models.Actor.kind == "person")):
            actor.public_figure = actor.public_figure or "Figure" in actor.name
    app = create_app(db)
    admin = signed_in_client(app, db, Role.ADMIN)
    _hostile_edit(admin, ids[0])
    _hostile_rule(admin)
    with db.session() as s:
        values = {
            "incident_id": [str(i) for i in all_ids] + [public_id(k) for k in s.scalars(select(models.Incident.key))],
            "report_id": [str(i) for i in s.scalars(select(models.Report.id))],
            "actor_id": [str(i) for i in s.scalars(select(models.Actor.id))],
        }
    yield World(db, app, {"anonymous": anonymous_client(app), "admin": admin}, values)
    db.close()


def _get_routes(app: Any) -> list[Any]:
    return [r for r in app_routes(app) if isinstance(getattr(r, "original_route", r), APIRoute) and "GET" in r.methods]


def _paths(world: World, route: Any) -> Iterator[str]:
    params = re.findall(r"\{([^}:]+)(?::[^}]*)?\}", route.path)
    if not params:
        yield route.path
        return
    name = params[0]
    for value in world.ids.get(name, ["1"]):
        path = re.sub(r"\{" + name + r"(?::[^}]*)?\}", value, route.path)
        yield re.sub(r"\{[^}]+\}", "1", path)


def _check(r: Any, label: str) -> list[str]:
    kind = r.headers.get("content-type", "")
    if r.headers.get("x-content-type-options") != "nosniff":
        return [f"{label}: no X-Content-Type-Options: nosniff"]
    if kind.startswith("text/html"):
        return [f"{label}: {p}" for p in audit_page(r.text)]
    if kind.startswith("application/json"):
        return []
    if r.status_code in (301, 302, 303, 307, 308):
        location = r.headers.get("location", "")
        plain = re.sub(r"[\x00-\x20]+", "", location).lower()
        return [f"{label}: redirect to {location!r}"] if plain.startswith(("javascript:", "data:", "//")) else []
    return [] if r.status_code in (204, 404) or kind.startswith("text/plain") else [f"{label}: content type {kind!r}"]


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_every_page_shows_stored_payloads_escaped(world: World, who: str) -> None:
    client = world.clients[who]
    problems: list[str] = []
    seen_escaped = False
    pages = 0
    for route in _get_routes(world.app):
        for path in _paths(world, route):
            r = client.get(path, follow_redirects=False)
            problems.extend(_check(r, f"{who} GET {path} ({r.status_code})"))
            if r.headers.get("content-type", "").startswith("text/html"):
                pages += 1
                # On public pages the payload's words are scrubbed as a name's, its brackets stay.
                seen_escaped = seen_escaped or "&lt;script&gt;" in r.text or "&lt;[name withheld]&gt;" in r.text
    assert pages > 5
    assert seen_escaped, "no page showed a stored payload at all: the test would prove nothing"
    assert problems == [], "\n".join(problems[:50])


def test_ingest_keeps_only_http_urls(tmp_path: Path) -> None:
    from kolokol.ingest import read_source

    for bad in BAD_URLS[:5]:
        report = tmp_path / "r.md"
        report.write_text(REPORT.replace("javascript:alert('front matter')", bad.replace('"', "'")), encoding="utf-8")
        [item] = list(read_source(str(report), load_settings({})))
        assert item.url is None and item.metadata.get("url_refused"), (bad, item.url)  # type: ignore[union-attr]
    report.write_text(REPORT.replace("javascript:alert('front matter')", "https://example.org/a"), encoding="utf-8")
    [item] = list(read_source(str(report), load_settings({})))
    assert item.url == "https://example.org/a"  # type: ignore[union-attr]


def test_no_stored_url_becomes_a_link_that_runs_code(world: World) -> None:
    """Source links on incident and report pages: only http(s) URLs become links, even when a URL that
    is not one reached the database some other way (an older version, a database edited by hand)."""
    admin = world.clients["admin"]
    with world.db.session() as s:
        saved = {r.id: r.url for r in s.scalars(select(models.Report))}
        summaries = {i.id: i.summary for i in s.scalars(select(models.Incident))}
        for n, report in enumerate(s.scalars(select(models.Report).order_by(models.Report.id))):
            report.url = BAD_URLS[n % (len(BAD_URLS) - 1)]
        for incident in s.scalars(select(models.Incident)):  # the incident's snapshot of its sources
            sources = [{**src, "url": BAD_URLS[n % (len(BAD_URLS) - 1)]}
                       for n, src in enumerate((incident.summary or {}).get("sources", []))]
            incident.summary = {**(incident.summary or {}), "sources": sources}
    try:
        problems = []
        for path in [f"/incidents/{i}" for i in world.ids["incident_id"] if i.isdigit()] + \
                [f"/reports/{i}" for i in world.ids["report_id"]] + ["/public"] + \
                [f"/public/incidents/{i}" for i in world.ids["incident_id"] if not i.isdigit()]:
            r = admin.get(path)
            assert r.status_code == 200, path
            problems.extend(f"{path}: {p}" for p in audit_page(r.text))
        assert problems == [], "\n".join(problems[:30])
    finally:
        with world.db.session() as s:
            for report in s.scalars(select(models.Report)):
                report.url = saved[report.id]
            for incident in s.scalars(select(models.Incident)):
                incident.summary = summaries[incident.id]


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_query_values_are_echoed_escaped(world: World, who: str) -> None:
    client = world.clients[who]
    problems: list[str] = []
    for route in _get_routes(world.app):
        names = [p.alias or p.name for p in route.dependant.query_params] if hasattr(route, "dependant") else []
        if not names:
            continue
        path = next(_paths(world, route))
        for payload in (SCRIPT, IMG, QUOTE, TEMPLATE, TEXTAREA, BAD_URLS[0]):
            r = client.get(path, params={n: payload for n in names}, follow_redirects=False)
            problems.extend(_check(r, f"{who} GET {path} ?{','.join(names)}={payload!r} ({r.status_code})"))
            assert r.status_code < 500, (path, payload, r.text[:300])
    assert problems == [], "\n".join(problems[:50])


def test_login_form_echoes_the_username_escaped(world: World) -> None:
    client = anonymous_client(world.app)
    page = client.get("/login?next=" + BAD_URLS[0])
    assert not audit_page(page.text)
    r = client.post("/login", data={"username": IMG, "password": "wrong", "csrf_token": form_token(page.text),
                                    "next": BAD_URLS[0]}, follow_redirects=False)
    assert r.status_code in (200, 400, 401, 429)
    assert not audit_page(r.text) and IMG not in r.text


def test_templates_autoescape() -> None:
    """Every template is rendered with autoescaping, and none marks data safe by hand."""
    from kolokol.web.app import templates

    env = templates()
    assert env.autoescape is True
    folder = Path(__file__).resolve().parents[2] / "src" / "kolokol" / "web" / "templates"
    for file in folder.glob("*.html"):
        text = file.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", ""), f"{file.name} marks a value safe"
        assert "autoescape false" not in text, file.name
