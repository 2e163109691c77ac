"""Facets in SQL on both backends, from synthetic incidents: every facet, the derived tables kept in
step (and rebuilt when not), analysts' values winning, exact counts by each way of counting, the cache
of counts that any change invalidates, and the access clause applied to counts too."""

from __future__ import annotations

import uuid
from collections import OrderedDict

import pytest
from sqlalchemy import delete, select

from kolokol import facets, search
from kolokol.search import SearchQuery, search_incidents
from kolokol.security.roles import SYSTEM, Role, UserInfo
from kolokol.store import models
from kolokol.store.db import Database

VIEWER = UserInfo(id=None, username="v", role=Role.VIEWER)


def add(db: Database, date: str, *, country: str = "KG", origin: str = "RU", types: tuple[str, ...] = ("detention",),
        visibility: str = "restricted", refresh: bool = True) -> int:
    with db.session() as s:
        inc = models.Incident(key=uuid.uuid4().hex, types=list(types), date=date, date_precision="day",
                              country=country, origin_country=origin, summary={}, independent_sources=1,
                              visibility=visibility)
        s.add(inc)
        s.flush()
        if refresh:
            facets.refresh_facets(s, [inc.id])
        return inc.id


def counts(db: Database, **filters: str) -> dict[str, dict[str, int]]:
    result = search_incidents(db, SearchQuery.parse(**filters), user=SYSTEM)
    return {k: dict(v) for k, v in result.facets.items()}


def test_facets_filters_and_edits(db: Database) -> None:
    a = add(db, "2024-01-05", types=("detention", "interrogation"))
    b = add(db, "2024-02-05", country="TR", origin="TJ")
    c = add(db, "2024-03-05", country="TR", origin="UZ", types=("threat",))
    found = counts(db)
    assert found["type"] == {"detention": 2, "interrogation": 1, "threat": 1}
    assert found["country"] == {"KG": 1, "TR": 2} and found["nationality"] == {"RU": 1, "TJ": 1, "UZ": 1}
    assert found["status"] == {"new": 3} and found["sources"] == {"1": 3}
    assert counts(db, country="TR")["type"] == {"detention": 1, "threat": 1}
    found_tr = search_incidents(db, SearchQuery.parse(type="detention", country="TR"), user=SYSTEM)
    assert {r.id for r in found_tr.incidents} == {b}
    assert [r.id for r in search_incidents(db, SearchQuery.parse(since="2024-02"), user=SYSTEM).incidents] == [c, b]
    with db.session() as s:  # an analyst's value wins (and is counted once the tables are refreshed)
        s.add(models.IncidentEdit(incident_id=a, field="country", value="KZ"))
        s.flush()
        facets.refresh_facets(s, [a])
    assert counts(db)["country"] == {"KZ": 1, "TR": 2}  # the cached counts were invalidated


def test_tables_rebuild_when_out_of_step(db: Database) -> None:
    add(db, "2024-01-05")
    add(db, "2024-01-06", refresh=False)  # written without refreshing the derived tables
    assert search_incidents(db, SearchQuery(), user=SYSTEM).total == 2
    with db.session() as s:
        s.execute(delete(models.IncidentFacet))
        s.execute(delete(models.IncidentState))
    assert search_incidents(db, SearchQuery(), user=SYSTEM).total == 2
    with db.session() as s:
        assert s.scalar(select(models.IncidentState.incident_id).limit(1)) is not None


def test_counts_are_exact_by_every_way_of_counting(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    first = add(db, "2024-01-01", country="KG")
    for day in range(2, 13):
        add(db, f"2024-01-{day:02d}", country="KG" if day % 2 else "TR", types=("detention",) if day < 11 else
            ("threat",))
    wanted = {"KG": 5, "TR": 5}  # ten detentions of twelve incidents
    for by_matches, by_complement in ((1.0, 2.0), (0.0, 2.0), (0.0, 0.0)):  # matches, scan, complement
        monkeypatch.setattr(facets, "BY_MATCHES", by_matches)
        monkeypatch.setattr(facets, "BY_COMPLEMENT", by_complement)
        monkeypatch.setattr(search, "_FACET_CACHE", OrderedDict())
        result = search_incidents(db, SearchQuery.parse(type="detention"), facet_sample=5, user=SYSTEM)
        assert result.total == 10 and dict(result.facets["country"]) == wanted
        assert dict(result.facets["type"]) == {"detention": 10}  # the complement's values drop out
        assert "facets_sampled" not in result.to_dict()
    with db.session() as s:  # deleted without a refresh: the kept totals are stale, the complement is not used
        s.delete(s.get(models.Incident, first))
    monkeypatch.setattr(search, "_FACET_CACHE", OrderedDict())
    result = search_incidents(db, SearchQuery.parse(type="detention"), user=SYSTEM)
    assert result.total == 9 and dict(result.facets["country"]) == {"KG": 4, "TR": 5}


def test_counts_respect_visibility(db: Database) -> None:
    add(db, "2024-01-05", country="KG")
    add(db, "2024-01-06", country="TR", visibility="internal")
    seen = search_incidents(db, SearchQuery(), user=VIEWER)
    assert seen.total == 1 and dict(seen.facets["country"]) == {"TR": 1}
    assert dict(search_incidents(db, SearchQuery(), user=SYSTEM).facets["country"]) == {"KG": 1, "TR": 1}


def test_counts_of_everything_follow_changes(db: Database) -> None:
    a = add(db, "2024-01-05")
    b = add(db, "2024-01-06", country="TR")
    assert counts(db)["country"] == {"KG": 1, "TR": 1}
    c = add(db, "2024-01-07", country="TR")  # carried over from the previous counts, not recounted
    assert counts(db)["country"] == {"KG": 1, "TR": 2}
    with db.session() as s:  # an incident deleted without a refresh: its rows go by cascade
        s.delete(s.get(models.Incident, b))
        s.flush()
        facets.refresh_facets(s, [a, c])
    assert counts(db)["country"] == {"KG": 1, "TR": 1}  # the carry noticed and counted again
