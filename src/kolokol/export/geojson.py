"""`geojson`: merged incidents as an RFC 7946 FeatureCollection of Points ([longitude, latitude], WGS 84,
no "crs" member). Incidents without coordinates are left out; the caller reports how many.
Properties describe persons by role and nationality (as the ACLED csv does), never by name, and hold
the incident as reviewed (analysts' edits win, `IncidentView`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from kolokol.export import ExportResult, IncidentView, ReportView
from kolokol.export.acled import _target_phrase, acled_date


def feature(view: IncidentView, reports: dict[int, ReportView]) -> dict[str, Any] | None:
    place = view.place
    if place is None or place.latitude is None or place.longitude is None:
        return None
    lon, lat = round(float(place.longitude), 6), round(float(place.latitude), 6)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    perps = [p["value"] for p in view.perpetrators]
    return {
        "type": "Feature",
        "id": view.key,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "id": view.key,
            "types": view.types,
            "date": view.date,
            "date_precision": view.date_precision,
            "event_date": acled_date(view.date, view.date_precision)[0],
            "country": view.country,
            "origin_country": view.origin_country,
            "place": view.place_name,
            "place_id": place.id,
            "place_kind": place.kind,
            "admin1": place.admin1,
            "targets": list(dict.fromkeys(_target_phrase(e) for e in view.targets)),
            "perpetrators": perps,
            "legal_basis": list(view.legal_basis),
            "outcome": view.outcome,
            "independent_sources": view.incident.independent_sources,
            "sources": sorted({reports[m.report_id].outlet or reports[m.report_id].source_id
                               for m in view.mentions if m.report_id in reports}),
            "review_status": view.review_status,
        },
    }


def write_geojson(views: Sequence[IncidentView], reports: dict[int, ReportView], out: TextIO) -> ExportResult:
    result = ExportResult("geojson")
    features = []
    for view in views:
        f = feature(view, reports)
        if f is None:
            result.left_out += 1
        else:
            features.append(f)
    json.dump({"type": "FeatureCollection", "features": features}, out, ensure_ascii=False, indent=1)
    out.write("\n")
    result.written = len(features)
    if result.left_out:
        result.notes.append(f"{result.left_out} incident(s) without coordinates left out of the GeoJSON")
    return result
