"""Trend alerts: "N or more incidents of type T against nationals of X in country Y within D days, at
least K times the previous baseline rate".

A rule (`alert_rules`) names its types (comma-separated; empty: any type), the targets' nationality
and the country where the acts happened. An empty nationality or country means *each one apart*:
the default rules watch every diaspora in every host country, one group at a time, and leave out
acts against a state's own nationals at home (not transnational).

Evaluation slides a window of D days over the dated incidents of each group (dates precise to the
day or the week; rejected incidents never count). A window *fires* when it holds at least N
incidents and at least K times what the baseline predicts: the incidents of the B days before the
window, scaled to D days (a group with no history fires on N alone). Overlapping firing windows
make one alert episode, with its incidents, first and last date and the rate it rose from. An
episode is *active* when it ended within the last D days. Everything is computed from the incidents
the asking user may see, so an alert never reveals a restricted incident to a viewer.

The pattern this was built for: three exiled activists seized in one city within about ten days
(reported from Bishkek in June 2023), against a background of a few such cases a year.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from kolokol import facets
from kolokol.domain import IncidentType
from kolokol.errors import KolokolError, NotFound
from kolokol.security import audit
from kolokol.security.roles import AccessDenied, Permission, UserInfo, can
from kolokol.store import models
from kolokol.store.db import Database

DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    {"name": "People seized: detentions, abductions, renditions of one diaspora in one country",
     "incident_type": "detention,abduction,rendition", "min_count": 3, "window_days": 14, "rate_factor": 3.0},
    {"name": "Removals: deportations and extraditions of one diaspora from one country",
     "incident_type": "deportation,extradition", "min_count": 3, "window_days": 30, "rate_factor": 3.0},
    {"name": "Pressure: threats, summonses, interrogations, surveillance of one diaspora",
     "incident_type": "threat,summons,interrogation,surveillance", "min_count": 4, "window_days": 30,
     "rate_factor": 3.0},
    {"name": "Any act against one diaspora in one country", "incident_type": None, "min_count": 5,
     "window_days": 30, "rate_factor": 3.0},
)
SEEDED = "alerts.defaults"  # audit action that records the defaults were created once
DATED = ("day", "week")
LIMITS = {"min_count": (1, 1000), "window_days": (1, 366), "baseline_days": (7, 3660)}


class AlertError(KolokolError):
    code = "alerts"


@dataclass(slots=True)
class Rule:
    id: int | None
    name: str
    types: list[str]
    target_nationality: str | None
    country: str | None
    min_count: int
    window_days: int
    rate_factor: float
    baseline_days: int = 90
    enabled: bool = True

    @classmethod
    def of(cls, row: models.AlertRule) -> Rule:
        return cls(id=row.id, name=row.name, types=_split(row.incident_type), target_nationality=row.target_nationality,
                   country=row.country, min_count=row.min_count, window_days=row.window_days,
                   rate_factor=row.rate_factor, baseline_days=row.baseline_days, enabled=row.enabled)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        kinds = ", ".join(self.types) or "any type"
        who = f"nationals of {self.target_nationality}" if self.target_nationality else "one nationality"
        where = f"in {self.country}" if self.country else "in one country"
        return (f"{self.min_count}+ incidents ({kinds}) against {who} {where} within {self.window_days} days, "
                f"at least {self.rate_factor:g}× the previous {self.baseline_days}-day rate")


def _split(types: str | None) -> list[str]:
    return [t for t in (types or "").split(",") if t]


@dataclass(slots=True)
class Alert:
    rule_id: int | None
    rule: str
    country: str | None
    nationality: str | None
    start: dt.date
    end: dt.date
    count: int
    baseline: int  # incidents in the baseline period before the first firing window
    expected: float  # what the baseline predicts for one window
    incident_ids: list[int] = field(default_factory=list)
    active: bool = False

    @property
    def factor(self) -> float | None:
        return round(self.count / self.expected, 1) if self.expected else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(start=self.start.isoformat(), end=self.end.isoformat(), factor=self.factor,
                    expected=round(self.expected, 2))
        return data


# --- rules -----------------------------------------------------------------------------------------

def ensure_default_rules(session: Session) -> None:
    """Create the default rules once per database (an audit entry remembers it, so an admin who
    deletes them does not see them come back)."""
    done = session.scalar(select(models.AuditEntry.id).where(models.AuditEntry.action == SEEDED).limit(1))
    if done is not None or session.scalar(select(models.AlertRule.id).limit(1)) is not None:
        return
    for rule in DEFAULT_RULES:
        session.add(models.AlertRule(**validate_rule(rule)))
    session.flush()
    audit.append(session, SEEDED, details={"rules": len(DEFAULT_RULES)})


def list_rules(db: Database) -> list[Rule]:
    with db.session() as s:
        ensure_default_rules(s)
        return [Rule.of(r) for r in s.scalars(select(models.AlertRule).order_by(models.AlertRule.id))]


def _number(data: Mapping[str, Any], name: str, kind: type, default: Any = None) -> Any:
    raw = data.get(name, default)
    if raw in (None, ""):
        if default is None:
            raise AlertError(f"{name.replace('_', ' ')} is required")
        raw = default
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        raise AlertError(f"{name.replace('_', ' ')} {raw!r} is not a number") from None
    low, high = LIMITS.get(name, (1.0, 100.0))
    if not low <= value <= high:
        raise AlertError(f"{name.replace('_', ' ')} must be between {low} and {high}")
    return value


def validate_rule(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check a rule from a form or JSON (raises AlertError); returns the column values."""
    name = " ".join(str(data.get("name") or "").split())
    if not name or len(name) > 200:
        raise AlertError("a rule needs a name of at most 200 characters")
    raw_types = data.get("types", data.get("incident_type")) or []
    types = _split(raw_types) if isinstance(raw_types, str) else [str(t) for t in raw_types]
    types = [t.strip().lower() for t in types if t.strip()]
    bad = [t for t in types if t not in {k.value for k in IncidentType}]
    if bad:
        raise AlertError(f"{', '.join(bad)} is not an incident type", hint=", ".join(k.value for k in IncidentType))
    codes = {}
    for key in ("target_nationality", "country"):
        code = str(data.get(key) or "").strip().upper() or None
        if code and (len(code) != 2 or not code.isalpha()):
            raise AlertError(f"{key.replace('_', ' ')} {code!r} is not an ISO 3166-1 alpha-2 code")
        codes[key] = code
    enabled = data.get("enabled", True)
    if isinstance(enabled, str):
        enabled = enabled.lower() in ("1", "true", "on", "yes")
    return {"name": name, "incident_type": ",".join(sorted(set(types))) or None, **codes,
            "min_count": _number(data, "min_count", int), "window_days": _number(data, "window_days", int),
            "rate_factor": _number(data, "rate_factor", float),
            "baseline_days": _number(data, "baseline_days", int, 90),
            "enabled": bool(enabled)}


