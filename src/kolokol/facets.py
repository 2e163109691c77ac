"""Facets and filters of merged incidents, in SQL on SQLite and PostgreSQL alike.

Two derived tables (migration 0004, `_facets`) hold what search needs, with analysts' edits
winning over machine values:
- `incident_state`: one row per incident: date range and precision, month, a sort key, country,
  place, review status, number of independent sources;
- `incident_facets`: (facet, value, incident) for every facet value of an incident:
  `type`, `country`, `place` (gazetteer id), `perpetrator` and `target` (actor ids, never names),
  `nationality` (of the targets: their stated nationality, else the incident's origin country),
  `status` and `sources`.
Filtering is an intersection of index lookups, counting a GROUP BY over the facet table restricted
to the matching ids (`count_facets`: exact for any number of matches); both run in the database, so
they stay fast at 100,000 incidents. Every value is a code or an id, never a name, so nothing needs
decrypting to be grouped.

`refresh_facets(session, ids)` rebuilds the rows of the given incidents; it runs with the search
index (`kolokol.search.reindex_incidents`) after merging, and after every analyst's decision
(`kolokol.review`). `ensure_facets` rebuilds everything when the tables are out of step.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, event, exists, func, insert, literal_column, select, update
from sqlalchemy.orm import Session

from kolokol.domain import parse_partial_date, sort_types
from kolokol.store import models

FACETS = ("type", "country", "place", "perpetrator", "target", "nationality", "status", "sources")
ACTOR_FACETS = ("perpetrator", "target")
FACET_LIMIT = 15  # values shown per facet, most frequent first
CHUNK = 500


def period(date: str | None, precision: str | None) -> tuple[dt.date | None, dt.date | None, str | None]:
    """(first day, last day, precision) of a partial date; a precision wider than the written date
    (e.g. '2024-05-01' of precision 'month') widens the range."""
    parsed = parse_partial_date(date)
    if parsed is None:
        return None, None, None
    start, natural = parsed
    prec = precision if precision in ("day", "week", "month", "year") else natural
    if prec == "year":
        return dt.date(start.year, 1, 1), dt.date(start.year, 12, 31), prec
    if prec == "month":
        first = start.replace(day=1)
        following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return first, following - dt.timedelta(days=1), prec
    if prec == "week":
        return start, start + dt.timedelta(days=6), prec
    return start, start, prec


@dataclass(slots=True)
class Effective:
    """The values of an incident as people see them: machine values, analysts' edits winning."""

    incident_id: int
    types: list[str]
    date: str | None
    date_precision: str | None
    date_start: dt.date | None
    date_end: dt.date | None
    country: str | None
    origin_country: str | None
    place_id: str | None
    review_status: str
    independent_sources: int
    targets: set[int] = field(default_factory=set)  # actor ids
    perpetrators: set[int] = field(default_factory=set)
    nationalities: set[str] = field(default_factory=set)

    def facet_values(self) -> set[tuple[str, str]]:
        out = {("type", t) for t in self.types}
        if self.country:
            out.add(("country", self.country))
        if self.place_id:
            out.add(("place", self.place_id[:80]))
        out.update(("target", str(a)) for a in self.targets)
        out.update(("perpetrator", str(a)) for a in self.perpetrators)
        out.update(("nationality", n) for n in self.nationalities)
        out.add(("status", self.review_status))
        out.add(("sources", str(self.independent_sources)))
        return out


