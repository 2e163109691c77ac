"""Merging report-level mentions of the same real act into incidents.

The rule (docs/exports.md has the long version)
------------------------------------------------
Two mentions may be the same act only when they come from different reports, happen in the same
country, have compatible types (a shared type; or, with stronger evidence, types of one family such
as detention / rendition / extradition; or any types on the very same day), dates that agree (two
day-precise dates at most 3 days apart, a state outlet may be off by a day; coarser dates must
overlap; a date the extractor took from the publication date stands for "some time in the half-year
before publication") and a shared victim:
the same person (across scripts, transliterations, gendered and inflected forms, initials), the same
organisation (lexicon aliases, "X (Y)" taught by a report, analysts' actor decisions) or groups of the
same count. Evidence is scored (victim, type, date closeness, place, perpetrator) and a pair becomes
an *edge* above a threshold.

Blocking: candidates come only from postings keyed by country + type family + a victim key (surname
skeleton, organisation word, alias group, group count), filtered by date window. Each mention has a
handful of keys, so finding its candidates costs the size of a few small postings: near-linear.

Clustering is deterministic and order-independent: within each connected component of the edge
graph, edges are taken best first (score, then mention keys) and join two clusters unless that would
put two mentions of one report together, cross an analyst's cannot-link, join two analyst-pinned
groups, or join mentions that conflict (different named people, dates too far apart). Analysts'
must-links are applied first. The partition is therefore a function of the set of mentions and
decisions, never of the order reports arrived in.

Incremental: a new mention only recomputes the component it falls in (found by walking edges from
it), and the incidents of that component keep their keys (a cluster inherits the incident most of
its members already had), so analysts' edits and review status stay attached. Mention keys are
`<report content hash>:<ordinal>`, stable across re-extraction.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import gc
import hashlib
import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from kolokol.domain import PRECISION_RANK, parse_partial_date, sort_types
from kolokol.errors import KolokolError, NotFound
from kolokol.extract.names import fold_name
from kolokol.resolve.actors import (
    FULL,
    INITIAL,
    IdentityMap,
    PersonName,
    blind_index,
    initial_fits,
    is_proper_name,
    lexicon_group,
    load_identity,
    org_same,
    org_tokens,
    party_index,
    person_name,
    person_score,
    phonetic,
    resolve_actors,
    skeleton,
)
from kolokol.store import models
from kolokol.store.db import Database

TYPE_FAMILIES: dict[str, frozenset[str]] = {
    "liberty": frozenset({"detention", "abduction", "rendition", "extradition", "deportation", "interrogation",
                          "ill_treatment"}),
    "pressure": frozenset({"threat", "summons", "interrogation", "surveillance"}),
    "organisation": frozenset({"closure", "censorship"}),
    "legal": frozenset({"legal_action", "fine"}),
    "violence": frozenset({"killing", "ill_treatment", "abduction"}),
    "other": frozenset({"other"}),
}
SLACK_DAYS = 3  # day-precise dates may differ by this much (as the scorer allows)
APPROX_DAYS = 183  # a date taken from the publication date: some time in the half-year before
MAX_WINDOW = 400  # longest date window (a year plus slack), for range scans
THRESHOLD_SHARED_TYPE = 2.5
THRESHOLD_FAMILY_TYPE = 3.5
NEAR_KM = 40.0  # two places this close are one place for merging (a district and its city)
KEYS_VERSION = "keys:v1"  # sentinel row in mention_keys: the mention's keys, actors and place are done


# ---------------------------------------------------------------------------- records


@dataclass(slots=True)
class Party:
    kind: str  # person | initial | organization | group
    name: str
    index: str | None = None  # alias index (blind) of the name, to consult analysts' actor decisions
    person: PersonName | None = None
    count: int | None = None
    nationality: str | None = None


@dataclass(slots=True)
class MentionRecord:
    """What merging needs to know about one mention (no evidence text)."""

    key: str  # "<report content hash>:<ordinal>"
    report: int
    types: frozenset[str]
    families: frozenset[str]
    lo: int | None  # date window [lo, hi] as proleptic ordinals; None when undated
    hi: int | None
    day: int | None  # a day-precise date told in the text
    approximate: bool  # the date is the publication's, not the act's
    country: str | None
    place_id: str | None = None
    place_kind: str | None = None
    place_at: tuple[float, float] | None = None  # (latitude, longitude)
    persons: tuple[Party, ...] = ()
    initials: tuple[Party, ...] = ()
    orgs: tuple[Party, ...] = ()
    groups: tuple[Party, ...] = ()
    perpetrators: tuple[str, ...] = ()
    mention_id: int | None = None
    incident_id: int | None = None


def families_of(types: Iterable[str]) -> frozenset[str]:
    tset = set(types)
    fams = frozenset(f for f, members in TYPE_FAMILIES.items() if members & tset)
    return fams or frozenset({"other"})


def date_window(date: str | None, precision: str | None, *, approximate: bool,
                published: str | None = None) -> tuple[int | None, int | None, int | None]:
    """(lo, hi, exact day) of a mention's date as ordinals."""
    parsed = parse_partial_date(date)
    if parsed is None:
        return None, None, None
    start, natural = parsed
    prec = precision if precision in PRECISION_RANK else natural
    if prec == "day":
        lo = hi = start
    elif prec == "week":
        lo, hi = start, start + dt.timedelta(days=6)
    elif prec == "month":
        lo = start.replace(day=1)
        hi = dt.date(lo.year + lo.month // 12, lo.month % 12 + 1, 1) - dt.timedelta(days=1)
    else:
        lo, hi = dt.date(start.year, 1, 1), dt.date(start.year, 12, 31)
    if approximate:
        pub = parse_partial_date(published)
        end = hi
        if pub is not None and pub[0] <= hi:
            pw = date_window(published, None, approximate=False)
            end = dt.date.fromordinal(pw[1]) if pw[1] is not None else hi
        return (end - dt.timedelta(days=APPROX_DAYS)).toordinal(), end.toordinal(), None
    day = lo.toordinal() if prec == "day" else None
    return lo.toordinal(), hi.toordinal(), day


def parties_of(targets: Iterable[Any]) -> tuple[tuple[Party, ...], tuple[Party, ...], tuple[Party, ...],
                                                  tuple[Party, ...]]:
    persons: list[Party] = []
    initials: list[Party] = []
    orgs: list[Party] = []
    groups: list[Party] = []
    for t in targets or []:
        if not isinstance(t, dict):
            continue
        name = str(t.get("name") or "").strip()
        kind = t.get("kind") or "person"
        nationality = t.get("nationality")
        if kind == "group":
            count = t.get("count")
            if isinstance(count, int) and count > 0:
                groups.append(Party("group", name, count=count, nationality=nationality))
        elif kind == "organization":
            if name and is_proper_name(name, strict=False) and org_tokens(name):
                orgs.append(Party("organization", name, index=party_index(name, "organization")))
        elif name:
            parsed = person_name(name)
            if parsed is None:
                continue
            if parsed.initial_only:
                initials.append(Party("initial", name, person=parsed, nationality=nationality))
            else:
                persons.append(Party("person", name, index=party_index(name, "person"), person=parsed,
                                     nationality=nationality))
    return tuple(persons), tuple(initials), tuple(orgs), tuple(groups)


def make_record(*, key: str, report: int, types: Iterable[str], date: str | None, precision: str | None,
                dated_in_text: bool, published: str | None, country: str | None, targets: Iterable[Any],
                perpetrators: Iterable[Any] = (), place_id: str | None = None, place_kind: str | None = None,
                place_at: tuple[float, float] | None = None, mention_id: int | None = None,
                incident_id: int | None = None) -> MentionRecord:
    tset = frozenset(str(t) for t in types or [])
    approximate = bool(date) and not dated_in_text
    lo, hi, day = date_window(date, precision, approximate=approximate, published=published)
    persons, initials, orgs, groups = parties_of(targets)
    perps = tuple(sorted({_perp_key(str(p.get("name"))) for p in perpetrators or []
                          if isinstance(p, dict) and p.get("name")} - {""}))
    return MentionRecord(key=key, report=report, types=tset, families=families_of(tset), lo=lo, hi=hi, day=day,
                         approximate=approximate, country=(country or None), place_id=place_id,
                         place_kind=place_kind, place_at=place_at, persons=persons, initials=initials, orgs=orgs,
                         groups=groups, perpetrators=perps, mention_id=mention_id, incident_id=incident_id)


def _perp_key(name: str) -> str:
    group = lexicon_group(name)
    return f"@{group}" if group else fold_name(name)


# ---------------------------------------------------------------------------- blocking keys


def _letter(p: PersonName) -> str:
    return phonetic(p.family)[:1]


def _days(rec: MentionRecord, slack: int) -> range:
    assert rec.day is not None
    return range(rec.day - slack, rec.day + slack + 1)


def _same_day_keys(rec: MentionRecord) -> set[str]:
    """Victim keys of a day-precise mention for its day whatever its types: the same victim on the same
    day may be told as a closure by one outlet and as a threat by another."""
    if rec.day is None:
        return set()
    base = f"{rec.country or '-'}|@{rec.day}|"
    out = {base + "p|" + skeleton(p.person.family) for p in rec.persons if p.person is not None}
    for o in rec.orgs:
        out.update(base + "o|" + skeleton(t) for t in org_tokens(o.name))
        group = lexicon_group(o.name)
        if group:
            out.add(base + "a|" + group)
    out.update(base + "g|" + str(g.count) for g in rec.groups if g.count and g.count >= 2)
    return out


def posting_keys(rec: MentionRecord) -> set[str]:
    """Keys a mention is filed under: country | type family | victim key. Weak victim keys (an
    initial, an unnamed person) carry the day too, since they only count for day-precise dates."""
    out: set[str] = set()
    c = rec.country or "-"
    out.update(_same_day_keys(rec))
    for fam in sorted(rec.families):
        base = f"{c}|{fam}|"
        for p in rec.persons:
            assert p.person is not None
            out.add(base + "p|" + skeleton(p.person.family))
            if rec.day is not None:
                out.add(f"{base}i|{_letter(p.person)}|{rec.day}")
                out.add(f"{base}n|{rec.day}")
        if rec.day is not None:
            for p in rec.initials:
                assert p.person is not None
                out.add(f"{base}io|{_letter(p.person)}|{rec.day}")
        for o in rec.orgs:
            out.update(base + "o|" + skeleton(t) for t in org_tokens(o.name))
            group = lexicon_group(o.name)
            if group:
                out.add(base + "a|" + group)
        for g in rec.groups:
            out.add(base + "g|" + str(g.count))
            if g.count == 1 and rec.day is not None:
                out.add(f"{base}u|{rec.day}")
    return out


def query_keys(rec: MentionRecord, ident: IdentityMap | None = None) -> set[str]:
    """Keys a mention looks its candidates up under: its own, the weak keys of the other side (a
    full name looks for initials and unnamed persons of nearby days, and back), plus the keys of
    the other names analysts or reports gave its actors."""
    out: set[str] = set()
    c = rec.country or "-"
    out.update(_same_day_keys(rec))
    for fam in sorted(rec.families):
        base = f"{c}|{fam}|"
        for p in rec.persons:
            assert p.person is not None
            out.add(base + "p|" + skeleton(p.person.family))
            if rec.day is not None:
                out.update(f"{base}io|{_letter(p.person)}|{d}" for d in _days(rec, SLACK_DAYS))
                out.update(f"{base}u|{d}" for d in _days(rec, 1))
        if rec.day is not None:
            for p in rec.initials:
                assert p.person is not None
                out.update(f"{base}i|{_letter(p.person)}|{d}" for d in _days(rec, SLACK_DAYS))
                out.update(f"{base}io|{_letter(p.person)}|{d}" for d in _days(rec, SLACK_DAYS))
        for o in rec.orgs:
            out.update(base + "o|" + skeleton(t) for t in org_tokens(o.name))
            group = lexicon_group(o.name)
            if group:
                out.add(base + "a|" + group)
        for g in rec.groups:
            out.add(base + "g|" + str(g.count))
            if g.count == 1 and rec.day is not None:
                out.update(f"{base}n|{d}" for d in _days(rec, 1))
        if ident is not None:
            for p in (*rec.persons, *rec.orgs):
                for alias in ident.aliases_of(p.index):
                    if p.kind == "person":
                        parsed = person_name(alias)
                        if parsed is not None and not parsed.initial_only:
                            out.add(base + "p|" + skeleton(parsed.family))
                    else:
                        out.update(base + "o|" + skeleton(t) for t in org_tokens(alias))
    return out


def hashed(key: str) -> str:
    """The stored form of a blocking key: a keyed hash (names never stored in clear)."""
    return blind_index(key, "block")[:40]


# ---------------------------------------------------------------------------- pairwise evidence


def distance_km(a: tuple[float, float] | None, b: tuple[float, float] | None) -> float | None:
    if a is None or b is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def date_score(a: MentionRecord, b: MentionRecord) -> float | None:
    """How well two dates agree; None when they cannot be the same act."""
    if a.lo is None or b.lo is None or a.hi is None or b.hi is None:
        return 0.0 if a.lo is None and b.lo is None else -0.5
    if a.day is not None and b.day is not None:
        gap = abs(a.day - b.day)
        if gap > SLACK_DAYS:
            return None
        return 1.0 if gap == 0 else 0.7 if gap == 1 else 0.3
    if a.lo - SLACK_DAYS > b.hi or b.lo - SLACK_DAYS > a.hi:
        return None
    return 0.0 if a.approximate or b.approximate else 0.2


def _person_link(pa: Party, pb: Party, ident: IdentityMap | None) -> float:
    if ident is not None:
        verdict = ident.same(pa.index, pb.index)
        if verdict is True:
            return FULL
        if verdict is False:
            return 0.0
    assert pa.person is not None and pb.person is not None
    return person_score(pa.person, pb.person)


def _org_link(oa: Party, ob: Party, ident: IdentityMap | None) -> bool:
    if ident is not None:
        verdict = ident.same(oa.index, ob.index)
        if verdict is not None:
            return verdict
    return org_same(oa.name, ob.name)


@dataclass(slots=True)
class Identity:
    score: float = 0.0
    person: float = 0.0
    org: bool = False
    group: bool = False
    weak_only: bool = True  # only groups or initials
    conflict: bool = False  # both name people and none of them agree
    anonymous: bool = False  # "a citizen of the Russian Federation" on one side, one named person on the other
    initial: bool = False  # "Л." on one side, a name starting so (or the same initial) on the other


def identity(a: MentionRecord, b: MentionRecord, ident: IdentityMap | None = None) -> Identity:
    out = Identity()
    best = 0.0
    for pa in a.persons:
        for pb in b.persons:
            best = max(best, _person_link(pa, pb, ident))
    out.person = best
    if best > 0:
        out.score += 3.0 if best >= FULL else 2.5 if best >= INITIAL else 2.0
        out.weak_only = False
    out.org = any(_org_link(oa, ob, ident) for oa in a.orgs for ob in b.orgs)
    if out.org:
        out.score += 2.5
        out.weak_only = False
    group = 0.0
    for ga in a.groups:
        for gb in b.groups:
            if ga.count != gb.count:
                continue
            if ga.nationality and gb.nationality and ga.nationality != gb.nationality:
                continue
            bonus = 0.3 if ga.nationality and ga.nationality == gb.nationality else 0.0
            if ga.count and ga.count >= 2:
                group = max(group, 1.5 + bonus)
            elif bonus:  # "a Russian citizen" is weak evidence: one person, nationality only
                group = max(group, 1.0)
    if group:
        out.group = True
        out.score += group
    out.initial = best == 0 and any(_initial_pair(a, b))
    if best == 0 and not out.org:
        out.anonymous = _anonymous_pair(a, b) or _anonymous_pair(b, a)
    out.conflict = bool(a.persons and b.persons and best == 0 and not out.org)
    return out


def _anonymous_pair(a: MentionRecord, b: MentionRecord) -> bool:
    """One unnamed person on side a (a group of one), one person on side b, nationalities not contradicting."""
    singles = [g for g in a.groups if g.count == 1]
    if not singles:
        return False
    others = [(p.nationality or None) for p in b.persons] + [g.nationality for g in b.groups if g.count == 1]
    return any(not s.nationality or not n or s.nationality == n for s in singles for n in others)


def _initial_pair(a: MentionRecord, b: MentionRecord) -> Iterable[bool]:
    """An initial on one side ("Л.", state media) that fits a name or the same initial on the other."""
    for x, y in ((a, b), (b, a)):
        for i in x.initials:
            assert i.person is not None
            yield any(initial_fits(i.person, p.person) for p in y.persons if p.person is not None)
            yield any(j.person is not None and _letter(i.person) == _letter(j.person) for j in y.initials)


def conflict(a: MentionRecord, b: MentionRecord, ident: IdentityMap | None = None) -> bool:
    """Facts that forbid two mentions from being one act, whatever links them through others."""
    if a.report == b.report or (a.country or "") != (b.country or ""):
        return True
    if date_score(a, b) is None:
        return True
    return identity(a, b, ident).conflict


def primary_type(types: Iterable[str]) -> str:
    ordered = sort_types(list(types))
    return ordered[0] if ordered else "other"


def primaries_agree(a: MentionRecord, b: MentionRecord) -> bool:
    """The most severe types of two mentions are the same or of one family (rendition / detention)."""
    pa, pb = primary_type(a.types), primary_type(b.types)
    return pa == pb or any(pa in members and pb in members for members in TYPE_FAMILIES.values())


def edge_score(a: MentionRecord, b: MentionRecord, ident: IdentityMap | None = None) -> float | None:
    """The evidence that two mentions tell the same act, or None when it is below the threshold."""
    if a.report == b.report or (a.country or "") != (b.country or ""):
        return None
    shared = bool(a.types & b.types)
    related = bool(a.families & b.families)
    same_day = a.day is not None and a.day == b.day
    if not shared and not related and not same_day:
        return None
    when = date_score(a, b)
    if when is None:
        return None
    if when <= 0.2 and not primaries_agree(a, b):
        return None  # a coarse or borrowed date: the main acts must agree (a closure is not a later warning)
    who = identity(a, b, ident)
    gap = abs(a.day - b.day) if a.day is not None and b.day is not None else None
    if who.initial and gap is not None and gap <= SLACK_DAYS:
        who.score += 1.2  # "Л." (state media) and Lozhkin, a few days apart at most
    if who.score <= 0 and who.anonymous and gap is not None and gap <= 1:
        who.score = 0.8  # an unnamed person (state media) and a named one, same day or the next
    if who.score <= 0 or who.conflict:
        return None
    total = who.score + (1.0 if shared else 0.3 if related else 0.0) + when
    if a.place_id and b.place_id:
        if a.place_id == b.place_id:
            total += 0.5
        elif a.place_kind == b.place_kind == "city":
            km = distance_km(a.place_at, b.place_at)
            if km is not None and km <= NEAR_KM:
                total += 0.25  # a district and its city (Kuzminki, Moscow)
            elif who.weak_only:
                return None
            else:
                total -= 1.0
    if set(a.perpetrators) & set(b.perpetrators):
        total += 0.3
    threshold = THRESHOLD_SHARED_TYPE if shared else THRESHOLD_FAMILY_TYPE
    return round(total, 4) if total >= threshold else None


# ---------------------------------------------------------------------------- clustering


@dataclass(slots=True)
class Decisions:
    """Analysts' merge decisions between mention keys."""

    must: list[tuple[str, str]] = field(default_factory=list)
    cannot: set[tuple[str, str]] = field(default_factory=set)
    _index: tuple[list[tuple[str, str]], dict[str, list[str]]] | None = None

    @property
    def pinned(self) -> set[str]:
        return {k for pair in (*self.must, *self.cannot) for k in pair}

    def partners(self, key: str) -> list[str]:
        index = self._index
        if index is None or len(index[0]) != len(self.must) + len(self.cannot):
            table: dict[str, list[str]] = defaultdict(list)
            pairs = [*self.must, *self.cannot]
            for a, b in pairs:
                table[a].append(b)
                table[b].append(a)
            index = self._index = (pairs, table)
        return index[1].get(key, [])


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def cluster_component(records: dict[str, MentionRecord], edges: Iterable[tuple[float, str, str]],
                      decisions: Decisions | None = None, ident: IdentityMap | None = None) -> list[list[str]]:
    """Clusters of one component: analysts' must-links first, then edges best first, each join
    checked against one-report, cannot-link, pinned-group and conflict constraints."""
    decisions = decisions or Decisions()
    parent = {k: k for k in records}
    members: dict[str, list[str]] = {k: [k] for k in records}
    reports: dict[str, set[int]] = {k: {records[k].report} for k in records}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        keep, gone = (a, b) if a < b else (b, a)
        parent[gone] = keep
        members[keep].extend(members.pop(gone))
        reports[keep] |= reports.pop(gone)

    for a, b in sorted(_pair(a, b) for a, b in decisions.must if a in records and b in records):
        ra, rb = find(a), find(b)
        if ra != rb:
            union(ra, rb)
    pinned_keys = decisions.pinned
    pinned = {find(k) for k in records if k in pinned_keys}
    cannot = decisions.cannot
    for _score, a, b in sorted(edges, key=lambda e: (-e[0], e[1], e[2])):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if ra in pinned and rb in pinned:
            continue
        if reports[ra] & reports[rb]:
            continue
        xs, ys = members[ra], members[rb]
        if cannot and any(_pair(x, y) in cannot for x in xs for y in ys):
            continue
        if any(conflict(records[x], records[y], ident) for x in xs for y in ys):
            continue
        union(ra, rb)
        if ra in pinned or rb in pinned:
            pinned.discard(ra)
            pinned.discard(rb)
            pinned.add(find(ra))
    return sorted((sorted(m) for m in members.values()), key=lambda m: m[0])


def components(keys: Iterable[str], links: Iterable[tuple[str, str]]) -> list[list[str]]:
    parent: dict[str, str] = {k: k for k in keys}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        if a in parent and b in parent:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = defaultdict(list)
    for k in parent:
        groups[find(k)].append(k)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


# Postings are split by the length of the date window, so that a day-precise mention scans back a
# week of day-precise candidates, a month of month-precise ones, and a year only of the few
# year-precise or publication-dated ones.
WINDOW_CLASSES = ((7, "s"), (31, "m"), (MAX_WINDOW, "l"))


def window_class(rec: MentionRecord) -> str:
    length = (rec.hi - rec.lo) if rec.lo is not None and rec.hi is not None else MAX_WINDOW
    return next(cls for most, cls in WINDOW_CLASSES if length <= most)


class MemoryIndex:
    """Postings of blocking keys, each sorted by date, for merging records held in memory."""

    def __init__(self) -> None:
        self.postings: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        self.undated: dict[str, list[str]] = defaultdict(list)
        self.records: dict[str, MentionRecord] = {}
        self._sorted = True

    def add(self, rec: MentionRecord) -> None:
        self.records[rec.key] = rec
        cls = window_class(rec)
        for k in posting_keys(rec):
            if rec.lo is None:
                self.undated[k].append(rec.key)
            else:
                self.postings[(k, cls)].append((rec.lo, rec.key))
        self._sorted = False

    def _sort(self) -> None:
        if not self._sorted:
            for rows in self.postings.values():
                rows.sort()
            self._sorted = True

    def candidates(self, rec: MentionRecord, ident: IdentityMap | None = None) -> set[str]:
        self._sort()
        found: set[str] = set()
        records = self.records
        for k in query_keys(rec, ident):
            for most, cls in WINDOW_CLASSES:
                rows = self.postings.get((k, cls))
                if not rows:
                    continue
                if rec.lo is None or rec.hi is None:
                    found.update(key for _lo, key in rows)
                    continue
                first = bisect.bisect_left(rows, (rec.lo - most - SLACK_DAYS, ""))
                last = bisect.bisect_right(rows, (rec.hi + SLACK_DAYS, "\uffff"))
                low = rec.lo - SLACK_DAYS
                for _lo, key in rows[first:last]:
                    hi = records[key].hi
                    if hi is None or hi >= low:
                        found.add(key)
            found.update(self.undated.get(k, ()))
        found.discard(rec.key)
        return found


@contextlib.contextmanager
def _bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector during a bulk merge: the algorithm makes no reference cycles,
    and full collections over millions of live records would make the run superlinear."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def partition(records: Iterable[MentionRecord], decisions: Decisions | None = None,
              ident: IdentityMap | None = None, stats: dict[str, float] | None = None) -> list[list[str]]:
    """The merged incidents of a set of mentions, as sorted lists of mention keys (in memory).
    `stats`, when given, receives the seconds spent in each phase and the number of pairs scored."""
    clock = time.perf_counter
    with _bulk():
        t0 = clock()
        index = MemoryIndex()
        for rec in records:
            index.add(rec)
        decisions = decisions or Decisions()
        t1 = clock()
        edges: dict[tuple[str, str], float] = {}
        scored = 0
        for key in sorted(index.records):
            rec = index.records[key]
            for other in index.candidates(rec, ident):
                if other < key:
                    continue  # candidates are symmetric: each pair is scored once, from its first key
                scored += 1
                score = edge_score(rec, index.records[other], ident)
                if score is not None:
                    edges[(key, other)] = score
        t2 = clock()
        links = list(edges) + [_pair(a, b) for a, b in decisions.must]
        out: list[list[str]] = []
        by_comp_edges: dict[str, list[tuple[float, str, str]]] = defaultdict(list)
        comps = components(index.records, links)
        where = {k: comp[0] for comp in comps for k in comp}
        for (a, b), score in edges.items():
            by_comp_edges[where[a]].append((score, a, b))
        for comp in comps:
            if len(comp) == 1:
                out.append(comp)
                continue
            recs = {k: index.records[k] for k in comp}
            out.extend(cluster_component(recs, by_comp_edges[comp[0]], decisions, ident))
        out.sort(key=lambda m: m[0])
        t3 = clock()
    if stats is not None:
        stats.update({"index_seconds": round(t1 - t0, 2), "edges_seconds": round(t2 - t1, 2),
                      "cluster_seconds": round(t3 - t2, 2), "pairs_scored": scored, "edges": len(edges)})
    return out


