"""Every export shows the incident as reviewed: each field an analyst edited (through the review
workflow) comes out as edited in the interchange jsonl, incidents-jsonl, the ACLED csv, GeoJSON and
the public export; reverting the edits brings back exactly what was exported before."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from kolokol.domain import sort_types
from kolokol.export import FORMATS, load_views
from kolokol.export.acled import country_name
from kolokol.export.public import export_public, public_records
from kolokol.review import edit_incident, incident_history, revert_edit
from kolokol.security.roles import SYSTEM
from kolokol.store.db import Database
from tests.export import multisource as ms
from tests.export.public_data import Source, Story, build, org, person, publish

MACHINE = Story(types=["detention"], date="2024-03-09", country="KZ", place="Almaty", origin_country=None,
                targets=[person("Rustam Sharipov", "TJ")], perpetrators=[{"name": "police", "country": "KZ"}],
                legal_basis=["Article 120 of the Code of Offences"], outcome="released",
                sources=[Source(outlet="Steppe Herald", url="https://steppeherald.example/a",
                                published="2024-03-12")])
ELSEWHERE = Story(types=["threat"], date="2023-01-10", country="TR", place="Istanbul", targets=[org("Ark")],
                  sources=[Source(outlet="Bosphorus Daily", published="2023-01-11")])

EDITS: dict[str, Any] = {
    "types": ["threat", "deportation"],
    "date": "2024-05-02", "date_precision": "week",
    "country": "tr",
    "place": "Istanbul",
    "origin_country": "UZ",
    "targets": "Kamol Yusupov | UZ\nOpen Doors | | organization",
    "perpetrators": "GKNB | KG",
    "legal_basis": "Article 330 of the Criminal Code",
    "outcome": "fined 5,000 som",
}


@pytest.fixture
def story_db(sqlite_db: Database) -> tuple[Database, int]:
    ids = build(sqlite_db, [MACHINE, ELSEWHERE])
    publish(sqlite_db, ids)
    return sqlite_db, ids[0]


def exports(db: Database) -> dict[str, str]:
    out = {fmt: ms.export_text(db, fmt)[0] for fmt in FORMATS}
    for fmt in ("jsonl", "csv", "geojson"):
        buf = io.StringIO()
        export_public(db, fmt, buf)
        out[f"public-{fmt}"] = buf.getvalue()
    return out


def key_of(db: Database, incident_id: int) -> str:
    with db.session() as s:
        [view] = load_views(s, incident_ids=[incident_id])
        return view.key


def lines_of(text: str, key: str, field: str = "merged_id") -> list[dict[str, Any]]:
    found = [json.loads(x) for x in text.splitlines() if x.strip() and json.loads(x)[field] == key]
    assert found, key
    return found


def revert_all(db: Database, incident_id: int) -> None:
    """Revert every field edit, one at a time (a date's precision and a place's id go with it)."""
    while True:
        open_edits = [c for h in incident_history(db, incident_id, user=SYSTEM) for c in h.changes
                      if not c["reverted"] and c["field"] != "review_status"]
        if not open_edits:
            return
        revert_edit(db, incident_id, open_edits[0]["id"], user=SYSTEM)


def test_every_edited_field_comes_out_in_every_export_and_revert_restores_the_machine(
        story_db: tuple[Database, int]) -> None:
    db, iid = story_db
    key = key_of(db, iid)
    before = exports(db)
    assert json.loads(before["public-jsonl"].splitlines()[0])  # published: the public export holds it
    changed = edit_incident(db, iid, EDITS, user=SYSTEM)
    assert set(changed) == set(EDITS)
    after = exports(db)
    types = sort_types(["threat", "deportation"])

    # interchange jsonl: every report-level line of the incident carries the analyst's values
    for line in lines_of(after["jsonl"], key):
        assert line["types"] == types and line["date"] == "2024-05-02" and line["date_precision"] == "week"
        assert line["country"] == "TR" and line["place"] == "Istanbul" and line["origin_country"] == "UZ"
        assert line["targets"] == [{"name": "Kamol Yusupov", "kind": "person", "nationality": "UZ", "count": None},
                                   {"name": "Open Doors", "kind": "organization", "nationality": None,
                                    "count": None}]
        assert line["perpetrators"] == [{"name": "GKNB", "country": "KG"}]
        assert line["legal_basis"] == ["Article 330 of the Criminal Code"] and line["outcome"] == "fined 5,000 som"
        assert line["evidence"]  # what the report said stays: the evidence is the report's

    # incidents-jsonl: the reviewed values on top, the machine's values with their support below
    [row] = lines_of(after["incidents-jsonl"], key, "id")
    assert row["types"] == types and (row["date"], row["date_precision"]) == ("2024-05-02", "week")
    assert row["country"] == "TR" and row["origin_country"] == "UZ" and row["place"]["name"] == "Istanbul"
    assert row["place"]["latitude"] is not None  # the gazetteer's Istanbul, not Almaty's coordinates
    assert [t["name"] for t in row["targets"]] == ["Kamol Yusupov", "Open Doors"]
    assert row["perpetrators"] == [{"name": "GKNB", "country": "KG"}]
    assert row["legal_basis"] == ["Article 330 of the Criminal Code"] and row["outcome"] == "fined 5,000 som"
    assert {"types", "date", "country", "place", "origin_country", "targets", "perpetrators", "legal_basis",
            "outcome"} <= set(row["edited_fields"])
    assert [v["value"] for v in row["values"]["targets"]] == ["Rustam Sharipov"]  # machine values kept apart

    # ACLED csv
    [acled] = [r for r in csv.DictReader(io.StringIO(after["csv"])) if r["event_id_cnty"].endswith(key[:12])]
    assert acled["event_date"] == "2024-05-05" and acled["time_precision"] == "2"  # a week: its middle day
    assert acled["kolokol_types"] == ";".join(types) and acled["country"] == country_name("TR")
    assert acled["location"] == "Istanbul" and acled["iso"] == "792" and acled["year"] == "2024"
    assert acled["actor1"] == f"GKNB ({country_name('KG')})" and acled["actor2"] == "Civilians (Uzbekistan)"
    assert "Open Doors" in acled["notes"] and "a person (Uzbekistan)" in acled["notes"]
    assert "Article 330 of the Criminal Code" in acled["notes"] and "fined 5,000 som" in acled["notes"]
    assert "Sharipov" not in after["csv"] and "police" not in acled["actor1"]

    # GeoJSON
    [feature] = [f for f in json.loads(after["geojson"])["features"] if f["id"] == key]
    props = feature["properties"]
    assert props["types"] == types and props["date"] == "2024-05-02" and props["country"] == "TR"
    assert props["place"] == "Istanbul" and props["origin_country"] == "UZ" and 28 < feature["geometry"][
        "coordinates"][0] < 30
    assert props["perpetrators"] == ["GKNB"] and props["targets"] == ["a person (Uzbekistan)", "Open Doors"]
    assert props["legal_basis"] == ["Article 330 of the Criminal Code"] and props["outcome"] == "fined 5,000 som"

    # the public export (pseudonymised, coarsened to the month)
    [public] = [r for r in public_records(db) if r["country"] == "TR" and r["date"] == "2024-05"]
    assert public["types"] == types and public["origin_country"] == "UZ" and public["place"] == "Istanbul"
    assert [(t["name"], t["kind"], t["nationality"]) for t in public["targets"]] == [
        ("Person A", "person", "UZ"), ("Open Doors", "organization", None)]
    assert public["perpetrators"] == [{"name": "GKNB", "country": "KG"}]
    assert public["legal_basis"] == ["Article 330 of the Criminal Code"] and public["outcome"] == "fined 5,000 som"
    assert "Yusupov" not in after["public-jsonl"] + after["public-csv"] + after["public-geojson"]
    assert "fined 5,000 som" in after["public-csv"] and "Istanbul" in after["public-geojson"]

    revert_all(db, iid)
    assert exports(db) == before  # the machine's values, exactly as before any edit
    for line in lines_of(before["jsonl"], key):
        assert line["types"] == ["detention"] and line["place"] == "Almaty" and line["outcome"] == "released"


@pytest.mark.parametrize(("changes", "expected"), [
    ({"types": ["abduction"]}, {"types": ["abduction"]}),
    ({"date": "2024", "date_precision": "year"}, {"date": "2024", "date_precision": "year"}),
    ({"date": ""}, {"date": None, "date_precision": None}),
    ({"country": "KG"}, {"country": "KG"}),
    ({"place": "Istanbul"}, {"place": "Istanbul"}),
    ({"place": ""}, {"place": None}),  # cleared: not the machine's place
    ({"origin_country": "RU"}, {"origin_country": "RU"}),
    ({"targets": "Five students | TJ | group"},
     {"targets": [{"name": "Five students", "kind": "group", "nationality": "TJ", "count": None}]}),
    ({"perpetrators": "State Security Committee"},
     {"perpetrators": [{"name": "State Security Committee", "country": None}]}),
    ({"perpetrators": ""}, {"perpetrators": []}),
    ({"legal_basis": "Article 1\nArticle 2"}, {"legal_basis": ["Article 1", "Article 2"]}),
    ({"outcome": "deported"}, {"outcome": "deported"}),
    ({"outcome": ""}, {"outcome": None}),
])
def test_each_field_alone(story_db: tuple[Database, int], changes: dict[str, Any], expected: dict[str, Any]) -> None:
    db, iid = story_db
    key = key_of(db, iid)
    before = exports(db)
    machine = lines_of(before["jsonl"], key)[0]
    assert edit_incident(db, iid, changes, user=SYSTEM)
    after = exports(db)
    [line] = lines_of(after["jsonl"], key)
    assert {k: line[k] for k in expected} == expected
    assert {k: v for k, v in line.items() if k not in expected} == {k: v for k, v in machine.items()
                                                                    if k not in expected}
    [row] = lines_of(after["incidents-jsonl"], key, "id")
    for name, value in expected.items():
        shown = (row["place"] or {}).get("name") if name == "place" else row[name]
        assert shown == value, name
    with db.session() as s:
        [view] = load_views(s, incident_ids=[iid])
        assert view.interchange() | expected == view.interchange()
    revert_all(db, iid)
    assert exports(db) == before