def _require_admin(user: UserInfo | None) -> None:
    if not can(user, Permission.MANAGE_ALERTS):
        raise AccessDenied("editing alert rules needs an admin account")


def save_rule(db: Database, data: Mapping[str, Any], *, rule_id: int | None = None,
              user: UserInfo | None) -> Rule:
    """Create a rule, or change rule `rule_id` (admins only)."""
    _require_admin(user)
    values = validate_rule(data)
    with db.session() as s:
        ensure_default_rules(s)
        if rule_id is None:
            row = models.AlertRule(**values, created_by=user.id if user else None)
            s.add(row)
        else:
            row = s.get(models.AlertRule, rule_id)
            if row is None:
                raise NotFound(f"no alert rule {rule_id}", hint="see /alerts")
            for key, value in values.items():
                setattr(row, key, value)
        s.flush()
        audit.append(s, "alerts.save", user_id=user.id if user else None, object_type="alert_rule", object_id=row.id)
        return Rule.of(row)


def delete_rule(db: Database, rule_id: int, *, user: UserInfo | None) -> None:
    _require_admin(user)
    with db.session() as s:
        row = s.get(models.AlertRule, rule_id)
        if row is None:
            raise NotFound(f"no alert rule {rule_id}", hint="see /alerts")
        s.delete(row)
        audit.append(s, "alerts.delete", user_id=user.id if user else None, object_type="alert_rule",
                     object_id=rule_id)


# --- evaluation ------------------------------------------------------------------------------------

@dataclass(slots=True)
class _Dated:
    incident_id: int
    day: int  # ordinal
    country: str | None
    nationalities: set[str]


def _dated_incidents(session: Session, rule: Rule, scope: Sequence[Any], since: dt.date | None = None
                     ) -> list[_Dated]:
    """The incidents a rule counts, with their targets' nationalities: one pass over the state table
    joined to the nationality facet (a covering index), types checked per row."""
    s, f = facets.S, facets.F
    # (a day or week precision implies a date; no condition on sort_key, whose index would be read for
    # nearly every row and cost a table lookup each)
    conditions = [*scope, s.date_precision.in_(DATED), s.review_status != "rejected"]
    if rule.types:
        kinds = aliased(f)
        conditions.append(exists().where(kinds.incident_id == s.incident_id, kinds.facet == "type",
                                         kinds.value.in_(rule.types)))
    if rule.country:
        conditions.append(s.country == rule.country)
    if since is not None:  # the baseline before the first window counts too
        conditions.append(s.sort_key >= since.toordinal() - rule.baseline_days - rule.window_days)
    if rule.target_nationality:
        conditions.append(f.value == rule.target_nationality)
    rows: dict[int, _Dated] = {}
    query = (select(s.incident_id, s.sort_key, s.country, f.value)
             .join(f, and_(f.incident_id == s.incident_id, f.facet == "nationality")).where(and_(*conditions)))
    for iid, day, country, nationality in session.execute(query):
        item = rows.get(iid)
        if item is None:
            item = rows[iid] = _Dated(iid, day, country, set())
        item.nationalities.add(nationality)
    return sorted(rows.values(), key=lambda r: (r.day, r.incident_id))