# ---------------------------------------------------------------------------- storage


def mention_key(content_hash: str, ordinal: int) -> str:
    return f"{content_hash}:{ordinal}"


@dataclass(slots=True)
class ReportInfo:
    id: int
    source_id: str | None
    outlet: str | None
    url: str | None
    published: str | None
    language: str | None
    copy_of_id: int | None
    content_hash: str


def _chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


class StoredMentions:
    """Mention records read from the database, and their candidates by blocking key."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.records: dict[str, MentionRecord] = {}
        self.by_id: dict[int, str] = {}
        self.ident = IdentityMap()
        self._ident_known: set[str] = set()

    def load(self, ids: Iterable[int]) -> list[MentionRecord]:
        wanted = sorted({i for i in ids if i not in self.by_id})
        out: list[MentionRecord] = []
        for chunk in _chunks(wanted):
            rows = self.session.execute(
                select(models.Mention.id, models.Mention.report_id, models.Mention.ordinal, models.Mention.types,
                       models.Mention.date, models.Mention.date_precision, models.Mention.evidence_spans,
                       models.Mention.country, models.Mention.place_id, models.Mention.targets,
                       models.Mention.perpetrators, models.Mention.incident_id, models.Report.content_hash,
                       models.Report.published, models.Place.kind, models.Place.latitude, models.Place.longitude)
                .join(models.Report, models.Report.id == models.Mention.report_id)
                .outerjoin(models.Place, models.Place.id == models.Mention.place_id)
                .where(models.Mention.id.in_(chunk), models.Mention.current.is_(True))).all()
            for (mid, report_id, ordinal, types, date, precision, spans, country, place_id, targets, perps,
                 incident_id, content_hash, published, place_kind, lat, lon) in rows:
                rec = make_record(key=mention_key(content_hash, ordinal), report=report_id, types=types or [],
                                  date=date, precision=precision, dated_in_text=bool((spans or {}).get("date")),
                                  published=published, country=country, targets=targets or [],
                                  perpetrators=perps or [], place_id=place_id, place_kind=place_kind,
                                  place_at=(lat, lon) if lat is not None and lon is not None else None,
                                  mention_id=mid, incident_id=incident_id)
                self.records[rec.key] = rec
                self.by_id[mid] = rec.key
                out.append(rec)
        self._extend_identity(out)
        return out

    def _extend_identity(self, recs: Iterable[MentionRecord]) -> None:
        indexes = {p.index for r in recs for p in (*r.persons, *r.orgs) if p.index} - self._ident_known
        if not indexes:
            return
        self._ident_known |= indexes
        more = load_identity(self.session, indexes)
        for k, v in more.strong.items():
            self.ident.strong.setdefault(k, v)
        for k, v in more.names.items():
            self.ident.names.setdefault(k, v)

    def candidates(self, frontier: Sequence[MentionRecord]) -> dict[str, set[int]]:
        """Mention ids filed under each hashed query key of the frontier, within its date range."""
        keys: dict[str, set[str]] = {}
        for rec in frontier:
            keys[rec.key] = {hashed(k) for k in query_keys(rec, self.ident)}
        wanted = sorted(set().union(*keys.values())) if keys else []
        dated = [r for r in frontier if r.lo is not None and r.hi is not None]
        hits: dict[str, set[int]] = defaultdict(set)
        for chunk in _chunks(wanted):
            query = (select(models.MentionKey.key, models.MentionKey.mention_id)
                     .join(models.Mention, models.Mention.id == models.MentionKey.mention_id)
                     .where(models.MentionKey.key.in_(chunk), models.Mention.current.is_(True)))
            if len(dated) == len(frontier) and dated:
                lo = dt.date.fromordinal(min(r.lo for r in dated) - MAX_WINDOW - SLACK_DAYS)  # type: ignore[type-var]
                hi = dt.date.fromordinal(max(r.hi for r in dated) + SLACK_DAYS)  # type: ignore[type-var]
                query = query.where((models.Mention.date_start.is_(None))
                                    | models.Mention.date_start.between(lo, hi))
            for key, mid in self.session.execute(query):
                hits[key].add(mid)
        return {rec.key: set().union(*(hits.get(k, set()) for k in keys[rec.key])) for rec in frontier}


def write_keys(session: Session, mentions: Sequence[models.Mention]) -> None:
    """File each mention under its blocking keys (and the sentinel that says it is done)."""
    ids = [m.id for m in mentions]
    for chunk in _chunks(ids):
        session.execute(delete(models.MentionKey).where(models.MentionKey.mention_id.in_(chunk)))
    rows = []
    for m in mentions:
        rec = make_record(key=mention_key(m.report.content_hash, m.ordinal), report=m.report_id,
                          types=m.types or [], date=m.date, precision=m.date_precision,
                          dated_in_text=bool((m.evidence_spans or {}).get("date")), published=m.report.published,
                          country=m.country, targets=m.targets or [], perpetrators=m.perpetrators or [])
        keys = {hashed(k) for k in posting_keys(rec)} | {KEYS_VERSION}
        rows.extend({"mention_id": m.id, "key": k} for k in sorted(keys))
    for chunk in _chunks(rows, 1000):
        session.execute(models.MentionKey.__table__.insert(), list(chunk))


def load_decisions(session: Session) -> tuple[Decisions, dict[str, int]]:
    """Analysts' decisions, and the current mention id of every key they name."""
    decisions = Decisions()
    keys: set[str] = set()
    for a, b, same in session.execute(select(models.MergeDecision.mention_a, models.MergeDecision.mention_b,
                                             models.MergeDecision.same).order_by(models.MergeDecision.id)):
        pair = _pair(a, b)
        if same:
            decisions.must.append(pair)
        else:
            decisions.cannot.add(pair)
        keys.update(pair)
    return decisions, current_ids_of_keys(session, keys)


