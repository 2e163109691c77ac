"""`jsonl`: one line per report-level incident in the interchange format of GUIDELINES.md.

Exactly the interchange fields plus `merged_id` (the key of the merged incident the report-level
incident belongs to): the reference scorer (../shared/eval/score.py) reads the file as it is.
`incident_id` is `<source_id>-<ordinal>`, unique within the file.

A line holds what its report told, except the fields an analyst edited on the merged incident: those
hold the analyst's value on every line of that incident (the incident as reviewed, `IncidentView`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from kolokol.domain import sort_types
from kolokol.export import ExportResult, IncidentView, ReportView
from kolokol.store import models

FIELDS = ("source_id", "incident_id", "merged_id", "types", "date", "date_precision", "place", "country",
          "origin_country", "targets", "perpetrators", "legal_basis", "outcome", "evidence")


def mention_line(m: models.Mention, report: ReportView, merged_id: str | None,
                 view: IncidentView | None = None) -> dict[str, Any]:
    """One report-level incident in the interchange format; the fields an analyst edited on its
    merged incident (`view`) carry the analyst's value."""
    targets = [{"name": t.get("name"), "kind": t.get("kind"), "nationality": t.get("nationality"),
                "count": t.get("count")} for t in m.targets or [] if isinstance(t, dict)]
    perps = [{"name": p.get("name"), "country": p.get("country")} for p in m.perpetrators or [] if isinstance(p, dict)]
    line = {
        "source_id": report.source_id,
        "incident_id": f"{report.source_id}-{m.ordinal}",
        "merged_id": merged_id,
        "types": sort_types(list(m.types or [])),
        "date": m.date,
        "date_precision": m.date_precision,
        "place": m.place,
        "country": m.country,
        "origin_country": m.origin_country,
        "targets": targets,
        "perpetrators": perps,
        "legal_basis": list(m.legal_basis or []),
        "outcome": m.outcome,
        "evidence": m.evidence,
    }
    if view is not None:
        line.update({name: value for name, value in view.interchange().items() if view.is_edited(name)})
    assert tuple(line) == FIELDS
    return line


def write_jsonl(views: Sequence[IncidentView], loose: Sequence[models.Mention], reports: dict[int, ReportView],
                out: TextIO) -> ExportResult:
    result = ExportResult("jsonl")
    rows: list[tuple[int, int, dict[str, Any]]] = []
    for view in views:
        for m in view.mentions:
            rows.append((m.report_id, m.ordinal, mention_line(m, reports[m.report_id], view.key, view)))
    for m in loose:  # not merged yet (merge runs after ingest): exported on their own
        rows.append((m.report_id, m.ordinal, mention_line(m, reports[m.report_id], None)))
    for _rid, _ordinal, line in sorted(rows, key=lambda r: (r[0], r[1])):
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        result.written += 1
    return result
