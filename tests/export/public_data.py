"""Build databases for the public-export tests without running extraction: each story is one merged
incident told by one or more reports (some confidential), stored as mentions, prepared (places,
actors) and summarised by the real merge code, so the public projection reads what it reads in
production. Shared by tests/export/test_public.py and tests/security/test_public_*.py."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update

from kolokol.domain import parse_partial_date
from kolokol.resolve.merge import _report_infos, prepare_mentions, summarise
from kolokol.store import models
from kolokol.store.db import Database

KEEP_TABLES = {"users", "web_sessions", "keyring", "audit_log", "audit_head", "alert_rules", "places"}


def person(name: str, nationality: str | None = None) -> dict[str, Any]:
    return {"name": name, "kind": "person", "nationality": nationality, "count": None}


def org(name: str) -> dict[str, Any]:
    return {"name": name, "kind": "organization", "nationality": None, "count": None}


def group(name: str, count: int, nationality: str | None = None) -> dict[str, Any]:
    return {"name": name, "kind": "group", "nationality": nationality, "count": count}


@dataclass
class Source:
    """One report of a story. Fields left None take the story's value."""

    outlet: str
    url: str | None = None
    published: str | None = None
    confidential: bool = False
    date: str | None = None
    place: str | None = None
    targets: list[dict[str, Any]] | None = None
    outcome: str | None = None
    perpetrators: list[dict[str, Any]] | None = None
    legal_basis: list[str] | None = None
    evidence: str | None = None
    title: str | None = None


@dataclass
class Story:
    types: list[str]
    date: str | None
    country: str
    sources: list[Source]
    place: str | None = None
    origin_country: str | None = None
    targets: list[dict[str, Any]] = field(default_factory=list)
    perpetrators: list[dict[str, Any]] = field(default_factory=list)
    legal_basis: list[str] = field(default_factory=list)
    outcome: str | None = None


def _spans(text: str, targets: list[dict[str, Any]]) -> dict[str, Any]:
    out = []
    for t in targets:
        name = str(t.get("name") or "")
        start = text.find(name) if name else -1
        if start >= 0:
            out.append({"start": start, "end": start + len(name), "text": name})
    return {"targets": out}


def build(db: Database, stories: list[Story]) -> list[int]:
    """Store the stories; returns one incident id per story (all restricted, status new)."""
    ids: list[int] = []
    with db.session() as s:
        for story in stories:
            mentions: list[models.Mention] = []
            for n, src in enumerate(story.sources):
                targets = src.targets if src.targets is not None else story.targets
                names = ", ".join(str(t.get("name")) for t in targets if t.get("name"))
                text = src.evidence or (f"{src.outlet} reports: {names} ({'; '.join(story.types)}) "
                                        f"{uuid.uuid4().hex}.")
                digest = hashlib.sha256(text.encode()).hexdigest()
                report = models.Report(source_id=f"s{uuid.uuid4().hex[:10]}", url=src.url, outlet=src.outlet,
                                       title=src.title or f"Report {n}", published=src.published,
                                       published_date=(parse_partial_date(src.published) or (None,))[0],
                                       language="en", kind="text", origin="test", content_hash=digest,
                                       raw_hash=digest, clean_text=text, raw=text.encode(), char_count=len(text),
                                       confidential=src.confidential)
                s.add(report)
                s.flush()
                date = src.date or story.date
                parsed = parse_partial_date(date)
                m = models.Mention(report_id=report.id, ordinal=1, types=list(story.types), date=date,
                                   date_precision=parsed[1] if parsed else None,
                                   date_start=parsed[0] if parsed else None, place=src.place or story.place,
                                   country=story.country, origin_country=story.origin_country,
                                   targets=targets,
                                   perpetrators=src.perpetrators if src.perpetrators is not None
                                   else story.perpetrators,
                                   legal_basis=src.legal_basis if src.legal_basis is not None else story.legal_basis,
                                   outcome=src.outcome if src.outcome is not None else story.outcome,
                                   evidence=text, evidence_spans=_spans(text, targets), extractor="test",
                                   extractor_version="1", current=True)
                s.add(m)
                mentions.append(m)
            s.flush()
            prepare_mentions(s, mentions)
            incident = models.Incident(key=uuid.uuid4().hex)
            s.add(incident)
            s.flush()
            for m in mentions:
                m.incident_id = incident.id
            summarise(s, incident, mentions, _report_infos(s, [m.report_id for m in mentions]))
            s.flush()
            ids.append(incident.id)
    return ids


def publish(db: Database, incident_ids: list[int], visibility: str = "public") -> None:
    with db.session() as s:
        s.execute(update(models.Incident).where(models.Incident.id.in_(incident_ids))
                  .values(visibility=visibility, review_status="accepted"))


def mark_public_figure(db: Database, name: str) -> int:
    """Flag the person actor called `name` (exactly) as a public figure; returns its id."""
    with db.session() as s:
        for actor in s.scalars(select(models.Actor).where(models.Actor.kind == "person")):
            if actor.name == name:
                actor.public_figure = True
                return actor.id
    raise AssertionError(f"no person actor named {name!r}")


def wipe(db: Database) -> None:
    """Empty every table a story writes (accounts, keys and the audit chain stay)."""
    with db.session() as s:
        for table in reversed(models.Base.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                s.execute(delete(table))
