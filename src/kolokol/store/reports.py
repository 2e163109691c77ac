"""The report repository: store a report once, find syndicated copies, read reports back.

A report is immutable once stored. `save_report` runs inside the caller's transaction, so the
report row, its LSH bands and whatever the caller adds next (extracted mentions) commit together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from kolokol.config import Settings
from kolokol.domain import ReportInput, parse_partial_date
from kolokol.ingest import dedupe
from kolokol.store.models import Report, ReportBand

SaveStatus = Literal["new", "duplicate", "copy"]
# Candidates verified per new report, earliest first: bounds the work when a wire story has been
# stored hundreds of times (the earliest ones are the originals anyway).
MAX_CANDIDATES = 500
# Metadata keys of a ReportInput kept in reports.metadata_json (a plain, unencrypted column):
# provenance only, never author names or text.
METADATA_KEYS = ("extractor", "feed", "content", "page_error", "front_matter", "encoding",
                 "published_unparsed", "final_url")


def content_hash(text: str) -> str:
    """SHA-256 hex of the NFC-normalised, whitespace-collapsed clean text."""
    return dedupe.content_hash(text)


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What save_report did. For a duplicate, `report` is the row already stored."""

    status: SaveStatus
    report: Report
    original_id: int | None = None  # copies: the earliest stored original
    similarity: float | None = None  # copies: estimated Jaccard of word 5-shingles

    @property
    def stored(self) -> bool:
        return self.status != "duplicate"


def find_by_hash(session: Session, digest: str) -> Report | None:
    return session.scalars(select(Report).where(Report.content_hash == digest)).first()


@dataclass(frozen=True, slots=True)
class CopyMatch:
    """The original a new text copies, and the stored report whose text it matched."""

    original_id: int
    similarity: float  # estimated Jaccard with the original's own text
    via_id: int  # the best-matching stored report (the original itself, or one of its copies)
    via_similarity: float


def find_copy_of(session: Session, minhash: Any, bands: list[tuple[int, str]], *,
                 threshold: float) -> CopyMatch | None:
    """The earliest stored original whose text (or a copy of it) the signature's text nearly copies.

    Candidates share at least one LSH band; each is verified with the MinHash Jaccard estimate.
    A candidate that is itself a copy stands for its original, so a copy of a copy links to the
    original even when it has drifted below the threshold against the original's own text.
    """
    if not bands:
        return None
    candidate_ids = session.execute(
        select(ReportBand.report_id).where(tuple_(ReportBand.band, ReportBand.hash).in_(bands))
        .distinct().order_by(ReportBand.report_id).limit(MAX_CANDIDATES)
    ).scalars().all()
    if not candidate_ids:
        return None
    best: dict[int, tuple[float, int]] = {}  # original id -> (best similarity, report id matched)
    # Only the columns needed: a report row also holds its raw bytes (up to max_file_bytes).
    rows = session.execute(select(Report.id, Report.copy_of_id, Report.clean_text)
                           .where(Report.id.in_(candidate_ids)))
    for candidate_id, copy_of_id, clean_text in rows:
        estimate = dedupe.similarity(minhash, dedupe.signature(clean_text))
        if estimate < threshold:
            continue
        original_id = copy_of_id or candidate_id
        if estimate > best.get(original_id, (-1.0, 0))[0]:
            best[original_id] = (estimate, candidate_id)
    for original_id in sorted(best):  # earliest original first
        via_similarity, via_id = best[original_id]
        if via_id == original_id:
            return CopyMatch(original_id, round(via_similarity, 4), via_id, round(via_similarity, 4))
        text = session.scalar(select(Report.clean_text).where(Report.id == original_id))
        if text is None:  # the original was deleted since
            continue
        similarity = dedupe.similarity(minhash, dedupe.signature(text))
        return CopyMatch(original_id, round(similarity, 4), via_id, round(via_similarity, 4))
    return None


def save_report(session: Session, report: ReportInput, *, settings: Settings) -> SaveResult:
    """Store `report` unless the same text is already stored; link it to its original if it is a
    syndicated copy. Flushes, so the new row has an id; the caller's transaction commits it."""
    digest = content_hash(report.text)
    existing = find_by_hash(session, digest)
    if existing is not None:
        return SaveResult("duplicate", existing)
    minhash = dedupe.signature(report.text)
    bands = dedupe.band_hashes(minhash)
    found = find_copy_of(session, minhash, bands, threshold=settings.copy_threshold)
    parsed = parse_partial_date(report.published)
    metadata = {k: report.metadata[k] for k in METADATA_KEYS if k in report.metadata}
    if found and found.via_id != found.original_id:
        metadata["copy_via"] = {"report_id": found.via_id, "similarity": found.via_similarity}
    row = Report(
        source_id=report.source_id,
        url=report.url,
        outlet=report.outlet,
        title=report.title,
        published=report.published[:10] if report.published else None,
        published_date=parsed[0] if parsed else None,
        language=report.language,
        kind=report.kind,
        origin=report.origin,
        content_hash=digest,
        raw_hash=hashlib.sha256(report.raw).hexdigest(),
        clean_text=report.text,
        raw=report.raw,
        char_count=len(report.text),
        copy_of_id=found.original_id if found else None,
        copy_similarity=found.similarity if found else None,
        metadata_json=metadata,
        ingested_at=dt.datetime.now(dt.UTC),
    )
    session.add(row)
    session.flush()
    session.add_all(ReportBand(report_id=row.id, band=band, hash=value) for band, value in bands)
    session.flush()
    if found:
        return SaveResult("copy", row, original_id=found.original_id, similarity=found.similarity)
    return SaveResult("new", row)


def get_report(session: Session, report_id: int) -> Report | None:
    return session.get(Report, report_id)


def list_reports(session: Session, *, limit: int = 100, offset: int = 0, copies: bool = True) -> list[Report]:
    """Reports in the order they were stored; `copies=False` leaves syndicated copies out."""
    query = select(Report).order_by(Report.id).limit(max(0, limit)).offset(max(0, offset))
    if not copies:
        query = query.where(Report.copy_of_id.is_(None))
    return list(session.scalars(query))


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite drops the zone; we always store UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


def report_to_dict(report: Report, *, include_text: bool = False) -> dict[str, Any]:
    """A JSON-safe view of a report; the text only when asked."""
    data: dict[str, Any] = {
        "id": report.id,
        "source_id": report.source_id,
        "url": report.url,
        "outlet": report.outlet,
        "title": report.title,
        "published": report.published,
        "language": report.language,
        "kind": report.kind,
        "origin": report.origin,
        "content_hash": report.content_hash,
        "copy_of_id": report.copy_of_id,
        "copy_similarity": report.copy_similarity,
        "chars": report.char_count,
        "ingested_at": _iso(report.ingested_at),
    }
    if include_text:
        data["text"] = report.clean_text
    return data
