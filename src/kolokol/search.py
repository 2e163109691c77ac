"""Reading the database for people: the dashboard, faceted and full-text search of merged incidents,
one incident with its evidence, one report. The HTML pages and the JSON API both call these
functions, so the two always show the same thing.

Full text goes through the `incident_search` index (migration 0003): SQLite FTS5 or a PostgreSQL
tsvector with a GIN index. `reindex_incidents(db)` (re)builds it and must run after merging; search
rebuilds it by itself when it is out of step with the incidents table. The index holds names and
evidence in clear, so when field encryption is on it stays empty and full text falls back to a scan
of the decrypted values in memory (slower, but nothing sensitive is written unencrypted).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from kolokol.domain import IncidentType, parse_partial_date
from kolokol.errors import KolokolError, NotFound
from kolokol.export import IncidentView, load_views
from kolokol.store import models
from kolokol.store.db import Database
from kolokol.store.types import PlainCodec, field_codec

PAGE_SIZE = 25
MAX_TERMS = 12
STATUSES = ("new", "accepted", "edited", "rejected", "merged", "split")
FIELDS = ("types", "date", "country", "place", "origin_country", "targets", "perpetrators", "legal_basis",
          "outcome")
SINGLE_VALUED = ("date", "country", "place", "origin_country")  # several values of these disagree
_WORD = re.compile(r"[^\W_]+")


class SearchError(KolokolError):
    code = "search"


# --- the search index ------------------------------------------------------------------------------

def index_enabled() -> bool:
    """The index stores text in clear: only when no encrypting field codec is installed."""
    return isinstance(field_codec(), PlainCodec)


def _names(items: Iterable[Any]) -> list[str]:
    out = []
    for item in items or []:
        if isinstance(item, dict):
            out.extend(str(item[k]) for k in ("name", "value", "text") if item.get(k))
        elif item:
            out.append(str(item))
    return out


def incident_text(mentions: Sequence[models.Mention]) -> str:
    """What full text searches: evidence, outcome, targets, perpetrators, legal basis, place."""
    parts: list[str] = []
    for m in mentions:
        parts.extend([m.evidence or "", m.outcome or "", m.place or ""])
        parts.extend(_names(m.targets))
        parts.extend(_names(m.perpetrators))
        parts.extend(_names(m.legal_basis))
    return "\n".join(p for p in parts if p)


def _current_mentions(session: Session, ids: Sequence[int] | None) -> dict[int, list[models.Mention]]:
    query = select(models.Mention).where(models.Mention.current.is_(True), models.Mention.incident_id.is_not(None))
    if ids is not None:
        query = query.where(models.Mention.incident_id.in_(list(ids)))
    members: dict[int, list[models.Mention]] = {}
    for m in session.scalars(query.order_by(models.Mention.report_id, models.Mention.ordinal)):
        members.setdefault(m.incident_id, []).append(m)  # type: ignore[arg-type]
    return members


def reindex_incidents(db: Database, incident_ids: Sequence[int] | None = None) -> int:
    """(Re)build the full-text index of the given incidents (all when None); returns the rows written.
    Call it after `merge_pending` and after analysts' merges and splits."""
    with db.session() as s:
        return _reindex(s, incident_ids)


