"""Extraction stored with its provenance; re-extraction keeps the human layer."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from kolokol.config import Settings
from kolokol.extract.store import reextract_all, store_extraction
from kolokol.ingest import ingest_sources
from kolokol.store import models

REPORT = """---
source_id: "st1"
published: "2024-04-20"
lang: "en"
title: "Blogger held in Osh"
---
On April 17, police in Osh detained the Uzbek blogger Sherzod Rakhimov at the request of Uzbek authorities.
He was released two days later after paying a fine of 10,000 soms.
"""


def test_ingest_stores_mentions_and_reextract_keeps_human_edits(db, tmp_path: Path):
    (tmp_path / "r.md").write_text(REPORT, encoding="utf-8")
    summary = ingest_sources(db, [str(tmp_path)], Settings(), after_store=store_extraction, progress=False)
    assert len(summary.new) == 1
    with db.session() as s:
        mentions = s.scalars(select(models.Mention)).all()
        assert mentions and all(m.current for m in mentions)
        first = mentions[0]
        assert "detention" in first.types and first.date == "2024-04-17" and first.country == "KG"
        assert first.extractor == "rules" and first.extractor_version
        report = s.get(models.Report, first.report_id)
        assert report is not None and report.extracted_version == f"rules/{first.extractor_version}"
        span = first.evidence_spans["incident"]
        assert report.clean_text[span["start"]:span["end"]] == first.evidence
        incident = models.Incident(key="human-work", types=["detention"], locked=True)
        s.add(incident)
        s.flush()
        s.add(models.IncidentEdit(incident_id=incident.id, field="date", value="2024-04-16"))
        first_ids = {m.id for m in mentions}
    # Nothing to do when the version is current; everything again with --force.
    assert reextract_all(db, Settings()) == 0
    assert reextract_all(db, Settings(), force=True) == 1
    with db.session() as s:
        rows = s.scalars(select(models.Mention)).all()
        old = [m for m in rows if m.id in first_ids]
        new = [m for m in rows if m.id not in first_ids]
        assert old and not any(m.current for m in old)
        assert new and all(m.current for m in new)
        edits = s.scalars(select(models.IncidentEdit)).all()
        assert [(e.field, e.value) for e in edits] == [("date", "2024-04-16")]
