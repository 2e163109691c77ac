"""Exports: `kolokol export --format FORMAT [-o FILE]` (docs/exports.md).

- `jsonl`: one line per report-level incident in the interchange format of GUIDELINES.md, with
  `merged_id` (the merged incident) and `source_id`: the reference scorer reads it as it is.
- `incidents-jsonl`: one line per merged incident with its sources and every conflicting value.
- `csv`: ACLED's columns (`--hxl` adds a row of HXL hashtags).
- `geojson`: an RFC 7946 FeatureCollection of the incidents that have coordinates.

Every format reads an incident through `load_views`: the incident **as reviewed** (`IncidentView`),
where each field an analyst edited (types, date and precision, place, country, origin country,
targets, perpetrators, legal basis, outcome, review status) holds the analyst's value, and the
machine's value is used only where no edit stands; reverting an edit brings the machine's value back.
No exporter reads `incident_edits` itself. The machine's values with their support stay in
`IncidentView.values` for what shows sources side by side.

The same filters (`--since`, `--country`, `--type`, `--status`) select incidents in every format:
they apply to the merged incident as reviewed, so a merged incident is exported with all its reports
or not at all. No export ever contains a report's text; only `jsonl` carries the evidence sentence
the interchange format requires.
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
    """A merged incident as reviewed: every field holds the analyst's value where one stands (the
    latest edit not reverted), else the machine's. List fields are entries shaped like the machine's
    `summary.values` entries (`value` plus `kind`, `nationality`, `count`, `country`); an analyst's
    entry has `"edited": True` and no report support. `values` keeps the machine's values of every
    field with their support, best-supported first, whatever was edited."""

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
    edited: list[str] = field(default_factory=list)  # names of the fields with an analyst's value
    targets: list[dict[str, Any]] = field(default_factory=list)
    perpetrators: list[dict[str, Any]] = field(default_factory=list)
    legal_basis: list[str] = field(default_factory=list)
    outcome: str | None = None
    human: dict[str, Any] = field(default_factory=dict)  # the analysts' values as stored, by field

    @property
    def key(self) -> str:
        return self.incident.key

    @property
    def values(self) -> dict[str, Any]:
        return (self.incident.summary or {}).get("values", {})

    @property
    def sources(self) -> list[dict[str, Any]]:
        return (self.incident.summary or {}).get("sources", [])

    def is_edited(self, name: str) -> bool:
        """Does an analyst's value stand for this interchange field (a place edit counts for `place`,
        a date edit for `date` and `date_precision`)?"""
        return bool(set(EDIT_FIELDS_OF.get(name, (name,))) & set(self.human))

    def interchange(self) -> dict[str, Any]:
        """The reviewed values in the interchange shape of GUIDELINES.md (what `jsonl` writes)."""
        return {
            "types": list(self.types),
            "date": self.date,
            "date_precision": self.date_precision,
            "place": self.place_name,
            "country": self.country,
            "origin_country": self.origin_country,
            "targets": [{"name": t.get("value"), "kind": t.get("kind"), "nationality": t.get("nationality"),
                         "count": t.get("count")} for t in self.targets],
            "perpetrators": [{"name": p.get("value"), "country": p.get("country")} for p in self.perpetrators],
            "legal_basis": list(self.legal_basis),
            "outcome": self.outcome,
        }


# The stored edit fields behind each reviewed field (a place edit stores the name and the gazetteer id).
EDIT_FIELDS_OF: dict[str, tuple[str, ...]] = {"date": ("date", "date_precision"),
                                              "date_precision": ("date", "date_precision"),
                                              "place": ("place", "place_id")}


@dataclass(slots=True)
class ExportResult:
    format: str
    written: int = 0
    left_out: int = 0  # incidents without coordinates (geojson)
    notes: list[str] = field(default_factory=list)


def _edits(session: Session, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The latest non-reverted human value of each edited field, per incident."""
    from kolokol.facets import human_values

    return human_values(session, ids)


