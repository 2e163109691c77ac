"""Reading the database for people: the dashboard, faceted and full-text search of merged incidents,
one incident with its evidence, one report. The HTML pages and the JSON API both call these
functions, so the two always show the same thing.

Full text goes through the `incident_search` index (migration 0003): SQLite FTS5 or a PostgreSQL
tsvector with a GIN index. `reindex_incidents(db)` (re)builds it and must run after merging; search
rebuilds it by itself when it is out of step with the incidents table. That index holds names and
evidence in clear, so in an encrypted database it stays empty and full text goes through the blind
index of keyed word hashes instead (`search_terms`, security/blind_index.py).

Who is asking is never implied: every function that reads incidents or reports takes a keyword-only
`user` with no default (a forgotten one is a TypeError, not a view of everything). Pass the signed-in
account, None for an anonymous visitor, or `SYSTEM` only from the command line, whose operator holds
the database and its key.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import false, func, or_, select, text, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import True_

from kolokol import facets
from kolokol.domain import IncidentType, parse_partial_date, sort_types
from kolokol.errors import KolokolError, NotFound
from kolokol.export import IncidentView, load_views
from kolokol.security import blind_index
from kolokol.security.roles import AccessDenied, Permission, UserInfo, can, visible_incidents
from kolokol.store import models
from kolokol.store.db import Database
from kolokol.store.types import PLAINTEXT, current_keys, keys_of

PAGE_SIZE = 25
DASHBOARD_ALERT_DAYS = 365  # the dashboard shows alerts of the last year of data; /alerts shows them all
MAX_TERMS = 12
STATUSES = ("new", "accepted", "edited", "rejected", "merged", "split")
FIELDS = ("types", "date", "country", "place", "origin_country", "targets", "perpetrators", "legal_basis",
          "outcome")
SINGLE_VALUED = ("date", "country", "place", "origin_country")  # several values of these disagree
_WORD = re.compile(r"[^\W_]+")


class SearchError(KolokolError):
    code = "search"


# --- the search index ------------------------------------------------------------------------------

def index_enabled(session: Session | None = None) -> bool:
    """The clear-text index, only for a plaintext database (an encrypted one has the blind index).
    Without a session: the database whose session is open in this context."""
    keys = keys_of(session.get_bind().dialect) if session is not None else (current_keys() or PLAINTEXT)
    return not keys.encrypted


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
    facets.refresh_facets(session, incident_ids)  # the facet tables follow the incidents too
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
    if not index_enabled(session):
        members = _current_mentions(session, ids if incident_ids is not None else None) if ids else {}
        words = {i: _WORD.findall(_fold(incident_text(members.get(i, [])))) for i in ids}
        return blind_index.reindex(session, words, everything=incident_ids is None, requested=incident_ids or ())
    if not ids:
        return 0
    members = _current_mentions(session, ids if incident_ids is not None else None)
    # Folded here, not by the database: PostgreSQL under the C locale does not lower-case Cyrillic.
    rows = [{"id": i, "body": _fold(incident_text(members.get(i, [])))} for i in ids]
    session.execute(text(f"INSERT INTO incident_search ({key}, body) VALUES (:id, :body)"), rows)
    return len(rows)


def _clear_index_count(session: Session) -> int:
    # FTS5 counts its rows by reading the whole index; its docsize shadow table has one row per document.
    table = "incident_search_docsize" if session.get_bind().dialect.name == "sqlite" else "incident_search"
    return int(session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


def _ensure_index(session: Session) -> None:
    indexed = _clear_index_count(session) if index_enabled(session) else blind_index.indexed_count(session)
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
    if not index_enabled(session):
        _ensure_index(session)
        candidates = blind_index.candidates(session, terms)
        if not candidates or not blind_index.needs_check(terms):
            return candidates
        found = set()  # words longer than the indexed prefixes: check the decrypted text
        for iid, mentions in _current_mentions(session, sorted(candidates)).items():
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


def full_text_condition(session: Session, q: str, column: Any) -> Any:
    """A SQL condition on an incident-id column: the incident's text has every word of `q` (each as a
    prefix). Through the index where there is one, else through `full_text_ids`."""
    terms = _terms(q)
    if not terms:
        return true()
    if index_enabled(session):
        _ensure_index(session)
        if session.get_bind().dialect.name == "sqlite":
            match = " ".join(f'"{t}"*' for t in terms)
            return column.in_(text("SELECT rowid FROM incident_search WHERE incident_search MATCH :fts_q")
                              .bindparams(fts_q=match))
        query = " & ".join(f"{t}:*" for t in terms)
        return column.in_(text("SELECT incident_id FROM incident_search WHERE document @@ to_tsquery('simple', :fts_q)")
                          .bindparams(fts_q=query))
    if not blind_index.needs_check(terms):  # the blind index answers exactly: stay in SQL
        _ensure_index(session)
        return blind_index.condition(session, terms, column)
    ids = sorted(full_text_ids(session, q))
    if not ids:
        return false()
    return or_(*(column.in_(ids[i:i + 1000]) for i in range(0, len(ids), 1000)))


# --- search ----------------------------------------------------------------------------------------

def _period_end(when: dt.date, precision: str) -> dt.date:
    if precision == "year":
        return dt.date(when.year, 12, 31)
    if precision == "month":
        following = dt.date(when.year + (when.month == 12), when.month % 12 + 1, 1)
        return following - dt.timedelta(days=1)
    return when


VIEWS = ("table", "cards", "map")
SELECTIVE = ("target", "perpetrator", "place", "nationality", "country", "type", "status")  # usual posting size
_PLACE_ID = re.compile(r"^[\w:.\-]{1,80}$")


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """The filter state of the search page; it lives in the URL's query string. Actors are named by
    id (`target=12`), never by name, so a shared link carries no name the user did not type."""

    q: str = ""
    type: str | None = None
    country: str | None = None
    place: str | None = None
    perpetrator: int | None = None
    target: int | None = None
    nationality: str | None = None
    status: str | None = None
    since: str | None = None
    until: str | None = None
    min_sources: int | None = None
    page: int = 1
    view: str = "table"

    @classmethod
    def parse(cls, *, q: str | None = None, type: str | None = None, country: str | None = None,
              place: str | None = None, perpetrator: int | str | None = None, target: int | str | None = None,
              nationality: str | None = None, status: str | None = None, since: str | None = None,
              until: str | None = None, min_sources: int | str | None = None, page: int | str | None = None,
              view: str | None = None) -> SearchQuery:
        """Check and normalise user input; empty values mean no filter. Raises SearchError."""
        kind = (type or "").strip().lower() or None
        if kind and kind not in {t.value for t in IncidentType}:
            raise SearchError(f"type {type!r} is not an incident type", hint=", ".join(t.value for t in IncidentType))
        codes = {}
        for name, value in (("country", country), ("nationality", nationality)):
            code = (value or "").strip().upper() or None
            if code and (len(code) != 2 or not code.isalpha()):
                raise SearchError(f"{name} {value!r} is not an ISO 3166-1 alpha-2 code", hint="e.g. KG, RU")
            codes[name] = code
        state = (status or "").strip().lower() or None
        if state and state not in STATUSES:
            raise SearchError(f"status {status!r} is not a review status", hint=", ".join(STATUSES))
        for name, value in (("since", since), ("until", until)):
            if value and value.strip() and parse_partial_date(value.strip()) is None:
                raise SearchError(f"{name} {value!r} is not a date", hint="use YYYY-MM-DD, YYYY-MM or YYYY")
        where = (place or "").strip() or None
        if where and not _PLACE_ID.match(where):
            raise SearchError(f"place {place!r} is not a place id", hint="pick a place from the facet list")
        shown = (view or "").strip().lower() or "table"
        if shown not in VIEWS:
            raise SearchError(f"view {view!r} is not a view", hint=", ".join(VIEWS))
        return cls(q=(q or "").strip()[:500], type=kind, country=codes["country"], place=where,
                   perpetrator=_positive(perpetrator, "perpetrator"), target=_positive(target, "target"),
                   nationality=codes["nationality"], status=state,
                   since=(since or "").strip() or None, until=(until or "").strip() or None,
                   min_sources=_positive(min_sources, "min_sources"), page=_positive(page, "page") or 1, view=shown)

    def params(self, **changes: Any) -> dict[str, str]:
        """The query string of this search (with `changes`), without empty or default values."""
        values = {**asdict(self), **changes}
        return {k: str(v) for k, v in values.items()
                if v not in (None, "") and not (k == "page" and v == 1) and not (k == "view" and v == "table")}

    @property
    def filtered(self) -> bool:
        return bool(self.params(page=1, view="table"))

    def facet_filters(self) -> list[tuple[str, str]]:
        return [(facet, str(value)) for facet, value in (
            ("type", self.type), ("country", self.country), ("place", self.place), ("perpetrator", self.perpetrator),
            ("target", self.target), ("nationality", self.nationality), ("status", self.status)) if value is not None]

    def conditions(self, session: Session, *, walk: bool = False, full_text: Any = None) -> list[Any]:
        """SQL conditions on incident_state (kolokol.facets) for every filter of this query. `walk`:
        facet filters as correlated lookups, for reading rows in date order (kolokol.facets.newest);
        otherwise as id lists, for counting and grouping. `full_text`: the full-text condition when
        already computed (with encryption it costs a pass over candidate texts)."""
        s = facets.S
        # For counting, one id list drives the query (full text if any, else the likely smallest facet's
        # posting list) and the other filters are lookups per row: SQLite then never builds a big list.
        driven = walk or bool(_terms(self.q))
        filters = sorted(self.facet_filters(), key=lambda fv: SELECTIVE.index(fv[0]))
        out: list[Any] = [facets.has_facet(facet, value, correlated=driven or i > 0)
                          for i, (facet, value) in enumerate(filters)]
        if self.min_sources:
            out.append(s.independent_sources >= self.min_sources)
        if self.since:  # dates as day numbers: the date-order index (sort_key) serves the range
            start = parse_partial_date(self.since)
            if start:
                out.append(s.sort_key >= start[0].toordinal())
        if self.until:
            end = parse_partial_date(self.until)
            if end:
                out.append(s.sort_key.between(1, _period_end(*end).toordinal()))
        if _terms(self.q):
            out.append(full_text if full_text is not None else full_text_condition(session, self.q, s.incident_id))
        return out


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
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # display names of id-valued facets

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["query"] = asdict(self.query)
        data["facets"] = {k: [{"value": v, "count": n, **({"label": self.labels[k][v]}
                                                            if v in self.labels.get(k, {}) else {})}
                              for v, n in vs] for k, vs in self.facets.items()}
        del data["labels"]
        return data


def _row(view: IncidentView, *, text: bool = True) -> IncidentRow:
    first = view.mentions[0] if view.mentions else None
    return IncidentRow(id=view.incident.id, key=view.key, date=view.date, types=view.types, country=view.country,
                       place=view.place_name, review_status=view.review_status,
                       visibility=view.incident.visibility, independent_sources=view.incident.independent_sources,
                       reports=len({m.report_id for m in view.mentions}),
                       evidence=first.evidence if first and text else "")


def scope_conditions(session: Session, user: UserInfo | None) -> list[Any]:
    """What `user` may see, as conditions on incident_state (none for analysts: they see every row)."""
    facets.ensure_facets(session)
    clause = facets.in_scope(visible_incidents(user))
    return [] if clause is None or isinstance(visible_incidents(user), True_) else [clause]


def _date_text(start: dt.date | None, precision: str | None) -> str | None:
    if start is None:
        return None
    return {"year": start.strftime("%Y"), "month": start.strftime("%Y-%m")}.get(precision or "day", start.isoformat())


def incident_rows(session: Session, ids: Sequence[int], *, text: bool = True) -> list[IncidentRow]:
    """Rows of the given incidents, in the given order, from the derived search tables (analysts'
    edits applied there) plus the first report's evidence sentence: a handful of small queries."""
    if not ids:
        return []
    wanted = list(ids)
    st, inc = facets.S, models.Incident
    states = {r.incident_id: r for r in session.execute(
        select(st.incident_id, st.date_start, st.date_precision, st.country, st.place_id, st.review_status,
               st.independent_sources, inc.key, inc.visibility)
        .join(inc, inc.id == st.incident_id).where(st.incident_id.in_(wanted)))}
    types: dict[int, list[str]] = {}
    for iid, value in session.execute(select(facets.F.incident_id, facets.F.value)
                                      .where(facets.F.facet == "type", facets.F.incident_id.in_(wanted))):
        types.setdefault(iid, []).append(value)
    place_ids = sorted({r.place_id for r in states.values() if r.place_id})
    places = dict(session.execute(select(models.Place.id, models.Place.name)
                                  .where(models.Place.id.in_(place_ids))).all()) if place_ids else {}
    human = facets.human_values(session, wanted)
    first: dict[int, tuple[int, int, str]] = {}
    reports: dict[int, set[int]] = {}
    mentions = select(models.Mention.incident_id, models.Mention.report_id, models.Mention.ordinal)
    if text:
        mentions = mentions.add_columns(models.Mention.evidence)
    for row in session.execute(mentions.where(models.Mention.incident_id.in_(wanted),
                                              models.Mention.current.is_(True))):
        iid, rid, ordinal = row[0], row[1], row[2]
        reports.setdefault(iid, set()).add(rid)
        if iid not in first or (rid, ordinal) < first[iid][:2]:
            first[iid] = (rid, ordinal, row[3] if text else "")
    out = []
    for iid in wanted:
        r = states.get(iid)
        if r is None:
            continue
        place = human.get(iid, {}).get("place") or places.get(r.place_id or "")
        out.append(IncidentRow(id=iid, key=r.key, date=_date_text(r.date_start, r.date_precision),
                               types=sort_types(types.get(iid, [])), country=r.country, place=place,
                               review_status=r.review_status, visibility=r.visibility,
                               independent_sources=r.independent_sources, reports=len(reports.get(iid, ())),
                               evidence=first[iid][2] if iid in first else ""))
    return out


