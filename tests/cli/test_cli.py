"""The command line end to end: ingest, list, show, upgrade, errors as one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPORT = """---
source_id: "{sid}"
url: "https://example.org/{sid}"
outlet: "Example Wire"
title: "Exiled reporter {name} held in Almaty"
published: "2024-03-12"
lang: "en"
---
ALMATY -- Police in Almaty detained the exiled Tajik reporter {name} on March 9, his lawyer said.
He was questioned for five hours about his articles and released the next morning.
"""


def kolokol(*args: str, db: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "kolokol.cli", *(["--db", db] if db else []), *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"{cmd} failed ({result.returncode}): {result.stderr}")
    return result


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    names = ["Rustam Sharipov", "Dilshod Karimov", "Farhod Yusupov"]
    for i, name in enumerate(names):
        (folder / f"r{i}.md").write_text(REPORT.format(sid=f"t{i}", name=name), encoding="utf-8")
    return folder


def test_ingest_twice_stores_once_and_lists_as_json(db_url, reports):
    first = kolokol("ingest", "-q", str(reports), db=db_url)
    assert "new 3" in first.stdout.replace(":", "")
    again = kolokol("ingest", "-q", str(reports), db=db_url)
    assert "new 0" in again.stdout.replace(":", "")
    listed = kolokol("reports", "list", "--json", db=db_url)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(r["source_id"] for r in rows) == ["t0", "t1", "t2"]
    shown = kolokol("reports", "show", str(rows[0]["id"]), "--json", db=db_url)
    data = json.loads(shown.stdout)
    assert data["id"] == rows[0]["id"] and "detained" in data["text"]


def test_db_upgrade_reports_revision(tmp_path):
    db = f"sqlite:///{tmp_path / 'k.db'}"
    assert "upgraded" in kolokol("db", "upgrade", db=db).stdout
    assert "already at revision" in kolokol("db", "upgrade", db=db).stdout


def test_errors_are_one_line_without_traceback(tmp_path):
    result = kolokol("reports", "show", "999", db=f"sqlite:///{tmp_path / 'k.db'}", check=False)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "no report with id 999" in result.stderr
    assert "Traceback" not in result.stderr
    bad = kolokol("reports", "list", db="mysql://nobody@nowhere/x", check=False)
    assert bad.returncode == 1 and "unsupported database" in bad.stderr and "Traceback" not in bad.stderr


def test_ingest_exit_code_is_nonzero_only_when_nothing_was_ingested(tmp_path, reports):
    db = f"sqlite:///{tmp_path / 'k.db'}"
    (reports / "junk.bin").write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    ok = kolokol("ingest", "-q", str(reports), db=db, check=False)
    assert ok.returncode == 0 and "junk.bin" in ok.stdout
    only_bad = kolokol("ingest", "-q", str(reports / "junk.bin"), db=db, check=False)
    assert only_bad.returncode != 0


def test_extract_prints_interchange_json_lines(reports):
    result = kolokol("extract", str(reports / "r0.md"))
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert lines, "the detention should be found"
    first = lines[0]
    assert first["source_id"] == "t0" and "detention" in first["types"]
    assert first["date"] == "2024-03-09" and first["country"] == "KZ"
    text = (reports / "r0.md").read_text(encoding="utf-8").split("---\n", 2)[2]
    span = first["evidence_spans"]["incident"]
    assert text[span["start"]:span["end"]] == first["evidence"]


def test_extract_explain_adds_the_trace(reports):
    lines = [json.loads(x) for x in kolokol("extract", "--explain", str(reports / "r1.md")).stdout.splitlines()]
    assert lines and any("events.trigger.detention" in step for step in lines[0]["trace"])
    plain = [json.loads(x) for x in kolokol("extract", str(reports / "r1.md")).stdout.splitlines()]
    assert "trace" not in plain[0]


def test_help_explains_every_command():
    out = kolokol("--help").stdout
    for command in ("ingest", "reports", "extract", "reextract", "eval", "demo", "db"):
        assert command in out


def test_demo_builds_the_example_database_with_merged_stories(tmp_path):
    from sqlalchemy import select

    from kolokol.store import models
    from kolokol.store.db import open_database

    db_path = tmp_path / "demo.db"
    result = kolokol("demo", "--no-serve", "--db-path", str(db_path))
    assert "example reports" in result.stdout and "merged incidents" in result.stdout
    db = open_database(f"sqlite:///{db_path}")
    try:
        with db.session() as s:
            reports = s.scalars(select(models.Report)).all()
            incidents = s.scalars(select(models.Incident)).all()
            assert len(reports) >= 14
            languages = {r.language for r in reports}
            assert {"en", "ru"} <= languages
            # The bundled multi-source stories come out as incidents told by several reports.
            assert any(len({m.report_id for m in i.mentions if m.current}) >= 2 for i in incidents)
            assert len({i.country for i in incidents}) >= 5
    finally:
        db.close()
