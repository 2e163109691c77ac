"""Helpers shared by the merge and export tests: ingest the multi-source stories of
tests/data/multisource into a database (extraction cached per text, so three ingest orders on two
backends cost one extraction), read back the partition, export to a string."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from kolokol.config import Settings
from kolokol.domain import Mention, ReportInput
from kolokol.export import ExportFilter, export
from kolokol.extract.store import default_engine, store_extraction
from kolokol.ingest import ingest_sources
from kolokol.resolve.merge import merge_pending
from kolokol.store import models
from kolokol.store.db import Database

DATA = Path(__file__).resolve().parents[1] / "data" / "multisource"
REPORTS = sorted(p for p in DATA.glob("*.md") if p.name != "README.md")
GOLD = DATA / "gold.jsonl"


class CachingEngine:
    """The default extraction engine, remembered per report text (extraction is per report, so the
    cache cannot change what merging sees)."""

    _cache: dict[str, list[Mention]] = {}  # noqa: RUF012 - shared on purpose across tests

    def __init__(self) -> None:
        inner = default_engine()
        self.inner = inner
        self.name, self.version = inner.name, inner.version

    def extract(self, report: ReportInput) -> list[Mention]:
        key = report.text
        if key not in self._cache:
            self._cache[key] = self.inner.extract(report)
        return self._cache[key]


_engine: CachingEngine | None = None


def engine() -> CachingEngine:
    global _engine
    if _engine is None:
        _engine = CachingEngine()
    return _engine


def after_store(session: Any, report: models.Report) -> None:
    store_extraction(session, report, engine())


def ingest(db: Database, paths: Iterable[Path], *, merge: bool = True) -> None:
    ingest_sources(db, [str(p) for p in paths], Settings(), after_store=after_store, progress=False)
    if merge:
        merge_pending(db)


def reextract(db: Database) -> None:
    """Re-run extraction on every report (new mention rows, same keys), then merge."""
    with db.session() as s:
        ids = list(s.scalars(select(models.Report.id).order_by(models.Report.id)))
    for rid in ids:
        with db.session() as s:
            report = s.get(models.Report, rid)
            assert report is not None
            store_extraction(s, report, engine())
    merge_pending(db)


def partition(db: Database) -> set[frozenset[str]]:
    """Merged incidents as sets of stable mention keys (report content hash : ordinal)."""
    groups: dict[int, set[str]] = defaultdict(set)
    with db.session() as s:
        rows = s.execute(select(models.Mention.incident_id, models.Report.content_hash, models.Mention.ordinal)
                         .join(models.Report, models.Report.id == models.Mention.report_id)
                         .where(models.Mention.current.is_(True)))
        for iid, digest, ordinal in rows:
            assert iid is not None, "every current mention belongs to an incident after merging"
            groups[iid].add(f"{digest}:{ordinal}")
    return {frozenset(g) for g in groups.values()}


def keys_by_source(db: Database) -> dict[str, str]:
    """'ms-a1-1' -> mention key."""
    with db.session() as s:
        rows = s.execute(select(models.Report.source_id, models.Mention.ordinal, models.Report.content_hash)
                         .join(models.Report, models.Report.id == models.Mention.report_id)
                         .where(models.Mention.current.is_(True)))
        return {f"{sid}-{o}": f"{h}:{o}" for sid, o, h in rows}


def export_text(db: Database, fmt: str, *, hxl: bool = False, **filters: Any) -> tuple[str, Any]:
    buf = io.StringIO()
    result = export(db, fmt, buf, filters=ExportFilter.parse(**filters), hxl=hxl)
    return buf.getvalue(), result


def jsonl(db: Database, **filters: Any) -> list[dict[str, Any]]:
    text, _ = export_text(db, "jsonl", **filters)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def gold() -> list[dict[str, Any]]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def by_prefix(prefixes: Sequence[str]) -> list[Path]:
    return [p for p in REPORTS if p.name.startswith(tuple(prefixes))]
