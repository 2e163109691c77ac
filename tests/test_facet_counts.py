"""Facet counts are exact whatever the size of the result, on both backends: 2,000 incidents written
directly (core inserts, as the web benchmark does), searches matching well over 1,000 of them, and
every count compared with a count made in Python from the generated values. Each of the three ways
`count_facets` gathers counts (from the matches, by a scan of the facet table, by subtracting the
non-matching ones from the totals) is forced in turn. A viewer's counts leave out the restricted
incidents, by every way."""

from __future__ import annotations

import hashlib
import random
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import insert

from kolokol import facets, search
from kolokol.search import SearchQuery, search_incidents
from kolokol.security.roles import SYSTEM, Role, UserInfo
from kolokol.store import models
from kolokol.store.db import Database, open_database

N = 2000
VIEWER = UserInfo(id=None, username="v", role=Role.VIEWER)
COUNTRIES = ["KG", "KZ", "TR", "RU", "TJ", "UZ"]
TYPES = [("detention",), ("detention", "interrogation"), ("threat",), ("detention", "legal_action"), ("summons",)]
PEOPLE = {i: nationality for i, nationality in enumerate(["RU", "TJ", "UZ", "BY", "KG", "RU", "TJ", "AZ", "KZ",
                                                          "RU", "UZ", "TM"], start=1)}
AGENCIES = {100 + i: country for i, country in enumerate(COUNTRIES)}


@dataclass(slots=True)
class Made:
    """An incident as generated: its facet values as people see them (an analyst's country wins)."""

    id: int
    day: str
    visibility: str
    values: set[tuple[str, str]] = field(default_factory=set)

    def has(self, facet: str, value: str) -> bool:
        return (facet, value) in self.values


def _generate(db: Database) -> list[Made]:
    rnd = random.Random(5)
    made: list[Made] = []
    actors = [{"id": i, "kind": "person", "name": f"Person {i}", "nationality": n, "name_index": f"p{i}"}
              for i, n in PEOPLE.items()]
    actors += [{"id": i, "kind": "agency", "name": f"Agency {i}", "country": c, "name_index": f"a{i}"}
               for i, c in AGENCIES.items()]
    incidents, reports, mentions, links, edits = [], [], [], [], []
    for iid in range(1, N + 1):
        country = rnd.choice(COUNTRIES)
        types = rnd.choice(TYPES)
        day = f"20{rnd.randint(15, 24)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        target = rnd.choice(list(PEOPLE))
        agency = 100 + COUNTRIES.index(country)
        sources = 1 if rnd.random() < 0.7 else 2
        status = "new" if rnd.random() < 0.9 else rnd.choice(["accepted", "rejected"])
        visibility = "restricted" if rnd.random() < 0.3 else "internal"
        shown = country
        if iid % 50 == 0:  # an analyst's country wins over the machine's
            shown = "DE"
            edits.append({"incident_id": iid, "field": "country", "value": shown})
        incidents.append({"id": iid, "key": f"k{iid}", "types": list(types), "date": day, "date_precision": "day",
                          "country": country, "origin_country": "RU", "summary": {}, "independent_sources": sources,
                          "review_status": status, "visibility": visibility, "locked": False})
        text = f"Person {target} was detained on {day}."
        reports.append({"id": iid, "source_id": f"r{iid}", "kind": "text", "clean_text": text, "raw": text.encode(),
                        "content_hash": hashlib.sha256(f"c{iid}".encode()).hexdigest(),
                        "raw_hash": hashlib.sha256(f"r{iid}".encode()).hexdigest(), "char_count": len(text),
                        "confidential": False, "metadata_json": {}})
        mentions.append({"id": iid, "report_id": iid, "incident_id": iid, "ordinal": 0, "types": list(types),
                         "date": day, "country": country, "targets": [], "perpetrators": [], "legal_basis": [],
                         "evidence": text, "evidence_spans": {}, "confidence": 0.8, "extractor": "test",
                         "extractor_version": "1", "current": True})
        links += [{"mention_id": iid, "actor_id": target, "role": "target", "confidence": 1.0},
                  {"mention_id": iid, "actor_id": agency, "role": "perpetrator", "confidence": 1.0}]
        values = {("type", t) for t in types} | {
            ("country", shown), ("target", str(target)), ("perpetrator", str(agency)),
            ("nationality", PEOPLE[target]), ("status", status), ("sources", str(sources))}
        made.append(Made(iid, day, visibility, values))
    with db.session() as s:
        for table, rows in ((models.Actor, actors), (models.Incident, incidents), (models.Report, reports),
                            (models.Mention, mentions), (models.MentionActor, links), (models.IncidentEdit, edits)):
            for i in range(0, len(rows), 1000):
                s.execute(insert(table), rows[i:i + 1000])
        facets.refresh_facets(s, None)
    return made


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def big(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database,
                                                                                                      list[Made]]]:
    """One database per backend for the module (the tests only read it)."""
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('counts')) / 'kolokol.db'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database()
    db = open_database(url)
    made = _generate(db)
    yield db, made
    db.close()


