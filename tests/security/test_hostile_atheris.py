"""The Atheris (libFuzzer) harnesses under fuzz/, each run for a bounded number of inputs from the
project's own pages, feeds and reports: no crash, no input slower than 20 s, no runaway memory.
Skipped, with the reason, where Atheris cannot be imported (it ships wheels for Linux x86-64)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "data" / "ingest"
HARNESSES = {"fuzz_html.py": ["pages"], "fuzz_feed.py": ["feeds"], "fuzz_text.py": ["reports", "copies"]}
RUNS = 400

pytestmark = pytest.mark.skipif(importlib.util.find_spec("atheris") is None,
                                reason="atheris is not installed (pip install atheris; Linux x86-64 wheels)")


@pytest.mark.parametrize("harness", sorted(HARNESSES))
def test_harness_runs_clean(harness: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for folder in HARNESSES[harness]:
        for seed in (SEEDS / folder).iterdir():
            shutil.copy(seed, corpus / seed.name)
    cmd = [sys.executable, str(ROOT / "fuzz" / harness), f"-runs={RUNS}", "-timeout=20", "-rss_limit_mb=3072",
           "-max_total_time=240", "-print_final_stats=1", str(corpus)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    try:
        done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=420)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{harness} did not finish {RUNS} runs in time")
    crashes = sorted(p for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-")))
    output = done.stdout + done.stderr
    uncaught = output[output.find("=== Uncaught"):][:3000] if "=== Uncaught" in output else ""
    inputs = [f"{p.name}: {p.read_bytes()[:600]!r}" for p in crashes]
    assert done.returncode == 0 and not crashes, f"{harness}: {inputs}\n{uncaught or done.stderr[-3000:]}"
    assert f"Done {RUNS} runs" in done.stderr or "stat::number_of_executed_units" in done.stderr, done.stderr[-2000:]
