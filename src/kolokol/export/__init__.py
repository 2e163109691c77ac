"""Exports: `kolokol export --format FORMAT [-o FILE]` (docs/exports.md).

- `jsonl`: one line per report-level incident in the interchange format of GUIDELINES.md, with
  `merged_id` (the merged incident) and `source_id`: the reference scorer reads it as it is.
- `incidents-jsonl`: one line per merged incident with its sources and every conflicting value.
- `csv`: ACLED's columns (`--hxl` adds a row of HXL hashtags).
- `geojson`: an RFC 7946 FeatureCollection of the incidents that have coordinates.

The same filters (`--since`, `--country`, `--type`, `--status`) select incidents in every format:
they apply to the merged incident (its best-supported values, analysts' edits winning), so a merged
incident is exported with all its reports or not at all. No export ever contains a report's text;
only `jsonl` carries the evidence sentence the interchange format requires.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from kolokol.domain import IncidentType, parse_partial_date, sort_types
from kolokol.errors import KolokolError
from kolokol.store import models
from kolokol.store.db import Database

FORMATS = ("jsonl", "incidents-jsonl", "csv", "geojson")
STATUSES = ("new", "accepted", "edited", "rejected", "merged", "split")  # review workflow values


class ExportError(KolokolError):
    code = "export"


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """Which merged incidents to export. Empty fields select everything."""

    since: dt.date | None = None
    country: str | None = None
    type: str | None = None
    status: str | None = None

    @classmethod
    def parse(cls, *, since: str | None = None, country: str | None = None, type: str | None = None,
              status: str | None = None) -> ExportFilter:
        """Check and normalise user input (raises ExportError with a hint)."""
        when = None
        if since:
            parsed = parse_partial_date(since)
            if parsed is None:
                raise ExportError(f"--since {since!r} is not a date", hint="use YYYY-MM-DD, YYYY-MM or YYYY")
            when = parsed[0]
        code = None
        if country:
            code = country.strip().upper()
            if len(code) != 2 or not code.isalpha():
                raise ExportError(f"--country {country!r} is not an ISO 3166-1 alpha-2 code", hint="e.g. KG, RU")
        kind = None
        if type:
            kind = type.strip().lower()
            if kind not in {t.value for t in IncidentType}:
                raise ExportError(f"--type {type!r} is not an incident type",
                                  hint=", ".join(t.value for t in IncidentType))
        return cls(since=when, country=code, type=kind, status=status.strip().lower() if status else None)

    def accepts(self, view: IncidentView) -> bool:
        if self.since is not None and (view.date_start is None or view.date_start < self.since):
            return False
        if self.country is not None and (view.country or "") != self.country:
            return False
        if self.type is not None and self.type not in view.types:
            return False
        return not (self.status is not None and view.review_status != self.status)

    @property
    def empty(self) -> bool:
        return self.since is None and self.country is None and self.type is None and self.status is None


@dataclass(slots=True)
class ReportView:
    id: int
    source_id: str
    outlet: str | None
    url: str | None
    published: str | None
    language: str | None
    copy_of_id: int | None


@dataclass(slots=True)
class IncidentView:
    """A merged incident as exported: machine values with analysts' edits applied."""

    incident: models.Incident
    types: list[str]
    date: str | None
    date_precision: str | None
    date_start: dt.date | None
    country: str | None
    origin_country: str | None
    place: models.Place | None
    place_name: str | None
    review_status: str
    mentions: list[models.Mention] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.incident.key

    @property
    def values(self) -> dict[str, Any]:
        return (self.incident.summary or {}).get("values", {})

    @property
    def sources(self) -> list[dict[str, Any]]:
        return (self.incident.summary or {}).get("sources", [])


@dataclass(slots=True)
class ExportResult:
    format: str
    written: int = 0
    left_out: int = 0  # incidents without coordinates (geojson)
    notes: list[str] = field(default_factory=list)