def evaluate_rule(session: Session, rule: Rule, *, scope: Sequence[Any] = (), today: dt.date | None = None,
                  since: dt.date | None = None) -> list[Alert]:
    """Every episode in which `rule` fired (ending on or after `since`), latest first."""
    today = today or dt.date.today()
    groups: dict[tuple[str | None, str | None], list[_Dated]] = defaultdict(list)
    for item in _dated_incidents(session, rule, scope, since):
        if item.country is None and rule.country is None:
            continue
        nationalities = [n for n in item.nationalities if rule.target_nationality in (None, n)]
        for nat in nationalities:
            if rule.target_nationality is None and nat == item.country:
                continue  # a state's own nationals at home: not transnational
            groups[(rule.country or item.country, nat)].append(item)
    alerts: list[Alert] = []
    for (country, nat), items in sorted(groups.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or "")):
        alerts.extend(_episodes(rule, country, nat, items, today))
    if since is not None:
        alerts = [a for a in alerts if a.end >= since]
    alerts.sort(key=lambda a: (a.end, a.count), reverse=True)
    return alerts


def _episodes(rule: Rule, country: str | None, nat: str | None, items: list[_Dated], today: dt.date) -> list[Alert]:
    days = [i.day for i in items]
    out: list[Alert] = []
    current: Alert | None = None
    for end_index, end in enumerate(days):
        start = end - rule.window_days + 1
        first = bisect.bisect_left(days, start)
        count = end_index - first + 1
        if end_index + 1 < len(days) and days[end_index + 1] == end:
            continue  # the window ending on this day is judged at its last incident
        baseline = first - bisect.bisect_left(days, start - rule.baseline_days)
        expected = baseline * rule.window_days / rule.baseline_days
        if count < rule.min_count or count < rule.rate_factor * expected:
            continue
        members = [i.incident_id for i in items[first:end_index + 1]]
        if current is not None and start <= current.end.toordinal():
            current.incident_ids = sorted(set(current.incident_ids) | set(members))
            current.end = dt.date.fromordinal(end)
            current.count = len(current.incident_ids)
            continue
        current = Alert(rule_id=rule.id, rule=rule.name, country=country, nationality=nat,
                        start=dt.date.fromordinal(days[first]), end=dt.date.fromordinal(end), count=count,
                        baseline=baseline, expected=expected, incident_ids=sorted(members))
        out.append(current)
    for alert in out:
        alert.active = (today - alert.end).days <= rule.window_days
    return out


def current_alerts(db: Database, *, user: UserInfo | None, today: dt.date | None = None,
                   rules: Sequence[Rule] | None = None, recent_days: int | None = None) -> list[Alert]:
    """The alert episodes of every enabled rule over what `user` may see, active ones first, then
    latest first. `recent_days`: only episodes that ended within that many days of the newest dated
    incident (the dashboard: cheaper on a large database). Needs the `alerts` permission (analysts)."""
    from kolokol.search import scope_conditions

    if not can(user, Permission.ALERTS):
        raise AccessDenied("trend alerts need an analyst account")
    chosen = [r for r in (rules if rules is not None else list_rules(db)) if r.enabled]
    out: list[Alert] = []
    with db.session() as s:
        scope = scope_conditions(s, user)
        # Those who see everything share one result until the incidents or the rules change.
        key = None if scope else (str(db.engine.url), facets.epoch(s), today or dt.date.today(),
                                  tuple(repr(r) for r in chosen), recent_days)
        if key is not None and key in _CACHE:
            return list(_CACHE[key])
        since = None
        if recent_days is not None:
            newest = s.scalar(select(func.max(facets.S.sort_key)).where(*scope))
            since = dt.date.fromordinal(newest) - dt.timedelta(days=recent_days) if newest else None
        for rule in chosen:
            out.extend(evaluate_rule(s, rule, scope=scope, today=today, since=since))
    out.sort(key=lambda a: (a.active, a.end, a.count), reverse=True)
    if key is not None:
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[key] = tuple(out)
    return out


_CACHE: dict[tuple[Any, ...], tuple[Alert, ...]] = {}