def current_ids_of_keys(session: Session, keys: Iterable[str]) -> dict[str, int]:
    parsed: dict[str, set[int]] = defaultdict(set)
    for k in keys:
        digest, _, ordinal = k.rpartition(":")
        if digest and ordinal.isdigit():
            parsed[digest].add(int(ordinal))
    out: dict[str, int] = {}
    hashes = sorted(parsed)
    for chunk in _chunks(hashes):
        rows = session.execute(select(models.Report.content_hash, models.Mention.ordinal, models.Mention.id)
                               .join(models.Mention, models.Mention.report_id == models.Report.id)
                               .where(models.Report.content_hash.in_(chunk), models.Mention.current.is_(True)))
        for digest, ordinal, mid in rows:
            if ordinal in parsed[digest]:
                out[mention_key(digest, ordinal)] = mid
    return out


@dataclass(slots=True)
class Walk:
    records: dict[str, MentionRecord]
    edges: dict[tuple[str, str], float]


def walk_components(store: StoredMentions, seeds: Iterable[int], decisions: Decisions,
                    decided_ids: dict[str, int]) -> Walk:
    """Every mention connected to the seeds by an edge, a decision or a shared incident."""
    edges: dict[tuple[str, str], float] = {}
    frontier = store.load(seeds)
    seen: set[str] = set()
    while frontier:
        frontier = [r for r in frontier if r.key not in seen]
        if not frontier:
            break
        seen.update(r.key for r in frontier)
        found = store.candidates(frontier)
        more_ids: set[int] = set()
        for rec in frontier:
            more_ids.update(found.get(rec.key, set()))
            for partner in decisions.partners(rec.key):
                if partner in decided_ids:
                    more_ids.add(decided_ids[partner])
        incident_ids = sorted({r.incident_id for r in frontier if r.incident_id is not None})
        for chunk in _chunks(incident_ids):
            more_ids.update(store.session.scalars(select(models.Mention.id).where(
                models.Mention.incident_id.in_(chunk), models.Mention.current.is_(True))))
        store.load(more_ids)
        for rec in frontier:
            for mid in sorted(found.get(rec.key, set())):
                other_key = store.by_id.get(mid)
                if other_key is None or other_key == rec.key:
                    continue
                pair = _pair(rec.key, other_key)
                if pair in edges:
                    continue
                score = edge_score(rec, store.records[other_key], store.ident)
                if score is not None:
                    edges[pair] = score
        frontier = [store.records[store.by_id[i]] for i in sorted(more_ids) if i in store.by_id]
        frontier = [r for r in frontier if r.key not in seen]
    return Walk({k: store.records[k] for k in seen}, edges)