def _reindex(session: Session, incident_ids: Sequence[int] | None) -> int:
    sqlite = session.get_bind().dialect.name == "sqlite"
    key = "rowid" if sqlite else "incident_id"
    if incident_ids is None:
        session.execute(text("DELETE FROM incident_search"))
        ids = list(session.scalars(select(models.Incident.id)))
    else:
        ids = list(incident_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            session.execute(text(f"DELETE FROM incident_search WHERE {key} IN "
                                 f"({', '.join(str(int(x)) for x in chunk)})"))
        ids = list(session.scalars(select(models.Incident.id).where(models.Incident.id.in_(ids))))
    if not index_enabled() or not ids:
        return 0
    members = _current_mentions(session, ids if incident_ids is not None else None)
    # Folded here, not by the database: PostgreSQL under the C locale does not lower-case Cyrillic.
    rows = [{"id": i, "body": _fold(incident_text(members.get(i, [])))} for i in ids]
    session.execute(text(f"INSERT INTO incident_search ({key}, body) VALUES (:id, :body)"), rows)
    return len(rows)


def _ensure_index(session: Session) -> None:
    indexed = session.scalar(text("SELECT count(*) FROM incident_search")) or 0
    total = session.scalar(select(func.count()).select_from(models.Incident)) or 0
    if indexed != total:
        _reindex(session, None)


def _terms(q: str) -> list[str]:
    return _WORD.findall(_fold(q))[:MAX_TERMS]


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def full_text_ids(session: Session, q: str) -> set[int]:
    """Incidents whose text has every word of `q` (each as a prefix)."""
    terms = _terms(q)
    if not terms:
        return set()
    if not index_enabled():
        found = set()
        for iid, mentions in _current_mentions(session, None).items():
            words = _WORD.findall(_fold(incident_text(mentions)))
            if all(any(w.startswith(t) for w in words) for t in terms):
                found.add(iid)
        return found
    _ensure_index(session)
    if session.get_bind().dialect.name == "sqlite":
        # Each term quoted (so FTS5 operators in user input are plain words) and a prefix.
        match = " ".join(f'"{t}"*' for t in terms)
        rows = session.execute(text("SELECT rowid FROM incident_search WHERE incident_search MATCH :q"), {"q": match})
    else:
        query = " & ".join(f"{t}:*" for t in terms)
        rows = session.execute(text("SELECT incident_id FROM incident_search "
                                    "WHERE document @@ to_tsquery('simple', :q)"), {"q": query})
    return {int(r[0]) for r in rows}


# --- search ----------------------------------------------------------------------------------------

def _period_end(when: dt.date, precision: str) -> dt.date:
    if precision == "year":
        return dt.date(when.year, 12, 31)
    if precision == "month":
        following = dt.date(when.year + (when.month == 12), when.month % 12 + 1, 1)
        return following - dt.timedelta(days=1)
    return when


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """The filter state of the search page; it lives in the URL's query string."""

    q: str = ""
    type: str | None = None
    country: str | None = None
    status: str | None = None
    since: str | None = None
    until: str | None = None
    min_sources: int | None = None
    page: int = 1

    @classmethod
    def parse(cls, *, q: str | None = None, type: str | None = None, country: str | None = None,
              status: str | None = None, since: str | None = None, until: str | None = None,
              min_sources: int | str | None = None, page: int | str | None = None) -> SearchQuery:
        """Check and normalise user input; empty values mean no filter. Raises SearchError."""
        kind = (type or "").strip().lower() or None
        if kind and kind not in {t.value for t in IncidentType}:
            raise SearchError(f"type {type!r} is not an incident type", hint=", ".join(t.value for t in IncidentType))
        code = (country or "").strip().upper() or None
        if code and (len(code) != 2 or not code.isalpha()):
            raise SearchError(f"country {country!r} is not an ISO 3166-1 alpha-2 code", hint="e.g. KG, RU")
        state = (status or "").strip().lower() or None
        if state and state not in STATUSES:
            raise SearchError(f"status {status!r} is not a review status", hint=", ".join(STATUSES))
        for name, value in (("since", since), ("until", until)):
            if value and value.strip() and parse_partial_date(value.strip()) is None:
                raise SearchError(f"{name} {value!r} is not a date", hint="use YYYY-MM-DD, YYYY-MM or YYYY")
        return cls(q=(q or "").strip()[:500], type=kind, country=code, status=state,
                   since=(since or "").strip() or None, until=(until or "").strip() or None,
                   min_sources=_positive(min_sources, "min_sources"), page=_positive(page, "page") or 1)

    def params(self, **changes: Any) -> dict[str, str]:
        """The query string of this search (with `changes`), without empty values."""
        values = {**asdict(self), **changes}
        return {k: str(v) for k, v in values.items() if v not in (None, "") and not (k == "page" and v == 1)}

    def accepts(self, view: IncidentView) -> bool:
        if self.type and self.type not in view.types:
            return False
        if self.country and (view.country or "") != self.country:
            return False
        if self.status and view.review_status != self.status:
            return False
        if self.min_sources and (view.incident.independent_sources or 0) < self.min_sources:
            return False
        if self.since:
            start = parse_partial_date(self.since)
            if start and (view.date_start is None or view.date_start < start[0]):
                return False
        if self.until:
            end = parse_partial_date(self.until)
            if end and (view.date_start is None or view.date_start > _period_end(*end)):
                return False
        return True


def _positive(value: int | str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SearchError(f"{name} {value!r} is not a whole number") from None
    if number < 1:
        raise SearchError(f"{name} must be 1 or more")
    return number


@dataclass(slots=True)
class IncidentRow:
    id: int
    key: str
    date: str | None
    types: list[str]
    country: str | None
    place: str | None
    review_status: str
    visibility: str
    independent_sources: int
    reports: int
    evidence: str


@dataclass(slots=True)
class SearchResult:
    query: SearchQuery
    total: int
    page: int
    pages: int
    incidents: list[IncidentRow]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["query"] = asdict(self.query)
        data["facets"] = {k: [{"value": v, "count": n} for v, n in vs] for k, vs in self.facets.items()}
        return data


def _row(view: IncidentView) -> IncidentRow:
    first = view.mentions[0] if view.mentions else None
    return IncidentRow(id=view.incident.id, key=view.key, date=view.date, types=view.types, country=view.country,
                       place=view.place_name, review_status=view.review_status,
                       visibility=view.incident.visibility, independent_sources=view.incident.independent_sources,
                       reports=len({m.report_id for m in view.mentions}), evidence=first.evidence if first else "")


def _facets(views: Sequence[IncidentView]) -> dict[str, list[tuple[str, int]]]:
    counts = {
        "type": Counter(t for v in views for t in v.types),
        "country": Counter(v.country or "?" for v in views),
        "status": Counter(v.review_status for v in views),
        "sources": Counter(str(v.incident.independent_sources) for v in views),
    }
    return {k: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for k, c in counts.items()}


def search_incidents(db: Database, query: SearchQuery, *, page_size: int = PAGE_SIZE) -> SearchResult:
    """Merged incidents (analysts' edits applied) that pass every filter, newest first."""
    with db.session() as s:
        ids = full_text_ids(s, query.q) if _terms(query.q) else None
        views = [] if ids is not None and not ids else load_views(s, incident_ids=sorted(ids) if ids else None)
        views = [v for v in views if query.accepts(v)]
    views.sort(key=lambda v: (v.date_start or dt.date.min, v.incident.id), reverse=True)
    pages = max(1, math.ceil(len(views) / page_size))
    page = min(query.page, pages)
    shown = views[(page - 1) * page_size:page * page_size]
    return SearchResult(query=query, total=len(views), page=page, pages=pages, incidents=[_row(v) for v in shown],
                        facets=_facets(views))


def dashboard(db: Database, *, latest: int = 10) -> dict[str, Any]:
    """Counts by type, country and review status, and the latest incidents."""
    with db.session() as s:
        views = load_views(s)
        reports = s.scalar(select(func.count()).select_from(models.Report)) or 0
    facets = _facets(views)
    views.sort(key=lambda v: (v.date_start or dt.date.min, v.incident.id), reverse=True)
    return {"incidents": len(views), "reports": reports,
            "by_type": [{"value": v, "count": n} for v, n in facets["type"]],
            "by_country": [{"value": v, "count": n} for v, n in facets["country"]],
            "by_status": [{"value": v, "count": n} for v, n in facets["status"]],
            "latest": [asdict(_row(v)) for v in views[:latest]]}


# --- evidence --------------------------------------------------------------------------------------

def evidence_spans(spans: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A mention's evidence spans as a flat list of {field, start, end, text} (field `incident` is the
    incident sentence; a type's trigger is `types:<type>`)."""
    out: list[dict[str, Any]] = []

    def walk(name: str, value: Any) -> None:
        if isinstance(value, dict) and isinstance(value.get("start"), int) and isinstance(value.get("end"), int):
            out.append({"field": name, "start": value["start"], "end": value["end"], "text": value.get("text")})
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(f"{name}:{k}", v)
        elif isinstance(value, list):
            for v in value:
                walk(name, v)

    for name, value in (spans or {}).items():
        if name in ("trace",):
            continue
        walk(name, value)
    return out


def valid_spans(report_text: str, spans: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Spans that point inside the text and quote it exactly (others are left out, not shown wrong)."""
    return [sp for sp in spans if 0 <= sp["start"] < sp["end"] <= len(report_text)
            and (sp.get("text") is None or report_text[sp["start"]:sp["end"]] == sp["text"])]


def highlight_segments(report_text: str, spans: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cut the text into pieces, each with the fields whose evidence covers it and whether it lies in
    an incident sentence. Templates render them escaped; nothing here produces markup."""
    spans = valid_spans(report_text, spans)
    cuts = sorted({0, len(report_text)} | {sp["start"] for sp in spans} | {sp["end"] for sp in spans})
    segments: list[dict[str, Any]] = []
    for a, b in itertools.pairwise(cuts):
        covering = [sp for sp in spans if sp["start"] <= a and b <= sp["end"]]
        fields = sorted({sp["field"].split(":")[0] for sp in covering if sp["field"] != "incident"})
        sentence = any(sp["field"] == "incident" for sp in covering)
        if segments and segments[-1]["fields"] == fields and segments[-1]["sentence"] == sentence:
            segments[-1]["text"] += report_text[a:b]
        else:
            segments.append({"text": report_text[a:b], "fields": fields, "sentence": sentence})
    return segments


# --- one incident, one report ----------------------------------------------------------------------

def _report_ref(r: models.Report) -> dict[str, Any]:
    return {"id": r.id, "source_id": r.source_id, "outlet": r.outlet, "title": r.title, "url": r.url,
            "published": r.published, "language": r.language, "copy_of_id": r.copy_of_id}


def incident_detail(db: Database, incident_id: int, *, with_text: bool = True) -> dict[str, Any]:
    """Every field (edits applied) with all its values side by side, the sources, and each merged
    report-level incident with its evidence spans (and, for pages, the highlighted report text)."""
    with db.session() as s:
        views = load_views(s, incident_ids=[incident_id])
        if not views:
            raise NotFound(f"no incident {incident_id}", hint="see /incidents for the list")
        view = views[0]
        reports = {r.id: r for r in s.scalars(select(models.Report).where(
            models.Report.id.in_({m.report_id for m in view.mentions})))}
        values = view.values
        fields = []
        for name in FIELDS:
            entries = [{"value": e.get("value"), "sources": e.get("sources", 0), "mentions": e.get("mentions", 0),
                        "outlets": e.get("outlets", []), "reports": e.get("reports", [])}
                       for e in values.get(name, [])]
            fields.append({"name": name, "values": entries, "conflict": name in SINGLE_VALUED and len(entries) > 1,
                           "edited": name in view.edited})
        mentions = []
        for m in view.mentions:
            report = reports.get(m.report_id)
            clean = report.clean_text if report else ""
            spans = valid_spans(clean, evidence_spans(m.evidence_spans))
            item = {"id": m.id, "report": _report_ref(report) if report else None, "ordinal": m.ordinal,
                    "types": m.types, "date": m.date, "country": m.country, "place": m.place,
                    "outcome": m.outcome, "evidence": m.evidence, "confidence": m.confidence,
                    "extractor": f"{m.extractor} {m.extractor_version}", "spans": spans}
            if with_text:
                item["segments"] = highlight_segments(clean, spans)
            mentions.append(item)
        inc = view.incident
        return {"id": inc.id, "key": inc.key, "types": view.types, "date": view.date,
                "date_precision": view.date_precision, "country": view.country,
                "origin_country": view.origin_country, "place": view.place_name,
                "review_status": view.review_status, "visibility": inc.visibility, "locked": inc.locked,
                "independent_sources": inc.independent_sources, "edited_fields": view.edited,
                "fields": fields, "sources": view.sources, "mentions": mentions}


def report_detail(db: Database, report_id: int, *, with_text: bool = True) -> dict[str, Any]:
    """A report: metadata, clean text and its current report-level incidents with their spans."""
    with db.session() as s:
        report = s.get(models.Report, report_id)
        if report is None:
            raise NotFound(f"no report {report_id}", hint="open a report from an incident page")
        mentions = list(s.scalars(select(models.Mention).where(models.Mention.report_id == report_id,
                                                               models.Mention.current.is_(True))
                                  .order_by(models.Mention.ordinal)))
        clean = report.clean_text
        items = [{"id": m.id, "incident_id": m.incident_id, "ordinal": m.ordinal, "types": m.types, "date": m.date,
                  "country": m.country, "evidence": m.evidence,
                  "spans": valid_spans(clean, evidence_spans(m.evidence_spans))} for m in mentions]
        data = {**_report_ref(report), "kind": report.kind, "char_count": report.char_count, "text": clean,
                "mentions": items}
        if with_text:
            data["segments"] = highlight_segments(clean, [sp for m in items for sp in m["spans"]])
        return data
