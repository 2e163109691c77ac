"""Exports: jsonl round-trips through the scorer with exactly the interchange fields; csv opens with
ACLED's columns (and an HXL row on request); GeoJSON is RFC 7946; the filters apply to every format;
no format carries report text, and only jsonl carries evidence."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kolokol.domain import IncidentType
from kolokol.evaluate import score
from kolokol.export import FORMATS, ExportError, ExportFilter
from kolokol.export.acled import ACLED_COLUMNS, COLUMNS, mapping
from kolokol.export.jsonl import FIELDS
from kolokol.lexicon import load_lexicon
from kolokol.store import models
from kolokol.store.db import Database
from tests.export import multisource as ms

# What the reference scorer (GUIDELINES.md, "Scoring") reads from a prediction line.
SCORER_READS = {"source_id", "incident_id", "merged_id", "types", "date", "date_precision", "place", "country",
                "origin_country", "targets", "perpetrators", "legal_basis"}
INTERCHANGE = SCORER_READS | {"outcome", "evidence"}

TINY_GOLD = [
    {"source_id": "ms-b1", "incident_id": "g1", "cluster": "house", "types": ["closure"], "date": "2025-03-14",
     "date_precision": "day", "place": "Almaty", "country": "KZ", "origin_country": None,
     "targets": [{"name": "Svobodny Dom", "kind": "organization", "nationality": None, "count": None}],
     "perpetrators": [{"name": "authorities", "country": "KZ"}], "legal_basis": [], "outcome": None,
     "evidence": "x"},
    {"source_id": "ms-b4", "incident_id": "g2", "cluster": "house", "types": ["closure"], "date": "2025-03-15",
     "date_precision": "day", "place": "Almaty", "country": "KZ", "origin_country": None,
     "targets": [{"name": "Svobodny Dom", "kind": "organization", "nationality": None, "count": None}],
     "perpetrators": [{"name": "city authorities", "country": "KZ"}], "legal_basis": [], "outcome": None,
     "evidence": "x"},
    {"source_id": "ms-b6", "incident_id": "g3", "cluster": "polka", "types": ["closure"], "date": "2025-03-13",
     "date_precision": "day", "place": "Almaty", "country": "KZ", "origin_country": None,
     "targets": [{"name": "Polka", "kind": "organization", "nationality": None, "count": None}],
     "perpetrators": [{"name": "tax inspectors", "country": "KZ"}], "legal_basis": [], "outcome": None,
     "evidence": "x"},
]


@pytest.fixture
def loaded(db: Database) -> Database:
    ms.ingest(db, ms.REPORTS)
    return db


def _report_texts(db: Database) -> list[str]:
    with db.session() as s:
        return [t for t in s.scalars(select(models.Report.clean_text)) if t]


def _evidence(db: Database) -> list[str]:
    with db.session() as s:
        return [e for e in s.scalars(select(models.Mention.evidence)) if e and len(e) > 30]


def test_jsonl_lines_have_exactly_the_interchange_fields_and_round_trip(loaded: Database) -> None:
    lines = ms.jsonl(loaded)
    assert lines
    assert set(FIELDS) == INTERCHANGE | {"merged_id"}
    for line in lines:
        assert set(line) == INTERCHANGE | {"merged_id"}
        assert line["merged_id"] and line["source_id"] and line["incident_id"].startswith(line["source_id"])
        for t in line["targets"]:
            assert set(t) == {"name", "kind", "nationality", "count"}
        for p in line["perpetrators"]:
            assert set(p) == {"name", "country"}
    assert len({x["incident_id"] for x in lines}) == len(lines)
    # round trip: serialised, read back, scored with the project's scorer (= the reference scorer)
    text, _ = ms.export_text(loaded, "jsonl")
    parsed = [json.loads(x) for x in text.splitlines()]
    result = score(TINY_GOLD, parsed, sources={"ms-b1", "ms-b4", "ms-b6"})
    assert result["matched"] == 3
    assert result["merge"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "gold_pairs": 1}


def test_incidents_jsonl_lists_sources_and_conflicting_values(loaded: Database) -> None:
    text, result = ms.export_text(loaded, "incidents-jsonl")
    rows = [json.loads(x) for x in text.splitlines()]
    assert result.written == len(rows) > 0
    ids = {x["merged_id"] for x in ms.jsonl(loaded)}
    assert {r["id"] for r in rows} == ids
    house = next(r for r in rows if any(v["value"] in {"Svobodny Dom", "Free House", "Свободный дом"}
                                        for v in r["values"]["targets"]) and len(r["sources"]) >= 4)
    assert house["independent_sources"] == len(house["sources"]) - sum(1 for s in house["sources"] if s["copy_of"])
    dates = house["values"]["date"]
    assert [d["value"] for d in dates][:1] == ["2025-03-14"]
    assert "2025-03-15" in [d["value"] for d in dates]  # the state outlet's date, kept beside it
    for entry in dates:
        assert entry["source_ids"] and entry["outlets"] and entry["sources"] >= 1


def test_csv_opens_with_acled_columns_and_optional_hxl_row(loaded: Database) -> None:
    text, result = ms.export_text(loaded, "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0][:len(ACLED_COLUMNS)]) == ACLED_COLUMNS
    assert rows[0][:13] == ["event_date", "time_precision", "event_type", "sub_event_type", "actor1", "actor2",
                            "country", "location", "latitude", "longitude", "geo_precision", "source", "notes"]
    assert len(rows) - 1 == result.written
    records = list(csv.DictReader(io.StringIO(text)))
    event_types = set(mapping()["event_types"])
    for r in records:
        assert r["event_type"] in event_types
        assert r["sub_event_type"] in mapping()["sub_event_types"][r["event_type"]]
        assert r["time_precision"] in {"1", "2", "3"}
        if r["latitude"]:
            assert -90 <= float(r["latitude"]) <= 90 and r["geo_precision"] in {"1", "2", "3"}
    closure = next(r for r in records if "closure" in r["kolokol_types"] and r["country"] == "Kazakhstan")
    assert closure["location"] == "Almaty" and closure["event_date"].startswith("2025-03")
    hxl_text, _ = ms.export_text(loaded, "csv", hxl=True)
    hxl_rows = list(csv.reader(io.StringIO(hxl_text)))
    assert hxl_rows[0] == rows[0]
    assert all(tag.startswith("#") for tag in hxl_rows[1])
    assert hxl_rows[1][0] == "#date+occurred" and len(hxl_rows) == len(rows) + 1


def validate_geojson(data: Any) -> list[dict[str, Any]]:
    """RFC 7946 structure: a FeatureCollection of Features with Point geometries in [lon, lat]."""
    assert data["type"] == "FeatureCollection" and isinstance(data["features"], list)
    assert "crs" not in data  # RFC 7946 §4: no crs member, WGS 84 only
    for f in data["features"]:
        assert f["type"] == "Feature" and isinstance(f["properties"], dict)
        assert isinstance(f.get("id"), (str, int))
        geometry = f["geometry"]
        assert geometry["type"] == "Point"
        lon, lat = geometry["coordinates"]
        assert isinstance(lon, float | int) and isinstance(lat, float | int)
        assert -180 <= lon <= 180 and -90 <= lat <= 90
    return data["features"]


def test_geojson_is_rfc7946_in_lon_lat_order(loaded: Database) -> None:
    text, result = ms.export_text(loaded, "geojson")
    features = validate_geojson(json.loads(text))
    assert result.written == len(features) > 0
    almaty = next(f for f in features if f["properties"]["place"] == "Almaty")
    lon, lat = almaty["geometry"]["coordinates"]
    assert 76 < lon < 78 and 43 < lat < 44  # Almaty: longitude first
    incidents = len(ms.export_text(loaded, "incidents-jsonl")[0].splitlines())
    assert result.written + result.left_out == incidents
    if result.left_out:
        assert result.notes and str(result.left_out) in result.notes[0]


def test_filters_apply_to_every_format(loaded: Database) -> None:
    for fmt in FORMATS:
        everything, _ = ms.export_text(loaded, fmt)
        only_kz, _ = ms.export_text(loaded, fmt, country="kz")
        assert only_kz != everything
        assert "Almaty" in only_kz and "Bishkek" not in only_kz and "Yekaterinburg" not in only_kz
        closures, _ = ms.export_text(loaded, fmt, type="closure")
        assert "Bishkek" not in closures and "Almaty" in closures
        later, _ = ms.export_text(loaded, fmt, since="2025-04")
        assert "Almaty" not in later and "Yekaterinburg" in later
        none, _ = ms.export_text(loaded, fmt, status="accepted")
        assert "Almaty" not in none and "Bishkek" not in none
    lines = ms.jsonl(loaded, country="KZ")
    assert lines and all(x["country"] == "KZ" for x in lines)
    with loaded.session() as s:
        inc_id = s.scalar(select(models.Mention.incident_id).join(models.Report)
                          .where(models.Report.source_id == "ms-b6"))
        inc = s.get(models.Incident, inc_id)
        assert inc is not None
        inc.review_status = "accepted"
    accepted = ms.jsonl(loaded, status="accepted")
    assert accepted and {x["merged_id"] for x in accepted} == {inc.key}


def test_no_export_contains_report_text_and_only_jsonl_has_evidence(loaded: Database) -> None:
    texts = _report_texts(loaded)
    evidence = _evidence(loaded)
    for fmt in FORMATS:
        text, _ = ms.export_text(loaded, fmt)
        for body in texts:
            assert body not in text
        if fmt == "jsonl":
            assert any(e in text for e in evidence)
        else:
            leaked = [e for e in evidence if e in text or json.dumps(e, ensure_ascii=False)[1:-1] in text]
            assert leaked == [], fmt


def test_acled_mapping_covers_every_type_with_acled_vocabulary() -> None:
    data = load_lexicon("acled.yaml")
    assert set(data["types"]) == {t.value for t in IncidentType}
    for entry in data["types"].values():
        assert entry["event_type"] in data["event_types"]
        assert entry["sub_event_type"] in data["sub_event_types"][entry["event_type"]]
    assert set(data["hxl"]) >= set(COLUMNS)


def test_bad_format_and_filters_are_clear_errors(sqlite_db: Database) -> None:
    with pytest.raises(ExportError, match="unknown format"):
        ms.export_text(sqlite_db, "xml")
    with pytest.raises(ExportError, match="--hxl"):
        ms.export_text(sqlite_db, "jsonl", hxl=True)
    for kwargs, text in (({"since": "last week"}, "not a date"), ({"country": "Kyrgyzstan"}, "alpha-2"),
                         ({"type": "arrest"}, "not an incident type")):
        with pytest.raises(ExportError, match=text):
            ExportFilter.parse(**kwargs)
    text, result = ms.export_text(sqlite_db, "geojson")
    assert json.loads(text) == {"type": "FeatureCollection", "features": []} and result.written == 0


def test_cli_export_writes_files_and_notes_on_stderr(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    cmd = [sys.executable, "-m", "kolokol.cli", "--db", db]
    subprocess.run([*cmd, "ingest", "-q", *[str(p) for p in ms.by_prefix(["b1", "b4", "b6"])]], check=True,
                   capture_output=True, timeout=300)
    out = tmp_path / "x.jsonl"
    done = subprocess.run([*cmd, "export", "--format", "jsonl", "-o", str(out)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 3 and len({x["merged_id"] for x in lines}) == 2
    geo = subprocess.run([*cmd, "export", "-f", "geojson", "--type", "closure"], capture_output=True, text=True,
                         timeout=120)
    assert geo.returncode == 0 and validate_geojson(json.loads(geo.stdout))
    table = subprocess.run([*cmd, "export", "-f", "csv", "--hxl"], capture_output=True, text=True, timeout=120)
    assert list(csv.reader(io.StringIO(table.stdout)))[1][0] == "#date+occurred"
    bad = subprocess.run([*cmd, "export", "-f", "pdf"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "unknown format" in bad.stderr and "Traceback" not in bad.stderr
    shown = subprocess.run([*cmd, "incidents", "show", lines[0]["merged_id"]], capture_output=True, text=True,
                           timeout=120)
    assert shown.returncode == 0 and json.loads(shown.stdout)["id"] == lines[0]["merged_id"]
