"""The report repository on both backends: hashes, duplicates, syndicated copies, reads."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from kolokol.config import Settings
from kolokol.domain import ReportInput
from kolokol.ingest import IngestFailure, dedupe, read_source
from kolokol.store.models import Report, ReportBand
from kolokol.store.reports import (
    content_hash,
    get_report,
    list_reports,
    report_to_dict,
    save_report,
)

SETTINGS = Settings()
COPIES = Path(__file__).resolve().parent.parent / "data" / "ingest" / "copies"


def make(text: str, **fields) -> ReportInput:
    origin = fields.pop("origin", "mem")
    return ReportInput(text=text, raw=text.encode(), kind="text", origin=origin, **fields)


def copies_inputs() -> dict[str, ReportInput]:
    items = list(read_source(str(COPIES), SETTINGS))
    assert not [i for i in items if isinstance(i, IngestFailure)]
    return {i.source_id: i for i in items}  # type: ignore[union-attr]


def test_content_hash_normalises_unicode_and_spacing():
    decomposed = "Cafe\u0301 owner  detained\n\n in\tBishkek "
    assert content_hash(decomposed) == content_hash("Café owner detained in Bishkek")
    assert content_hash("a b") != content_hash("a  c")
    assert len(content_hash("x")) == 64 and int(content_hash("x"), 16) >= 0


def test_new_then_duplicate(db):
    report = make("An exiled journalist was questioned for three hours.", title="T", published="2023-06")
    with db.session() as session:
        first = save_report(session, report, settings=SETTINGS)
        assert first.status == "new" and first.report.id is not None
    spaced = make("An exiled  journalist was questioned\nfor three hours.  ", origin="other")
    with db.session() as session:
        second = save_report(session, spaced, settings=SETTINGS)
        assert second.status == "duplicate" and second.report.id == first.report.id
        assert session.scalar(select(func.count()).select_from(Report)) == 1
        stored = get_report(session, first.report.id)
        assert stored is not None and stored.published == "2023-06"
        assert stored.published_date is not None and stored.published_date.isoformat() == "2023-06-01"
        assert stored.raw == report.raw and stored.char_count == len(report.text)


def test_every_report_has_its_bands(db):
    with db.session() as session:
        result = save_report(session, make("Some words about a case in Osh."), settings=SETTINGS)
    with db.session() as session:
        bands = session.scalars(select(ReportBand).where(ReportBand.report_id == result.report.id)).all()
        assert sorted(b.band for b in bands) == list(range(dedupe.BANDS))
        assert all(len(b.hash) == 16 and int(b.hash, 16) >= 0 for b in bands)


def test_syndicated_copy_and_copy_of_copy_link_to_the_original(db):
    inputs = copies_inputs()
    ids = {}
    for key in ("c-original", "c-syndicated", "c-copy-of-copy", "c-same-topic"):
        with db.session() as session:
            result = save_report(session, inputs[key], settings=SETTINGS)
            ids[key] = (result.status, result.report.id, result.original_id, result.similarity)
    original = ids["c-original"][1]
    assert ids["c-original"][0] == "new"
    status, _, linked, similarity = ids["c-syndicated"]
    assert status == "copy" and linked == original and 0.7 <= similarity < 1.0
    # The copy of the copy drifted below the threshold against the original's text, yet links to it.
    status, copy_id, linked, similarity = ids["c-copy-of-copy"]
    assert status == "copy" and linked == original and similarity < SETTINGS.copy_threshold
    assert ids["c-same-topic"][0] == "new" and ids["c-same-topic"][2] is None
    with db.session() as session:
        copy = get_report(session, copy_id)
        assert copy is not None and copy.copy_of_id == original
        assert copy.metadata_json["copy_via"]["report_id"] == ids["c-syndicated"][1]
        assert copy.metadata_json["copy_via"]["similarity"] >= SETTINGS.copy_threshold
        originals = list_reports(session, copies=False)
        assert [r.id for r in originals] == [original, ids["c-same-topic"][1]]


def test_copy_needs_the_threshold(db):
    inputs = copies_inputs()
    strict = dataclasses.replace(SETTINGS, copy_threshold=0.95)
    with db.session() as session:
        save_report(session, inputs["c-original"], settings=strict)
        assert save_report(session, inputs["c-syndicated"], settings=strict).status == "new"


def test_lookup_goes_through_the_bands(db):
    # Without bands a stored report cannot be found as an original: no full scan happens.
    inputs = copies_inputs()
    with db.session() as session:
        original = save_report(session, inputs["c-original"], settings=SETTINGS).report
        session.execute(delete(ReportBand).where(ReportBand.report_id == original.id))
    with db.session() as session:
        assert save_report(session, inputs["c-syndicated"], settings=SETTINGS).status == "new"


def test_earliest_original_wins_over_the_closest(db):
    inputs = copies_inputs()
    independent = dataclasses.replace(SETTINGS, copy_threshold=1.01)  # store without linking
    with db.session() as session:
        earliest = save_report(session, inputs["c-syndicated"], settings=independent).report.id
        closest = save_report(session, inputs["c-original"], settings=independent).report.id
    near = inputs["c-original"].text.replace("on Saturday evening", "late on Saturday")
    with db.session() as session:
        result = save_report(session, make(near), settings=SETTINGS)
    assert result.status == "copy" and result.original_id == earliest != closest
    assert result.similarity is not None and result.similarity < 0.9  # measured against the earliest


def test_list_reports_paging(db):
    with db.session() as session:
        for n in range(5):
            save_report(session, make(f"Report number {n} about a different event entirely {n * 7}."),
                        settings=SETTINGS)
    with db.session() as session:
        assert [r.char_count > 0 for r in list_reports(session, limit=2)] == [True, True]
        assert len(list_reports(session, limit=2, offset=4)) == 1
        assert [r.id for r in list_reports(session)] == sorted(r.id for r in list_reports(session))
        assert get_report(session, 10_000) is None


def test_report_to_dict_is_json_safe(db):
    report = make("A blogger was fined in Almaty.", title="Fined", url="https://x.example/a",
                  outlet="X", published="2024-01-02", language="en", source_id="s1")
    with db.session() as session:
        row = save_report(session, report, settings=SETTINGS).report
    with db.session() as session:
        stored = get_report(session, row.id)
        assert stored is not None
        data = report_to_dict(stored)
        json.dumps(data)
        assert set(data) == {"id", "source_id", "url", "outlet", "title", "published", "language",
                             "kind", "origin", "content_hash", "copy_of_id", "copy_similarity", "chars",
                             "ingested_at"}
        assert data["ingested_at"].endswith("+00:00")
        assert data["chars"] == len(report.text) and data["content_hash"] == content_hash(report.text)
        assert report_to_dict(stored, include_text=True)["text"] == report.text


@pytest.mark.parametrize("text", ["", "one", "two words", "a b c d e", "a b c d e f"])
def test_short_texts_still_get_signatures(text):
    assert len(dedupe.band_hashes(dedupe.signature(text))) == dedupe.BANDS


@pytest.mark.parametrize("module", ["kolokol.store.reports", "kolokol.ingest", "kolokol.ingest.dedupe"])
def test_modules_import_on_their_own(module):
    # store.reports and ingest import each other's modules: each must import first without a cycle error.
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