def _edits(session: Session, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The latest non-reverted human value of each edited field, per incident."""
    out: dict[int, dict[str, Any]] = defaultdict(dict)
    for i in range(0, len(ids), 500):
        rows = session.execute(select(models.IncidentEdit.incident_id, models.IncidentEdit.field,
                                      models.IncidentEdit.value)
                               .where(models.IncidentEdit.incident_id.in_(ids[i:i + 500]),
                                      models.IncidentEdit.reverted.is_(False))
                               .order_by(models.IncidentEdit.created_at, models.IncidentEdit.id))
        for iid, name, value in rows:
            out[iid][name] = value
    return out


def load_views(session: Session, filters: ExportFilter | None = None,
               incident_ids: Sequence[int] | None = None) -> list[IncidentView]:
    """Merged incidents that pass the filters (or the given ones), oldest first, each with its
    current mentions."""
    filters = filters or ExportFilter()
    query = select(models.Incident).order_by(models.Incident.id)
    mention_query = (select(models.Mention).where(models.Mention.current.is_(True),
                                                  models.Mention.incident_id.is_not(None))
                     .order_by(models.Mention.report_id, models.Mention.ordinal))
    if incident_ids is not None:
        query = query.where(models.Incident.id.in_(list(incident_ids)))
        mention_query = mention_query.where(models.Mention.incident_id.in_(list(incident_ids)))
    incidents = list(session.scalars(query))
    edits = _edits(session, [i.id for i in incidents])
    places = {p.id: p for p in session.scalars(select(models.Place))}
    members: dict[int, list[models.Mention]] = defaultdict(list)
    for m in session.scalars(mention_query):
        members[m.incident_id].append(m)  # type: ignore[index]
    views = []
    for inc in incidents:
        human = edits.get(inc.id, {})
        types = human.get("types", inc.types) or []
        date = human.get("date", inc.date)
        precision = human.get("date_precision", inc.date_precision)
        parsed = parse_partial_date(date)
        place_id = human.get("place_id", inc.place_id)
        place = places.get(place_id) if place_id else None
        place_name = human.get("place") or (place.name if place else (inc.summary or {}).get("place"))
        view = IncidentView(incident=inc, types=sort_types(list(types)), date=date, date_precision=precision,
                            date_start=parsed[0] if parsed else None, country=human.get("country", inc.country),
                            origin_country=human.get("origin_country", inc.origin_country), place=place,
                            place_name=place_name, review_status=human.get("review_status", inc.review_status),
                            mentions=members.get(inc.id, []), edited=sorted(human))
        if filters.accepts(view):
            views.append(view)
    views.sort(key=lambda v: (v.date_start or dt.date.max, v.incident.id))
    return views


def report_views(session: Session, ids: Iterable[int]) -> dict[int, ReportView]:
    wanted = sorted(set(ids))
    out: dict[int, ReportView] = {}
    source_ids: dict[str, list[int]] = defaultdict(list)
    rows = []
    for i in range(0, len(wanted), 500):
        rows.extend(session.execute(select(models.Report.id, models.Report.source_id, models.Report.outlet,
                                           models.Report.url, models.Report.published, models.Report.language,
                                           models.Report.copy_of_id)
                                    .where(models.Report.id.in_(wanted[i:i + 500]))).all())
    for row in rows:
        if row[1]:
            source_ids[row[1]].append(row[0])
    for rid, sid, outlet, url, published, language, copy_of in rows:
        # A report without a source_id (or sharing one) is named by its id, so lines stay distinct.
        name = sid if sid and len(source_ids[sid]) == 1 else f"{sid or 'report'}-r{rid}"
        out[rid] = ReportView(rid, name, outlet, url, published, language, copy_of)
    return out


def export(db: Database, fmt: str, out: TextIO, *, filters: ExportFilter | None = None,
           hxl: bool = False) -> ExportResult:
    """Write the selected incidents to `out` in format `fmt`."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}", hint=f"choose one of {', '.join(FORMATS)}")
    if hxl and fmt != "csv":
        raise ExportError("--hxl applies to the csv format only")
    filters = filters or ExportFilter()
    with db.session() as s:
        views = load_views(s, filters)
        reports = report_views(s, {m.report_id for v in views for m in v.mentions} | (
            set() if not filters.empty else set(s.scalars(select(models.Mention.report_id)
                                                          .where(models.Mention.current.is_(True),
                                                                 models.Mention.incident_id.is_(None))))))
        if fmt == "jsonl":
            from kolokol.export.jsonl import write_jsonl

            loose = [] if not filters.empty else list(s.scalars(
                select(models.Mention).where(models.Mention.current.is_(True), models.Mention.incident_id.is_(None))
                .order_by(models.Mention.report_id, models.Mention.ordinal)))
            return write_jsonl(views, loose, reports, out)
        if fmt == "incidents-jsonl":
            from kolokol.export.incidents import write_incidents_jsonl

            return write_incidents_jsonl(views, reports, out)
        if fmt == "csv":
            from kolokol.export.acled import write_csv

            return write_csv(views, reports, out, hxl=hxl)
        from kolokol.export.geojson import write_geojson

        return write_geojson(views, reports, out)
