"""kill -9 while an encrypted database is being written (ingest, extraction, merging, search index,
audit entries), then restart: the integrity check passes, the audit chain verifies, and every report
the writer had committed is there and decrypts to the text it was given. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from kolokol.config import load_settings
from kolokol.ingest import ingest_sources
from kolokol.security import audit
from kolokol.security.keys import check_values
from kolokol.store import models
from kolokol.store.db import open_database

from .util import write_report

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from kolokol.config import load_settings
    from kolokol.extract.store import store_extraction
    from kolokol.ingest import ingest_sources
    from kolokol.security import audit
    from kolokol.store.db import open_database
    from kolokol.update import update_incidents

    def after_store(session, report):
        store_extraction(session, report)
        audit.append(session, "report.ingest", object_type="report", object_id=report.id)

    db = open_database(sys.argv[1])
    settings = load_settings({})
    for n, path in enumerate(sorted(Path(sys.argv[2]).glob("*.md"))):
        ingest_sources(db, [str(path)], settings, after_store=after_store, progress=False)
        print("committed", path.stem, flush=True)  # only after the transaction returned
        if n % 4 == 3:
            update_incidents(db)  # merging and the blind search index write too
    print("finished", flush=True)
""")
FIRST = ["Aibek", "Dilnoza", "Timur", "Aigerim", "Rustam", "Bakyt", "Zarina", "Nurlan"]
LAST = ["Sadykova", "Karimov", "Yusupov", "Tokhtarova", "Ismailov", "Abenova", "Orlov", "Petrova"]
CITIES = ["Almaty", "Bishkek", "Istanbul", "Moscow", "Tbilisi"]


def make_reports(folder: Path, count: int) -> dict[str, str]:
    """Distinct reports (name -> the body written), different enough not to be copies."""
    rng = random.Random(20261122)
    bodies = {}
    folder.mkdir()
    for n in range(count):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        city = rng.choice(CITIES)
        body = (f"Police in {city} detained the exiled journalist {name} on {n % 27 + 1} March 2024, "
                f"her lawyer said in statement number {n}. {name} was questioned for {n % 9 + 2} hours about "
                f"posts on channel {rng.randrange(10**6)} and released the next morning without charge. "
                f"Relatives said officers had visited the family home in {rng.choice(CITIES)} twice in {n}.")
        stem = f"r{n:03d}"
        write_report(folder, f"{stem}.md", sid=f"crash{n:03d}", title=f"Journalist {name} detained in {city}",
                     body=body)
        bodies[stem] = body
    return bodies


@pytest.mark.slow
def test_kill_9_while_writing_then_restart(db_url: str, tmp_path: Path) -> None:
    bodies = make_reports(tmp_path / "reports", 40)
    open_database(db_url).close()  # schema and keys exist before the writer starts
    committed: list[str] = []
    child = subprocess.Popen([sys.executable, "-c", WRITER, db_url, str(tmp_path / "reports")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    target = random.Random().randint(6, 14)
    deadline = time.monotonic() + 240
    for line in child.stdout:
        if line.startswith("committed"):
            committed.append(line.split()[1])
        if len(committed) >= target or time.monotonic() > deadline:
            break
    time.sleep(random.Random().uniform(0.0, 0.3))  # land anywhere in the next transaction
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=60)
    assert len(committed) >= target, (child.stderr.read() if child.stderr else "")[-2000:]

    db = open_database(db_url)
    try:
        if db.backend == "sqlite":
            with db.engine.connect() as conn:
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        verdict = audit.verify(db)
        assert verdict.ok, verdict.problem
        with db.session() as s:
            stored = {r.source_id: r for r in s.scalars(select(models.Report))}
            entries = s.scalar(select(models.AuditHead.entries).where(models.AuditHead.id == 1))
        for stem in committed:  # every committed report is there, and decrypts to what was written
            report = stored[f"crash{int(stem[1:]):03d}"]
            assert bodies[stem] in report.clean_text
            assert bodies[stem].encode() in report.raw
        assert entries == len(stored)  # report and audit entry committed together, or neither
        assert check_values(db) > 0  # every encrypted value of every table decrypts
        # ...and the database goes on: the rest of the batch is ingested exactly once
        summary = ingest_sources(db, [str(tmp_path / "reports")], load_settings({}), progress=False)
        assert len(summary.new) + len(summary.duplicates) == 40 and not summary.failed
        assert len(summary.duplicates) == len(stored)
        assert audit.verify(db).ok
    finally:
        db.close()
