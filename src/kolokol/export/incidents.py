"""`incidents-jsonl`: one line per merged incident as reviewed (each field an analyst edited holds the
analyst's value, `edited_fields` names them), with its sources and, under `values`, the machine's
values of each field side by side (best-supported first, with the number of independent sources, the
reports and the outlets behind it). No evidence sentences and no report text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from kolokol.export import ExportResult, IncidentView, ReportView


def _values(view: IncidentView, reports: dict[int, ReportView]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name, entries in view.values.items():
        rows = []
        for e in entries:
            row = {"value": e.get("value"), **{k: v for k, v in sorted(e.items()) if k not in ("reports", "value")}}
            row["source_ids"] = sorted({reports[r].source_id for r in e.get("reports", []) if r in reports})
            rows.append(row)
        out[name] = rows
    return out


def _source_name(report_id: Any, reports: dict[int, ReportView]) -> Any:
    return reports[report_id].source_id if report_id in reports else report_id


def incident_line(view: IncidentView, reports: dict[int, ReportView]) -> dict[str, Any]:
    place = view.place
    report_ids = sorted({m.report_id for m in view.mentions})
    groups = {s.get("report_id"): s.get("independent_source") for s in view.sources}
    reviewed = view.interchange()
    return {
        "id": view.key,
        "types": view.types,
        "date": view.date,
        "date_precision": view.date_precision,
        "country": view.country,
        "origin_country": view.origin_country,
        "place": None if place is None and not view.place_name else {
            "name": view.place_name, "id": place.id if place else None, "kind": place.kind if place else None,
            "admin1": place.admin1 if place else None, "latitude": place.latitude if place else None,
            "longitude": place.longitude if place else None},
        "targets": reviewed["targets"],
        "perpetrators": reviewed["perpetrators"],
        "legal_basis": reviewed["legal_basis"],
        "outcome": reviewed["outcome"],
        "independent_sources": view.incident.independent_sources,
        "review_status": view.review_status,
        "locked": view.incident.locked,
        "edited_fields": view.edited,
        "sources": [{"source_id": reports[r].source_id, "outlet": reports[r].outlet, "url": reports[r].url,
                     "published": reports[r].published, "language": reports[r].language,
                     "copy_of": reports[reports[r].copy_of_id].source_id if reports[r].copy_of_id in reports else None,
                     "independent_source": _source_name(groups.get(r, r), reports)}
                    for r in report_ids if r in reports],
        "report_incidents": [f"{reports[m.report_id].source_id}-{m.ordinal}" for m in view.mentions
                             if m.report_id in reports],
        "values": _values(view, reports),
    }


def write_incidents_jsonl(views: Sequence[IncidentView], reports: dict[int, ReportView], out: TextIO) -> ExportResult:
    result = ExportResult("incidents-jsonl")
    for view in views:
        out.write(json.dumps(incident_line(view, reports), ensure_ascii=False) + "\n")
        result.written += 1
    return result


def describe_incident(db: Any, ref: str) -> dict[str, Any]:
    """One merged incident by id or key, as an incidents-jsonl line plus its database id."""
    from sqlalchemy import select

    from kolokol.errors import NotFound
    from kolokol.export import load_views, report_views
    from kolokol.store import models

    with db.session() as s:
        query = select(models.Incident.id).where(models.Incident.key == ref.strip())
        found = s.scalar(query)
        if found is None and ref.strip().isdigit():
            found = int(ref.strip()) if s.get(models.Incident, int(ref.strip())) is not None else None
        if found is None:
            raise NotFound(f"no incident {ref!r}", hint="use the id or the key shown by `kolokol export`")
        [view] = load_views(s, incident_ids=[found])
        reports = report_views(s, {m.report_id for m in view.mentions})
        line = incident_line(view, reports)
        line["db_id"] = found
        line["mention_ids"] = {f"{reports[m.report_id].source_id}-{m.ordinal}": m.id for m in view.mentions}
        return line