_FACET_CACHE: OrderedDict[tuple[Any, ...], tuple[int, dict[str, list[tuple[str, int]]]]] = OrderedDict()
_FACET_CACHE_SIZE = 256
_FACET_CACHE_LOCK = threading.Lock()


def search_incidents(db: Database, query: SearchQuery, *, user: UserInfo | None, page_size: int = PAGE_SIZE,
                     with_facets: bool = True, facet_sample: int | None = None) -> SearchResult:
    """Merged incidents `user` may see (analysts' edits applied) that pass every filter, newest first,
    one page of them, and the exact facet counts of all of them, however many (kolokol.facets.
    count_facets). Filters, counts and paging run in SQL. For those who see every incident, the total
    and the facet counts of a search are cached until the data changes (kolokol.facets.epoch), so
    paging and coming back cost only the page. `facet_sample` is ignored: counts were once taken from
    the newest matches of a big result; they are always exact now."""
    with db.session() as s:
        scope = scope_conditions(s, user)
        text_condition = full_text_condition(s, query.q, facets.S.incident_id) if _terms(query.q) else None
        conditions = scope + query.conditions(s, full_text=text_condition)
        walking = scope + query.conditions(s, walk=True, full_text=text_condition)
        key = None if scope else (str(db.engine.url), facets.epoch(s), tuple(sorted(query.params(page=1).items())),
                                  with_facets)
        with _FACET_CACHE_LOCK:
            cached = _FACET_CACHE.get(key) if key else None
            if cached is not None:
                _FACET_CACHE.move_to_end(key)  # type: ignore[arg-type]
        if cached is None:
            only = query.facet_filters()
            single = only[0] if len(only) == 1 and len(conditions) == 1 else None
            total = facets.count_matching(s, conditions, single=single)
            counts = facets.count_facets(s, conditions, total=total, everything=not scope) if with_facets else {}
            if key:
                with _FACET_CACHE_LOCK:
                    _FACET_CACHE[key] = (total, counts)
                    while len(_FACET_CACHE) > _FACET_CACHE_SIZE:
                        _FACET_CACHE.popitem(last=False)
        else:
            total, counts = cached
        pages = max(1, math.ceil(total / page_size))
        page = min(query.page, pages)
        ids = facets.page_ids(s, walking, offset=(page - 1) * page_size, limit=page_size, total=total)
        rows = incident_rows(s, ids, text=can(user, Permission.READ_REPORTS))
        labels = facets.facet_labels(s, counts) if with_facets else {}
    return SearchResult(query=query, total=total, page=page, pages=pages, incidents=rows, facets=counts,
                        labels=labels)