def _has_human_work(session: Session, incident: models.Incident) -> bool:
    if incident.locked or incident.review_status != "new" or incident.visibility != "restricted":
        return True
    if session.scalar(select(func.count()).select_from(models.IncidentEdit)
                      .where(models.IncidentEdit.incident_id == incident.id)):
        return True
    return bool(session.scalar(select(func.count()).select_from(models.ReviewEvent)
                               .where(models.ReviewEvent.incident_id == incident.id)))


def _new_key(session: Session, members: Sequence[str], taken: set[str]) -> str:
    base = members[0]
    n = 0
    while True:
        key = hashlib.sha256((base if n == 0 else f"{base}#{n}").encode()).hexdigest()[:32]
        if key not in taken and session.scalar(select(models.Incident.id).where(models.Incident.key == key)) is None:
            taken.add(key)
            return key
        n += 1


def recompute(session: Session, seeds: Iterable[int]) -> set[int]:
    """Re-cluster the components of the seed mentions and update their incidents; return the ids of
    incidents that may have lost every mention."""
    seeds = sorted(set(seeds))
    if not seeds:
        return set()
    decisions, decided_ids = load_decisions(session)
    store = StoredMentions(session)
    walk = walk_components(store, seeds, decisions, decided_ids)
    if not walk.records:
        return set()
    links = list(walk.edges) + [p for p in decisions.must if p[0] in walk.records and p[1] in walk.records]
    comp_edges: dict[str, list[tuple[float, str, str]]] = defaultdict(list)
    comps = components(walk.records, links)
    where = {k: comp[0] for comp in comps for k in comp}
    for (a, b), score in walk.edges.items():
        comp_edges[where[a]].append((score, a, b))
    clusters: list[list[str]] = []
    for comp in comps:
        recs = {k: walk.records[k] for k in comp}
        clusters.extend(cluster_component(recs, comp_edges[comp[0]], decisions, store.ident))
    return assign_incidents(session, clusters, walk.records, store.ident)


