"""Merging report-level mentions of the same real act into incidents.

Blocking: only mentions in the same country and overlapping date windows are compared. Within a
block the clusters are recomputed from scratch in a canonical order, so the result does not
depend on the order reports arrived in, and a new report only touches its own blocks.
Two mentions are the same act when they share a type, their dates agree to the coarser
precision, and they share a victim (a named person or organisation, or a group of the same
count). Two mentions of one report are never merged: the extractor has already told them apart.
Incidents an analyst merged or split are `locked` and left as they are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kolokol.domain import PRECISION_RANK, parse_partial_date, sort_types
from kolokol.extract.names import same_person
from kolokol.store import models
from kolokol.store.db import Database

WINDOW_DAYS = {"day": 3, "week": 7, "month": 31, "year": 366}


def _window(m: models.Mention) -> tuple[dt.date, dt.date] | None:
    parsed = parse_partial_date(m.date)
    if parsed is None:
        return None
    start, precision = parsed
    if precision == "year":
        return dt.date(start.year, 1, 1), dt.date(start.year, 12, 31)
    if precision == "month":
        nxt = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return start, nxt - dt.timedelta(days=1)
    slack = WINDOW_DAYS[precision]
    return start - dt.timedelta(days=slack), start + dt.timedelta(days=slack)


def _dates_agree(a: models.Mention, b: models.Mention) -> bool:
    wa, wb = _window(a), _window(b)
    if wa is None or wb is None:
        return wa is None and wb is None
    return wa[0] <= wb[1] and wb[0] <= wa[1]


def _victims(m: models.Mention) -> list[dict[str, Any]]:
    return [t for t in m.targets or [] if isinstance(t, dict) and t.get("name")]


def same_act(a: models.Mention, b: models.Mention) -> bool:
    if a.report_id == b.report_id or (a.country or "") != (b.country or ""):
        return False
    if not set(a.types or []) & set(b.types or []) or not _dates_agree(a, b):
        return False
    for x in _victims(a):
        for y in _victims(b):
            if x.get("kind") == "group" or y.get("kind") == "group":
                if x.get("kind") == y.get("kind") == "group" and x.get("count") and x.get("count") == y.get(
                        "count"):
                    return True
                continue
            if same_person(x["name"], y["name"]) or _aliases_meet(x["name"], y["name"]):
                return True
    return False


def _aliases_meet(a: str, b: str) -> bool:
    from kolokol.resolve.aliases import same_alias_group

    return same_alias_group(a, b)


def _sort_key(m: models.Mention) -> tuple[str, int]:
    return (m.report.content_hash, m.ordinal)


def cluster(mentions: list[models.Mention]) -> list[list[models.Mention]]:
    """Deterministic clustering: canonical order, then each mention joins the first cluster with a
    same-act member and no member from its own report."""
    clusters: list[list[models.Mention]] = []
    for m in sorted(mentions, key=_sort_key):
        home = None
        for c in clusters:
            if any(x.report_id == m.report_id for x in c):
                continue
            if any(same_act(x, m) for x in c):
                home = c
                break
        if home is None:
            clusters.append([m])
        else:
            home.append(m)
    return clusters


def incident_key(members: list[models.Mention]) -> str:
    first = min(members, key=_sort_key)
    return hashlib.sha256(f"{first.report.content_hash}:{first.ordinal}".encode()).hexdigest()[:32]


def summarise(incident: models.Incident, members: list[models.Mention]) -> None:
    """Machine values of the incident: the best-supported value first, every value kept."""
    outlets = {(m.report.copy_of_id or m.report_id) for m in members}
    incident.independent_sources = len(outlets)
    types: Counter[str] = Counter(t for m in members for t in m.types or [])
    incident.types = sort_types(list(types))
    dates = Counter((m.date, m.date_precision) for m in members if m.date)
    if dates:
        (date, precision), _ = max(dates.items(), key=lambda kv: (kv[1], -PRECISION_RANK.get(kv[0][1] or "year",
                                                                                              3), kv[0][0]))
        incident.date, incident.date_precision = date, precision
        parsed = parse_partial_date(date)
        incident.date_start = parsed[0] if parsed else None
    countries = Counter(m.country for m in members if m.country)
    incident.country = countries.most_common(1)[0][0] if countries else None
    origins = Counter(m.origin_country for m in members if m.origin_country)
    incident.origin_country = origins.most_common(1)[0][0] if origins else None
    places = Counter(m.place for m in members if m.place)
    incident.summary = {
        "place": places.most_common(1)[0][0] if places else None,
        "values": {
            "date": [{"value": d, "precision": p, "mentions": n} for (d, p), n in dates.most_common()],
            "place": [{"value": v, "mentions": n} for v, n in places.most_common()],
            "country": [{"value": v, "mentions": n} for v, n in countries.most_common()],
        },
        "mentions": sorted(m.id for m in members),
    }


def merge_block(session: Session, mentions: list[models.Mention]) -> None:
    locked = {m.incident_id for m in mentions if m.incident is not None and m.incident.locked}
    free = [m for m in mentions if m.incident_id not in locked or m.incident_id is None]
    for members in cluster(free):
        key = incident_key(members)
        incident = session.scalar(select(models.Incident).where(models.Incident.key == key))
        if incident is None:
            # Keep an incident the members already belong to (it may carry human edits).
            owned = [m.incident for m in members if m.incident is not None]
            if owned:
                incident = max(owned, key=lambda i: (bool(i.edits), -i.id))
        if incident is None:
            incident = models.Incident(key=key)
            session.add(incident)
            session.flush()
        for m in members:
            m.incident_id = incident.id
        summarise(incident, members)
    session.flush()


def merge_pending(db: Database) -> int:
    """Attach every current mention without an incident, recomputing the blocks it falls in.
    Returns the number of incidents afterwards."""
    with db.session() as s:
        pending = list(s.scalars(select(models.Mention).where(models.Mention.current.is_(True),
                                                              models.Mention.incident_id.is_(None))))
        countries = {m.country for m in pending}
        for country in sorted(countries, key=lambda c: c or ""):
            block = list(s.scalars(select(models.Mention).where(
                models.Mention.current.is_(True),
                models.Mention.country.is_(None) if country is None else models.Mention.country == country)))
            merge_block(s, block)
        # Incidents left with no current mention and no human work are machine leftovers.
        for incident in s.scalars(select(models.Incident)):
            if not incident.locked and not incident.edits and not any(m.current for m in incident.mentions):
                s.delete(incident)
        return len(list(s.scalars(select(models.Incident.id))))