def dashboard(db: Database, *, user: UserInfo | None, latest: int = 10) -> dict[str, Any]:
    """Counts by type, country and review status, and the latest incidents (of those `user` may see)."""
    result = search_incidents(db, SearchQuery(), page_size=latest, user=user)
    with db.session() as s:
        reports = (s.scalar(select(func.count()).select_from(models.Report)) or 0) \
            if can(user, Permission.READ_REPORTS) else None
    data: dict[str, Any] = {
        "incidents": result.total, "reports": reports,
        "by_type": [{"value": v, "count": n} for v, n in result.facets["type"]],
        "by_country": [{"value": v, "count": n} for v, n in result.facets["country"]],
        "by_status": [{"value": v, "count": n} for v, n in result.facets["status"]],
        "latest": [asdict(r) for r in result.incidents]}
    if can(user, Permission.REVIEW):
        data["queue"] = dict(result.facets["status"]).get("new", 0)
    if can(user, Permission.ALERTS):
        from kolokol.alerts import current_alerts

        found = current_alerts(db, user=user, recent_days=DASHBOARD_ALERT_DAYS)
        data["alerts"] = [a.to_dict() for a in found[:5]]
        data["alerts_active"] = sum(1 for a in found if a.active)
    return data


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


def incident_actors(session: Session, mention_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The actors the given mentions name (targets first), for links to their pages."""
    if not mention_ids:
        return []
    rows = session.execute(select(models.MentionActor.role, models.Actor)
                           .join(models.Actor, models.Actor.id == models.MentionActor.actor_id)
                           .where(models.MentionActor.mention_id.in_(list(mention_ids)))).all()
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for role, actor in rows:
        out[(role, actor.id)] = {"id": actor.id, "role": role, "kind": actor.kind, "name": actor.name,
                                 "country": actor.country,
                                 "names": sorted({_fold(actor.name)} | {_fold(a.alias) for a in actor.aliases})}
    return sorted(out.values(), key=lambda a: (a["role"] != "target", a["name"]))


def _actor_of(value: Any, variants: Iterable[Any], actors: Sequence[dict[str, Any]], role: str) -> int | None:
    names = {_fold(str(v)) for v in (value, *variants) if v}
    for actor in actors:
        if actor["role"] == role and names & set(actor["names"]):
            return int(actor["id"])
    return None


def _human_field(name: str, human: dict[str, Any]) -> Any:
    if name == "date" and "date" in human:
        return human["date"] + (f" ({human['date_precision']})" if human.get("date_precision") else "") \
            if human["date"] else None
    if name == "place" and ("place" in human or "place_id" in human):
        return human.get("place") or human.get("place_id")
    return human.get(name)


def incident_detail(db: Database, incident_id: int, *, user: UserInfo | None,
                    with_text: bool = True) -> dict[str, Any]:
    """Every field with all its values side by side (an analyst's value first), the sources, the
    actors, and each merged report-level incident with its evidence spans (and, for pages, the
    highlighted report text). Report texts only for those who may read reports."""
    reads_reports = can(user, Permission.READ_REPORTS)
    with db.session() as s:
        allowed = s.scalar(select(models.Incident.id).where(models.Incident.id == incident_id,
                                                            visible_incidents(user)))
        views = load_views(s, incident_ids=[incident_id]) if allowed is not None else []
        if not views:
            raise NotFound(f"no incident {incident_id}", hint="see /incidents for the list")
        view = views[0]
        reports = {r.id: r for r in s.scalars(select(models.Report).where(
            models.Report.id.in_({m.report_id for m in view.mentions})))}
        human = facets.human_values(s, [incident_id]).get(incident_id, {})
        actors = incident_actors(s, [m.id for m in view.mentions])
        values = view.values
        fields = []
        for name in FIELDS:
            entries = []
            for e in values.get(name, []):
                entry = {"value": e.get("value"), "sources": e.get("sources", 0), "mentions": e.get("mentions", 0),
                         "outlets": e.get("outlets", []), "reports": e.get("reports", [])}
                if name in ("targets", "perpetrators"):
                    entry["actor_id"] = _actor_of(e.get("value"), e.get("variants", []), actors,
                                                  "target" if name == "targets" else "perpetrator")
                entries.append(entry)
            edited = name in human or (name == "place" and "place_id" in human)
            fields.append({"name": name, "values": entries, "conflict": name in SINGLE_VALUED and len(entries) > 1,
                           "edited": edited, "human": _human_field(name, human) if edited else None})
        mentions = []
        for m in view.mentions:
            report = reports.get(m.report_id)
            clean = report.clean_text if report and reads_reports else ""
            spans = valid_spans(clean, evidence_spans(m.evidence_spans)) if reads_reports else []
            item = {"id": m.id, "report": _report_ref(report) if report else None, "ordinal": m.ordinal,
                    "types": m.types, "date": m.date, "country": m.country, "place": m.place,
                    "outcome": m.outcome if reads_reports else None, "evidence": m.evidence if reads_reports else "",
                    "confidence": m.confidence, "extractor": f"{m.extractor} {m.extractor_version}", "spans": spans}
            if with_text:
                item["segments"] = highlight_segments(clean, spans)
            mentions.append(item)
        inc = view.incident
        return {"id": inc.id, "key": inc.key, "types": view.types, "date": view.date,
                "date_precision": view.date_precision, "country": view.country,
                "origin_country": view.origin_country, "place": view.place_name,
                "review_status": view.review_status, "visibility": inc.visibility, "locked": inc.locked,
                "independent_sources": inc.independent_sources, "edited_fields": view.edited,
                "fields": fields, "sources": view.sources, "mentions": mentions, "report_text": reads_reports,
                "actors": [{k: v for k, v in a.items() if k != "names"} for a in actors]}


def report_detail(db: Database, report_id: int, *, user: UserInfo | None, with_text: bool = True) -> dict[str, Any]:
    """A report: metadata, clean text and its current report-level incidents with their spans (for
    those who may read reports: the routes check it too, this is the second lock)."""
    if not can(user, Permission.READ_REPORTS):
        raise AccessDenied("reports need an analyst account")
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