def _previous_incidents(session: Session, recs: Iterable[MentionRecord]) -> dict[str, int]:
    """Incident of each record, or of its previous extraction (same report and ordinal)."""
    out: dict[str, int] = {}
    missing: dict[int, list[MentionRecord]] = defaultdict(list)
    for r in recs:
        if r.incident_id is not None:
            out[r.key] = r.incident_id
        else:
            missing[r.report].append(r)
    report_ids = sorted(missing)
    for chunk in _chunks(report_ids):
        rows = session.execute(select(models.Mention.report_id, models.Mention.ordinal, models.Mention.incident_id)
                               .where(models.Mention.report_id.in_(chunk), models.Mention.current.is_(False),
                                      models.Mention.incident_id.is_not(None))
                               .order_by(models.Mention.id))
        latest = {(rid, ordinal): iid for rid, ordinal, iid in rows}
        for rid in chunk:
            for r in missing[rid]:
                ordinal = int(r.key.rpartition(":")[2])
                if (rid, ordinal) in latest:
                    out[r.key] = latest[(rid, ordinal)]
    return out


def assign_incidents(session: Session, clusters: list[list[str]], records: dict[str, MentionRecord],
                     ident: IdentityMap | None = None) -> set[int]:
    """Give each cluster an incident: the one most of its members already had (analyst-locked
    first), else a new one keyed by its first mention. Returns the incidents left behind."""
    previous = _previous_incidents(session, records.values())
    old_ids = sorted(set(previous.values()))
    incidents: dict[int, models.Incident] = {}
    for chunk in _chunks(old_ids):
        for inc in session.scalars(select(models.Incident).where(models.Incident.id.in_(chunk))):
            incidents[inc.id] = inc
    human = {iid: _has_human_work(session, inc) for iid, inc in incidents.items()}
    options = []
    for ci, members in enumerate(clusters):
        counts = Counter(previous[k] for k in members if k in previous and previous[k] in incidents)
        for iid, n in counts.items():
            inc = incidents[iid]
            options.append((not inc.locked, -n, not human[iid], inc.key, ci, iid))
    options.sort()
    chosen: dict[int, models.Incident] = {}
    used: set[int] = set()
    for _unlocked, _n, _h, _key, ci, iid in options:
        if ci in chosen or iid in used:
            continue
        chosen[ci] = incidents[iid]
        used.add(iid)
    taken: set[str] = set()
    for ci, members in enumerate(clusters):
        if ci not in chosen:
            inc = models.Incident(key=_new_key(session, members, taken))
            session.add(inc)
            session.flush()
            chosen[ci] = inc
    mention_ids = sorted(records[k].mention_id for k in records if records[k].mention_id is not None)  # type: ignore[misc]
    rows: dict[int, models.Mention] = {}
    for chunk in _chunks(mention_ids):
        for m in session.scalars(select(models.Mention).where(models.Mention.id.in_(chunk))):
            rows[m.id] = m
    reports = _report_infos(session, {m.report_id for m in rows.values()})
    for ci, members in enumerate(clusters):
        inc = chosen[ci]
        ms = [rows[records[k].mention_id] for k in members if records[k].mention_id in rows]  # type: ignore[index]
        for m in ms:
            m.incident_id = inc.id
        summarise(session, inc, ms, reports, ident)
    session.flush()
    return set(incidents) - used


