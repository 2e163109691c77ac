"""Acting for a person fails closed: no function that searches, counts, maps, alerts on or shows
incidents and reports, nor any function of the review workflow (queue, accept, reject, edit, history,
revert, merge, split), of analysts' actor decisions (merge, split, confirm) or of publishing, has a
default `user`, so a caller that forgets it gets a
TypeError instead of the operator's view of everything and the operator's right to change it; the
anonymous view (None) sees no restricted record; a viewer or anonymous caller cannot review, and a
refused call writes nothing; and no caller in the code base (web routes above all) leaves the user
out or passes SYSTEM."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from kolokol import alerts, analytics, facets, search
from kolokol.errors import NotFound
from kolokol.resolve import actors
from kolokol.review import workflow
from kolokol.search import SearchQuery
from kolokol.security import publishing
from kolokol.security.roles import SYSTEM, AccessDenied, Role, UserInfo
from kolokol.store import models
from kolokol.store.db import Database, open_database
from tests.web.conftest import build

SRC = Path(search.__file__).resolve().parent
MODULES = (search, analytics, alerts, facets, workflow, publishing, actors)
VIEWER = UserInfo(id=None, username="v", role=Role.VIEWER)
# The functions that read for a person, as (module, name): every call must name its user.
READERS = {"search_incidents", "dashboard", "incident_detail", "report_detail", "timeline", "map_data",
           "actor_network", "actor_profile", "current_alerts", "save_rule", "delete_rule", "scope_conditions"}
# The functions that read and write the human layer for a person: the same rule, and a refused call
# (no user, or a user without the right) must leave the database as it was.
REVIEWERS = {"review_queue", "set_status", "accept_incident", "reject_incident", "edit_form", "edit_incident",
             "incident_history", "revert_edit", "merge_into", "split_off"}
# Analysts' decisions on actors (kolokol.resolve.actors): credited to a user, never to nobody by mistake.
ACTORS = {"merge_actors", "split_actor", "confirm_actor", "analyst_merge_actors", "analyst_split_actor",
          "analyst_confirm_actor"}
ACTING = READERS | REVIEWERS | ACTORS | {"set_visibility"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, int, int, int]]:
    """A small database where every incident is restricted (the default for new ones)."""
    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('closed') / 'kolokol.db'}")
    build(db)
    with db.session() as s:
        assert set(s.scalars(select(models.Incident.visibility))) == {"restricted"}
        incident = s.scalars(select(models.Incident.id).order_by(models.Incident.id)).first()
        report = s.scalars(select(models.Report.id).order_by(models.Report.id)).first()
        actor = s.scalars(select(models.MentionActor.actor_id)).first()
    assert incident and report and actor
    yield db, incident, report, actor
    db.close()


def _user_parameters() -> Iterator[tuple[str, inspect.Parameter]]:
    for module in MODULES:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__:
                continue
            # the wrapper (what callers call) and what it wraps (analytics caches its functions)
            for follow in (False, True):
                parameter = inspect.signature(fn, follow_wrapped=follow).parameters.get("user")
                if parameter is not None:
                    yield f"{module.__name__}.{name}", parameter


def test_no_reading_function_has_a_default_user() -> None:
    found = list(_user_parameters())
    names = {name.rsplit(".", 1)[1] for name, _p in found}
    assert names >= ACTING, ACTING - names  # every acting function is found by the scan
    defaults = [name for name, p in found if p.default is not inspect.Parameter.empty]
    assert defaults == [], f"these act for a person with a default user: {defaults}"
    # (private helpers and scope_conditions take it positionally: required all the same)
    positional = [name for name, p in found if p.kind is not inspect.Parameter.KEYWORD_ONLY
                  and not name.rsplit(".", 1)[1].startswith("_") and name != "kolokol.search.scope_conditions"]
    assert positional == [], f"`user` must be keyword-only in {positional}"


def _calls(db: Database, incident: int, report: int, actor: int) -> dict[str, Callable[..., Any]]:
    return {
        "search_incidents": lambda **kw: search.search_incidents(db, SearchQuery(), **kw),
        "dashboard": lambda **kw: search.dashboard(db, **kw),
        "incident_detail": lambda **kw: search.incident_detail(db, incident, **kw),
        "report_detail": lambda **kw: search.report_detail(db, report, **kw),
        "timeline": lambda **kw: analytics.timeline(db, **kw),
        "map_data": lambda **kw: analytics.map_data(db, **kw),
        "actor_network": lambda **kw: analytics.actor_network(db, **kw),
        "actor_profile": lambda **kw: analytics.actor_profile(db, actor, **kw),
        "current_alerts": lambda **kw: alerts.current_alerts(db, **kw),
        "save_rule": lambda **kw: alerts.save_rule(db, {"name": "x", "min_count": 3, "window_days": 7}, **kw),
        "delete_rule": lambda **kw: alerts.delete_rule(db, 1, **kw),
    }


def test_a_forgotten_user_is_a_type_error(world: tuple[Database, int, int, int]) -> None:
    db, *ids = world
    with db.session() as s:
        rules_before = s.scalar(select(func.count()).select_from(models.AlertRule))
    for name, call in _calls(db, *ids).items():
        with pytest.raises(TypeError, match="user"):
            call()
        assert name in READERS
    with db.session() as s:  # nothing was written by a call without a user
        assert s.scalar(select(func.count()).select_from(models.AlertRule)) == rules_before


@pytest.mark.parametrize("who", [None, VIEWER], ids=["anonymous", "viewer"])
def test_the_public_and_viewer_views_see_no_restricted_record(world: tuple[Database, int, int, int],
                                                              who: UserInfo | None) -> None:
    db, incident, report, actor = world
    assert search.search_incidents(db, SearchQuery(), user=SYSTEM).total > 0  # the records are there...
    result = search.search_incidents(db, SearchQuery(), user=who)
    assert result.total == 0 and result.incidents == []  # ...and none of them is shown
    assert all(n == 0 for counts in result.facets.values() for _v, n in counts)
    board = search.dashboard(db, user=who)
    assert board["incidents"] == 0 and board["latest"] == [] and board["reports"] is None
    with pytest.raises(NotFound):
        search.incident_detail(db, incident, user=who)
    with pytest.raises(AccessDenied):
        search.report_detail(db, report, user=who)
    assert analytics.timeline(db, user=SYSTEM)["total"] > 0
    line = analytics.timeline(db, user=who)
    assert line["total"] == 0 and line["undated"] == 0 and line["series"] == {}
    shown = analytics.map_data(db, user=who)
    assert shown["total"] == 0 and shown["places"] == [] and shown["countries"] == []
    assert analytics.actor_network(db, user=SYSTEM)["nodes"] != []
    assert analytics.actor_network(db, user=who)["nodes"] == []
    with pytest.raises(NotFound):
        analytics.actor_profile(db, actor, user=who)
    with pytest.raises(AccessDenied):
        alerts.current_alerts(db, user=who)


def _py_files() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def test_every_caller_names_its_user() -> None:
    """A static check of the whole package: each call of a reading or reviewing function passes `user=`."""
    missing = []
    for path in _py_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else None
            if name not in ACTING or name == "scope_conditions":
                continue
            if not any(k.arg == "user" or k.arg is None for k in node.keywords):
                missing.append(f"{path.relative_to(SRC)}:{node.lineno} {name}")
    assert missing == [], f"calls without an explicit user: {missing}"


def test_web_and_library_code_never_pass_the_operator() -> None:
    """SYSTEM (sees everything) belongs to the command line; the web app, search, analytics, alerts,
    the review workflow, publishing and exports act for a person and never use it."""
    offenders = []
    for path in _py_files():
        rel = path.relative_to(SRC)
        if not (rel.parts[0] in ("web", "export", "review") or rel.parts == ("security", "publishing.py")
                or rel.name in ("search.py", "analytics.py", "alerts.py", "facets.py")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == "SYSTEM":
                offenders.append(f"{rel}:{node.lineno}")
            elif isinstance(node, ast.alias) and node.name == "SYSTEM":
                offenders.append(f"{rel} imports SYSTEM")
    assert offenders == []


# --- the review workflow ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def review_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, int, int, int]]:
    """A database of its own (the review tests write to it): two incidents, a mention of the first."""
    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('review') / 'kolokol.db'}")
    build(db)
    with db.session() as s:
        first, second = s.scalars(select(models.Incident.id).order_by(models.Incident.id)).all()[:2]
        mention = s.scalars(select(models.Mention.id).where(models.Mention.incident_id == first)).first()
    assert mention
    yield db, first, second, mention
    db.close()


def _snapshot(db: Database) -> dict[str, Any]:
    """What a review action writes: edit rows, review events, merge decisions, the audit chain and
    its head, and each incident's status, visibility and mentions."""
    with db.session() as s:
        counts = {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                  for m in (models.IncidentEdit, models.ReviewEvent, models.MergeDecision, models.AuditEntry,
                            models.Incident, models.Mention, models.Actor, models.ActorAlias,
                            models.MentionActor)}
        return {**counts,
                "incidents": sorted(tuple(r) for r in s.execute(select(
                    models.Incident.id, models.Incident.review_status, models.Incident.visibility))),
                "mentions": sorted(tuple(r) for r in s.execute(select(models.Mention.id, models.Mention.incident_id))),
                "head": [tuple(r) for r in s.execute(select(models.AuditHead.entries, models.AuditHead.last_hash))]}


