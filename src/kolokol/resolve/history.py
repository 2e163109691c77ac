"""Actor histories: what happened to an actor (or what it did), oldest first, one line per merged
incident: date, place, types, role, incident, sources. `kolokol actors show NAME`.

An analyst tool over the local database only: it looks up actors the database already holds and
offers no search beyond it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kolokol.domain import parse_partial_date, sort_types
from kolokol.errors import NotFound
from kolokol.resolve.actors import actor_to_dict, find_actors
from kolokol.store import models
from kolokol.store.db import Database


@dataclass(slots=True)
class HistoryEntry:
    date: str | None
    date_precision: str | None
    place: str | None
    country: str | None
    types: list[str]
    role: str  # target | perpetrator
    incident_id: int | None
    incident_key: str | None
    sources: list[str] = field(default_factory=list)  # outlets
    independent_sources: int = 0
    confidence: float = 1.0  # of the link between the actor and the mention(s)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def actor_history(session: Session, actor_id: int) -> list[HistoryEntry]:
    """The actor's timeline: one entry per (incident, role), oldest first (undated last)."""
    rows = session.execute(select(models.MentionActor.role, models.MentionActor.confidence, models.Mention)
                           .join(models.Mention, models.Mention.id == models.MentionActor.mention_id)
                           .where(models.MentionActor.actor_id == actor_id, models.Mention.current.is_(True))).all()
    grouped: dict[tuple[Any, str], list[tuple[float, models.Mention]]] = defaultdict(list)
    for role, confidence, mention in rows:
        grouped[(mention.incident_id or f"m{mention.id}", role)].append((confidence, mention))
    entries: list[tuple[dt.date, int, HistoryEntry]] = []
    for (_key, role), items in grouped.items():
        confidence = max(c for c, _m in items)
        mention = min((m for _c, m in items), key=lambda m: m.id)
        inc = session.get(models.Incident, mention.incident_id) if mention.incident_id else None
        if inc is not None:
            summary = inc.summary or {}
            outlets = sorted({s.get("outlet") or s.get("source_id") or "" for s in summary.get("sources", [])} - {""})
            entry = HistoryEntry(date=inc.date, date_precision=inc.date_precision, place=summary.get("place"),
                                 country=inc.country, types=list(inc.types or []), role=role, incident_id=inc.id,
                                 incident_key=inc.key, sources=outlets, independent_sources=inc.independent_sources,
                                 confidence=round(confidence, 3))
        else:
            report = mention.report
            entry = HistoryEntry(date=mention.date, date_precision=mention.date_precision, place=mention.place,
                                 country=mention.country, types=sort_types(list(mention.types or [])), role=role,
                                 incident_id=None, incident_key=None,
                                 sources=[report.outlet or report.source_id or f"report {report.id}"],
                                 independent_sources=1, confidence=round(confidence, 3))
        parsed = parse_partial_date(entry.date)
        entries.append((parsed[0] if parsed else dt.date.max, entry.incident_id or 0, entry))
    entries.sort(key=lambda e: (e[0], e[1], e[2].role))
    return [e for _d, _i, e in entries]


def show_actor(db: Database, name: str) -> dict[str, Any]:
    """The actor a name (or id) denotes, its aliases and its history; other actors the name may
    denote are listed by id so the analyst can look at them too."""
    with db.session() as s:
        found = find_actors(s, name)
        if not found:
            raise NotFound(f"no actor named {name!r} in this database", hint="see `kolokol actors list`")
        actor = found[0]
        return {"actor": actor_to_dict(actor), "history": [e.to_dict() for e in actor_history(s, actor.id)],
                "other_matches": [{"id": a.id, "name": a.name, "kind": a.kind} for a in found[1:]]}
