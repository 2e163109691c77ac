"""Trend alerts on both backends, from synthetic incidents: the Bishkek pattern (three exiles seized
within about ten days against a quiet background) fires; a steady rate, too few incidents, rejected,
imprecisely dated or domestic incidents do not; rules are validated and only admins edit them."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from kolokol import facets
from kolokol.alerts import (
    DEFAULT_RULES,
    AlertError,
    Rule,
    current_alerts,
    delete_rule,
    evaluate_rule,
    list_rules,
    save_rule,
    validate_rule,
)
from kolokol.errors import KolokolError
from kolokol.security.roles import SYSTEM, Role, UserInfo
from kolokol.store import models
from kolokol.store.db import Database

SEIZED = Rule(id=None, name="seized", types=["detention", "abduction", "rendition"], target_nationality=None,
              country=None, min_count=3, window_days=14, rate_factor=3.0)


def add(db: Database, date: str, *, country: str = "KG", origin: str = "RU", types: tuple[str, ...] = ("detention",),
        status: str = "new", precision: str = "day") -> int:
    with db.session() as s:
        inc = models.Incident(key=uuid.uuid4().hex, types=list(types), date=date, date_precision=precision,
                              country=country, origin_country=origin, summary={}, independent_sources=1,
                              review_status=status)
        s.add(inc)
        s.flush()
        facets.refresh_facets(s, [inc.id])
        return inc.id


def alerts_of(db: Database, rule: Rule = SEIZED, today: dt.date = dt.date(2023, 6, 20)) -> list:
    with db.session() as s:
        return evaluate_rule(s, rule, today=today)


def test_bishkek_pattern_fires(db: Database) -> None:
    add(db, "2023-03-10")  # the background: one such case in the quarter before
    seized = [add(db, "2023-06-05"), add(db, "2023-06-09", types=("abduction",)), add(db, "2023-06-14")]
    [alert] = alerts_of(db)
    assert (alert.country, alert.nationality, alert.count) == ("KG", "RU", 3)
    assert (alert.start, alert.end) == (dt.date(2023, 6, 5), dt.date(2023, 6, 14))
    assert alert.incident_ids == sorted(seized) and alert.baseline == 1 and alert.active
    assert alert.factor == round(3 / (14 / 90), 1)
    assert not alerts_of(db, today=dt.date(2024, 1, 1))[0].active  # history, not news
    assert alert.to_dict()["start"] == "2023-06-05"
    # a rule for another nationality or country stays silent
    assert alerts_of(db, Rule(**{**SEIZED.to_dict(), "target_nationality": "TJ"})) == []
    assert alerts_of(db, Rule(**{**SEIZED.to_dict(), "country": "KZ"})) == []
    assert len(alerts_of(db, Rule(**{**SEIZED.to_dict(), "country": "KG", "target_nationality": "RU"}))) == 1


def test_a_steady_rate_does_not_fire(db: Database) -> None:
    for month in range(1, 7):  # five a month for half a year: three in two weeks is no surge
        for day in (1, 7, 13, 19, 25):
            add(db, f"2023-{month:02d}-{day:02d}", country="TR", origin="TJ")
    found = alerts_of(db)
    assert [a.start.isoformat() for a in found] == ["2023-01-01"]  # only the start, with no history yet
    tight = Rule(**{**SEIZED.to_dict(), "rate_factor": 1.0})
    assert any(a.end > dt.date(2023, 3, 1) for a in alerts_of(db, tight))  # above the background at factor 1


def test_what_does_not_count(db: Database) -> None:
    add(db, "2023-06-05")
    add(db, "2023-06-09")
    assert alerts_of(db) == []  # two are too few
    third = add(db, "2023-06-14", status="rejected")
    add(db, "2023-06", precision="month")  # cannot be placed in a ten-day window
    add(db, "2023-06-12", types=("threat",))  # another kind of act
    add(db, "2023-06-10", country="RU", origin="RU")  # at home: not transnational
    add(db, "2023-06-11", country="RU", origin="RU")
    add(db, "2023-06-12", country="RU", origin="RU")
    assert alerts_of(db) == []
    with db.session() as s:
        s.get(models.Incident, third).review_status = "accepted"
        facets.refresh_facets(s, [third])
    assert [a.count for a in alerts_of(db)] == [3]


def test_two_separate_surges_are_two_episodes(db: Database) -> None:
    for date in ("2023-01-02", "2023-01-05", "2023-01-09", "2023-09-01", "2023-09-03", "2023-09-04",
                 "2023-09-06"):
        add(db, date)
    found = alerts_of(db, today=dt.date(2023, 9, 10))
    assert [(a.start.isoformat(), a.count, a.active) for a in found] == [("2023-09-01", 4, True),
                                                                          ("2023-01-02", 3, False)]


def test_rules_defaults_and_admin_only(db: Database) -> None:
    rules = list_rules(db)
    assert [r.name for r in rules] == [r["name"] for r in DEFAULT_RULES] and rules[0].types == [
        "abduction", "detention", "rendition"]
    for rule in rules:
        delete_rule(db, rule.id, user=SYSTEM)  # type: ignore[arg-type]
    assert list_rules(db) == []  # deleted defaults do not come back
    rule = save_rule(db, {"name": "Bishkek", "types": ["detention"], "country": "kg", "target_nationality": "ru",
                          "min_count": "3", "window_days": "10", "rate_factor": "2.5"}, user=SYSTEM)
    assert (rule.country, rule.target_nationality, rule.baseline_days) == ("KG", "RU", 90)
    changed = save_rule(db, {**rule.to_dict(), "enabled": "off", "min_count": 4}, rule_id=rule.id, user=SYSTEM)
    assert changed.min_count == 4 and not changed.enabled
    analyst = UserInfo(id=None, username="a", role=Role.ANALYST)
    with pytest.raises(KolokolError, match="admin"):
        save_rule(db, rule.to_dict(), user=analyst)
    with pytest.raises(KolokolError, match="admin"):
        delete_rule(db, rule.id, user=analyst)  # type: ignore[arg-type]
    with db.session() as s:
        assert "alerts.save" in set(s.scalars(select(models.AuditEntry.action)))


@pytest.mark.parametrize("bad", [{"name": ""}, {"types": ["bogus"]}, {"country": "Kyrgyzstan"},
                                 {"min_count": 0}, {"window_days": "ten"}, {"rate_factor": 0.5},
                                 {"baseline_days": 1}])
def test_bad_rules_are_refused(bad: dict) -> None:
    good = {"name": "x", "types": [], "min_count": 3, "window_days": 14, "rate_factor": 3}
    validate_rule(good)
    with pytest.raises(AlertError):
        validate_rule({**good, **bad})


def test_alerts_need_an_analyst_and_respect_visibility(db: Database) -> None:
    for date in ("2023-06-05", "2023-06-09", "2023-06-14"):
        add(db, date)
    viewer = UserInfo(id=None, username="v", role=Role.VIEWER)
    with pytest.raises(KolokolError, match="analyst"):
        current_alerts(db, user=viewer)
    analyst = UserInfo(id=None, username="a", role=Role.ANALYST)
    found = current_alerts(db, user=analyst, today=dt.date(2023, 6, 20))
    assert found and found[0].active and found[0].rule == DEFAULT_RULES[0]["name"]
