"""Merge speed and memory on synthetic report-level incidents (in memory, the merge algorithm itself).

    .venv/bin/python benchmarks/merge_speed.py                      # 100k and 1M, writes the results
    .venv/bin/python benchmarks/merge_speed.py --sizes 20000 --no-write

Each size runs in a fresh process: generate synthetic acts told by 1-6 reports each (dates off by a
day, month-only round-ups, dates borrowed from publication, initials, surname-only and gendered
forms, organisations, groups, round-ups telling several acts), then time
`kolokol.resolve.merge.partition` (blocking, pairwise scoring, clustering) and measure the memory it
adds (times are CPU seconds of the merge, so other load on the machine does not count).

Two series: "constant" density (the time span grows with the data, incidents per day stay the
same: this isolates the algorithm, near-linear means the 1M run takes about ten times the 100k
run) and "growing" density (11 years whatever the size: a bigger set also has more namesakes and
same-size groups to compare). Pairwise precision / recall against the generator's truth is a sanity
check (synthetic names), not a quality claim.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "merge_speed.json"

COUNTRIES = ["RU", "KG", "KZ", "TJ", "UZ", "TR", "BY", "GE", "AM", "DE", "AE", "LT", "PL", "UA", "AZ", "TM", "RS",
             "FR", "CZ", "LV"]
TYPES = [("detention",), ("detention", "interrogation"), ("detention", "fine"), ("threat",), ("summons",),
         ("legal_action",), ("deportation", "detention"), ("extradition", "detention"), ("rendition",),
         ("closure",), ("censorship",), ("ill_treatment", "detention"), ("surveillance",), ("abduction",)]
SYLLABLES = ["ka", "ro", "zh", "ba", "tur", "sun", "ali", "mir", "bek", "nur", "dos", "jan", "gul", "tem", "ras",
             "ul", "er", "ko", "sa", "mat", "vel", "dar", "ish", "lo", "pan", "sher", "tol", "ham", "yus", "fer"]
ENDINGS = ["ov", "ev", "in", "bekov", "uly", "zoda", "enko", "ski", "yan", "ich"]
GIVEN = ["Gleb", "Olga", "Ilya", "Yulia", "Aleksei", "Daria", "Timur", "Aigul", "Rustam", "Dilnoza", "Arman",
         "Saule", "Farhod", "Zarina", "Anton", "Maria", "Nurlan", "Gulnara", "Sardor", "Madina", "Pavel", "Elena",
         "Bakyt", "Asel", "Jamshed", "Nigora", "Ivan", "Anna", "Azamat", "Aida"]
ORG_WORDS = ["Svoboda", "Polka", "Vatan", "Dom", "Kitob", "Ayna", "Rassvet", "Most", "Kovcheg", "Nur", "Ozod",
             "Tumar", "Sever", "Yug", "Ulay", "Sanat", "Ilm", "Dostuk", "Mayak", "Tsvet"]
DAY0 = dt.date(2015, 1, 1).toordinal()
DAYS = 365 * 11


def synthetic(n: int, seed: int = 1, span_days: int = DAYS) -> tuple[list[Any], dict[str, int]]:
    """n mention records over `span_days` and the true act of each (key -> act id)."""
    from kolokol.resolve.merge import make_record

    rnd = random.Random(seed)
    country_weights = [1 / (i + 1) for i in range(len(COUNTRIES))]
    records: list[Any] = []
    truth: dict[str, int] = {}
    report = 0
    pending_roundup: list[tuple[int, Any]] = []
    act = 0
    while len(records) < n:
        act += 1
        country = rnd.choices(COUNTRIES, country_weights)[0]
        types = rnd.choice(TYPES)
        day = DAY0 + rnd.randrange(span_days)
        kind = rnd.random()
        if kind < 0.6:
            surname = "".join(rnd.choice(SYLLABLES) for _ in range(rnd.choice((3, 4)))).capitalize()
            surname += rnd.choice(ENDINGS)
            given = rnd.choice(GIVEN)
            victim = ("person", given, surname)
        elif kind < 0.8:
            victim = ("organization", f"{rnd.choice(ORG_WORDS)} {rnd.choice(ORG_WORDS)}{rnd.randrange(400)}", "")
        else:
            victim = ("group", "people", str(rnd.choice((2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30, 57))))
        tellings = rnd.choices((1, 2, 3, 4, 5, 6), (40, 25, 15, 10, 6, 4))[0]
        for _t in range(tellings):
            if len(records) >= n:
                break
            r = rnd.random()
            when, precision, dated, published = dt.date.fromordinal(day).isoformat(), "day", True, None
            if r < 0.12:
                when = dt.date.fromordinal(day + rnd.choice((-1, 1))).isoformat()
            elif r < 0.22:
                when, precision = when[:7], "month"
            elif r < 0.27:
                pub = dt.date.fromordinal(day + rnd.randrange(5, 60))
                when, precision, dated, published = pub.isoformat()[:7], "month", False, pub.isoformat()
            if victim[0] == "person":
                v = rnd.random()
                given, surname = victim[1], victim[2]
                name = f"{given} {surname}"
                if v < 0.1:
                    name = f"{given[0]}. {surname}"
                elif v < 0.2:
                    name = surname
                elif v < 0.25 and surname.endswith(("ov", "ev", "in")):
                    name = f"{given} {surname}a"
                target = {"name": name, "kind": "person", "nationality": None, "count": None}
            elif victim[0] == "organization":
                target = {"name": victim[1], "kind": "organization", "nationality": None, "count": None}
            else:
                target = {"name": f"{victim[2]} people", "kind": "group", "nationality": None,
                          "count": int(victim[2])}
            told_types = types if rnd.random() < 0.8 else types[:1]
            if rnd.random() < 0.05:  # a round-up: this report tells several acts
                if pending_roundup and rnd.random() < 0.7:
                    rid = pending_roundup[-1][0]
                else:
                    report += 1
                    rid = report
                    pending_roundup.append((rid, None))
            else:
                report += 1
                rid = report
            key = f"{rid:064x}:{len(records) + 1}"
            rec = make_record(key=key, report=rid, types=told_types, date=when, precision=precision,
                              dated_in_text=dated, published=published, country=country, targets=[target],
                              perpetrators=[{"name": "police", "country": country}])
            records.append(rec)
            truth[key] = act
    return records, truth


def pairwise(pred: list[list[str]], truth: dict[str, int]) -> dict[str, float]:
    def pairs(counter: Counter[Any]) -> int:
        return sum(k * (k - 1) // 2 for k in counter.values())

    both: Counter[tuple[int, int]] = Counter()
    predicted: Counter[int] = Counter()
    for ci, cluster in enumerate(pred):
        predicted[ci] = len(cluster)
        for key in cluster:
            both[(ci, truth[key])] += 1
    tp = pairs(both)
    p_pairs = pairs(predicted)
    t_pairs = pairs(Counter(truth.values()))
    return {"precision": round(tp / p_pairs, 4) if p_pairs else 1.0,
            "recall": round(tp / t_pairs, 4) if t_pairs else 1.0}


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def run_one(n: int, density: str) -> dict[str, Any]:
    from kolokol.resolve.merge import partition

    # "constant": the time span grows with the data (about 91k mentions a year, as 1M over 11 years),
    # so incidents per day stay the same: this isolates the algorithm's growth. "growing": 11 years
    # whatever the size, so a bigger set is also denser (more namesakes, more same-size groups).
    span = max(30, round(DAYS * n / 1_000_000)) if density == "constant" else DAYS
    t0 = time.perf_counter()
    records, truth = synthetic(n, span_days=span)
    generated = time.perf_counter() - t0
    gc.collect()
    before = rss_mb()
    t1, c1 = time.perf_counter(), time.process_time()
    stats: dict[str, float] = {}
    clusters = partition(records, stats=stats)
    wall = time.perf_counter() - t1
    seconds = time.process_time() - c1  # CPU time: other processes on the machine do not count
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    quality = pairwise(clusters, truth)
    return {"mentions": n, "density": density, "span_days": span, "acts": len(set(truth.values())),
            "incidents": len(clusters),
            "merge_seconds": round(seconds, 2), "merge_wall_seconds": round(wall, 2),
            "per_mention_us": round(seconds / n * 1e6, 1),
            "generate_seconds": round(generated, 2), "rss_before_merge_mb": round(before, 1),
            "peak_rss_mb": round(peak, 1), "merge_added_mb": round(peak - before, 1), "phases": stats,
            "synthetic_pairwise": quality}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--density", nargs="+", choices=["constant", "growing"], default=["constant", "growing"])
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--child-density", default="constant", help=argparse.SUPPRESS)
    ap.add_argument("--no-write", action="store_true", help="Print only; do not update the results file.")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.child_density)))
        return
    runs = []
    result: dict[str, Any] = {"benchmark": "merge_speed", "date": dt.date.today().isoformat(),
                              "python": platform.python_version(), "machine": platform.machine(),
                              "cpus": os.cpu_count(), "runs": runs, "growth_vs_linear": {}}
    for density in args.density:
        rows = []
        for n in args.sizes:
            out = subprocess.run([sys.executable, __file__, "--child", str(n), "--child-density", density],
                                 capture_output=True, text=True, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            print(json.dumps(row), flush=True)
            rows.append(row)
        runs.extend(rows)
        if len(rows) >= 2:
            a, b = rows[0], rows[-1]
            growth = (b["merge_seconds"] / a["merge_seconds"]) / (b["mentions"] / a["mentions"])
            result["growth_vs_linear"][density] = round(growth, 2)  # 1.0 = exactly linear
            print(f"{density} density: time grows {b['merge_seconds'] / a['merge_seconds']:.1f}x for "
                  f"{b['mentions'] / a['mentions']:.0f}x the mentions ({growth:.2f} of linear)", flush=True)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
