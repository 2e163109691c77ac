"""Extraction speed and memory: reports per second on one core, and peak memory as the count grows.

    python benchmarks/extract_speed.py [--reports 10000] [--size 5000] [--min-rate 20]

Generates reports of about --size characters from templates (in English and Russian, with names,
dates, places, agencies and context paragraphs), runs the default engine over them one by one in
this process, and prints the rate and the resident memory at each tenth of the run. Exits non-zero
when the rate is below --min-rate or memory grows by more than --max-growth-mb after the first
tenth (the models are loaded by then), so CI can run it with a generous bound. The last results
are kept in benchmarks/results/extract_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

from kolokol.domain import ReportInput
from kolokol.extract.engines import RulesEngine

FIRST = ["Aibek", "Nurlan", "Dilnoza", "Timur", "Olga", "Sergei", "Aigerim", "Rustam", "Maria", "Bakyt"]
LAST = ["Sadykov", "Abenova", "Karimov", "Petrova", "Yusupov", "Orlov", "Tokhtarova", "Ismailov"]
CITIES = ["Bishkek", "Almaty", "Osh", "Tashkent", "Istanbul", "Tbilisi", "Dushanbe", "Astana"]
MONTHS = ["January", "March", "April", "June", "September", "November"]
EN_EVENT = [
    "On {month} {day}, police in {city} detained the exiled blogger {name}, his lawyer said.",
    "{name}, a journalist who fled in 2022, was questioned for six hours by the security service.",
    "Officers threatened to deport {name} if she continued to speak about the war.",
    "A court in {city} fined {name} 5,500 soms under Article 431 of the Code of Offenses.",
    "Five foreigners were taken to a police station in {city} and released the following day.",
]
EN_CONTEXT = [
    "The ministry said it works with partners across the region to keep order.",
    "Rights groups have long criticised the use of migration rules against critics of the government.",
    "Exiles gathered on Saturday to discuss how to support each other in the coming months.",
    "Analysts say the two governments have deepened cooperation between their security agencies.",
]
RU_EVENT = [
    "{day} марта полиция {city_ru} задержала активиста {name}.",
    "Журналиста {name} вызвали на допрос в ГКНБ.",
    "Суд оштрафовал {name} на 5 тысяч рублей по ч. 2 ст. 20.3.3 КоАП.",
]
RU_CONTEXT = [
    "Правозащитники считают, что давление на эмигрантов усиливается.",
    "Министерство заявило, что действует строго в рамках закона.",
]


def make_report(rng: random.Random, size: int, index: int) -> ReportInput:
    ru = index % 4 == 3
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < size:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if ru:
            template = rng.choice(RU_EVENT if rng.random() < 0.3 else RU_CONTEXT)
            parts.append(template.format(day=rng.randint(1, 28), city_ru="Бишкека", name=name))
        else:
            template = rng.choice(EN_EVENT if rng.random() < 0.3 else EN_CONTEXT)
            parts.append(template.format(month=rng.choice(MONTHS), day=rng.randint(1, 28),
                                         city=rng.choice(CITIES), name=name))
    return ReportInput(text="\n".join(parts), raw=b"", kind="text", origin=f"gen-{index}",
                       source_id=f"gen{index}", published="2024-12-01", language="ru" if ru else "en")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    # One core: numpy's BLAS (run by the Russian name model) would start a thread per core, which on a busy
    # machine burns CPU waiting and blurs the per-core figure. numpy is not loaded yet at this point.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=10000)
    ap.add_argument("--size", type=int, default=5000)
    ap.add_argument("--min-rate", type=float, default=20.0)
    ap.add_argument("--max-growth-mb", type=float, default=200.0)
    args = ap.parse_args()
    rng = random.Random(7)
    engine = RulesEngine()
    engine.extract(make_report(rng, args.size, 0))  # load lexicons and models before timing
    engine.extract(make_report(rng, args.size, 3))
    checkpoints = []
    incidents = 0
    start = time.perf_counter()
    tenth = max(1, args.reports // 10)
    for i in range(args.reports):
        incidents += len(engine.extract(make_report(rng, args.size, i)))
        if (i + 1) % tenth == 0:
            checkpoints.append({"reports": i + 1, "seconds": round(time.perf_counter() - start, 2),
                                "max_rss_mb": round(rss_mb(), 1)})
            print(f"{i + 1:>7} reports  {checkpoints[-1]['seconds']:>8.1f} s  "
                  f"max RSS {checkpoints[-1]['max_rss_mb']:.0f} MB", flush=True)
    elapsed = time.perf_counter() - start
    rate = args.reports / elapsed
    growth = checkpoints[-1]["max_rss_mb"] - checkpoints[0]["max_rss_mb"]
    result = {"reports": args.reports, "size": args.size, "seconds": round(elapsed, 2),
              "reports_per_second": round(rate, 1), "incidents": incidents,
              "memory_growth_mb": round(growth, 1), "checkpoints": checkpoints}
    out = Path(__file__).parent / "results" / "extract_speed.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{rate:.1f} reports/s on one core, memory growth {growth:.0f} MB after the first tenth")
    if rate < args.min_rate or growth > args.max_growth_mb:
        print("below the bound", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
