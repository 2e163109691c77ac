"""Public exports (docs/public-exports.md): published incidents only, an allowlist of fields, persons
pseudonymised per incident unless they are public figures by the rule, confidential sources and what
only they told never shown, dates and places coarsened, small groups suppressed, every string
scrubbed of protected names; JSONL, CSV and GeoJSON; the CLI."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kolokol.errors import KolokolError
from kolokol.export.public import (
    CSV_COLUMNS,
    PERPETRATOR_FIELDS,
    PUBLIC_FIELDS,
    SOURCE_FIELDS,
    TARGET_FIELDS,
    WITHHELD,
    NameGuard,
    PublicFilter,
    PublicOptions,
    _admin1_centres,
    coarsen_date,
    export_public,
    pseudonym,
    public_id,
    public_record,
    public_records,
)
from kolokol.store import models
from kolokol.store.db import Database
from tests.export.public_data import Source, Story, build, group, mark_public_figure, org, person, publish


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def one(db: Database, options: PublicOptions | None = None) -> dict[str, Any]:
    records = public_records(db, options)
    assert len(records) == 1, records
    return records[0]


def simple(name: str = "Rustam Sharipov", date: str = "2024-03-09", **source: Any) -> Story:
    return Story(types=["detention"], date=date, country="KZ", place="Almaty",
                 targets=[person(name, "TJ")], perpetrators=[{"name": "police", "country": "KZ"}],
                 sources=[Source(outlet="Steppe Herald", url="https://steppeherald.example/2024/03/x",
                                 published="2024-03-12", **source)])


# --- what is published --------------------------------------------------------------------------


def test_only_published_incidents_and_never_restricted_internal_or_rejected(db: Database) -> None:
    ids = build(db, [simple("Aziz Karimov"), simple("Dilshod Yusupov"), simple("Farhod Rahimov"),
                     simple("Bobur Aliev")])
    publish(db, [ids[0]])
    publish(db, [ids[1]], visibility="internal")
    publish(db, [ids[2]])
    with db.session() as s:
        s.get(models.Incident, ids[2]).review_status = "rejected"
    # ids[3] stays restricted
    records = public_records(db)
    assert len(records) == 1
    with db.session() as s:
        key = s.get(models.Incident, ids[0]).key
    assert records[0]["id"] == public_id(key) != key
    text = dump(records)
    for name in ("Aziz", "Karimov", "Dilshod", "Yusupov", "Farhod", "Rahimov", "Bobur", "Aliev"):
        assert name not in text
    with db.session() as s:
        others = [public_id(s.get(models.Incident, i).key) for i in ids[1:]]
    assert all(public_record(db, pid) is None for pid in others)
    assert public_record(db, records[0]["id"]) == records[0]
    assert public_record(db, "not-an-id") is None


def test_fields_are_exactly_the_allowlist(sqlite_db: Database) -> None:
    ids = build(sqlite_db, [Story(types=["detention", "fine"], date="2024-03-09", country="KZ", place="Almaty",
                                  origin_country="TJ",
                                  targets=[person("Rustam Sharipov", "TJ"), org("Svobodny Dom"),
                                           group("Tajik migrants", 12, "TJ")],
                                  perpetrators=[{"name": "police", "country": "KZ"}],
                                  legal_basis=["Article 431 of the Code of Offenses"], outcome="fined 10,000 som",
                                  sources=[Source(outlet="Steppe Herald", url="https://steppeherald.example/a",
                                                  published="2024-03-12")])])
    publish(sqlite_db, ids)
    record = one(sqlite_db)
    assert tuple(record) == PUBLIC_FIELDS
    assert all(tuple(t) == TARGET_FIELDS for t in record["targets"])
    assert all(tuple(p) == PERPETRATOR_FIELDS for p in record["perpetrators"])
    assert all(tuple(s) == SOURCE_FIELDS for s in record["sources"])
    assert "evidence" not in dump(record) and "Steppe Herald reports" not in dump(record)
    assert record["legal_basis"] == ["Article 431 of the Code of Offenses"]
    assert record["outcome"] == "fined 10,000 som"
    assert record["perpetrators"] == [{"name": "police", "country": "KZ"}]
    assert {"name": "Svobodny Dom", "kind": "organization", "nationality": None, "count": None,
            "count_label": None, "pseudonym": False} in record["targets"]


# --- persons ---------------------------------------------------------------------------------------


def test_persons_are_pseudonyms_local_to_each_incident(sqlite_db: Database) -> None:
    story = Story(types=["detention"], date="2024-03-09", country="KZ", place="Almaty",
                  targets=[person("Rustam Sharipov", "TJ"), person("Dilshod Karimov", "TJ")],
                  sources=[Source(outlet="Steppe Herald", published="2024-03-12")])
    ids = build(sqlite_db, [story, simple("Karim Yusupov")])
    publish(sqlite_db, ids)
    records = public_records(sqlite_db)
    names = sorted(t["name"] for r in records for t in r["targets"])
    assert names == ["Person A", "Person A", "Person B"]  # restarts in every incident: not linkable
    assert all(t["pseudonym"] for r in records for t in r["targets"])
    for word in ("Rustam", "Sharipov", "Dilshod", "Karimov", "Karim", "Yusupov"):
        assert word not in dump(records)
    assert [pseudonym(n) for n in (0, 1, 25, 26, 27)] == ["Person A", "Person B", "Person Z", "Person AA",
                                                         "Person AB"]


def test_public_figure_named_only_when_flagged_linked_and_in_an_open_source(sqlite_db: Database) -> None:
    figure = "Bakhrom Kholmatov"
    named = simple(figure)  # an open source names him
    only_confidential = Story(types=["threat"], date="2024-05-02", country="TR", place="Istanbul",
                              targets=[person("Umid Nazarov", "UZ")],
                              sources=[Source(outlet="Bosphorus Daily", published="2024-05-03"),
                                       Source(outlet="Case file", published="2024-05-03", confidential=True,
                                              targets=[person("Umid Nazarov", "UZ"), person(figure, "TJ")])])
    with_relative = Story(types=["detention"], date="2024-06-10", country="RU", place="Moscow",
                          targets=[person(figure, "TJ"), person("Dilnoza Kholmatova", "TJ")],
                          sources=[Source(outlet="Vesti", published="2024-06-11")])
    ids = build(sqlite_db, [named, only_confidential, with_relative, simple("Anvar Saidov", date="2023-01-05")])
    publish(sqlite_db, ids)
    before = public_records(sqlite_db)
    assert figure not in dump(before)  # nobody is a public figure until an analyst says so
    mark_public_figure(sqlite_db, figure)
    records = {r["date"]: r for r in public_records(sqlite_db)}
    assert records["2024-03"]["targets"][0] == {"name": figure, "kind": "person", "nationality": "TJ",
                                                "count": None, "count_label": None, "pseudonym": False}
    # Told only by a confidential source: he is not even counted there.
    assert [t["name"] for t in records["2024-05"]["targets"]] == ["Person A"]
    assert "Kholmatov" not in dump(records["2024-05"]) and "Case file" not in dump(records["2024-05"])
    # With a relative of the same name in the incident, naming him would name her.
    assert [t["name"] for t in records["2024-06"]["targets"]] == ["Person A", "Person B"]
    assert "Kholmatov" not in dump(records["2024-06"])
    assert "Saidov" not in dump(records) and "Anvar" not in dump(records)


# --- confidential sources ----------------------------------------------------------------------------


def test_confidential_sources_and_what_only_they_told_are_never_shown(sqlite_db: Database) -> None:
    story = Story(types=["detention"], date="2024-03", country="KG", place="Bishkek",
                  targets=[person("Aibek Toktogulov", "KG")], outcome="released",
                  sources=[Source(outlet="Kloop Wire", url="https://kloopwire.example/2024/03/aibek-toktogulov",
                                  published="2024-03-20"),
                           Source(outlet="Secret Testimony", url="https://casefiles.example/7", published="2024-03-08",
                                  confidential=True, date="2024-03-07", place="Karakol",
                                  outcome="held at the GKNB basement", targets=[person("Aibek Toktogulov", "KG"),
                                                                               person("Nurlan Asanov", "KG")])])
    ids = build(sqlite_db, [story])
    publish(sqlite_db, ids)
    record = one(sqlite_db, PublicOptions(coarsen_date="day"))
    text = dump(record)
    for leak in ("Secret Testimony", "casefiles", "2024-03-07", "2024-03-08", "Karakol", "basement", "Asanov",
                 "Toktogulov", "aibek", "/2024/03"):
        assert leak.lower() not in text.lower(), leak
    assert record["date"] == "2024-03" and record["date_precision"] == "month"
    assert record["place"] == "Bishkek" and record["outcome"] == "released"
    assert record["sources"] == [{"outlet": "Kloop Wire", "domain": "kloopwire.example", "published": "2024-03-20",
                                  "language": "en"}]
    assert record["independent_sources"] == 1 and len(record["targets"]) == 1


def test_an_incident_told_only_by_confidential_sources_shows_nothing_but_analysts_values(
        sqlite_db: Database) -> None:
    story = Story(types=["abduction"], date="2024-02-02", country="TR", place="Istanbul",
                  targets=[person("Sherzod Ergashev", "UZ")],
                  sources=[Source(outlet="Testimony", published="2024-02-03", confidential=True)])
    ids = build(sqlite_db, [story])
    publish(sqlite_db, ids)
    record = one(sqlite_db)
    assert record["types"] == [] and record["date"] is None and record["place"] is None
    assert record["targets"] == [] and record["sources"] == [] and record["independent_sources"] == 0
    with sqlite_db.session() as s:
        for name, value in (("types", ["abduction"]), ("country", "TR"), ("date", "2024-02")):
            s.add(models.IncidentEdit(incident_id=ids[0], field=name, value=value))
    record = one(sqlite_db)
    assert (record["types"], record["country"], record["date"]) == (["abduction"], "TR", "2024-02")
    assert "Ergashev" not in dump(record) and "Testimony" not in dump(record)


# --- coarsening, groups --------------------------------------------------------------------------------


def test_dates_coarsened_with_the_sources_publication_dates(sqlite_db: Database) -> None:
    ids = build(sqlite_db, [simple()])
    publish(sqlite_db, ids)
    day = one(sqlite_db, PublicOptions(coarsen_date="day"))
    month = one(sqlite_db)
    year = one(sqlite_db, PublicOptions(coarsen_date="year"))
    assert (day["date"], day["date_precision"], day["sources"][0]["published"]) == ("2024-03-09", "day", "2024-03-12")
    assert (month["date"], month["date_precision"], month["sources"][0]["published"]) == ("2024-03", "month", "2024-03")
    assert (year["date"], year["date_precision"], year["sources"][0]["published"]) == ("2024", "year", "2024")
    assert "2024-03" not in dump(year)
    assert coarsen_date("2024-03-04", "week", "day") == ("2024-03-04", "week")
    assert coarsen_date("2024", "year", "month") == ("2024", "year")
    assert coarsen_date("garbage", None, "month") == (None, None)


def test_places_and_coordinates_coarsened(sqlite_db: Database) -> None:
    ids = build(sqlite_db, [simple()])
    publish(sqlite_db, ids)
    with sqlite_db.session() as s:
        place = s.get(models.Place, s.get(models.Incident, ids[0]).place_id)
        assert place is not None and place.latitude is not None
        exact = [round(place.longitude, 2), round(place.latitude, 2)]
    city = one(sqlite_db)
    assert (city["place"], city["place_level"], city["coordinates"]) == ("Almaty", "place", exact)
    admin1 = one(sqlite_db, PublicOptions(coarsen_place="admin1"))
    assert admin1["place_level"] == "admin1" and admin1["place"]
    if admin1["coordinates"] is not None:
        assert tuple(reversed(admin1["coordinates"])) in set(_admin1_centres().values())
    country = one(sqlite_db, PublicOptions(coarsen_place="country"))
    assert (country["place"], country["place_level"]) == (None, "country")
    centre = _admin1_centres()["KZ"]
    assert country["coordinates"] == [centre[1], centre[0]] != exact
    assert "Almaty" not in dump(country)


def test_small_groups_are_suppressed(sqlite_db: Database) -> None:
    story = Story(types=["detention"], date="2024-06-02", country="RU", place="Moscow",
                  targets=[group("three Kyrgyz students", 3, "KG"), group("Uzbek migrants", 12, "UZ")],
                  sources=[Source(outlet="Vesti", published="2024-06-03")])
    ids = build(sqlite_db, [story])
    publish(sqlite_db, ids)
    groups = {t["nationality"]: t for t in one(sqlite_db)["targets"]}
    assert groups["KG"]["count"] is None and groups["KG"]["count_label"] == "fewer than 5 people"
    assert groups["UZ"]["count"] == 12 and groups["UZ"]["count_label"] == "12 people"
    assert all(t["name"] is None for t in groups.values())  # a group's own words may name people
    assert "students" not in dump(one(sqlite_db))
    small = {t["nationality"]: t for t in one(sqlite_db, PublicOptions(min_group=2))["targets"]}
    assert small["KG"]["count"] == 3
    strict = {t["nationality"]: t for t in one(sqlite_db, PublicOptions(min_group=20))["targets"]}
    assert strict["UZ"]["count"] is None and strict["UZ"]["count_label"] == "fewer than 20 people"


# --- scrubbing -------------------------------------------------------------------------------------


def test_names_scrubbed_from_every_string_that_leaves(sqlite_db: Database) -> None:
    story = Story(types=["detention"], date="2024-03-09", country="RU", place="Moscow",
                  targets=[person("Иван Петров", "RU"), org("Фонд Ивана Петрова")],
                  perpetrators=[{"name": "Compatriots of Karina Usmonova", "country": "TJ"}],
                  outcome="Петрову вернули паспорт; Karina Usmonova's lawyer was fined",
                  legal_basis=["Article 280 (Petrov case)"],
                  sources=[Source(outlet="Блог Ивана Петрова", url="https://ivan-petrov.example.org/post/1",
                                  published="2024-03-10")])
    other = simple("Karina Usmonova")  # protected everywhere, though told in another incident
    ids = build(sqlite_db, [story, other])
    publish(sqlite_db, [ids[0]])
    record = one(sqlite_db)
    text = dump(record).lower()
    for leak in ("петров", "ивана", "иван ", "petrov", "usmonova", "karina", "ivan-petrov"):
        assert leak not in text, leak
    assert record["outcome"] == f"Person A вернули паспорт; {WITHHELD}'s lawyer was fined"
    assert record["sources"][0]["domain"] is None  # the site's name is the victim's
    assert record["sources"][0]["outlet"] == "Блог Person A"
    assert {"name": "Фонд Person A", "kind": "organization", "nationality": None, "count": None,
            "count_label": None, "pseudonym": False} in record["targets"]
    assert record["perpetrators"] == [{"name": f"Compatriots of {WITHHELD}", "country": "TJ"}]
    assert record["legal_basis"] == ["Article 280 (Person A case)"]


@pytest.mark.parametrize(("name", "text"), [
    ("Иван Иванов", "Иванову дали три года"),
    ("Иван Иванов", "ИВАНОВЫМ"),
    ("Иван Иванов", "с Ивановой"),
    ("Анна Иванова", "Ивановой и её мужу"),
    ("Анна Иванова", "Анну задержали"),
    ("Анна Иванова", "Ivanova"),
    ("Давлат Назаров", "Davlat Nazarovu"),
    ("Алёна Крылова", "Alyona"),
    ("Abu Bakr al-Baghdadi", "Al-Baghdadi's"),
    ("Abu Bakr al-Baghdadi", "BAGHDADI"),
    ("Aziz uulu Bakyt", "Bakyt"),
    ("Li Yu", "Mr. Li Yu"),
    ("Rustam Sharipov", "Sha\u200brip\u200dov"),
    ("Rustam Sharipov", "Ｓｈａｒｉｐｏｖ"),
    ("Rustam Sharipov", "Sharipovs"),
    ("José Núñez", "Nunez"),
    ("محمد عبد الرحمن", "الرحمن"),
    ("محمد عبد الرحمن", "مُحَمَّد"),
    ("Ayşe Yılmaz", "AYŞE YILMAZ"),
    ("Ann Karimova", "ANN was released"),  # a short given name whose folded form ("an") is a particle
])
def test_guard_finds_names_in_any_form(name: str, text: str) -> None:
    guard = NameGuard()
    guard.add(name)
    assert guard.found(text), (name, text)
    assert guard.scrub(text) != text


@pytest.mark.parametrize(("name", "text"), [
    ("Ali Karimov", "Mali and Italia"),        # a short name inside other words
    ("Ali Karimov", "the police said"),
    ("Kara Usmonova", "Karakol"),               # a name that starts a place
    ("Abu Bakr al-Baghdadi", "al-Jazeera and Abu Dhabi"),  # particles alone are not names
    ("Li Yu", "Li"),                           # short words count only as the whole name
    ("Ann Karimova", "an exile"),              # "an" is not "Ann"
    ("a citizen of the Russian Federation", "Russian Federation"),  # a description, not a name
])
def test_guard_leaves_other_words(name: str, text: str) -> None:
    guard = NameGuard()
    guard.add(name)
    assert not guard.found(text), (name, text)
    assert guard.scrub(text) == text


def test_description_keeps_the_name_inside_it() -> None:
    guard = NameGuard()
    guard.add("брата Курбоналиева")
    assert guard.found("Курбоналиев") and not guard.found("брата")


# --- filters -------------------------------------------------------------------------------------


def test_filters_compare_public_values_only(sqlite_db: Database) -> None:
    ids = build(sqlite_db, [simple()])
    publish(sqlite_db, ids)
    # The true day is the 9th: no since/until reveals it when the record shows the month.
    for day in ("2024-03-01", "2024-03-09", "2024-03-10", "2024-03-31"):
        assert len(public_records(sqlite_db, filters=PublicFilter.parse(since=day))) == 1
        assert len(public_records(sqlite_db, filters=PublicFilter.parse(until=day))) == 1
    assert public_records(sqlite_db, filters=PublicFilter.parse(since="2024-04")) == []
    assert public_records(sqlite_db, filters=PublicFilter.parse(until="2024-02-29")) == []
    assert len(public_records(sqlite_db, filters=PublicFilter.parse(type="detention", country="kz"))) == 1
    assert public_records(sqlite_db, filters=PublicFilter.parse(type="killing")) == []
    for bad in ({"type": "nope"}, {"country": "Kazakhstan"}, {"since": "March"}):
        with pytest.raises(KolokolError):
            PublicFilter.parse(**bad)
    with pytest.raises(KolokolError):
        PublicOptions.parse(coarsen_date="week")
    with pytest.raises(KolokolError):
        PublicOptions.parse(coarsen_place="street")
    with pytest.raises(KolokolError):
        PublicOptions.parse(min_group=0)


# --- formats and the command line -------------------------------------------------------------------


def test_formats(sqlite_db: Database) -> None:
    hostile = simple("Rustam Sharipov")
    hostile.sources[0].outlet = "=HYPERLINK(\"http://evil.example\",\"x\")"
    ids = build(sqlite_db, [hostile, Story(types=["threat"], date="2024-01", country="TR",
                                           targets=[person("Umid Nazarov")],
                                           sources=[Source(outlet="@cmd", published="2024-01-03")])])
    publish(sqlite_db, ids)
    out = io.StringIO()
    result = export_public(sqlite_db, "jsonl", out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert result.written == 2 and all(tuple(x) == PUBLIC_FIELDS for x in lines)
    out = io.StringIO()
    export_public(sqlite_db, "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 2
    cells = [v for row in rows for v in row.values()]
    assert not any(c[:1] in ("=", "+", "-", "@") for c in cells if c)  # no spreadsheet formula
    assert any(c.startswith("'=HYPERLINK") for c in cells) and any(c.startswith("'@cmd") for c in cells)
    out = io.StringIO()
    result = export_public(sqlite_db, "geojson", out)
    collection = json.loads(out.getvalue())
    assert collection["type"] == "FeatureCollection" and result.written == 1 and result.left_out == 1
    feature = collection["features"][0]
    assert feature["geometry"]["type"] == "Point" and "coordinates" not in feature["properties"]
    assert set(feature["properties"]) == set(PUBLIC_FIELDS) - {"coordinates"}
    assert result.notes
    assert "Sharipov" not in out.getvalue()
    with pytest.raises(KolokolError):
        export_public(sqlite_db, "incidents-jsonl", io.StringIO())


def kolokol(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kolokol.cli", *args], capture_output=True, text=True,
                          timeout=300)


def test_cli_export_public(tmp_path: Path) -> None:
    from kolokol.store.db import open_database

    url = f"sqlite:///{tmp_path / 'k.db'}"
    db = open_database(url)
    try:
        ids = build(db, [simple("Rustam Sharipov"), simple("Dilshod Karimov")])
        publish(db, [ids[0]])
    finally:
        db.close()
    out = tmp_path / "public.csv"
    done = kolokol("--db", url, "export", "--public", "--format", "csv", "--coarsen-date", "year",
                   "--coarsen-place", "country", "--min-group", "3", "-o", str(out))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 1 and rows[0]["date"] == "2024" and rows[0]["place"] == ""
    assert rows[0]["place_level"] == "country" and rows[0]["targets"] == "Person A (TJ)"
    assert "Sharipov" not in out.read_text(encoding="utf-8")
    jsonl = kolokol("--db", url, "export", "--public", "--format", "jsonl")
    assert jsonl.returncode == 0 and len(jsonl.stdout.splitlines()) == 1
    assert json.loads(jsonl.stdout)["date"] == "2024-03"
    for bad in (["--format", "csv", "--coarsen-date", "year"], ["--public", "--format", "incidents-jsonl"],
                ["--public", "--format", "csv", "--hxl"], ["--public", "--format", "csv", "--coarsen-date", "week"]):
        failed = kolokol("--db", url, "export", *bad)
        assert failed.returncode != 0 and failed.stderr.startswith("error:"), (bad, failed.stderr)
        assert "Traceback" not in failed.stderr


def test_analysts_edits_win_and_are_pseudonymised_too(sqlite_db: Database) -> None:
    ids = build(sqlite_db, [simple("Rustam Sharipov")])
    publish(sqlite_db, ids)
    edits = {"targets": [{"name": "Rustam Sharipov", "kind": "person", "nationality": "TJ"},
                         {"name": "Malika Sharipova", "kind": "person", "nationality": "TJ"},
                         {"name": "Tajik migrants", "kind": "group", "nationality": "TJ"}],
             "perpetrators": [{"name": "GKNB", "country": "KG"}],
             "legal_basis": ["Article 330 (Malika Sharipova case)"],
             "outcome": "Malika Sharipova was released, Шарипову оставили под стражей"}
    with sqlite_db.session() as s:
        for name, value in edits.items():
            s.add(models.IncidentEdit(incident_id=ids[0], field=name, value=value))
    record = one(sqlite_db)
    assert [(t["name"], t["kind"]) for t in record["targets"]] == [("Person A", "person"), ("Person B", "person"),
                                                                 (None, "group")]
    assert record["targets"][2]["count_label"] == "a group of people"
    assert record["perpetrators"] == [{"name": "GKNB", "country": "KG"}]
    assert record["legal_basis"] == ["Article 330 (Person B case)"]
    assert record["outcome"] in ("Person B was released, [name withheld] оставили под стражей",
                                 "Person B was released, Person A оставили под стражей")
    assert "Sharipov" not in dump(record) and "Шарип" not in dump(record) and "Malika" not in dump(record)


def test_a_surname_linked_to_a_public_figure_by_a_guess_stays_protected(sqlite_db: Database) -> None:
    figure = "Bakhrom Kholmatov"
    sister = Story(types=["threat"], date="2024-07-02", country="TR", place="Istanbul",
                   targets=[person("Kholmatova", "TJ")],  # his sister, by her surname only
                   sources=[Source(outlet="Bosphorus Daily", published="2024-07-03")])
    ids = build(sqlite_db, [simple(figure), sister])
    publish(sqlite_db, ids)
    mark_public_figure(sqlite_db, figure)
    records = {r["date"]: r for r in public_records(sqlite_db)}
    assert records["2024-03"]["targets"][0]["name"] == figure
    assert [t["name"] for t in records["2024-07"]["targets"]] == ["Person A"]
    assert "Kholmatov" not in dump(records["2024-07"])
