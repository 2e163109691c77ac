"""Every route of the app x every role x a restricted, an internal and a public incident (and their
reports): what the permission table allows, and nothing of a restricted record anywhere else.

The route list is read from `app.routes`, so routes added later are covered too: each must declare a
policy with `kolokol.web.access.require` (the test fails for one that does not). Denied means 401,
403, 404 or, for an anonymous visitor of a page, a redirect to /login. Unsafe methods are only sent
by roles that must be refused (nothing is changed); the database is checked unchanged afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.routing import Mount, Route

from kolokol.errors import NotFound
from kolokol.search import incident_detail
from kolokol.security.publishing import set_visibility
from kolokol.security.roles import SYSTEM, Role, Visibility, can_read_incident
from kolokol.store import models
from kolokol.store.db import Database, open_database
from kolokol.web.access import UserInfo, app_routes, route_policy
from kolokol.web.app import create_app
from tests.web.auth_helpers import anonymous_client, make_user, signed_in_client
from tests.web.conftest import build

ROLES: tuple[Role, ...] = (Role.PUBLIC, Role.VIEWER, Role.ANALYST, Role.ADMIN)
CANARIES = ("Kenzhebaev", "Ruslan")  # the restricted incident's target: must never leak
EXEMPT = {"/openapi.json"}  # the API schema: public, holds no data
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
DENIED = {401, 403, 404}


@dataclass
class Fixture:
    db: Database
    app: Any
    clients: dict[Role, TestClient]
    incidents: dict[str, int]  # visibility -> incident id
    reports: dict[str, int]  # visibility of its incident -> report id


def _incident_with(db: Database, word: str) -> tuple[int, int]:
    with db.session() as s:
        for m in s.scalars(select(models.Mention).where(models.Mention.current.is_(True))):
            if word in m.evidence and m.incident_id:
                return m.incident_id, m.report_id
    raise AssertionError(word)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fixture]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'kolokol.db'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database()
    db = open_database(url)
    build(db)
    restricted, r_report = _incident_with(db, "Kenzhebaev")
    internal, i_report = _incident_with(db, "Назаров")
    public, p_report = _incident_with(db, "Rahmonzoda")
    with db.session() as s:
        s.get(models.Incident, public).review_status = "accepted"  # type: ignore[union-attr]
    set_visibility(db, internal, Visibility.INTERNAL, user=SYSTEM)
    set_visibility(db, public, Visibility.PUBLIC, user=SYSTEM)
    app = create_app(db)
    clients = {Role.PUBLIC: anonymous_client(app, raise_server_exceptions=False)}  # a 500 is a finding
    for role in ROLES[1:]:
        clients[role] = signed_in_client(app, db, role, raise_server_exceptions=False)
    yield Fixture(db, app, clients, {"restricted": restricted, "internal": internal, "public": public},
                  {"restricted": r_report, "internal": i_report, "public": p_report})
    db.close()


def _as_user(role: Role) -> UserInfo | None:
    return None if role is Role.PUBLIC else UserInfo(1, "x", role)


def _routes(app: Any) -> list[Any]:
    """The served API routes (with their effective path, methods and dependencies)."""
    found = []
    for route in app_routes(app):
        original = getattr(route, "original_route", route)
        if isinstance(original, Mount) and original.path == "/static":
            continue
        if isinstance(original, APIRoute):
            found.append(route)
            continue
        assert isinstance(original, Route) and route.path in EXEMPT, f"unexpected route {route!r}"
    return found


def test_every_route_declares_a_policy(world: Fixture) -> None:
    missing = [f"{sorted(r.methods)} {r.path}" for r in _routes(world.app) if route_policy(r) is None]
    assert missing == [], f"routes without an access policy (use kolokol.web.access.require): {missing}"


def _fill(route: Any, world: Fixture, level: str) -> tuple[str, bool | None]:
    """The route's path with its parameters filled for the record of `level`, and whether it names a
    record whose visibility we know: True for integer `incident_id` / `report_id` parameters, None for
    any other parameter (filled with 1: only denials and leaks are checked then)."""
    types = {p.name: p.field_info.annotation for p in route.dependant.path_params}
    known: bool | None = False

    def value(match: re.Match[str]) -> str:
        nonlocal known
        name = match.group(1).split(":")[0]
        if name in ("incident_id", "report_id") and types.get(name) is int:
            known = True if known is not None else None
            return str((world.incidents if name == "incident_id" else world.reports)[level])
        known = None
        return "1"

    return re.sub(r"\{([^}]+)\}", value, route.path), known


def _denied(response: Any, role: Role, path: str) -> bool:
    if response.status_code in DENIED:
        return True
    return (role is Role.PUBLIC and response.status_code == 303 and not path.startswith("/api")
            and response.headers["location"].startswith("/login"))


def _record_level(path_template: str, role: Role, level: str, records: tuple[Visibility, ...] | None) -> bool:
    """Whether `role` may see the record the path names (on a route declaring `records`, only those)."""
    if "{report_id}" in path_template:
        return role >= Role.ANALYST
    if records is not None and level not in records:
        return False
    return can_read_incident(_as_user(role), level)


def test_the_matrix(world: Fixture) -> None:
    problems: list[str] = []
    checked = 0
    for route in _routes(world.app):
        policy = route_policy(route)
        if policy is None:
            continue  # reported by test_every_route_declares_a_policy
        for method in sorted(set(route.methods) - {"HEAD"}):
            for level in ("restricted", "internal", "public"):
                path, known = _fill(route, world, level)
                for role in ROLES:
                    client = world.clients[role]
                    allowed = policy.minimum <= role
                    if method in UNSAFE:
                        if allowed:
                            continue  # would change data: covered by each feature's own tests
                        r = client.request(method, path, follow_redirects=False)
                        checked += 1
                        if not _denied(r, role, path):
                            problems.append(f"{role.label} {method} {path}: {r.status_code}, expected denial")
                        continue
                    r = client.get(path, follow_redirects=False)
                    checked += 1
                    label = f"{role.label} GET {path} ({level})"
                    if not allowed:
                        if not _denied(r, role, path):
                            problems.append(f"{label}: {r.status_code}, expected denial")
                    elif known and not _record_level(route.path, role, level, policy.records):
                        if r.status_code != 404 and not (r.status_code in (401, 403) and "{report_id}" in route.path):
                            problems.append(f"{label}: {r.status_code}, expected 404 (record not visible)")
                    elif known:
                        if r.status_code != 200:
                            problems.append(f"{label}: {r.status_code}, expected 200 (a route that shows only "
                                            "public incidents declares it: kolokol.web.access.PublicRecords)")
                    elif r.status_code in (401, 403) or r.status_code >= 500:
                        problems.append(f"{label}: {r.status_code}, expected to be let in")
                    if role < Role.ANALYST or policy.records is not None:
                        leaked = [c for c in CANARIES if c in r.text]
                        if leaked:
                            problems.append(f"{label}: restricted name {leaked} in the response")
    assert checked > 50
    assert problems == [], "\n".join(problems)
    with world.db.session() as s:  # refused unsafe requests changed nothing
        for level, iid in world.incidents.items():
            assert s.get(models.Incident, iid).visibility == level  # type: ignore[union-attr]


@pytest.mark.parametrize("role", ROLES)
def test_search_facets_and_dashboard_count_only_visible_incidents(world: Fixture, role: Role) -> None:
    client = world.clients[role]
    user = _as_user(role)
    if role is Role.PUBLIC:  # the analysts' app is for accounts; the public has the /public pages
        for path in ("/api/", "/api/incidents", f"/api/incidents/{world.incidents['public']}"):
            assert client.get(path, params={"q": "Kenzhebaev"}).status_code == 401
        for path in ("/", "/incidents", f"/incidents/{world.incidents['public']}"):
            r = client.get(path, params={"q": "Kenzhebaev"}, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        return
    with world.db.session() as s:
        visible = {i.id for i in s.scalars(select(models.Incident)) if can_read_incident(user, i.visibility)}
    data = client.get("/api/incidents").json()
    assert {row["id"] for row in data["incidents"]} == visible
    assert data["total"] == len(visible)
    countries = {f["value"]: f["count"] for f in data["facets"]["country"]}
    assert sum(countries.values()) == len(visible)
    assert ("KZ" in countries) == (world.incidents["restricted"] in visible)  # the restricted one is in Almaty
    dash = client.get("/api/").json()
    assert dash["incidents"] == len(visible)
    assert sum(c["count"] for c in dash["by_country"]) == len(visible)
    assert {row["id"] for row in dash["latest"]} == visible
    if role < Role.ANALYST:
        assert dash["reports"] is None or dash["reports"] <= len(visible)
    # Full text finds the restricted incident by its target's name only for those who may see it.
    found = client.get("/api/incidents", params={"q": "Kenzhebaev"}).json()
    assert found["total"] == (1 if role >= Role.ANALYST else 0)
    page = client.get("/incidents", params={"q": "Kenzhebaev"})
    assert page.status_code == 200
    if role < Role.ANALYST:  # the page is the one a search for a word found nowhere gives
        nowhere = client.get("/incidents", params={"q": "Qzxwvutsrq"})
        assert page.text.replace("Kenzhebaev", "@") == nowhere.text.replace("Qzxwvutsrq", "@")
        assert f'href="/incidents/{world.incidents["restricted"]}"' not in page.text


def test_reports_are_for_analysts_only_and_viewers_get_no_report_text(world: Fixture) -> None:
    for role in (Role.PUBLIC, Role.VIEWER):
        client = world.clients[role]
        for rid in world.reports.values():
            assert client.get(f"/api/reports/{rid}").status_code in (401, 403)
    detail = world.clients[Role.VIEWER].get(f"/api/incidents/{world.incidents['public']}").json()
    assert detail["mentions"] and all(m["spans"] == [] and m["evidence"] == "" for m in detail["mentions"])
    analyst = world.clients[Role.ANALYST]
    assert analyst.get(f"/api/reports/{world.reports['restricted']}").status_code == 200


def test_anonymous_pages_redirect_to_login_and_api_says_401(world: Fixture) -> None:
    anon = world.clients[Role.PUBLIC]
    r = anon.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2F"
    assert '<a href="/public">' in anon.get("/login").text  # the way to what the public may see
    r = anon.get(f"/reports/{world.reports['public']}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/login?next=%2Freports%2F{world.reports['public']}"
    r = anon.get(f"/api/reports/{world.reports['public']}")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = world.clients[Role.VIEWER].get(f"/reports/{world.reports['public']}")
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]


def test_visibility_changes_follow_the_permission_table(world: Fixture) -> None:
    """Analysts make incidents less visible; only admins publish, and only reviewed incidents."""
    iid = world.incidents["internal"]
    analyst, admin, viewer = (world.clients[r] for r in (Role.ANALYST, Role.ADMIN, Role.VIEWER))
    assert viewer.post(f"/api/incidents/{iid}/visibility", json={"visibility": "restricted"}).status_code == 403
    r = analyst.post(f"/api/incidents/{iid}/visibility", json={"visibility": "public"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = admin.post(f"/api/incidents/{iid}/visibility", json={"visibility": "public"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "publish"  # not reviewed yet
    with world.db.session() as s:
        s.get(models.Incident, iid).review_status = "accepted"  # type: ignore[union-attr]
    try:
        r = admin.post(f"/api/incidents/{iid}/visibility", json={"visibility": "public"})
        assert r.status_code == 200 and r.json()["visibility"] == "public" and r.json()["published_at"]
        assert incident_detail(world.db, iid, user=None)["visibility"] == "public"  # the anonymous view
        r = analyst.post(f"/incidents/{iid}/visibility", data={"visibility": "internal"}, follow_redirects=False)
        assert r.status_code == 303
        with pytest.raises(NotFound):
            incident_detail(world.db, iid, user=None)
        with world.db.session() as s:
            inc = s.get(models.Incident, iid)
            assert inc is not None and inc.visibility == Visibility.INTERNAL and inc.published_at is None
        assert admin.post(f"/api/incidents/{iid}/visibility", json={"visibility": "bogus"}).status_code == 400
    finally:
        with world.db.session() as s:
            inc = s.get(models.Incident, iid)
            assert inc is not None
            inc.review_status, inc.visibility = "new", "internal"


def test_a_new_role_or_disabled_account_changes_access_at_once(world: Fixture) -> None:
    from kolokol.security.auth import set_disabled, set_role

    account = make_user(world.db, Role.ANALYST)
    client = signed_in_client(world.app, world.db, Role.ANALYST, account=account)
    rid = world.reports["restricted"]
    assert client.get(f"/api/reports/{rid}").status_code == 200
    set_role(world.db, account.username, Role.VIEWER)  # ends its sessions too
    assert client.get(f"/api/reports/{rid}").status_code == 401
    client = signed_in_client(world.app, world.db, Role.VIEWER, account=account)
    assert client.get(f"/api/reports/{rid}").status_code == 403
    set_disabled(world.db, account.username, True)
    assert client.get("/api/account").status_code == 401