def _review_calls(db: Database, first: int, second: int, mention: int) -> dict[str, Callable[..., Any]]:
    return {
        "review_queue": lambda **kw: workflow.review_queue(db, **kw),
        "set_status": lambda **kw: workflow.set_status(db, first, "accepted", **kw),
        "accept_incident": lambda **kw: workflow.accept_incident(db, first, **kw),
        "reject_incident": lambda **kw: workflow.reject_incident(db, first, **kw),
        "edit_form": lambda **kw: workflow.edit_form(db, first, **kw),
        "edit_incident": lambda **kw: workflow.edit_incident(db, first, {"country": "DE", "outcome": "x"}, **kw),
        "incident_history": lambda **kw: workflow.incident_history(db, first, **kw),
        "revert_edit": lambda **kw: workflow.revert_edit(db, first, 1, **kw),
        "merge_into": lambda **kw: workflow.merge_into(db, first, second, **kw),
        "split_off": lambda **kw: workflow.split_off(db, first, [mention], **kw),
    }


def test_a_forgotten_reviewer_is_a_type_error_and_writes_nothing(
        review_world: tuple[Database, int, int, int]) -> None:
    db, *ids = review_world
    before = _snapshot(db)
    calls = _review_calls(db, *ids)
    assert set(calls) == REVIEWERS
    for call in calls.values():
        with pytest.raises(TypeError, match="user"):
            call()
    with pytest.raises(TypeError, match="user"):
        publishing.set_visibility(db, ids[0], "internal")  # type: ignore[call-arg]
    assert _snapshot(db) == before