Rule = Callable[[Made], bool]
SEARCHES: dict[str, tuple[dict[str, str], Rule]] = {
    "everything": ({}, lambda m: True),
    "type": ({"type": "detention"}, lambda m: m.has("type", "detention")),
    "status": ({"status": "new"}, lambda m: m.has("status", "new")),
    "nationality": ({"nationality": "RU"}, lambda m: m.has("nationality", "RU")),
    "dates": ({"since": "2016", "until": "2023-06"}, lambda m: "2016-01-01" <= m.day <= "2023-06-30"),
    "sources": ({"min_sources": "2"}, lambda m: m.has("sources", "2")),
    "two facets": ({"type": "detention", "country": "KG"}, lambda m: m.has("type", "detention")
                   and m.has("country", "KG")),
}
WAYS = {"matches": (1.0, 2.0), "scan": (0.0, 2.0), "complement": (0.0, 0.0), "chosen": None}


def expected(made: list[Made], rule: Rule, *, viewer: bool = False) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = {f: Counter() for f in facets.FACETS}
    for m in made:
        if rule(m) and (not viewer or m.visibility != "restricted"):
            for facet, value in m.values:
                counts[facet][value] += 1
    return {f: dict(c) for f, c in counts.items()}


def found(db: Database, filters: dict[str, str], user: UserInfo | None) -> tuple[int, dict[str, dict[str, int]]]:
    result = search_incidents(db, SearchQuery.parse(**filters), user=user)
    assert "facets_sampled" not in result.to_dict()  # no "approximate" notice: there is nothing approximate
    return result.total, {f: dict(vs) for f, vs in result.facets.items()}


@pytest.fixture(params=list(WAYS))
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Force one way of counting (thresholds), with an empty cache of counts."""
    monkeypatch.setattr(search, "_FACET_CACHE", OrderedDict())
    if WAYS[request.param] is not None:
        by_matches, by_complement = WAYS[request.param]  # type: ignore[misc]
        monkeypatch.setattr(facets, "BY_MATCHES", by_matches)
        monkeypatch.setattr(facets, "BY_COMPLEMENT", by_complement)
    return str(request.param)


@pytest.mark.parametrize("name", list(SEARCHES))
def test_counts_are_exact_for_big_results(big: tuple[Database, list[Made]], way: str, name: str) -> None:
    db, made = big
    filters, rule = SEARCHES[name]
    total, counts = found(db, filters, SYSTEM)
    assert total == sum(1 for m in made if rule(m))
    if name in ("everything", "type", "status", "dates"):
        assert total > 1000  # more than counts were once taken from
    assert counts == expected(made, rule)  # fewer distinct values than a facet shows: every count is there


@pytest.mark.parametrize("name", ["everything", "type", "status", "two facets"])
def test_a_viewers_counts_leave_out_restricted_incidents(big: tuple[Database, list[Made]], way: str,
                                                         name: str) -> None:
    db, made = big
    filters, rule = SEARCHES[name]
    total, counts = found(db, filters, VIEWER)
    visible = [m for m in made if rule(m) and m.visibility != "restricted"]
    assert total == len(visible) and 0 < total < sum(1 for m in made if rule(m))
    if name in ("everything", "status"):
        assert total > 1000
    assert counts == expected(made, rule, viewer=True)


def test_counts_of_the_sampled_past_are_not_what_is_shown(big: tuple[Database, list[Made]]) -> None:
    """The counts of the newest 1,000 alone (what the page once showed) differ from the exact ones:
    the tests above would have failed on them."""
    db, made = big
    _filters, rule = SEARCHES["status"]
    newest = sorted((m for m in made if rule(m)), key=lambda m: (m.day, m.id), reverse=True)[:1000]
    sampled = expected(newest, lambda m: True)
    assert sampled["type"] != expected(made, rule)["type"]
    assert found(db, {"status": "new"}, SYSTEM)[1]["type"] == expected(made, rule)["type"]
