"""The analysts' web app in-process, on both backends: review queue and decisions through forms and
JSON (CSRF required), edit with history and revert, merge and split, facets of every kind in the
URL, card / table / map views, timeline, map with country outlines, actor network and pages, trend
alerts (admins edit rules), and a JSON twin for every page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from kolokol.security.roles import Role
from kolokol.store import models
from kolokol.store.db import Database
from kolokol.web.svg import WORLD
from tests.web.auth_helpers import anonymous_client, form_token, signed_in_client


@pytest.fixture(scope="module")
def app(web_db: Database) -> FastAPI:
    from kolokol.web.app import create_app

    return create_app(web_db)


@pytest.fixture(scope="module")
def analyst(app: FastAPI, web_db: Database) -> TestClient:
    return signed_in_client(app, web_db, Role.ANALYST)


@pytest.fixture(scope="module")
def admin(app: FastAPI, web_db: Database) -> TestClient:
    return signed_in_client(app, web_db, Role.ADMIN)


@pytest.fixture(scope="module")
def viewer(app: FastAPI, web_db: Database) -> TestClient:
    return signed_in_client(app, web_db, Role.VIEWER)


def incident_with(web_db: Database, word: str) -> int:
    with web_db.session() as s:
        for m in s.scalars(select(models.Mention).where(models.Mention.current.is_(True))):
            if word in m.evidence and m.incident_id:
                return m.incident_id
    raise AssertionError(word)


def ids_for(client: TestClient, **params: Any) -> set[int]:
    r = client.get("/api/incidents", params=params)
    assert r.status_code == 200, r.text
    return {row["id"] for row in r.json()["incidents"]}


def post_form(client: TestClient, url: str, page: str, data: dict[str, Any] | None = None) -> Any:
    """Submit a form as a browser does: the token from the page, no CSRF header."""
    token = form_token(client.get(page).text)
    header = client.headers.pop("X-CSRF-Token", None)
    try:
        return client.post(url, data={"csrf_token": token, **(data or {})}, follow_redirects=False)
    finally:
        if header is not None:
            client.headers["X-CSRF-Token"] = header


def test_review_queue_decisions_history_and_revert(analyst: TestClient, web_db: Database) -> None:
    page = analyst.get("/review")
    assert page.status_code == 200 and "data-review-list" in page.text and 'data-action="accept"' in page.text
    queue = analyst.get("/api/review").json()
    everything = analyst.get("/api/incidents").json()["total"]
    assert queue["total"] == everything >= 3
    first, second = queue["items"][0]["id"], queue["items"][1]["id"]
    r = post_form(analyst, f"/incidents/{first}/accept", "/review", {"next": "/review"})
    assert r.status_code == 303 and r.headers["location"] == "/review"
    assert analyst.post(f"/api/incidents/{second}/reject").json() == {"id": second, "review_status": "rejected",
                                                                      "previous": "new"}
    assert [i["id"] for i in analyst.get("/api/review").json()["items"]] == [i["id"] for i in queue["items"][2:]]
    assert ids_for(analyst, status="accepted") == {first}
    history = analyst.get(f"/api/incidents/{first}/history").json()["history"]
    assert history[0]["action"] == "accept" and history[0]["user"].startswith("analyst-")
    page = analyst.get(f"/incidents/{first}/history")
    assert page.status_code == 200 and "revert" in page.text
    edit_id = history[0]["changes"][0]["id"]
    r = post_form(analyst, f"/incidents/{first}/edits/{edit_id}/revert", f"/incidents/{first}/history")
    assert r.status_code == 303
    assert analyst.get(f"/api/incidents/{first}").json()["review_status"] == "new"
    # no token, no decision
    assert analyst.post(f"/api/incidents/{first}/accept", headers={"X-CSRF-Token": "x"}).status_code == 403


def test_edit_form_history_and_revert(analyst: TestClient, web_db: Database) -> None:
    iid = incident_with(web_db, "Назаров")
    form = analyst.get(f"/incidents/{iid}/edit")
    assert form.status_code == 200 and 'name="targets"' in form.text
    assert analyst.get(f"/api/incidents/{iid}/edit").json()["id"] == iid
    bad = post_form(analyst, f"/incidents/{iid}/edit", f"/incidents/{iid}/edit",
                    {"types": ["deportation"], "country": "Russia", "outcome": "kept"})
    assert bad.status_code == 400 and "ISO 3166-1" in bad.text and 'value="kept"' in bad.text
    fields = analyst.get(f"/api/incidents/{iid}/edit").json()["fields"]
    r = post_form(analyst, f"/incidents/{iid}/edit", f"/incidents/{iid}/edit",
                  {**fields, "types": ["deportation", "detention"], "outcome": "handed over at the border"})
    assert r.status_code == 303 and r.headers["location"] == f"/incidents/{iid}"
    page = analyst.get(f"/incidents/{iid}").text
    assert "handed over at the border" in page and "analyst's value" in page
    assert analyst.post(f"/api/incidents/{iid}/edit", json={"country": "KZ"}).json()["changed"] == ["country"]
    assert ids_for(analyst, country="KZ") >= {iid}
    history = analyst.get(f"/api/incidents/{iid}/history").json()["history"]
    assert [h["action"] for h in history[:2]] == ["edit", "edit"] and history[0]["user"].startswith("analyst-")
    country = history[0]["changes"][0]
    assert country["field"] == "country" and country["value"] == "KZ"
    assert analyst.post(f"/api/incidents/{iid}/edits/{country['id']}/revert").json()["reverted"] == ["country"]
    assert iid not in ids_for(analyst, country="KZ")
    assert "reverted" in analyst.get(f"/incidents/{iid}/history").text


def test_merge_and_split_through_forms(analyst: TestClient, web_db: Database) -> None:
    a, b = incident_with(web_db, "Rahmonzoda"), incident_with(web_db, "Kenzhebaev")
    everything = analyst.get("/api/incidents").json()["total"]
    r = post_form(analyst, f"/incidents/{a}/merge", f"/incidents/{a}", {"other": str(b)})
    assert r.status_code == 303
    merged = int(r.headers["location"].rsplit("/", 1)[1])
    page = analyst.get(f"/incidents/{merged}").text
    assert 'id="split"' in page and page.count('name="mention"') >= 2
    mention = re.findall(r'name="mention" value="(\d+)"', page)[0]
    r = post_form(analyst, f"/incidents/{merged}/split", f"/incidents/{merged}", {"mention": mention})
    assert r.status_code == 303
    assert analyst.get("/api/incidents").json()["total"] == everything
    assert analyst.post(f"/api/incidents/{a}/merge", json={"other": a}).status_code == 400


def test_every_facet_lives_in_the_url(analyst: TestClient, web_db: Database) -> None:
    istanbul = incident_with(web_db, "Rahmonzoda")
    data = analyst.get("/api/incidents").json()
    facets = data["facets"]
    assert set(facets) == {"type", "country", "place", "perpetrator", "target", "nationality", "status", "sources"}
    target = next(f for f in facets["target"] if f.get("label") == "Zafar Rahmonzoda")
    assert target["value"].isdigit()  # actors go by id: no name in the URL
    assert ids_for(analyst, target=target["value"]) == {istanbul}
    perpetrator = next(f for f in facets["perpetrator"] if "Turkish police" in f.get("label", ""))
    assert ids_for(analyst, perpetrator=perpetrator["value"]) == {istanbul}
    place = next(f for f in facets["place"] if f.get("label") == "Istanbul")
    assert ids_for(analyst, place=place["value"]) == {istanbul}
    assert ids_for(analyst, nationality="TJ") >= {istanbul}
    page = analyst.get("/incidents", params={"target": target["value"]}).text
    assert "Zafar Rahmonzoda" in page and "remove this filter" in page
    assert f"target={target['value']}" in page
    for view in ("cards", "map"):
        page = analyst.get("/incidents", params={"view": view, "country": "TR"})
        assert page.status_code == 200 and 'class="current" aria-current="page"' in page.text
    assert "incident-card" in analyst.get("/incidents", params={"view": "cards"}).text
    assert "<circle class=\"place\"" in analyst.get("/incidents", params={"view": "map"}).text
    assert analyst.get("/api/incidents", params={"view": "globe"}).status_code == 400
    assert analyst.get("/api/incidents", params={"target": "Zafar"}).status_code == 400


def test_timeline_map_network_and_actor_pages(analyst: TestClient, web_db: Database) -> None:
    data = analyst.get("/api/timeline").json()
    assert data["months"] == sorted(data["months"]) and "detention" in data["series"]
    assert sum(sum(v) for v in data["series"].values()) == data["total"]
    page = analyst.get("/timeline").text
    assert '<rect class="bar"' in page and "data-type=\"detention\"" in page
    assert analyst.get("/api/timeline", params={"country": "KZ"}).json()["total"] >= 1
    points = analyst.get("/api/map").json()
    assert {p["name"] for p in points["places"]} >= {"Istanbul"}
    assert points["total"] == analyst.get("/api/incidents").json()["total"]
    page = analyst.get("/map").text
    assert page.count('<path class="land') > 150  # the country outlines, drawn on the server
    assert 'data-country="TR"' in page and '<circle class="place"' in page
    assert "level-0" in page and re.search(r'class="land level-[1-4]" d="[^"]+" data-country="TR"', page)
    network = analyst.get("/api/network").json()
    names = {n["name"] for n in network["nodes"]}
    assert "Zafar Rahmonzoda" in names
    assert any(e["kind"] == "acted_against" for e in network["edges"])
    page = analyst.get("/network").text
    assert "<circle class=\"node" in page and 'href="/actors/' in page
    actor = next(n for n in network["nodes"] if n["name"] == "Zafar Rahmonzoda")
    profile = analyst.get(f"/api/actors/{actor['id']}").json()
    assert profile["actor"]["name"] == "Zafar Rahmonzoda" and profile["history"]
    assert any(r["relation"] == "acted_against_it" for r in profile["related"])
    assert analyst.get(f"/actors/{actor['id']}").status_code == 200
    assert analyst.get("/api/actors/99999").status_code == 404
    incident = analyst.get(f"/incidents/{incident_with(web_db, 'Rahmonzoda')}").text
    assert f'<a href="/actors/{actor["id"]}">Zafar Rahmonzoda</a>' in incident  # actors linked


def test_map_outlines_come_from_the_vendored_package() -> None:
    from kolokol.web.svg import world_outlines

    assert WORLD.is_file(), "run scripts/setup (npm ci + scripts/vendor_assets.py) to install the map outlines"
    codes = {o.code for o in world_outlines()}
    assert {"KG", "RU", "TR", "DE", "KZ"} <= codes and len(codes) > 150


def test_alerts_page_and_admin_rules(analyst: TestClient, admin: TestClient, viewer: TestClient) -> None:
    data = analyst.get("/api/alerts").json()
    assert len(data["rules"]) == 4 and all("description" in r for r in data["rules"])
    page = analyst.get("/alerts")
    assert page.status_code == 200 and 'action="/alerts/rules"' not in page.text  # analysts read only
    assert analyst.post("/api/alert-rules", json={"name": "x", "min_count": 2, "window_days": 5,
                                                  "rate_factor": 2}).status_code == 403
    rule = admin.post("/api/alert-rules", json={"name": "Istanbul", "types": ["detention"], "country": "TR",
                                                "min_count": 1, "window_days": 30, "rate_factor": 1}).json()
    found = admin.get("/api/alerts").json()["alerts"]
    assert any(a["rule_id"] == rule["id"] and a["country"] == "TR" for a in found)
    page = admin.get("/alerts").text
    assert 'action="/alerts/rules"' in page and "Istanbul" in page
    r = post_form(admin, f"/alerts/rules/{rule['id']}", "/alerts",
                  {"name": "Istanbul detentions", "types": ["detention"], "country": "TR", "min_count": "2",
                   "window_days": "30", "rate_factor": "1", "baseline_days": "90"})
    assert r.status_code == 303
    changed = next(r for r in admin.get("/api/alerts").json()["rules"] if r["id"] == rule["id"])
    assert changed["name"] == "Istanbul detentions" and changed["min_count"] == 2 and not changed["enabled"]
    bad = post_form(admin, "/alerts/rules", "/alerts", {"name": "bad", "min_count": "0", "window_days": "3",
                                                         "rate_factor": "2"})
    assert bad.status_code == 400 and "min count" in bad.text
    assert admin.delete(f"/api/alert-rules/{rule['id']}").json() == {"deleted": rule["id"]}
    assert viewer.get("/alerts").status_code == 403 and viewer.get("/api/alerts").status_code == 403
    assert "Trend alerts" in admin.get("/").text  # on the dashboard


def test_roles_and_visibility(app: FastAPI, viewer: TestClient, web_db: Database) -> None:
    anonymous = anonymous_client(app)
    for url in ("/review", "/network", "/alerts", "/incidents/1/edit", "/incidents/1/history"):
        assert anonymous.get(url, follow_redirects=False).status_code == 303, url  # to the sign-in page
    assert anonymous.get("/api/review").status_code == 401
    assert viewer.get("/review").status_code == 403 and viewer.get("/api/review").status_code == 403
    # every incident here is restricted: a viewer's charts, map, network and facets are empty
    assert viewer.get("/api/timeline").json()["total"] == 0
    assert viewer.get("/api/map").json() == {"places": [], "countries": [], "total": 0, "unplaced": 0}
    assert viewer.get("/api/network").json()["nodes"] == []
    data = viewer.get("/api/incidents").json()
    assert data["total"] == 0 and all(v == [] for v in data["facets"].values())
    actor = web_db.session
    with actor() as s:
        some_actor = s.scalar(select(models.Actor.id).limit(1))
    assert viewer.get(f"/api/actors/{some_actor}").status_code == 404
    for url in ("/timeline", "/map"):
        assert anonymous.get(url, follow_redirects=False).status_code == 303, url
    assert anonymous.get("/api/timeline").status_code == 401


def test_every_page_has_a_json_twin(app: FastAPI) -> None:
    from fastapi.routing import APIRoute

    schema = TestClient(app).get("/openapi.json").json()
    from kolokol.web.routes import actors, alerts, charts, review

    for module in (review, charts, actors, alerts):
        pages = {r.path for r in module.router.routes if isinstance(r, APIRoute) and "GET" in r.methods}
        assert pages, module.__name__
        for path in pages:
            assert "/api" + path in schema["paths"], path
    for path in ("/api/review", "/api/timeline", "/api/map", "/api/network", "/api/alerts", "/api/alert-rules",
                 "/api/incidents/{incident_id}/history", "/api/incidents/{incident_id}/accept"):
        assert path in schema["paths"], path


def test_no_page_loads_from_elsewhere(admin: TestClient, web_db: Database) -> None:
    iid = incident_with(web_db, "Rahmonzoda")
    for url in ("/", "/review", "/timeline", "/map", "/network", "/alerts", f"/incidents/{iid}",
                f"/incidents/{iid}/edit", f"/incidents/{iid}/history", "/incidents?view=map"):
        page = admin.get(url)
        assert page.status_code == 200, url
        assert not re.search(r'src="(https?:)?//', page.text), url
        assert not re.search(r'<link[^>]+href="(https?:)?//', page.text), url
        assert "style=" not in page.text, url  # the CSP forbids inline styles
        assert "<script>" not in page.text, url


def test_tile_server_only_when_configured(app: FastAPI, analyst: TestClient) -> None:
    page = analyst.get("/map")
    assert "leaflet" not in page.text and "img-src" not in page.headers["content-security-policy"]
    app.state.map_tile_url = "http://127.0.0.1:8080/{z}/{x}/{y}.png"
    try:
        page = analyst.get("/map")
        assert page.headers["content-security-policy"].endswith("; img-src 'self' http://127.0.0.1:8080")
        assert '<script src="/static/vendor/leaflet/leaflet.js" defer></script>' in page.text
        assert 'data-tiles="http://127.0.0.1:8080/{z}/{x}/{y}.png"' in page.text
        assert analyst.get("/static/vendor/leaflet/leaflet.js").status_code == 200
        assert "img-src" not in analyst.get("/").headers["content-security-policy"]  # that page only
        app.state.map_tile_url = "javascript:alert(1)"
        page = analyst.get("/map")
        assert "leaflet" not in page.text and "img-src" not in page.headers["content-security-policy"]
    finally:
        del app.state.map_tile_url