@pytest.mark.parametrize("who", [None, VIEWER], ids=["anonymous", "viewer"])
def test_only_analysts_review_and_a_refused_call_writes_nothing(review_world: tuple[Database, int, int, int],
                                                                who: UserInfo | None) -> None:
    db, *ids = review_world
    before = _snapshot(db)
    for name, call in _review_calls(db, *ids).items():
        with pytest.raises(AccessDenied, match="analyst"):
            call(user=who)
        assert _snapshot(db) == before, f"{name} wrote for {who}"  # no edit, event, decision or audit row


def _actor_calls(db: Database) -> dict[str, Callable[..., Any]]:
    """Each analyst's actor decision on real actors: two of the same kind, the first with an alias to split off."""
    with db.session() as s:
        rows = s.execute(select(models.Actor.id, models.Actor.kind).order_by(models.Actor.id)).all()
        keep, kind = next((a, k) for a, k in rows if sum(k == kk for _a, kk in rows) >= 2)
        other = next(a for a, k in rows if k == kind and a != keep)
        alias = s.scalars(select(models.ActorAlias.alias).where(models.ActorAlias.actor_id == keep)).first()
    assert alias

    def in_session(fn: Callable[[Any], Any]) -> Any:
        with db.session() as s:
            return fn(s)

    return {
        "merge_actors": lambda **kw: in_session(lambda s: actors.merge_actors(s, keep, other, **kw)),
        "split_actor": lambda **kw: in_session(lambda s: actors.split_actor(s, keep, [alias], **kw)),
        "confirm_actor": lambda **kw: in_session(lambda s: actors.confirm_actor(s, keep, **kw)),
        "analyst_merge_actors": lambda **kw: actors.analyst_merge_actors(db, keep, other, **kw),
        "analyst_split_actor": lambda **kw: actors.analyst_split_actor(db, keep, [alias], **kw),
        "analyst_confirm_actor": lambda **kw: actors.analyst_confirm_actor(db, keep, **kw),
    }


def test_a_forgotten_actor_analyst_is_a_type_error_and_writes_nothing(
        review_world: tuple[Database, int, int, int]) -> None:
    db = review_world[0]
    before = _snapshot(db)
    calls = _actor_calls(db)
    assert set(calls) == ACTORS
    for name, call in calls.items():
        with pytest.raises(TypeError, match="user"):
            call()
        assert _snapshot(db) == before, f"{name} wrote without a user"
    with pytest.raises(TypeError, match="user"):  # the old keyword is gone: no way to credit nobody
        actors.analyst_confirm_actor(db, 1, user_id=None)  # type: ignore[call-arg]


@pytest.mark.parametrize("who", [None, VIEWER], ids=["anonymous", "viewer"])
def test_only_analysts_decide_on_actors_and_a_refused_call_writes_nothing(
        review_world: tuple[Database, int, int, int], who: UserInfo | None) -> None:
    db = review_world[0]
    before = _snapshot(db)
    for name, call in _actor_calls(db).items():
        with pytest.raises(AccessDenied, match="analyst"):
            call(user=who)
        assert _snapshot(db) == before, f"{name} wrote for {who}"


def test_the_snapshot_sees_a_review(review_world: tuple[Database, int, int, int]) -> None:
    """The control: the same calls for the operator do write, so the checks above can fail."""
    db, first, _second, _mention = review_world
    before = _snapshot(db)
    assert workflow.edit_incident(db, first, {"outcome": "released"}, user=SYSTEM) == ["outcome"]
    after = _snapshot(db)
    for table in ("incident_edits", "review_events", "audit_log"):
        assert after[table] > before[table], table
    assert after["head"] != before["head"]
    _actor_calls(db)["analyst_confirm_actor"](user=SYSTEM)  # and an actor decision by the operator
    assert _snapshot(db)["review_events"] == after["review_events"] + 1
