"""Running extraction over stored reports and storing its output as mentions.

Machine output is versioned: a re-run marks the previous mentions of a report as no longer
current instead of editing them, and never touches the human layer (incident_edits,
review_events, merge_decisions), which lives on incidents, not on mentions.
"""

from __future__ import annotations

from functools import cache

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kolokol.config import Settings
from kolokol.domain import Mention, ReportInput, parse_partial_date
from kolokol.extract.engines import Extractor, RulesEngine, get_engine
from kolokol.store import models
from kolokol.store.db import Database


@cache
def default_engine() -> RulesEngine:
    return RulesEngine()


def report_input(report: models.Report) -> ReportInput:
    return ReportInput(text=report.clean_text, raw=b"", kind=report.kind, origin=report.origin or "",  # type: ignore[arg-type]
                       source_id=report.source_id, url=report.url, outlet=report.outlet,
                       title=report.title, published=report.published, language=report.language)


def engine_label(engine: Extractor) -> str:
    return f"{engine.name}/{engine.version}"


def mention_row(report: models.Report, mention: Mention, ordinal: int) -> models.Mention:
    parsed = parse_partial_date(mention.date)
    return models.Mention(
        report_id=report.id, ordinal=ordinal, types=list(mention.types), date=mention.date,
        date_precision=mention.date_precision, date_start=parsed[0] if parsed else None,
        place=mention.place, place_id=None, country=mention.country,
        origin_country=mention.origin_country,
        targets=[t.target_dict() | {"profile": t.profile} for t in mention.targets],
        perpetrators=[p.perpetrator_dict() for p in mention.perpetrators],
        legal_basis=list(mention.legal_basis), outcome=mention.outcome, evidence=mention.evidence,
        evidence_spans=mention.evidence_spans | {"trace": mention.trace, "place_id": mention.place_id,
                                                 "latitude": mention.latitude,
                                                 "longitude": mention.longitude},
        confidence=mention.confidence, extractor=mention.extractor,
        extractor_version=mention.extractor_version, current=True,
    )


def store_extraction(session: Session, report: models.Report, engine: Extractor | None = None) -> int:
    """Extract incidents from one stored report and store them as its current mentions.
    Runs inside the caller's transaction (ingest stores a report and its mentions together)."""
    engine = engine or default_engine()
    mentions = engine.extract(report_input(report))
    session.execute(update(models.Mention).where(models.Mention.report_id == report.id,
                                                 models.Mention.current.is_(True))
                    .values(current=False))
    for ordinal, mention in enumerate(mentions, 1):
        session.add(mention_row(report, mention, ordinal))
    report.extracted_version = engine_label(engine)
    session.flush()
    return len(mentions)


def reextract_all(db: Database, settings: Settings, *, engine: str | None = None, force: bool = False,
                  console: Console | None = None) -> int:
    """Re-run extraction on every report whose mentions came from another extractor version; each
    report in its own transaction."""
    extractor = get_engine(engine or settings.engine, settings)
    label = engine_label(extractor)
    with db.session() as s:
        query = select(models.Report.id).order_by(models.Report.id)
        if not force:
            query = query.where((models.Report.extracted_version.is_(None))
                                | (models.Report.extracted_version != label))
        ids = list(s.scalars(query))
    done = 0
    with Progress(console=console or Console(stderr=True), transient=True,
                  disable=console is None) as progress:
        task = progress.add_task("re-extracting", total=len(ids))
        for report_id in ids:
            with db.session() as s:
                report = s.get(models.Report, report_id)
                if report is not None:
                    store_extraction(s, report, extractor)
                    done += 1
            progress.advance(task)
    return done
