"""The public pages and their JSON twins: anonymous access, published incidents only, the same records
as the public export, a declared access policy; and, over every route of the app, nothing an
anonymous visitor can fetch names a protected person."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from kolokol.export.public import PublicOptions, public_id, public_records
from kolokol.security.roles import Role, Visibility
from kolokol.store import models
from kolokol.store.db import Database, open_database
from kolokol.web.access import app_routes, route_policy
from kolokol.web.app import create_app
from tests.export.public_data import Source, Story, build, mark_public_figure, org, person, publish
from tests.security.public_names import appearing, protected_forms
from tests.web.auth_helpers import anonymous_client, signed_in_client

PROTECTED = ["Rustam Sharipov", "Гульнара Рахимова", "Dilshod Karimov", "Aibek Toktogulov"]
FIGURE = "Evgenia Chirikova"


@dataclass
class Site:
    db: Database
    client: TestClient
    app: Any
    ids: dict[str, int]  # story label -> incident id


def _stories() -> dict[str, Story]:
    return {
        "public": Story(types=["detention"], date="2024-03-09", country="KZ", place="Almaty",
                        targets=[person("Rustam Sharipov", "TJ"), person(FIGURE, "RU"),
                                 org("Фонд Гульнары Рахимовой")],
                        outcome="Рахимову вернули паспорт", perpetrators=[{"name": "police", "country": "KZ"}],
                        sources=[Source(outlet="Steppe Herald", url="https://steppe.example/rustam-sharipov",
                                        published="2024-03-12"),
                                 Source(outlet="Confidential Desk", published="2024-03-10", confidential=True,
                                        targets=[person("Rustam Sharipov", "TJ"), person("Гульнара Рахимова")])]),
        "restricted": Story(types=["threat"], date="2024-04-01", country="TR", place="Istanbul",
                            targets=[person("Dilshod Karimov", "UZ")],
                            sources=[Source(outlet="Hidden Outlet", published="2024-04-02")]),
        "internal": Story(types=["summons"], date="2024-05-01", country="KG", place="Bishkek",
                          targets=[person("Aibek Toktogulov", "KG")],
                          sources=[Source(outlet="Internal Outlet", published="2024-05-02")]),
    }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('public-pages') / 'kolokol.db'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database()
    db = open_database(url)
    stories = _stories()
    ids = dict(zip(stories, build(db, list(stories.values())), strict=True))
    publish(db, [ids["public"]])
    publish(db, [ids["internal"]], visibility="internal")
    mark_public_figure(db, FIGURE)
    app = create_app(db)
    yield Site(db, anonymous_client(app), app, ids)
    db.close()


def _pid(site: Site, label: str) -> str:
    with site.db.session() as s:
        return public_id(s.get(models.Incident, site.ids[label]).key)


def test_public_routes_declare_the_public_records_policy(site: Site) -> None:
    ours = [r for r in app_routes(site.app) if r.path.startswith(("/public", "/api/public"))]
    assert {r.path for r in ours} == {"/public", "/public/incidents/{incident_id}", "/api/public/incidents",
                                      "/api/public/incidents/{incident_id}"}
    for route in ours:
        policy = route_policy(route)
        assert policy is not None and policy.minimum is Role.PUBLIC and policy.records == (Visibility.PUBLIC,)


def test_anonymous_list_and_detail_show_the_public_form(site: Site) -> None:
    pid = _pid(site, "public")
    listing = site.client.get("/api/public/incidents")
    assert listing.status_code == 200
    data = listing.json()
    assert data["total"] == 1 and [r["id"] for r in data["incidents"]] == [pid]
    assert data["incidents"] == public_records(site.db, PublicOptions())
    detail = site.client.get(f"/api/public/incidents/{pid}").json()
    assert detail == data["incidents"][0]
    assert [t["name"] for t in detail["targets"] if t["kind"] == "person"] == ["Person A", FIGURE]
    # She is named by the confidential source only: not a target here, and withheld where she appears.
    assert detail["date"] == "2024-03" and detail["outcome"] == "[name withheld] вернули паспорт"
    assert {"name": "Фонд [name withheld]", "kind": "organization", "nationality": None, "count": None,
            "count_label": None, "pseudonym": False} in detail["targets"]
    page = site.client.get("/public")
    assert page.status_code == 200 and f'href="/public/incidents/{pid}"' in page.text
    assert "Person A" in page.text and FIGURE in page.text and "Steppe Herald" not in page.text
    one = site.client.get(f"/public/incidents/{pid}")
    assert one.status_code == 200 and "Steppe Herald" in one.text and "steppe.example" in one.text
    assert "Confidential Desk" not in one.text and "rustam-sharipov" not in one.text
    assert one.headers["content-security-policy"].startswith("default-src 'self'")
    assert one.headers["cache-control"] == "no-store"
    assert "/api/public/incidents/" in one.text  # the JSON twin is linked


def test_unpublished_incidents_are_not_found(site: Site) -> None:
    for label in ("restricted", "internal"):
        pid = _pid(site, label)
        assert site.client.get(f"/api/public/incidents/{pid}").status_code == 404
        assert site.client.get(f"/public/incidents/{pid}").status_code == 404
    for bad in ("1", "p" + "0" * 15, "../incidents/1", "%3Cscript%3E"):
        r = site.client.get(f"/api/public/incidents/{bad}")
        assert r.status_code == 404 and r.json()["error"]["code"]
    text = site.client.get("/public").text + site.client.get("/api/public/incidents").text
    assert "Hidden Outlet" not in text and "Internal Outlet" not in text


def test_analysts_see_the_same_public_pages(site: Site) -> None:
    analyst = signed_in_client(site.app, site.db, Role.ANALYST)
    data = analyst.get("/api/public/incidents").json()
    assert [r["id"] for r in data["incidents"]] == [_pid(site, "public")]  # not the restricted one
    assert "Karimov" not in analyst.get("/public").text


def test_filters_are_checked_and_echoed_escaped(site: Site) -> None:
    assert site.client.get("/api/public/incidents?type=detention&country=kz&since=2024-03-31").json()["total"] == 1
    assert site.client.get("/api/public/incidents?until=2024-02").json()["total"] == 0
    bad = site.client.get("/api/public/incidents?type=%3Cscript%3E")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "export"
    page = site.client.get("/public", params={"type": "<script>alert(1)</script>"})
    assert page.status_code == 400 and "<script>alert(1)" not in page.text
    page = site.client.get("/public", params={"since": '2024"><img src=x onerror=alert(1)>'})
    assert page.status_code == 400 and "<img src=x" not in page.text
    assert site.client.get("/api/public/incidents?page=abc").status_code == 200
    assert site.client.get("/api/public/incidents?page=99999").json()["page"] == 1
    assert site.client.get("/api/public/incidents?type=" + "x" * 100).status_code == 422


def _anonymous_paths(site: Site) -> Iterator[str]:
    """Every GET route of the app, with each id parameter filled with every id of its kind."""
    with site.db.session() as s:
        values = {
            "incident_id": [str(i) for i in site.ids.values()] + [_pid(site, k) for k in site.ids],
            "report_id": [str(i) for i in s.scalars(select(models.Report.id))],
            "actor_id": [str(i) for i in s.scalars(select(models.Actor.id))],
        }
    for route in app_routes(site.app):
        original = getattr(route, "original_route", route)
        if not isinstance(original, APIRoute) or "GET" not in route.methods:
            continue
        params = re.findall(r"\{([^}:]+)(?::[^}]*)?\}", route.path)
        if not params:
            yield route.path
            continue
        for name in params:
            for value in values.get(name, ["1"]):
                yield re.sub(r"\{" + name + r"(?::[^}]*)?\}", value, route.path)


def test_nothing_an_anonymous_visitor_can_fetch_names_a_protected_person(site: Site) -> None:
    """Every page and API route of the app, anonymously: the public pages and anything else that lets
    an anonymous visitor in must show published incidents in their public form only."""
    forms = protected_forms(PROTECTED)
    leaks = []
    for path in sorted(set(_anonymous_paths(site))):
        r = site.client.get(path, follow_redirects=False)
        text = r.text
        if r.headers.get("content-type", "").startswith("application/json"):
            text = json.dumps(r.json(), ensure_ascii=False)
        found = appearing(text.replace(FIGURE, " "), forms)
        if found:
            leaks.append(f"GET {path} ({r.status_code}): {sorted(found)}")
    assert leaks == [], "protected names shown to anonymous visitors:\n" + "\n".join(leaks)


def test_anonymous_search_is_no_oracle_for_names(site: Site) -> None:
    """Whatever route takes free words from an anonymous visitor must answer a protected name exactly
    as it answers a word that is nowhere: otherwise "does the database hold Sharipov?" has an answer."""
    differences = []
    for route in app_routes(site.app):
        original = getattr(route, "original_route", route)
        if not isinstance(original, APIRoute) or "GET" not in route.methods or "{" in route.path:
            continue
        words = [p.alias or p.name for p in route.dependant.query_params if (p.alias or p.name) in ("q", "query")]
        for name in words:
            answers = []
            for probe in ("Sharipov", "Qzxvjwk"):
                r = site.client.get(route.path, params={name: probe}, follow_redirects=False)
                answers.append((r.status_code, r.text.replace(probe, "PROBE")))
            if answers[0] != answers[1]:
                differences.append(f"GET {route.path}?{name}=: a protected name and a nonsense word differ")
    assert differences == [], "\n".join(differences)