def human_values(session: Session, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The latest non-reverted human value of each edited field, per incident."""
    out: dict[int, dict[str, Any]] = defaultdict(dict)
    for i in range(0, len(ids), CHUNK):
        rows = session.execute(select(models.IncidentEdit.incident_id, models.IncidentEdit.field,
                                      models.IncidentEdit.value)
                               .where(models.IncidentEdit.incident_id.in_(ids[i:i + CHUNK]),
                                      models.IncidentEdit.reverted.is_(False))
                               .order_by(models.IncidentEdit.created_at, models.IncidentEdit.id))
        for iid, name, value in rows:
            out[iid][name] = value
    return out


def _code(value: Any) -> str | None:
    text = str(value or "").strip().upper()
    return text if len(text) == 2 and text.isalpha() else None


NameKey = tuple[str, str, str | None]  # (name, kind, country)


def _actor_ids_by_name(session: Session, names: Iterable[NameKey]) -> dict[NameKey, int]:
    """Actor ids of (name, kind, country) as analysts typed them, through the blind alias index."""
    from kolokol.resolve.actors import alias_key, blind_index

    wanted = {key: blind_index(alias_key(key[0], "agency" if key[1] == "agency" else
                                         ("person" if key[1] == "person" else "organization"), key[2]), "alias")
              for key in set(names)}
    if not wanted:
        return {}
    found = dict(session.execute(select(models.ActorAlias.alias_index, models.ActorAlias.actor_id)
                                 .where(models.ActorAlias.alias_index.in_(sorted(set(wanted.values()))))).all())
    return {key: found[index] for key, index in wanted.items() if index in found}


def effective_values(session: Session, incident_ids: Sequence[int]) -> dict[int, Effective]:
    """Effective values of the given incidents (missing ids are left out)."""
    ids = sorted(set(incident_ids))
    incidents: dict[int, models.Incident] = {}
    for i in range(0, len(ids), CHUNK):
        for inc in session.scalars(select(models.Incident).where(models.Incident.id.in_(ids[i:i + CHUNK]))):
            incidents[inc.id] = inc
    human = human_values(session, sorted(incidents))
    links: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    actor_ids: set[int] = set()
    for i in range(0, len(ids), CHUNK):
        rows = session.execute(select(models.Mention.incident_id, models.MentionActor.role,
                                      models.MentionActor.actor_id)
                               .join(models.MentionActor, models.MentionActor.mention_id == models.Mention.id)
                               .where(models.Mention.incident_id.in_(ids[i:i + CHUNK]),
                                      models.Mention.current.is_(True)))
        for iid, role, actor_id in rows:
            links[iid][role].add(actor_id)
            actor_ids.add(actor_id)
    nationality: dict[int, str] = {}
    sorted_actors = sorted(actor_ids)
    for i in range(0, len(sorted_actors), CHUNK):
        nationality.update({a: n for a, n in session.execute(
            select(models.Actor.id, models.Actor.nationality)
            .where(models.Actor.id.in_(sorted_actors[i:i + CHUNK]), models.Actor.nationality.is_not(None)))})
    typed: list[NameKey] = []
    for iid in incidents:
        h = human.get(iid, {})
        for t in h.get("targets") or []:
            if isinstance(t, dict) and t.get("name"):
                typed.append((str(t["name"]), str(t.get("kind") or "person"), None))
        for p in h.get("perpetrators") or []:
            if isinstance(p, dict) and p.get("name"):
                typed.append((str(p["name"]), "agency", _code(p.get("country"))))
    typed_ids = _actor_ids_by_name(session, typed)
    out: dict[int, Effective] = {}
    for iid, inc in incidents.items():
        h = human.get(iid, {})
        date = h.get("date", inc.date)
        start, end, precision = period(date, h.get("date_precision", inc.date_precision))
        eff = Effective(incident_id=iid, types=sort_types([str(t) for t in h.get("types", inc.types) or []]),
                        date=date, date_precision=precision, date_start=start, date_end=end,
                        country=_code(h.get("country", inc.country)),
                        origin_country=_code(h.get("origin_country", inc.origin_country)),
                        place_id=h.get("place_id", inc.place_id) or None,
                        review_status=str(h.get("review_status", inc.review_status) or "new"),
                        independent_sources=int(inc.independent_sources or 0))
        if "targets" in h:
            for t in h.get("targets") or []:
                if isinstance(t, dict) and t.get("name"):
                    actor = typed_ids.get((str(t["name"]), str(t.get("kind") or "person"), None))
                    if actor is not None:
                        eff.targets.add(actor)
                if isinstance(t, dict) and _code(t.get("nationality")):
                    eff.nationalities.add(_code(t.get("nationality")))  # type: ignore[arg-type]
        else:
            eff.targets = set(links[iid].get("target", set()))
            for entry in ((inc.summary or {}).get("values") or {}).get("targets", []):
                code = _code(entry.get("nationality")) if isinstance(entry, dict) else None
                if code:
                    eff.nationalities.add(code)
        eff.nationalities.update(nationality[a] for a in eff.targets if a in nationality)
        if "perpetrators" in h:
            for p in h.get("perpetrators") or []:
                if isinstance(p, dict) and p.get("name"):
                    actor = typed_ids.get((str(p["name"]), "agency", _code(p.get("country"))))
                    if actor is not None:
                        eff.perpetrators.add(actor)
        else:
            eff.perpetrators = set(links[iid].get("perpetrator", set()))
        if not eff.nationalities and eff.origin_country:
            eff.nationalities.add(eff.origin_country)
        out[iid] = eff
    return out


def refresh_facets(session: Session, incident_ids: Sequence[int] | None = None) -> int:
    """Rebuild the state and facet rows of the given incidents (all when None); returns the number
    of incidents written."""
    before: Counter[tuple[str, str]] = Counter()
    if incident_ids is None:
        session.execute(delete(models.IncidentFacet))
        session.execute(delete(models.IncidentState))
        ids = list(session.scalars(select(models.Incident.id).order_by(models.Incident.id)))
    else:
        ids = sorted(set(incident_ids))
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i:i + CHUNK]
            before.update((f, v) for f, v in session.execute(select(F.facet, F.value).where(F.incident_id.in_(chunk))))
            session.execute(delete(models.IncidentFacet).where(models.IncidentFacet.incident_id.in_(chunk)))
            session.execute(delete(models.IncidentState).where(models.IncidentState.incident_id.in_(chunk)))
    written = 0
    after: Counter[tuple[str, str]] = Counter()
    for i in range(0, len(ids), CHUNK):
        values = effective_values(session, ids[i:i + CHUNK])
        if not values:
            continue
        # Core inserts (executemany), not the ORM's bulk path: several times faster for many small rows
        session.execute(models.IncidentState.__table__.insert(), [state_row(e) for e in values.values()])
        rows = [{"facet": f, "value": v, "incident_id": e.incident_id}
                for e in values.values() for f, v in sorted(e.facet_values())]
        if rows:
            session.execute(models.IncidentFacet.__table__.insert(), rows)
        if incident_ids is not None:
            after.update((r["facet"], r["value"]) for r in rows)
        written += len(values)
    old = epoch(session)
    bump_epoch(session)
    if incident_ids is not None:
        _carry_totals(session, old, after, before)
    return written


# Counts of every facet value over all incidents, per (database, epoch): computed once, then carried
# from epoch to epoch by the changes of each refresh (on commit), so an edit does not cost a recount.
_TOTALS: dict[tuple[str, int], dict[str, Counter[str]]] = {}
_TOTALS_LOCK = threading.Lock()


def _carry_totals(session: Session, old: int, after: Counter[tuple[str, str]],
                  before: Counter[tuple[str, str]]) -> None:
    url = str(session.get_bind().url)
    new = epoch(session)
    with _TOTALS_LOCK:
        base = _TOTALS.get((url, old))
    if base is None or new != old + 1:
        return
    totals = {facet: Counter(values) for facet, values in base.items()}
    for (facet, value), n in after.items():
        totals.setdefault(facet, Counter())[value] += n
    for (facet, value), n in before.items():
        totals.setdefault(facet, Counter())[value] -= n
    for values in totals.values():
        for value in [v for v, n in values.items() if n <= 0]:
            del values[value]
    # Incidents deleted without a refresh (their rows went by cascade) would leave counts behind:
    # every incident has exactly one status, so the status counts must add up to the incidents.
    if sum(totals.get("status", Counter()).values()) != session.scalar(select(func.count()).select_from(S)):
        return

    def carry(_session: Session) -> None:
        with _TOTALS_LOCK:
            _TOTALS[(url, new)] = totals

    event.listen(session, "after_commit", carry, once=True)


def all_totals(session: Session) -> dict[str, Counter[str]]:
    """Counts of every facet value over all incidents (no access clause: for those who see all)."""
    key = (str(session.get_bind().url), epoch(session))
    with _TOTALS_LOCK:
        found = _TOTALS.get(key)
    if found is not None:
        return found
    totals: dict[str, Counter[str]] = {}
    for facet in FACETS:  # one streaming GROUP BY per facet over the primary key
        totals[facet] = Counter({value: int(n) for value, n in session.execute(
            select(F.value, func.count()).where(F.facet == facet).group_by(F.value))})
    with _TOTALS_LOCK:
        for stale in [k for k in _TOTALS if k[0] == key[0]]:
            del _TOTALS[stale]
        _TOTALS[key] = totals
    return totals


def bump_epoch(session: Session) -> None:
    """Note that the facet tables changed (invalidates cached facet counts everywhere)."""
    if session.execute(update(models.SearchEpoch).where(models.SearchEpoch.id == 1)
                       .values(epoch=models.SearchEpoch.epoch + 1)).rowcount == 0:  # type: ignore[attr-defined]
        session.execute(insert(models.SearchEpoch).values(id=1, epoch=1))


def epoch(session: Session) -> int:
    return int(session.scalar(select(models.SearchEpoch.epoch).where(models.SearchEpoch.id == 1)) or 0)


def state_row(e: Effective) -> dict[str, Any]:
    return {"incident_id": e.incident_id, "date_start": e.date_start, "date_end": e.date_end,
            "date_precision": e.date_precision, "month": e.date_start.strftime("%Y-%m") if e.date_start else None,
            "sort_key": e.date_start.toordinal() if e.date_start else 0, "country": e.country,
            "place_id": e.place_id, "review_status": e.review_status,
            "independent_sources": e.independent_sources}


_CHECKED: set[tuple[Any, ...]] = set()  # signatures of databases whose tables were found in step


def ensure_facets(session: Session) -> None:
    """Rebuild the derived tables when they do not hold one row per incident. Counting rows costs a
    scan, so it is done once per signature (database, epoch, highest incident ids): a new incident,
    or any refresh, changes the signature."""
    signature = (str(session.get_bind().url), epoch(session),
                 session.scalar(select(func.max(models.Incident.id))),
                 session.scalar(select(func.max(models.IncidentState.incident_id))))
    if signature in _CHECKED:
        return
    states = session.scalar(select(func.count()).select_from(models.IncidentState)) or 0
    total = session.scalar(select(func.count()).select_from(models.Incident)) or 0
    if states != total:
        refresh_facets(session, None)
        return
    if len(_CHECKED) > 1000:
        _CHECKED.clear()
    _CHECKED.add(signature)


# --- filtering and counting ------------------------------------------------------------------------

S = models.IncidentState
F = models.IncidentFacet


def has_facet(facet: str, value: str, *, correlated: bool = False) -> ColumnElement[bool]:
    """Incidents (rows of incident_state) with this facet value: an id list (best for counting), or
    `correlated`, a lookup per row (best for reading rows in date order until a page is full)."""
    if correlated:
        return exists().where(F.facet == facet, F.value == value, F.incident_id == S.incident_id)
    return S.incident_id.in_(select(F.incident_id).where(F.facet == facet, F.value == value))


def in_scope(scope: ColumnElement[bool] | None) -> ColumnElement[bool] | None:
    """The access clause (a condition on `incidents`) as a condition on incident_state."""
    if scope is None:
        return None
    return S.incident_id.in_(select(models.Incident.id).where(scope))


def matching(conditions: Sequence[ColumnElement[bool]]) -> Select[Any]:
    query = select(S.incident_id)
    return query.where(and_(*conditions)) if conditions else query


def count_matching(session: Session, conditions: Sequence[ColumnElement[bool]],
                   single: tuple[str, str] | None = None) -> int:
    """How many incidents match; `single`: the conditions are that one facet filter alone (its
    posting list is counted directly)."""
    if single is not None:
        return int(session.scalar(select(func.count()).select_from(F).where(F.facet == single[0],
                                                                             F.value == single[1])) or 0)
    query = select(func.count()).select_from(S)
    if conditions:
        query = query.where(and_(*conditions))
    return int(session.scalar(query) or 0)


BROAD = 2000  # a result at least this big is read in date order rather than gathered and sorted


def newest(conditions: Sequence[ColumnElement[bool]], total: int) -> Select[Any]:
    """Matching ids, newest first (undated last). For a broad result, SQLite is told to walk the date
    index and test each row (it finds a page after a few rows) instead of sorting every match."""
    query = matching(conditions).order_by(S.sort_key.desc(), S.incident_id.desc())
    if conditions and total >= BROAD:
        query = query.with_hint(S, "INDEXED BY ix_incident_state_sort", "sqlite")
    return query


def page_ids(session: Session, conditions: Sequence[ColumnElement[bool]], *, offset: int, limit: int,
             total: int = 0) -> list[int]:
    """Ids of one page, newest first (undated last)."""
    return list(session.scalars(newest(conditions, total).offset(offset).limit(limit)))


# How facet counts are gathered (measured at 100,000 incidents, SQLite): from the matching incidents
# through the (incident_id, facet, value) index costs about 10 us per match, so it serves results up to
# about a quarter of the incidents; for broader ones one pass over the whole facet table in key order
# (grouped as it goes, each row's incident tested against the matches) costs the same at any size,
# about 0.3 s; and when nearly everything matches, the totals minus the counts of the few that do not.
BY_MATCHES = 0.25  # at most this share of the incidents matching: count from the matches
BY_COMPLEMENT = 0.8  # at least this share, and the totals apply: subtract the non-matching ones


def _grouped(session: Session, ids: Select[Any], *, scan: bool) -> Select[Any]:
    """(facet, value, n) over the incidents `ids` selects. `scan`: walk the facet table's primary key
    and test each row's incident against the id list, instead of looking up each matching incident."""
    n = func.count().label("n")
    column: ColumnElement[Any] = F.incident_id
    if scan and session.get_bind().dialect.name == "sqlite":
        column = F.incident_id + literal_column("0")  # an expression: SQLite cannot drive the join from it
    query = select(F.facet, F.value, n).where(column.in_(ids))
    if scan:
        query = query.where(F.facet.in_(FACETS))
    return query.group_by(F.facet, F.value)


def count_facets(session: Session, conditions: Sequence[ColumnElement[bool]], *, total: int,
                 limit: int = FACET_LIMIT, everything: bool = False) -> dict[str, list[tuple[str, int]]]:
    """The `limit` most frequent values of each facet among the incidents matching `conditions` (there
    are `total` of them), most frequent first: exact counts, by GROUP BY in the database, whatever the
    size of the result. `everything`: the conditions hold no access clause (the caller sees every
    incident), so the totals of all incidents (`all_totals`) may serve."""
    if not conditions:  # everything: from the totals kept across changes
        return _top(all_totals(session), limit)
    incidents = int(session.scalar(select(func.count()).select_from(S)) or 0)
    ids = matching(conditions)
    totals = all_totals(session) if everything and total >= BY_COMPLEMENT * incidents else None
    # The totals hold every incident once in `status`; rows deleted behind their back fail this check.
    if totals is not None and sum(totals.get("status", Counter()).values()) == incidents:
        rest = select(S.incident_id).where(S.incident_id.not_in(ids))
        counts = {facet: Counter(values) for facet, values in totals.items()}
        for facet, value, n in session.execute(_grouped(session, rest, scan=False)):
            if facet in counts:
                counts[facet][value] -= int(n)
        return _top({facet: +values for facet, values in counts.items()}, limit)  # + drops the zeros
    grouped = _grouped(session, ids, scan=total > BY_MATCHES * incidents).subquery()
    rank = func.row_number().over(partition_by=grouped.c.facet,
                                  order_by=(grouped.c.n.desc(), grouped.c.value)).label("rank")
    ranked = select(grouped.c.facet, grouped.c.value, grouped.c.n, rank).subquery()
    rows = session.execute(select(ranked.c.facet, ranked.c.value, ranked.c.n).where(ranked.c.rank <= limit)
                           .order_by(ranked.c.facet, ranked.c.n.desc(), ranked.c.value))
    out: dict[str, list[tuple[str, int]]] = {f: [] for f in FACETS}
    for facet, value, count in rows:
        if facet in out:
            out[facet].append((value, int(count)))
    if out["sources"]:  # by number, not by frequency: "1+, 2+, 3+"
        out["sources"].sort(key=lambda vc: int(vc[0]))
    return out


def _top(counts: dict[str, Counter[str]], limit: int) -> dict[str, list[tuple[str, int]]]:
    out = {facet: sorted(counts.get(facet, Counter()).items(), key=lambda vc: (-vc[1], vc[0]))[:limit]
           for facet in FACETS}
    out["sources"].sort(key=lambda vc: int(vc[0]))
    return out


def facet_labels(session: Session, facets: dict[str, list[tuple[str, int]]]) -> dict[str, dict[str, str]]:
    """Display names of facet values that are ids: actors (decrypted here, for the page only) and places."""
    labels: dict[str, dict[str, str]] = {f: {} for f in FACETS}
    actor_ids = sorted({int(v) for f in ACTOR_FACETS for v, _n in facets.get(f, []) if v.isdigit()})
    if actor_ids:
        names = {a.id: a for a in session.scalars(select(models.Actor).where(models.Actor.id.in_(actor_ids)))}
        for f in ACTOR_FACETS:
            for v, _n in facets.get(f, []):
                actor = names.get(int(v)) if v.isdigit() else None
                if actor is not None:
                    labels[f][v] = actor.name + (f" ({actor.country})" if actor.kind == "agency" and actor.country
                                                 else "")
    place_ids = sorted({v for v, _n in facets.get("place", [])})
    if place_ids:
        for pid, name in session.execute(select(models.Place.id, models.Place.name)
                                         .where(models.Place.id.in_(place_ids))):
            labels["place"][pid] = name
    return labels