def _blank(value: Any) -> Any:
    """A cleared value is stored as "" (the column holds no NULL): it reads as None."""
    return None if value == "" else value


def _human_targets(value: Any) -> list[dict[str, Any]]:
    out = []
    for t in value if isinstance(value, list) else []:
        if isinstance(t, dict) and t.get("name"):
            out.append({"value": str(t["name"]), "kind": t.get("kind") or "person",
                        "nationality": _blank(t.get("nationality")), "count": t.get("count"), "edited": True})
        elif isinstance(t, str) and t.strip():
            out.append({"value": t.strip(), "kind": "person", "nationality": None, "count": None, "edited": True})
    return out


def _human_perpetrators(value: Any) -> list[dict[str, Any]]:
    out = []
    for p in value if isinstance(value, list) else []:
        if isinstance(p, dict) and p.get("name"):
            out.append({"value": str(p["name"]), "country": _blank(p.get("country")), "edited": True})
        elif isinstance(p, str) and p.strip():
            out.append({"value": p.strip(), "country": None, "edited": True})
    return out


def reviewed_view(inc: models.Incident, human: dict[str, Any], places: dict[str, models.Place],
                  mentions: list[models.Mention]) -> IncidentView:
    """One incident as reviewed: the analysts' values (`human`, from `incident_edits`) win, field by
    field; the machine's stand where no edit does. The only place where edits meet machine values
    for exports (and the pages and API built on `load_views`)."""
    summary = inc.summary or {}
    machine = summary.get("values") or {}
    types = human.get("types", inc.types)
    if "date" in human or "date_precision" in human:
        date, precision = _blank(human.get("date")), _blank(human.get("date_precision"))
    else:
        date, precision = inc.date, inc.date_precision
    parsed = parse_partial_date(date)
    if "place" in human or "place_id" in human:
        place = places.get(human.get("place_id") or "")
        place_name = _blank(human.get("place")) or (place.name if place else None)
    else:
        place = places.get(inc.place_id) if inc.place_id else None
        place_name = place.name if place else summary.get("place")
    if "targets" in human:
        targets = _human_targets(human["targets"])
    else:
        targets = [dict(e) for e in machine.get("targets") or []]
    if "perpetrators" in human:
        perpetrators = _human_perpetrators(human["perpetrators"])
    else:
        perpetrators = [dict(e) for e in machine.get("perpetrators") or []]
    if "legal_basis" in human:
        laws = human["legal_basis"] if isinstance(human["legal_basis"], list) else [human["legal_basis"]]
        legal_basis = [str(x) for x in laws if x not in (None, "")]
    else:
        legal_basis = [str(e.get("value")) for e in machine.get("legal_basis") or [] if e.get("value")]
    if "outcome" in human:
        outcome = _blank(human["outcome"])
    else:
        best = (machine.get("outcome") or [{}])[0]
        outcome = best.get("value") or None
    return IncidentView(
        incident=inc, types=sort_types([str(t) for t in types or []]), date=date, date_precision=precision,
        date_start=parsed[0] if parsed else None,
        country=_blank(human["country"]) if "country" in human else inc.country,
        origin_country=_blank(human["origin_country"]) if "origin_country" in human else inc.origin_country,
        place=place, place_name=place_name,
        review_status=str(human.get("review_status") or inc.review_status or "new"),
        mentions=mentions, edited=sorted(human), targets=targets, perpetrators=perpetrators,
        legal_basis=legal_basis, outcome=None if outcome is None else str(outcome), human=dict(human))


def load_views(session: Session, filters: ExportFilter | None = None,
               incident_ids: Sequence[int] | None = None) -> list[IncidentView]:
    """Merged incidents as reviewed (`reviewed_view`) that pass the filters (or the given ones),
    oldest first, each with its current mentions."""
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
        view = reviewed_view(inc, edits.get(inc.id, {}), places, members.get(inc.id, []))
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