def _report_infos(session: Session, ids: Iterable[int]) -> dict[int, ReportInfo]:
    out: dict[int, ReportInfo] = {}
    wanted = sorted(set(ids))
    for chunk in _chunks(wanted):
        for row in session.execute(select(models.Report.id, models.Report.source_id, models.Report.outlet,
                                          models.Report.url, models.Report.published, models.Report.language,
                                          models.Report.copy_of_id, models.Report.content_hash)
                                   .where(models.Report.id.in_(chunk))):
            out[row[0]] = ReportInfo(*row)
    return out


# ---------------------------------------------------------------------------- summaries


def _norm_outlet(outlet: str | None) -> str:
    return re.sub(r"[^\w]+", " ", (outlet or "").casefold()).strip()


def source_groups(mentions: Sequence[models.Mention], reports: dict[int, ReportInfo]) -> dict[int, int]:
    """Report id -> independent source id. Syndicated copies (copy_of links or the same evidence
    sentence word for word) and reports of one outlet count once."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    ids = sorted({m.report_id for m in mentions})
    for rid in ids:
        find(rid)
        info = reports.get(rid)
        if info is not None and info.copy_of_id is not None:
            union(rid, info.copy_of_id)
    by_outlet: dict[str, int] = {}
    for rid in ids:
        info = reports.get(rid)
        key = _norm_outlet(info.outlet if info else None)
        if key:
            if key in by_outlet:
                union(rid, by_outlet[key])
            else:
                by_outlet[key] = rid
    evidence = sorted(((m.report_id, fold_name(m.evidence or "")) for m in mentions if m.evidence), key=lambda x: x[0])
    for i, (ra, ea) in enumerate(evidence):
        for rb, eb in evidence[i + 1:]:
            if ra != rb and len(ea) > 40 and fuzz.ratio(ea, eb) >= 90:
                union(ra, rb)
    return {rid: find(rid) for rid in ids}


@dataclass(slots=True)
class _Value:
    display: Any
    extra: dict[str, Any] = field(default_factory=dict)
    sources: set[int] = field(default_factory=set)
    reports: set[int] = field(default_factory=set)
    mentions: int = 0
    written: Counter[str] = field(default_factory=Counter)
    order: tuple[Any, ...] = ()


def _entries(values: dict[Any, _Value], reports: dict[int, ReportInfo],
             rank: Callable[[Any, _Value], tuple[Any, ...]] | None = None) -> list[dict[str, Any]]:
    ordered = sorted(values.items(), key=lambda kv: (*(rank(kv[0], kv[1]) if rank else ()), -len(kv[1].sources),
                                                     -kv[1].mentions, kv[1].order, str(kv[0])))
    out = []
    for _key, v in ordered:
        entry = {"value": v.display, **v.extra, "sources": len(v.sources), "mentions": v.mentions,
                 "reports": sorted(v.reports),
                 "outlets": sorted({reports[r].outlet or "" for r in v.reports if r in reports} - {""})}
        if len(v.written) > 1:
            entry["variants"] = [w for w, _n in sorted(v.written.items(), key=lambda x: (-x[1], x[0]))]
        out.append(entry)
    return out


def _add(values: dict[Any, _Value], key: Any, display: Any, m: models.Mention, group: int, order: tuple[Any, ...],
         written: str | None = None, **extra: Any) -> None:
    v = values.get(key)
    if v is None:
        v = values[key] = _Value(display=display, extra=dict(extra), order=order)
    v.sources.add(group)
    v.reports.add(m.report_id)
    v.mentions += 1
    if written:
        v.written[written] += 1


def _party_cluster(clusters: list[tuple[Any, Party]], party: Party, ident: IdentityMap | None) -> Any:
    for key, other in clusters:
        if party.kind != other.kind:
            continue
        if party.kind == "person" and _person_link(party, other, ident) > 0:
            return key
        if party.kind == "organization" and _org_link(party, other, ident):
            return key
        if party.kind == "group" and party.count == other.count:
            return key
    key = (party.kind, len(clusters))
    clusters.append((key, party))
    return key


def summarise(session: Session, incident: models.Incident, members: Sequence[models.Mention],
              reports: dict[int, ReportInfo], ident: IdentityMap | None = None) -> None:
    """Machine values of an incident: every value of each field with the reports, outlets and number
    of independent sources behind it, best-supported first."""
    members = sorted(members, key=lambda m: (reports[m.report_id].content_hash if m.report_id in reports else "",
                                             m.ordinal))
    groups = source_groups(members, reports)
    incident.independent_sources = len(set(groups.values()))
    fields: dict[str, dict[Any, _Value]] = defaultdict(dict)
    party_clusters: list[tuple[Any, Party]] = []
    for pos, m in enumerate(members):
        g = groups.get(m.report_id, m.report_id)
        order = (pos,)
        for t in m.types or []:
            _add(fields["types"], t, t, m, g, order)
        if m.date:
            approx = not (m.evidence_spans or {}).get("date")
            _add(fields["date"], (m.date, m.date_precision), m.date, m, g, order, precision=m.date_precision,
                 approximate=approx)
        if m.place or m.place_id:
            _add(fields["place"], m.place_id or fold_name(m.place or ""), m.place, m, g, order, written=m.place,
                 place_id=m.place_id)
        if m.country:
            _add(fields["country"], m.country, m.country, m, g, order)
        if m.origin_country:
            _add(fields["origin_country"], m.origin_country, m.origin_country, m, g, order)
        persons, initials, orgs, grps = parties_of(m.targets or [])
        for party in (*persons, *orgs, *grps):
            key = _party_cluster(party_clusters, party, ident)
            _add(fields["targets"], key, party.name, m, g, order, written=party.name, kind=party.kind,
                 count=party.count, nationality=party.nationality)
        for party in initials:
            _add(fields["targets"], ("initial", fold_name(party.name)), party.name, m, g, order, kind="person")
        for p in m.perpetrators or []:
            if isinstance(p, dict) and p.get("name"):
                _add(fields["perpetrators"], (_perp_key(str(p["name"])), p.get("country")), p["name"], m, g, order,
                     written=str(p["name"]), country=p.get("country"))
        for law in m.legal_basis or []:
            digits = tuple(re.findall(r"\d+", str(law)))
            _add(fields["legal_basis"], digits or fold_name(str(law)), law, m, g, order, written=str(law))
        if m.outcome:
            _add(fields["outcome"], fold_name(m.outcome), m.outcome, m, g, order)
    for value in fields["targets"].values():  # show the most written form of each party
        if value.written:
            value.display = sorted(value.written.items(), key=lambda x: (-x[1], x[0]))[0][0]
    for value in fields["perpetrators"].values():
        if value.written:
            value.display = sorted(value.written.items(), key=lambda x: (-x[1], x[0]))[0][0]

    dates = fields["date"]

    def date_rank(key: Any, v: _Value) -> tuple[Any, ...]:
        # Sources whose date is compatible with this one (a month supports its days), then precision.
        date, precision = key
        window = date_window(date, precision, approximate=False)
        support: set[int] = set()
        for (d2, p2), v2 in dates.items():
            w2 = date_window(d2, p2, approximate=False)
            if None not in window and None not in w2 and w2[0] <= window[0] and window[1] <= w2[1]:  # type: ignore[operator]
                support |= v2.sources
        return (-len(support | v.sources), bool(v.extra.get("approximate")),
                PRECISION_RANK.get(precision or "year", 3))

    values = {
        "types": _entries(fields["types"], reports),
        "date": _entries(dates, reports, date_rank),
        "place": _entries(fields["place"], reports),
        "country": _entries(fields["country"], reports),
        "origin_country": _entries(fields["origin_country"], reports),
        "targets": _entries(fields["targets"], reports),
        "perpetrators": _entries(fields["perpetrators"], reports),
        "legal_basis": _entries(fields["legal_basis"], reports),
        "outcome": _entries(fields["outcome"], reports),
    }
    # The incident's types: those told by at least half as many independent sources as the best-told
    # one (a type only one of five outlets mentions stays in the values, not in the headline).
    top = max((e["sources"] for e in values["types"]), default=0)
    incident.types = sort_types([e["value"] for e in values["types"] if 2 * e["sources"] >= top])
    if values["date"]:
        best = values["date"][0]
        incident.date, incident.date_precision = best["value"], best["precision"]
        parsed = parse_partial_date(best["value"])
        incident.date_start = parsed[0] if parsed else None
    else:
        incident.date = incident.date_precision = None
        incident.date_start = None
    incident.country = values["country"][0]["value"] if values["country"] else None
    incident.origin_country = values["origin_country"][0]["value"] if values["origin_country"] else None
    place_ids = [e for e in values["place"] if e.get("place_id")]
    incident.place_id = place_ids[0]["place_id"] if place_ids else None
    sources = []
    for rid in sorted({m.report_id for m in members}, key=lambda r: (reports[r].published or "", r)):
        info = reports[rid]
        sources.append({"report_id": rid, "source_id": info.source_id, "outlet": info.outlet, "url": info.url,
                        "published": info.published, "language": info.language, "copy_of_id": info.copy_of_id,
                        "independent_source": groups.get(rid, rid)})
    incident.summary = {
        "place": values["place"][0]["value"] if values["place"] else None,
        "independent_sources": incident.independent_sources,
        "sources": sources,
        "values": values,
        "mentions": [mention_key(reports[m.report_id].content_hash, m.ordinal) for m in members],
    }


# ---------------------------------------------------------------------------- entry points


def prepare_mentions(session: Session, mentions: Sequence[models.Mention]) -> set[int]:
    """Places, actors and blocking keys of mentions not yet prepared. Returns the ids of other
    mentions whose actors changed (a report taught an alias) and that must be re-merged."""
    from kolokol.resolve.places import resolve_places

    if not mentions:
        return set()
    resolve_places(session, mentions)
    changed = resolve_actors(session, mentions)
    write_keys(session, mentions)
    if not changed:
        return set()
    ids = sorted(changed)
    out: set[int] = set()
    for chunk in _chunks(ids):
        out.update(session.scalars(select(models.MentionActor.mention_id)
                                   .join(models.Mention, models.Mention.id == models.MentionActor.mention_id)
                                   .where(models.MentionActor.actor_id.in_(chunk), models.Mention.current.is_(True))))
    return out


def merge_session(session: Session, extra_seeds: Iterable[int] = ()) -> int:
    """Merge within an open transaction: prepare new mentions, re-cluster every component touched by
    a new mention, a re-extraction, an alias change or `extra_seeds`. Returns the incident count."""
    unprepared = list(session.scalars(
        select(models.Mention).where(models.Mention.current.is_(True),
                                     ~exists().where(models.MentionKey.mention_id == models.Mention.id,
                                                     models.MentionKey.key == KEYS_VERSION))
        .order_by(models.Mention.id)))
    seeds: set[int] = {m.id for m in unprepared} | set(extra_seeds)
    for chunk in _chunks(unprepared, 200):
        seeds |= prepare_mentions(session, chunk)
    seeds.update(session.scalars(select(models.Mention.id).where(models.Mention.current.is_(True),
                                                                 models.Mention.incident_id.is_(None))))
    dirty = sorted(set(session.scalars(select(models.Mention.incident_id).where(
        models.Mention.current.is_(False), models.Mention.incident_id.is_not(None)).distinct())))
    for chunk in _chunks(dirty):
        seeds.update(session.scalars(select(models.Mention.id).where(models.Mention.incident_id.in_(chunk),
                                                                     models.Mention.current.is_(True))))
    left = recompute(session, seeds)
    session.execute(update(models.Mention).where(models.Mention.current.is_(False),
                                                 models.Mention.incident_id.is_not(None))
                    .values(incident_id=None))
    session.flush()
    _drop_empty(session, left | set(dirty))
    return int(session.scalar(select(func.count()).select_from(models.Incident)) or 0)


def _drop_empty(session: Session, ids: Iterable[int]) -> None:
    """Incidents left with no current mention and no human work are machine leftovers."""
    for chunk in _chunks(sorted(set(ids))):
        for inc in list(session.scalars(select(models.Incident).where(models.Incident.id.in_(chunk)))):
            alive = session.scalar(select(func.count()).select_from(models.Mention)
                                   .where(models.Mention.incident_id == inc.id, models.Mention.current.is_(True)))
            if not alive and not _has_human_work(session, inc):
                session.delete(inc)
    session.flush()


def merge_pending(db: Database) -> int:
    """Attach every new or re-extracted mention to an incident, re-clustering only the components it
    touches. Returns the number of incidents afterwards."""
    with db.session() as s:
        return merge_session(s)


# ---------------------------------------------------------------------------- analysts' merges and splits


def _set_decision(session: Session, a: str, b: str, same: bool, user_id: int | None) -> None:
    first, second = _pair(a, b)
    row = session.scalar(select(models.MergeDecision).where(models.MergeDecision.mention_a == first,
                                                            models.MergeDecision.mention_b == second))
    if row is None:
        session.add(models.MergeDecision(mention_a=first, mention_b=second, same=same, user_id=user_id))
    else:
        row.same, row.user_id = same, user_id


def _members(session: Session, incident_id: int) -> list[models.Mention]:
    if session.get(models.Incident, incident_id) is None:
        raise NotFound(f"no incident with id {incident_id}", hint="see `kolokol export --format incidents-jsonl`")
    return list(session.scalars(select(models.Mention).where(models.Mention.incident_id == incident_id,
                                                             models.Mention.current.is_(True))
                                .order_by(models.Mention.id)))


def _key_of(m: models.Mention) -> str:
    return mention_key(m.report.content_hash, m.ordinal)


def merge_incidents(db: Database, first: int, second: int, *, user_id: int | None = None) -> models.Incident:
    """An analyst says two incidents are one act. Recorded as must-links between their mentions (by
    stable key), so no re-run or re-extraction undoes it; the result is locked."""
    if first == second:
        raise KolokolError("cannot merge an incident with itself", code="merge")
    with db.session() as s:
        members = _members(s, first) + _members(s, second)
        if not members:
            raise KolokolError("these incidents have no current mentions to merge", code="merge")
        keys = sorted({_key_of(m) for m in members})
        for k in keys[1:]:
            _set_decision(s, keys[0], k, True, user_id)
        s.flush()
        s.add(models.ReviewEvent(incident_id=first, user_id=user_id, action="merge",
                                 details={"incidents": [first, second], "mentions": len(keys)}))
        merge_session(s, [m.id for m in members])
        anchor = min(members, key=_key_of)
        s.refresh(anchor)
        result = s.get(models.Incident, anchor.incident_id)
        assert result is not None
        result.locked = True
        return result


def split_incident(db: Database, incident_id: int, mention_ids: Sequence[int], *,
                   user_id: int | None = None) -> tuple[models.Incident, models.Incident]:
    """An analyst says some mentions of an incident are another act: cannot-links between the two
    parts, must-links within each (by stable key); both results are locked."""
    with db.session() as s:
        members = _members(s, incident_id)
        chosen = {m.id for m in members if m.id in set(mention_ids)}
        unknown = set(mention_ids) - {m.id for m in members}
        if unknown:
            raise KolokolError(f"mention(s) {', '.join(map(str, sorted(unknown)))} are not in incident {incident_id}",
                               code="split", hint="see the incident's mentions in `kolokol export --format jsonl`")
        part_a = sorted(_key_of(m) for m in members if m.id in chosen)
        part_b = sorted(_key_of(m) for m in members if m.id not in chosen)
        if not part_a or not part_b:
            raise KolokolError("a split needs mentions on both sides", code="split")
        in_b = set(part_b)
        for row in list(s.scalars(select(models.MergeDecision).where(models.MergeDecision.same.is_(True)))):
            if (row.mention_a in part_a and row.mention_b in in_b) or (row.mention_b in part_a
                                                                       and row.mention_a in in_b):
                s.delete(row)
        s.flush()
        for a in part_a:
            for b in part_b:
                _set_decision(s, a, b, False, user_id)
        for part in (part_a, part_b):
            for k in part[1:]:
                _set_decision(s, part[0], k, True, user_id)
        s.flush()
        s.add(models.ReviewEvent(incident_id=incident_id, user_id=user_id, action="split",
                                 details={"incident": incident_id, "moved": len(part_a), "kept": len(part_b)}))
        merge_session(s, [m.id for m in members])
        out = []
        for part in (part_a, part_b):
            anchor = next(m for m in members if _key_of(m) == part[0])
            s.refresh(anchor)
            inc = s.get(models.Incident, anchor.incident_id)
            assert inc is not None
            inc.locked = True
            out.append(inc)
        return out[0], out[1]


def reindex_keys(db: Database) -> int:
    """Rebuild every mention's blocking keys (after a new blind-index key)."""
    with db.session() as s:
        mentions = list(s.scalars(select(models.Mention).where(models.Mention.current.is_(True))))
        for chunk in _chunks(mentions, 500):
            write_keys(s, chunk)
        return len(mentions)
