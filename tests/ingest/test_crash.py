"""kill -9 in the middle of a batch: every report is fully stored or absent, and a re-run completes
the batch exactly once. Run on SQLite and PostgreSQL."""

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
from sqlalchemy import func, select, text

from kolokol.config import Settings
from kolokol.ingest import dedupe, ingest_sources
from kolokol.store.db import open_database
from kolokol.store.models import Mention, Report, ReportBand

TOTAL = 60
CHILD = textwrap.dedent("""
    import sys, time
    from kolokol.config import Settings
    from kolokol.ingest import ingest_sources
    from kolokol.store.db import open_database
    from kolokol.store.models import Mention

    def after_store(session, report):
        session.add(Mention(report_id=report.id, types=["other"], extractor="crash", extractor_version="1"))
        session.flush()
        time.sleep(0.08)  # widen the window in which the kill lands inside a transaction

    db = open_database(sys.argv[1])
    ingest_sources(db, [sys.argv[2]], Settings(), after_store=after_store, progress=False)
    print("finished", flush=True)
""")
WORDS = [word for line in (
    "police detained questioned exile journalist activist border court lawyer family visit",
    "warned passport consulate embassy asylum refugee camp city airport station night morning",
    "officers summons fine deportation extradition request prosecutor video channel rally",
    "picket union student teacher relatives phone laptop seized released charged accused",
    "article code law",
) for word in line.split()]


def write_reports(folder: Path) -> None:
    rng = random.Random(20240301)
    for n in range(TOTAL):
        body = " ".join(rng.choice(WORDS) for _ in range(120))
        (folder / f"r{n:03d}.txt").write_text(
            f'---\nsource_id: "g{n:03d}"\ntitle: "Generated report {n}"\nlang: "en"\n---\n{body}\n',
            encoding="utf-8")


def counts(db) -> tuple[int, int, int]:
    with db.session() as session:
        reports = session.scalar(select(func.count()).select_from(Report)) or 0
        bands = session.scalar(select(func.count()).select_from(ReportBand)) or 0
        mentions = session.scalar(select(func.count()).select_from(Mention)) or 0
    return int(reports), int(bands), int(mentions)


def assert_consistent(db) -> int:
    """Every stored report has all its bands and its after_store row; nothing dangles."""
    with db.session() as session:
        ids = session.scalars(select(Report.id)).all()
        for report_id in ids:
            bands = session.scalar(select(func.count()).where(ReportBand.report_id == report_id))
            mentions = session.scalar(select(func.count()).where(Mention.report_id == report_id))
            assert (bands, mentions) == (dedupe.BANDS, 1), f"report {report_id} is half stored"
        orphans = session.scalar(
            select(func.count()).select_from(Mention).where(Mention.report_id.not_in(ids)))
        assert orphans == 0
    return len(ids)


@pytest.mark.slow
def test_kill_9_mid_batch_then_rerun(db_url, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    write_reports(folder)
    db = open_database(db_url)  # migrate before the child starts
    child = subprocess.Popen([sys.executable, "-c", CHILD, db_url, str(folder)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while counts(db)[0] < 12:
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
            assert time.monotonic() < deadline, "the child stored too few reports in time"
            time.sleep(0.02)
        time.sleep(0.04)  # most likely inside after_store's sleep, mid-transaction
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    db.close()

    db = open_database(db_url)  # a fresh connection, as after a crash
    try:
        if db.backend == "sqlite":
            with db.engine.connect() as conn:
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        stored = assert_consistent(db)
        assert 12 <= stored < TOTAL

        def after_store(session, report):
            session.add(Mention(report_id=report.id, types=["other"], extractor="crash",
                                extractor_version="1"))

        summary = ingest_sources(db, [str(folder)], Settings(), after_store=after_store, progress=False)
        assert not summary.failed and not summary.copies
        assert len(summary.duplicates) == stored and len(summary.new) == TOTAL - stored
        assert assert_consistent(db) == TOTAL
        assert counts(db) == (TOTAL, TOTAL * dedupe.BANDS, TOTAL)
        with db.session() as session:
            source_ids = session.scalars(select(Report.source_id)).all()
        assert sorted(source_ids) == [f"g{n:03d}" for n in range(TOTAL)]
    finally:
        db.close()
