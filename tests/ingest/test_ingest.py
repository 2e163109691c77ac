"""ingest_sources end to end on both backends: storing, re-running, copies, after_store, output."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select

from kolokol.config import Settings
from kolokol.errors import KolokolError
from kolokol.ingest import IngestSummary, ingest_sources, read_source, render_summary
from kolokol.store.models import Mention, Report, ReportBand
from kolokol.store.reports import list_reports

from .conftest import COPIES, PAGES, REPORTS

SETTINGS = Settings()


def count(db, model) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def add_mention(session, report: Report) -> None:
    session.add(Mention(report_id=report.id, types=["other"], extractor="test", extractor_version="1"))


def test_front_matter_reports_stored_then_rerun_stores_nothing(db):
    first = ingest_sources(db, [str(REPORTS)], SETTINGS, progress=False)
    assert len(first.new) == 5 and not first.failed and not first.copies and first.exit_code == 0
    with db.session() as session:
        stored = {r.source_id: r for r in list_reports(session)}
    assert sorted(stored) == ["t001", "t002", "t003", "t004", "t005"]
    assert stored["t002"].language == "ru" and stored["t002"].outlet == "Вечерний Тянь-Шань"
    assert stored["t004"].kind == "markdown" and stored["t003"].published == "2022-11"
    assert count(db, ReportBand) == 5 * 32
    again = ingest_sources(db, [str(REPORTS)], SETTINGS, progress=False)
    assert again.new == [] and len(again.duplicates) == 5 and again.exit_code == 0
    assert {rid for _, rid in again.duplicates} == {rid for _, rid in first.new}
    assert count(db, Report) == 5


def test_pages_and_copies_in_one_batch(db):
    summary = ingest_sources(db, [str(PAGES), str(COPIES)], SETTINGS, progress=False)
    assert len(summary.new) == 3 + 2 and len(summary.copies) == 2 and not summary.failed
    originals = {origin.rsplit("/", 1)[1]: rid for origin, rid in summary.new}
    for origin, _rid, original, similarity in summary.copies:
        assert original == originals["01-original.txt"], origin
        assert 0.5 < similarity < 1
    assert "04-same-topic.txt" in originals  # same topic, different story: not a copy


def test_after_store_runs_in_the_same_transaction(db):
    seen: list[int] = []

    def after(session, report):
        assert session.get(Report, report.id) is report  # the row is visible, not yet committed
        add_mention(session, report)
        seen.append(report.id)

    summary = ingest_sources(db, [str(REPORTS)], SETTINGS, after_store=after, progress=False)
    assert len(seen) == 5 and count(db, Mention) == 5
    ingest_sources(db, [str(REPORTS)], SETTINGS, after_store=after, progress=False)
    assert len(seen) == 5  # not called for duplicates
    assert summary.exit_code == 0


def test_failing_after_store_rolls_the_report_back_and_the_batch_goes_on(db):
    def after(session, report):
        add_mention(session, report)
        session.flush()
        if report.source_id == "t002":
            raise KolokolError("extraction step crashed")
        if report.source_id == "t004":
            raise ZeroDivisionError("secret text must not leak")

    summary = ingest_sources(db, [str(REPORTS)], SETTINGS, after_store=after, progress=False)
    assert len(summary.new) == 3 and len(summary.failed) == 2
    reasons = dict(summary.failed)
    assert reasons[str(REPORTS / "002-bishkek-musician.txt")] == "processing failed: extraction step crashed"
    assert reasons[str(REPORTS / "004-deportation-order.md")] == "processing failed (ZeroDivisionError)"
    assert count(db, Report) == 3 and count(db, Mention) == 3 and count(db, ReportBand) == 3 * 32
    retry = ingest_sources(db, [str(REPORTS)], SETTINGS, after_store=add_mention, progress=False)
    assert len(retry.new) == 2 and len(retry.duplicates) == 3
    assert count(db, Report) == 5 and count(db, Mention) == 5


def test_mixed_directory(db, tmp_path):
    root = tmp_path / "batch"
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / ".git").mkdir()
    shutil.copy(REPORTS / "001-almaty-questioning.txt", root / "a-good.txt")
    shutil.copy(REPORTS / "002-bishkek-musician.txt", root / "nested" / "deeper" / "b-good.txt")
    french = "Le militant a été interpellé à Genève et interrogé pendant trois heures sur ses contacts."
    (root / "c-latin1.txt").write_bytes(french.encode("latin-1"))
    russian = "Активиста задержали в аэропорту Бишкека и допросили о его публикациях в социальных сетях."
    (root / "d-cp1251.txt").write_bytes(russian.encode("cp1251"))
    (root / "e-image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    (root / "f-empty.txt").write_bytes(b"")
    (root / "g-blank.md").write_bytes(b"  \n\t\n")
    (root / "h-huge.txt").write_bytes(b"word " * 2000)
    (root / "i-broken.html").write_bytes(b"<<<<>>>> <!-- <")
    (root / "j-broken.xml").write_bytes(b'<?xml version="1.0"?><rss version="2.0"><channel><title>Cut')
    (root / "k-report.pdf").write_bytes(b"%PDF-1.5\n%binary")
    (root / ".hidden.txt").write_text("A hidden note that must not be ingested at all, ever.")
    (root / ".git" / "config").write_text("[core]")
    settings = dataclasses.replace(SETTINGS, max_file_bytes=5000)
    summary = ingest_sources(db, [str(root)], settings, progress=False)
    assert summary.exit_code == 0
    new = sorted(Path(origin).name for origin, _ in summary.new)
    assert new == ["a-good.txt", "b-good.txt", "c-latin1.txt", "d-cp1251.txt"]
    reasons = {Path(origin).name: reason for origin, reason in summary.failed}
    assert reasons == {
        "e-image.txt": "binary file (PNG image)",
        "f-empty.txt": "empty report",
        "g-blank.md": "empty report",
        "h-huge.txt": "file too large (9.8 KB > 4.9 KB limit)",
        "i-broken.html": "malformed HTML: no document could be parsed",
        "j-broken.xml": reasons["j-broken.xml"],
        "k-report.pdf": "binary file (PDF)",
    }
    assert reasons["j-broken.xml"].startswith("malformed feed: ")
    assert all("\n" not in r for r in reasons.values())
    with db.session() as session:
        texts = {Path(r.origin or "").name: r.clean_text for r in list_reports(session)}
    assert texts["c-latin1.txt"] == french and texts["d-cp1251.txt"] == russian
    # Sorted, recursive order: a, c, d ... then nested/deeper/b.
    order = [Path(o).name for o, _ in summary.new]
    assert order == ["a-good.txt", "c-latin1.txt", "d-cp1251.txt", "b-good.txt"]


def test_exit_codes(db, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.bin").write_bytes(b"\x00\x01\x02")
    assert ingest_sources(db, [], SETTINGS, progress=False).exit_code == 1
    assert ingest_sources(db, [str(tmp_path / "empty")], SETTINGS, progress=False).exit_code == 1
    bad = ingest_sources(db, [str(tmp_path / "bad"), str(tmp_path / "missing.txt")], SETTINGS, progress=False)
    assert bad.exit_code == 1
    assert bad.failed[-1] == (str(tmp_path / "missing.txt"), "no such file or directory")
    ok = ingest_sources(db, [str(REPORTS / "001-almaty-questioning.txt"), str(tmp_path / "bad")], SETTINGS,
                        progress=False)
    assert ok.exit_code == 0 and len(ok.failed) == 1
    dup = ingest_sources(db, [str(REPORTS / "001-almaty-questioning.txt")], SETTINGS, progress=False)
    assert dup.exit_code == 0 and len(dup.duplicates) == 1
    assert IngestSummary(copies=[("x", 2, 1, 0.8)]).exit_code == 0


def test_render_summary_and_progress_never_show_report_text(db, tmp_path):
    shutil.copytree(COPIES, tmp_path / "in[put]")
    (tmp_path / "in[put]" / "zz.bin").write_bytes(b"\x00" * 10)
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, force_terminal=True)
    summary = ingest_sources(db, [str(tmp_path / "in[put]")], SETTINGS, console=console, progress=True)
    assert len(summary.new) == 2 and len(summary.copies) == 2 and len(summary.failed) == 1
    render_summary(summary, console)
    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buffer.getvalue())  # colours off, text kept
    assert "new: 2, duplicate: 0, copy-of: 2, failed: 1" in out
    assert f"failed: {tmp_path / 'in[put]' / 'zz.bin'}: binary file (contains NUL bytes)" in out
    assert f"{tmp_path / 'in[put]' / '02-syndicated.txt'} -> report {summary.new[0][1]}" in out
    for secret in ("Nurlanova", "Farida", "Istanbul", "Lawyer held in Turkey"):
        assert secret not in out


def test_render_summary_plain(tmp_path):
    buffer = io.StringIO()
    summary = IngestSummary(new=[("a", 1)], duplicates=[("b", 1)], copies=[("c", 3, 1, 0.8123)],
                            failed=[("d", "empty report"), ("e\n\x1b[2Jx", "binary file (PDF)")])
    render_summary(summary, Console(file=buffer, width=120))
    assert buffer.getvalue().splitlines() == [
        "new: 1, duplicate: 1, copy-of: 1, failed: 2",
        "copy: c -> report 1 (similarity 0.81; stored as 3)",
        "failed: d: empty report",
        "failed: e\\n\\x1b[2Jx: binary file (PDF)",
    ]


@pytest.mark.parametrize("source", ["", "   "])
def test_blank_source_is_a_failure(db, source):
    summary = ingest_sources(db, [source], SETTINGS, progress=False)
    assert summary.exit_code == 1 and len(summary.failed) == 1


def test_race_on_the_unique_hash_counts_as_duplicate(db, monkeypatch):
    # Another writer stores the same text between our lookup and our insert.
    from kolokol.store import reports as report_store

    source = str(REPORTS / "001-almaty-questioning.txt")
    assert len(ingest_sources(db, [source], SETTINGS, progress=False).new) == 1
    real = report_store.find_by_hash
    calls = []

    def miss_once(session, digest):
        calls.append(digest)
        return None if len(calls) == 1 else real(session, digest)

    monkeypatch.setattr(report_store, "find_by_hash", miss_once)
    summary = ingest_sources(db, [source], SETTINGS, progress=False)
    assert len(summary.duplicates) == 1 and not summary.failed and len(calls) == 2
    assert count(db, Report) == 1


def test_third_party_loggers_cannot_print_page_content():
    # Without logging configured, Python prints WARNING+ records to stderr; the extractors' records
    # (which may quote dates or link texts of a page) must not get there.
    import subprocess
    import sys

    code = ("import logging, kolokol.ingest\n"
            "for name in ('trafilatura', 'htmldate', 'charset_normalizer'):\n"
            "    logging.getLogger(name).error('page content leaked')\n"
            "logging.getLogger('elsewhere').error('control line')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "control line" in done.stderr and "leaked" not in done.stderr


def test_unreadable_folder_is_reported(db, tmp_path, monkeypatch):
    import os

    locked = tmp_path / "in" / "locked"
    locked.mkdir(parents=True)
    shutil.copy(REPORTS / "001-almaty-questioning.txt", tmp_path / "in" / "a.txt")
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path) == locked:  # chmod 0 does not stop root, who runs CI here: simulate it
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    summary = ingest_sources(db, [str(tmp_path / "in")], SETTINGS, progress=False)
    assert len(summary.new) == 1
    assert summary.failed == [(str(locked), "cannot read folder: permission denied")]
    items = list(read_source(str(tmp_path / "in"), SETTINGS))
    assert [type(i).__name__ for i in items] == ["ReportInput", "IngestFailure"]


def test_folder_walk_skips_data_files_beside_reports(tmp_path):
    from kolokol.config import Settings
    from kolokol.ingest import read_source

    (tmp_path / "a.md").write_text("---\nsource_id: a\n---\nPolice detained a blogger in Osh.\n", encoding="utf-8")
    (tmp_path / "gold.jsonl").write_text('{"source_id": "a"}\n', encoding="utf-8")
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    items = list(read_source(str(tmp_path), Settings()))
    assert [getattr(i, "source_id", None) for i in items] == ["a"]
    # Named explicitly, a data file is still read (and judged) like any other input.
    assert list(read_source(str(tmp_path / "notes.csv"), Settings()))
