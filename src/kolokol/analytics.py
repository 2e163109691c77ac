"""Aggregates for the charts, the map and actor pages, over the incidents a user may see and that a
search selects (the same filters as search, kolokol.search.SearchQuery):

- `timeline`: incidents per month and type;
- `map_data`: incidents per place (with coordinates from the gazetteer) and per country;
- `actor_network`: who acted against whom (perpetrator -> target) and who was targeted together,
  weighted by the number of incidents, the busiest actors only;
- `actor_profile`: one actor, its names and its history, limited to incidents the user may see.

Counts run in SQL over the derived tables of kolokol.facets; actor names are decrypted only for the
few actors a page shows. `user` is required (keyword-only, no default): see kolokol.search.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import combinations
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from kolokol import facets
from kolokol.errors import NotFound
from kolokol.search import SearchQuery, scope_conditions
from kolokol.security.roles import UserInfo
from kolokol.store import models
from kolokol.store.db import Database

NETWORK_NODES = 60


def _conditions(session: Session, query: SearchQuery | None, user: UserInfo | None) -> list[Any]:
    return scope_conditions(session, user) + (query or SearchQuery()).conditions(session)


_CACHE: dict[tuple[Any, ...], dict[str, Any]] = {}
_CACHE_LOCK = threading.Lock()


def _cached(name: str, compute: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """For those who see every incident, one result per search until the data changes (the epoch of
    kolokol.facets); others always get a fresh one, computed over what they may see."""

    @functools.wraps(compute)
    def wrapper(db: Database, query: SearchQuery | None = None, *, user: UserInfo | None,
                **kwargs: Any) -> dict[str, Any]:
        with db.session() as s:
            everything = not scope_conditions(s, user)
            key = (name, str(db.engine.url), facets.epoch(s), tuple(sorted((query or SearchQuery()).params(
                page=1, view="table").items())), tuple(sorted(kwargs.items()))) if everything else None
        if key is not None:
            with _CACHE_LOCK:
                if key in _CACHE:
                    return copy.deepcopy(_CACHE[key])
        result = compute(db, query, user=user, **kwargs)
        if key is not None:
            with _CACHE_LOCK:
                if len(_CACHE) > 64:
                    _CACHE.clear()
                _CACHE[key] = copy.deepcopy(result)
        return result

    return wrapper


def _months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last and len(out) < 600:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def timeline(db: Database, query: SearchQuery | None = None, *, user: UserInfo | None) -> dict[str, Any]:
    """Incidents per month (every month from the first to the last) and type; undated ones counted apart."""
    s_, f_ = facets.S, facets.F
    with db.session() as s:
        conditions = _conditions(s, query, user)
        rows = s.execute(select(s_.month, f_.value, func.count())
                         .join(f_, and_(f_.incident_id == s_.incident_id, f_.facet == "type"))
                         .where(s_.month.is_not(None), *conditions)
                         .group_by(s_.month, f_.value)).all()
        undated = s.scalar(select(func.count()).select_from(s_).where(s_.month.is_(None), *conditions)) or 0
    if not rows:
        return {"months": [], "types": [], "series": {}, "undated": int(undated), "total": 0}
    months = _months(min(r[0] for r in rows), max(r[0] for r in rows))
    where = {m: i for i, m in enumerate(months)}
    totals: Counter[str] = Counter()
    for _m, t, n in rows:
        totals[t] += n
    types = [t for t, _n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
    series = {t: [0] * len(months) for t in types}
    for month, t, n in rows:
        series[t][where[month]] += int(n)
    return {"months": months, "types": types, "series": series, "undated": int(undated),
            "total": sum(totals.values())}


def map_data(db: Database, query: SearchQuery | None = None, *, user: UserInfo | None) -> dict[str, Any]:
    """Incidents per place (those with coordinates) and per country."""
    s_ = facets.S
    with db.session() as s:
        conditions = _conditions(s, query, user)
        per_place = s.execute(select(s_.place_id, func.count()).where(s_.place_id.is_not(None), *conditions)
                              .group_by(s_.place_id)).all()
        per_country = s.execute(select(s_.country, func.count()).where(s_.country.is_not(None), *conditions)
                                .group_by(s_.country)).all()
        total = facets.count_matching(s, conditions)
        ids = [pid for pid, _n in per_place]
        places = {}
        for i in range(0, len(ids), 500):
            for p in s.scalars(select(models.Place).where(models.Place.id.in_(ids[i:i + 500]))):
                places[p.id] = p
    points = []
    for pid, n in per_place:
        p = places.get(pid)
        if p is None:
            continue
        points.append({"id": pid, "name": p.name, "country": p.country, "lat": p.latitude, "lon": p.longitude,
                       "count": int(n)})
    points.sort(key=lambda p: (-p["count"], p["id"]))
    placed = sum(p["count"] for p in points if p["lat"] is not None)
    return {"places": points, "countries": sorted(({"code": c, "count": int(n)} for c, n in per_country),
                                                   key=lambda c: (-c["count"], c["code"])),
            "total": total, "unplaced": total - placed}


def _links(session: Session, conditions: list[Any]) -> dict[int, dict[str, set[int]]]:
    """incident -> role -> actor ids, from the current mentions of the matching incidents."""
    m, ma = models.Mention, models.MentionActor
    query = (select(m.incident_id, ma.role, ma.actor_id).join(ma, ma.mention_id == m.id)
             .where(m.current.is_(True), m.incident_id.in_(facets.matching(conditions))))
    out: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for iid, role, actor in session.execute(query):
        out[iid][role].add(actor)
    return out


def actor_network(db: Database, query: SearchQuery | None = None, *, user: UserInfo | None,
                  limit: int = NETWORK_NODES) -> dict[str, Any]:
    """The busiest actors and the links between them: `acted_against` (perpetrator -> target) and
    `targeted_together` (two targets of one incident), each weighted by incidents. Read from the facet
    table (actor ids, analysts' edits applied): a GROUP BY finds the busiest, then only their links."""
    f_ = facets.F
    role_of = {"target": "target", "perpetrator": "perpetrator"}
    with db.session() as s:
        conditions = _conditions(s, query, user)
        where = [f_.facet.in_(list(role_of))]
        if conditions:
            where.append(f_.incident_id.in_(facets.matching(conditions)))
        per_role = s.execute(select(f_.value, f_.facet, func.count()).where(*where)
                             .group_by(f_.facet, f_.value)).all()
        total = int(s.scalar(select(func.count(func.distinct(f_.incident_id))).where(*where)) or 0)
        incidents: Counter[int] = Counter()
        roles: dict[int, Counter[str]] = defaultdict(Counter)
        for value, facet, n in per_role:
            if value.isdigit():
                incidents[int(value)] += int(n)
                roles[int(value)][role_of[facet]] += int(n)
        kept = [a for a, _n in sorted(incidents.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
        keep = set(kept)
        links: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        if kept:
            for iid, facet, value in s.execute(select(f_.incident_id, f_.facet, f_.value)
                                               .where(*where, f_.value.in_([str(a) for a in kept]))):
                links[iid][role_of[facet]].add(int(value))
        weights: Counter[tuple[str, int, int]] = Counter()
        for by_role in links.values():
            targets = sorted(by_role.get("target", set()) & keep)
            for p in sorted(by_role.get("perpetrator", set()) & keep):
                for t in targets:
                    if p != t:
                        weights[("acted_against", p, t)] += 1
            for a, b in combinations(targets, 2):
                weights[("targeted_together", a, b)] += 1
        actors = {a.id: a for a in s.scalars(select(models.Actor).where(models.Actor.id.in_(kept)))} if kept else {}
        nodes = [{"id": a, "name": actors[a].name, "kind": actors[a].kind, "country": actors[a].country,
                  "incidents": incidents[a], "role": roles[a].most_common(1)[0][0]} for a in kept if a in actors]
    edges = [{"kind": kind, "source": a, "target": b, "weight": n}
             for (kind, a, b), n in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))]
    return {"nodes": nodes, "edges": edges, "incidents": total}


def actor_profile(db: Database, actor_id: int, *, user: UserInfo | None) -> dict[str, Any]:
    """An actor, its names and its history over the incidents `user` may see; NotFound when it appears
    in none of them (so a restricted actor's existence is not revealed)."""
    from kolokol.resolve.actors import actor_to_dict
    from kolokol.resolve.history import actor_history

    with db.session() as s:
        actor = s.get(models.Actor, actor_id)
        history = actor_history(s, actor_id) if actor is not None else []
        ids = sorted({e.incident_id for e in history if e.incident_id is not None})
        conditions = scope_conditions(s, user)
        visible = set(s.scalars(facets.matching([*conditions, facets.S.incident_id.in_(ids)]))) if ids else set()
        history = [e for e in history if e.incident_id in visible]
        if actor is None or not history:
            raise NotFound(f"no actor {actor_id}", hint="open actors from an incident page")
        co: Counter[tuple[int, str]] = Counter()
        for iid, by_role in _links(s, [facets.S.incident_id.in_(sorted(visible))]).items():
            del iid
            mine = {r for r, actors in by_role.items() if actor_id in actors}
            for role, actors in by_role.items():
                for other in actors - {actor_id}:
                    relation = ("targeted_together" if role == "target" and "target" in mine else
                                "acted_against_it" if role == "perpetrator" and "target" in mine else
                                "targeted_by_it" if role == "target" and "perpetrator" in mine else "acted_together")
                    co[(other, relation)] += 1
        others = {a.id: a for a in s.scalars(select(models.Actor).where(
            models.Actor.id.in_(sorted({o for o, _r in co}))))} if co else {}
        related = [{"id": o, "name": others[o].name, "kind": others[o].kind, "relation": r, "incidents": n}
                   for (o, r), n in sorted(co.items(), key=lambda kv: (-kv[1], kv[0])) if o in others][:40]
        return {"actor": actor_to_dict(actor, len(history)), "history": [e.to_dict() for e in history],
                "related": related, "as_of": dt.date.today().isoformat()}


timeline = _cached("timeline", timeline)
map_data = _cached("map", map_data)
actor_network = _cached("network", actor_network)
