"""`csv`: merged incidents in ACLED's column convention (lexicon/acled.yaml maps the types).

The file opens with ACLED's columns in ACLED's order (event_date, time_precision, event_type,
sub_event_type, actor1, actor2, country, location, latitude, longitude, geo_precision, source,
notes), then Kolokol's extra columns. `--hxl` adds a second row of HXL hashtags.

ACLED codes civilians by category, not by name: actor2 is "Civilians (<country of nationality>)"
and the notes describe persons by role and nationality; organisations are named. Person names stay
in the analysts' formats (jsonl, incidents-jsonl).

Rows describe the incident as reviewed (analysts' edits win, `IncidentView`); the notes list what the
sources disagree on only for fields no analyst settled. Every cell goes through the CSV guard of
`kolokol.export.spreadsheet` (no cell opens as a formula).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import Any, TextIO

import pycountry

from kolokol.domain import parse_partial_date
from kolokol.export import ExportResult, IncidentView, ReportView
from kolokol.export.spreadsheet import SafeCsvWriter
from kolokol.lexicon import load_lexicon

ACLED_COLUMNS = ("event_date", "time_precision", "event_type", "sub_event_type", "actor1", "actor2", "country",
                 "location", "latitude", "longitude", "geo_precision", "source", "notes")
EXTRA_COLUMNS = ("event_id_cnty", "year", "iso", "admin1", "fatalities", "kolokol_types", "independent_sources",
                 "review_status")
COLUMNS = ACLED_COLUMNS + EXTRA_COLUMNS
NUMERIC_COLUMNS = ("time_precision", "latitude", "longitude", "geo_precision", "year", "iso", "fatalities",
                   "independent_sources")


@cache
def mapping() -> dict[str, Any]:
    return dict(load_lexicon("acled.yaml"))


@cache
def country_name(code: str | None) -> str:
    if not code:
        return ""
    override = (mapping().get("country_names") or {}).get(code.upper())
    if override:
        return str(override)
    found = pycountry.countries.get(alpha_2=code.upper())
    if found is None:
        return code
    return str(getattr(found, "common_name", None) or found.name)


def _country_codes(code: str | None) -> tuple[str, int | str]:
    found = pycountry.countries.get(alpha_2=(code or "").upper()) if code else None
    return (found.alpha_3, int(found.numeric)) if found else ((code or "XX").upper(), "")


def acled_date(date: str | None, precision: str | None) -> tuple[str, int | str, str]:
    """(event_date, time_precision, note) in ACLED's convention: the week's middle day for a week,
    the 15th for a month; a year-only date gets 1 July and a note."""
    parsed = parse_partial_date(date)
    if parsed is None:
        return "", "", "date unknown"
    when, natural = parsed
    prec = precision or natural
    codes = mapping()["time_precision"]
    if prec == "week":
        return (when + dt.timedelta(days=3)).isoformat(), codes["week"], ""
    if prec == "month":
        return when.replace(day=15).isoformat(), codes["month"], ""
    if prec == "year":
        return dt.date(when.year, 7, 1).isoformat(), codes["year"], "date known to the year only"
    return when.isoformat(), codes["day"], ""


def _target_phrase(entry: dict[str, Any]) -> str:
    kind = entry.get("kind")
    nat = entry.get("nationality")
    where = f" ({country_name(nat)})" if nat else ""
    if kind == "organization":
        return str(entry.get("value"))
    if kind == "group":
        count = entry.get("count")
        return f"{count} people{where}" if count and count > 1 else f"a person{where}"
    return f"a person{where}"


def _actor2(view: IncidentView) -> str:
    nationalities = [e.get("nationality") for e in view.targets if e.get("nationality")]
    code = nationalities[0] if nationalities else view.origin_country
    return f"Civilians ({country_name(code)})" if code else "Civilians"


def row_of(view: IncidentView, reports: dict[int, ReportView]) -> dict[str, Any]:
    table = mapping()["types"]
    primary = view.types[0] if view.types else "other"
    kind = table.get(primary, table["other"])
    event_date, time_precision, date_note = acled_date(view.date, view.date_precision)
    perp = view.perpetrators[0] if view.perpetrators else None
    actor1 = ""
    if perp:
        actor1 = str(perp["value"]) + (f" ({country_name(perp.get('country'))})" if perp.get("country") else "")
    place = view.place
    geo = mapping()["geo_precision"]
    has_coordinates = place is not None and place.latitude is not None and place.kind in geo
    alpha3, numeric = _country_codes(view.country)
    outlets = sorted({reports[m.report_id].outlet or reports[m.report_id].source_id for m in view.mentions
                      if m.report_id in reports})
    notes = _notes(view, date_note)
    fatalities = 0
    if "killing" in view.types:
        fatalities = max(1, sum(1 for e in view.targets if e.get("kind") == "person"))
    return {
        "event_date": event_date,
        "time_precision": time_precision,
        "event_type": kind["event_type"],
        "sub_event_type": kind["sub_event_type"],
        "actor1": actor1,
        "actor2": _actor2(view),
        "country": country_name(view.country),
        "location": view.place_name or "",
        "latitude": place.latitude if has_coordinates else "",  # type: ignore[union-attr]
        "longitude": place.longitude if has_coordinates else "",  # type: ignore[union-attr]
        "geo_precision": geo.get(place.kind, "") if has_coordinates else "",  # type: ignore[union-attr]
        "source": "; ".join(outlets),
        "notes": notes,
        "event_id_cnty": f"{alpha3}-{view.key[:12]}",
        "year": int(event_date[:4]) if event_date else "",
        "iso": numeric,
        "admin1": (place.admin1 or "") if place is not None else "",
        "fatalities": fatalities,
        "kolokol_types": ";".join(view.types),
        "independent_sources": view.incident.independent_sources,
        "review_status": view.review_status,
    }


def _notes(view: IncidentView, date_note: str) -> str:
    """A short description: what, against whom, where, on what legal basis, with what outcome, how well
    sourced, and what the sources disagree on where no analyst settled it."""
    parts = []
    targets = [_target_phrase(e) for e in view.targets[:4]]
    what = ", ".join(t.replace("_", " ") for t in view.types) or "incident"
    text = what[:1].upper() + what[1:]
    if targets:
        text += " of " + ", ".join(dict.fromkeys(targets))
    if view.place_name:
        text += f" in {view.place_name}"
    parts.append(text + ".")
    if view.legal_basis:
        parts.append("Legal basis: " + "; ".join(view.legal_basis) + ".")
    if view.outcome:
        parts.append(f"Outcome: {view.outcome.rstrip('.')}.")
    parts.append(f"Independent sources: {view.incident.independent_sources}.")
    dates = [] if view.is_edited("date") else view.values.get("date") or []
    if len({(d.get('value'), d.get('precision')) for d in dates}) > 1:
        parts.append("Dates reported: " + "; ".join(f"{d['value']} ({d['sources']} source(s))" for d in dates) + ".")
    perps = [] if view.is_edited("perpetrators") else view.values.get("perpetrators") or []
    if len(perps) > 1:
        parts.append("Perpetrators named: " + "; ".join(f"{p['value']} ({p['sources']})" for p in perps[:5]) + ".")
    if date_note:
        parts.append(date_note[:1].upper() + date_note[1:] + ".")
    return " ".join(parts)


def write_csv(views: Sequence[IncidentView], reports: dict[int, ReportView], out: TextIO, *,
              hxl: bool = False) -> ExportResult:
    result = ExportResult("csv")
    writer = SafeCsvWriter(out, COLUMNS, numeric=NUMERIC_COLUMNS)
    writer.writeheader()
    if hxl:
        tags = mapping()["hxl"]
        writer.writelabels({c: tags.get(c, "") for c in COLUMNS})
    for view in views:
        writer.writerow(row_of(view, reports))
        result.written += 1
    return result
