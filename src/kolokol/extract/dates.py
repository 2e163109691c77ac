r"""The date step of extraction: find date expressions in English and Russian and resolve them.

Every expression becomes a `DateMention` with a calendar date and a precision (`day`, `week`,
`month`, `year`; a `week` date is the Monday of its 7-day window), resolved against the
publication date or, for anaphoric expressions ("the next day", "через два дня"), against the last
date already told before it in the text.

How it works, and why:
- One pass over the words of the lower-cased text (same offsets); a compiled pattern is tried only
  where one of its trigger words (a month, a weekday, a season, the first word of a relative phrase)
  or a number starts. Trying every pattern at every position was ~40x slower.
- Context that decides whether a candidate is a date ("in 2022" vs "USD 2023", "in May" vs "May")
  is read with small anchored look-back searches over a few characters before the candidate.
- Every quantifier is bounded (`\s{1,3}`, `\d{1,2}`) and no group repeats, so there is no
  catastrophic backtracking on hostile input.
- Overlapping candidates keep the longest; then they are resolved left to right, so each
  anaphoric expression sees the dates resolved before it (chains work).
- Coarse anchors (a month-precise publication date, "in March ... two days later") are shifted from
  the middle of their window and the result is never finer than the anchor.
- Both languages' patterns always run (reports quote across scripts); `lang` only decides how an
  ambiguous slashed date is read (English: month first; Russian: day first).

Choices for vague expressions (see also lexicon/dates.yaml, where the vocabulary lives):
- "in recent days", "на днях", "the past week": week precision, the week of publication - 3 days.
- "in recent weeks", "в последние недели": month precision, the month of publication - 7 days.
- "last spring/summer/fall/winter": the latest such season already over at publication, as the
  month it starts (spring 3, summer 6, autumn 9, winter 12); "winter 2022" is January 2022.
- "last weekend", "на выходных": the Saturday before publication, day precision.
- "last December": the latest December before the publication month.
- "накануне" alone: the day before the last date told, else before publication.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from kolokol.domain import PRECISION_RANK, DateMention, Precision, Span
from kolokol.lexicon import load_lexicon

# A date without a year that would fall this many days after the publication date is taken to be
# in the previous year ("December 28" in a report of 5 January).
MAX_DAYS_AHEAD = 62
LOOKBACK = 40  # characters before a candidate searched for its context words
_SP = r"\s{1,3}"

Resolved = tuple[dt.date, Precision]


@dataclass(frozen=True, slots=True)
class _Pub:
    """The publication date and what it allows."""

    value: dt.date
    precision: Precision

    @property
    def anchor(self) -> Resolved:
        return (self.value, self.precision)

    @property
    def end(self) -> dt.date:
        return window_end(self.value, self.precision)


# Resolves a candidate given the publication date and the last date told before it.
Resolver = Callable[[_Pub | None, Resolved | None], Resolved | None]


@dataclass(slots=True)
class _Cand:
    start: int
    end: int
    rule: str
    resolve: Resolver
    uses_prev: bool = False
    next_anchor: bool = False  # "two days after March 3": the date right after is the anchor
    shift: tuple[str, int] | None = None  # (unit, signed amount) of "two days after", to re-anchor it
    own_year: bool = False  # the expression writes its year ("17 February 2025", "in 2025")
    yearless: tuple[int, int | None] | None = None  # (month, day) of a date written without a year
    weekday: int | None = None  # a bare weekday ("в субботу", "on Saturday"), Monday = 0


# ---------------------------------------------------------------------------------------------
# Calendar arithmetic


def _truncate(d: dt.date, precision: str) -> dt.date:
    if precision == "week":
        return d - dt.timedelta(days=d.weekday())
    if precision == "month":
        return d.replace(day=1)
    if precision == "year":
        return d.replace(month=1, day=1)
    return d


def _window_mid(d: dt.date, precision: str) -> dt.date:
    """The middle of a coarse date's window: shifting from it stays inside the right window."""
    if precision == "week":
        return _truncate(d, "week") + dt.timedelta(days=3)
    if precision == "month":
        return d.replace(day=15)
    if precision == "year":
        return d.replace(month=7, day=1)
    return d


def window_end(d: dt.date, precision: str) -> dt.date:
    """The last day a date of that precision may stand for ("2024-07" is any day of July)."""
    if precision == "week":
        return _truncate(d, "week") + dt.timedelta(days=6)
    if precision == "month":
        return d.replace(day=calendar.monthrange(d.year, d.month)[1])
    if precision == "year":
        return d.replace(month=12, day=31)
    return d


def _coarser(a: str, b: str) -> Precision:
    return a if PRECISION_RANK[a] >= PRECISION_RANK[b] else b  # type: ignore[return-value]


def _shift(d: dt.date, unit: str, n: int) -> dt.date | None:
    try:
        if unit == "day":
            return d + dt.timedelta(days=n)
        if unit == "week":
            return d + dt.timedelta(weeks=n)
        months = d.year * 12 + d.month - 1 + (n * 12 if unit == "year" else n)
        year, month = divmod(months, 12)
        day = min(d.day, calendar.monthrange(year, month + 1)[1])
        return dt.date(year, month + 1, day)
    except (OverflowError, ValueError):
        return None


def _shift_anchor(anchor: Resolved, unit: str, n: int, precision: str) -> Resolved | None:
    value, anchor_precision = anchor
    out_precision = _coarser(precision, anchor_precision)
    shifted = _shift(_window_mid(value, anchor_precision), unit, n)
    return None if shifted is None else (_truncate(shifted, out_precision), out_precision)


def _make_date(year: int, month: int, day: int = 1) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _infer_year(pub: _Pub, month: int, day: int = 1) -> int:
    """The publication year, or the year before when that would put the date well after it."""
    year = pub.value.year
    first = dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))
    if first > pub.end + dt.timedelta(days=MAX_DAYS_AHEAD):
        year -= 1
    return year


def _weekday_before(pub: _Pub | None, weekday: int, mode: str) -> Resolved | None:
    """Latest such weekday on or before publication ("last": strictly before; "next": after)."""
    if pub is None or pub.precision != "day":
        return None  # a weekday needs to know the publication day
    if mode == "next":
        ahead = (weekday - pub.value.weekday()) % 7 or 7
        return (pub.value + dt.timedelta(days=ahead), "day")
    back = (pub.value.weekday() - weekday) % 7
    if mode in ("last", "before_last") and back == 0:
        back = 7
    if mode == "before_last":
        back += 7  # "в позапрошлую среду"
    return (pub.value - dt.timedelta(days=back), "day")


def _season(pub: _Pub | None, month: int, mode: str | None, year: int | None) -> Resolved | None:
    """Month-precise start of a season: given a year, relative ("last", "this") or bare."""
    if year is not None:
        # "winter 2022" names the calendar-year part of the winter: January of that year.
        return (dt.date(year, 1 if month == 12 else month, 1), "month")
    if pub is None:
        return None
    if mode in ("last", "before_last"):
        # The latest season of that name that was over before publication ("позапрошлой весной":
        # the one before it).
        for y in range(pub.value.year, pub.value.year - 3, -1):
            start = dt.date(y, month, 1)
            end = _shift(start, "month", 3)
            if end is not None and end <= pub.value:
                return (start.replace(year=y - 1) if mode == "before_last" else start, "month")
        return None
    if mode == "next":
        for y in range(pub.value.year, pub.value.year + 3):
            start = dt.date(y, month, 1)
            if start > pub.value:
                return (start, "month")
        return None
    return (dt.date(_infer_year(pub, month), month, 1), "month")


# ---------------------------------------------------------------------------------------------
# Vocabulary and compiled patterns (built once per process)


def _phrase(words: str) -> str:
    """Regex for a phrase: escaped words, any short run of whitespace between them."""
    return _SP.join(re.escape(w) for w in words.split())


def _alternation(phrases: Iterable[str]) -> str:
    # Longest first, so "the day before yesterday" wins over "the day before".
    return "|".join(_phrase(p) for p in sorted(set(phrases), key=lambda p: (-len(p), p)))


def _context(phrases: Iterable[str], rel: Iterable[str] = (), allow_the: bool = False) -> re.Pattern[str]:
    """A look-back pattern: one of the context words right before a candidate (search with endpos)."""
    parts = []
    for p in sorted(set(phrases), key=lambda p: (-len(p), p)):
        parts.append(_phrase(p) + (r"\s{0,3}" if p.endswith("-") else _SP))
    alternatives = f"(?:{'|'.join(parts)})"
    if rel:
        alternatives = f"(?:(?P<rel>{_alternation(rel)}){_SP}|{alternatives})"
    the = rf"(?:the{_SP})?" if allow_the else ""
    return re.compile(rf"(?<![\w-]){alternatives}{the}\Z", re.IGNORECASE)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass(slots=True)
class _Lexicon:
    en_month: dict[str, int]
    en_abbrev: set[str]
    en_weekday: dict[str, int]
    en_season: dict[str, int]
    en_number: dict[str, int]
    en_unit: dict[str, str]
    en_direction: dict[str, str]
    en_rel: dict[str, str]
    en_count_nouns: set[str]
    en_year_nouns: set[str]
    en_weekday_blockers: re.Pattern[str]
    en_month_ctx: re.Pattern[str]
    en_year_ctx: re.Pattern[str]
    en_season_ctx: re.Pattern[str]
    ru_month: dict[str, tuple[int, str]]
    ru_weekday: dict[str, int]
    ru_season: dict[str, int]
    ru_number: dict[str, int]
    ru_ordinal_day: dict[str, int]
    ru_ordinal_tens: dict[str, int]
    ru_unit: dict[str, tuple[str, bool]]
    ru_direction: dict[str, str]
    ru_rel: dict[str, str]
    ru_month_ctx: re.Pattern[str]
    ru_year_ctx: re.Pattern[str]
    ru_weekday_ctx: re.Pattern[str]
    ru_season_ctx: re.Pattern[str]
    ru_eve_followers: set[str]
    relative: dict[str, dict[str, Any]]  # normalised phrase -> entry (with its key)
    scanners: list[_Scanner]
    by_word: dict[str, list[_Scanner]]  # trigger word -> scanners to try there
    by_number: list[_Scanner]  # scanners to try where a number starts


@cache
def _lexicon() -> _Lexicon:
    data = load_lexicon("dates.yaml")
    en, ru = data["en"], data["ru"]
    en_month = {n: int(k) for k, names in en["months"].items() for n in names}
    en_abbrev = {n for names in en["months"].values() for n in names[1:]}
    ru_month = {
        n: (int(k), form) for k, forms in ru["months"].items() for form, names in forms.items() for n in names
    }
    ru_weekday = {n: i for i, names in enumerate(ru["weekdays"]) for n in names}
    relative: dict[str, dict[str, Any]] = {}
    for key, entry in data["relative"].items():
        for lang in ("en", "ru"):
            for p in entry.get(lang, []):
                relative[_norm(p)] = {**entry, "key": key}
    ru_rel_alt = _alternation(ru["relative_words"])
    lex = _Lexicon(
        en_month=en_month,
        en_abbrev=en_abbrev,
        en_weekday={n: i for i, n in enumerate(en["weekdays"])},
        en_season=dict(en["seasons"]),
        en_number={_norm(k): v for k, v in en["numbers"].items()},
        en_unit=dict(en["units"]),
        en_direction={_norm(k): v for k, v in en["directions"].items()},
        en_rel={_norm(k): v for k, v in en["relative_words"].items()},
        en_count_nouns=set(en["count_nouns"]),
        en_year_nouns=set(en["year_nouns"]),
        en_weekday_blockers=_context(en["weekday_blockers"]),
        en_month_ctx=_context(en["month_context"], en["relative_words"]),
        en_year_ctx=_context(en["year_context"]),
        en_season_ctx=_context(en["season_context"], en["relative_words"], allow_the=True),
        ru_month=ru_month,
        ru_weekday=ru_weekday,
        ru_season=dict(ru["seasons"]),
        ru_number=dict(ru["numbers"]),
        ru_ordinal_day=dict(ru.get("ordinal_days") or {}),
        ru_ordinal_tens=dict(ru.get("ordinal_tens") or {}),
        ru_unit={k: (v[0], bool(v[1])) for k, v in ru["units"].items()},
        ru_direction=dict(ru["directions"]),
        ru_rel=dict(ru["relative_words"]),
        ru_month_ctx=_context(ru["month_context"]),
        ru_year_ctx=_context(ru["year_context"]),
        # "в среду", "в прошлую пятницу", "в ночь на субботу", "в ночь с пятницы на субботу"
        ru_weekday_ctx=re.compile(
            rf"(?<![\w-])(?:во?{_SP}(?:(?P<rel>{ru_rel_alt}){_SP})?|ночь{_SP}(?:с{_SP}\w{{1,15}}{_SP})?на{_SP})\Z",
            re.IGNORECASE,
        ),
        ru_season_ctx=re.compile(rf"(?<![\w-])(?P<rel>{ru_rel_alt}){_SP}\Z", re.IGNORECASE),
        ru_eve_followers=set(ru["eve_followers"]),
        relative=relative,
        scanners=[],
        by_word={},
        by_number=[],
    )
    lex.scanners = _build_scanners(lex)
    for scanner in lex.scanners:
        if scanner.triggers is None or scanner.numbers:
            lex.by_number.append(scanner)
        for word in scanner.triggers or ():
            lex.by_word.setdefault(word, []).append(scanner)
    return lex


def _cased(names: Iterable[str]) -> str:
    """English names as written in prose and in headlines: 'March' and 'MARCH'."""
    variants = {v for n in names for v in (n, n.upper())}
    return "|".join(re.escape(v) for v in sorted(variants, key=lambda v: (-len(v), v)))


def _first_words(phrases: Iterable[str]) -> set[str]:
    return {_norm(p).split()[0].rstrip("-").rstrip(".") for p in phrases}


@dataclass(frozen=True, slots=True)
class _Scanner:
    """A pattern tried only where one of its trigger words starts (`triggers` None: a number)."""

    pattern: re.Pattern[str]
    scan: Callable[..., Iterator[_Cand]]
    triggers: frozenset[str] | None
    on_lower: bool  # matched against the lower-cased text (same offsets) rather than the text
    numbers: bool = False  # also tried where a number starts


def _build_scanners(lex: _Lexicon) -> list[_Scanner]:
    ordinal = r"(?:st|nd|rd|th)?"
    year = r"(?P<year>(?:19|20)\d\d)(?![\d]|[.,]\d)"
    en_month = rf"(?P<mon>{_cased(lex.en_month)})(?![A-Za-z])\.?"
    en_year_part = rf"(?:(?:,\s{{0,3}}|{_SP}){year}|{_SP}(?:of{_SP})?(?P<yrel>last|this|next){_SP}year\b)?"
    en_range = (
        rf"(?:\s{{0,2}}[-–—]\s{{0,2}}(?P<day2>\d{{1,2}}){ordinal}(?!\d)"
        rf"|{_SP}(?:to|through|until|and){_SP}(?P<day2b>\d{{1,2}}){ordinal}(?![\d,]))"
    )
    ru_range = (rf"(?:\s{{0,2}}[-–—]\s{{0,2}}(?P<day2>\d{{1,2}})(?!\d)"
                rf"|{_SP}(?:по|и|до|на){_SP}(?P<day2b>\d{{1,2}})(?!\d))")
    ru_gen = [n for n, (_, form) in lex.ru_month.items() if form == "gen"]
    ru_year_part = (
        rf"(?:{_SP}{year}(?:\s{{0,2}}(?:года|году|год|г\.|г(?![а-яё])))?"
        rf"|{_SP}(?P<yrel>{_alternation(RU_YEAR_REL)}){_SP}года)?"
    )
    no_ru = r"(?![а-яё])"
    en_numbers = _alternation(lex.en_number)
    ru_numbers = _alternation(lex.ru_number)
    ru_units = _alternation(lex.ru_unit)
    en_months = _first_words(lex.en_month)
    scanners = [
        # 2023-02-24, 24.02.2023, 02/24/2023
        _Scanner(
            re.compile(
                r"(?P<iy>(?:19|20)\d\d)-(?P<im>[01]?\d)-(?P<id>[0-3]?\d)(?![\d]|[.\-/]\d)"
                r"|(?P<dd>[0-3]?\d)\.(?P<dm>[01]?\d)\.(?P<dy>(?:19|20)\d\d)(?![\d]|[.\-/]\d)"
                r"|(?P<s1>[0-3]?\d)/(?P<s2>[0-3]?\d)/(?P<sy>(?:19|20)\d\d)(?![\d]|[.\-/]\d)"
            ),
            _scan_numeric, None, False,
        ),
        # 27.04, 10.06.26: a chronicle's day and month, with a two-digit year or none
        _Scanner(
            re.compile(r"(?<![\d.,/:-])(?P<sd>[0-3]\d)\.(?P<sm>[01]\d)(?:\.(?P<syy>\d\d))?(?![\d]|[.,:/-]\d)"),
            _scan_short_numeric, None, False,
        ),
        # March 7, Feb. 24, 2023, June 2-5, February 2023, (in) December
        _Scanner(
            re.compile(rf"{en_month}(?:{_SP}(?P<day>\d{{1,2}}){ordinal}(?!\d|[.,:]\d){en_range}?)?{en_year_part}"),
            _scan_en_month, frozenset(en_months), False,
        ),
        # 7 March, 24 February 2023, from 2 to 5 June, 21st of February
        _Scanner(
            re.compile(rf"(?P<day>\d{{1,2}}){ordinal}{en_range}?{_SP}(?:of{_SP})?{en_month}{en_year_part}"),
            _scan_en_day_month, None, False,
        ),
        # 7 марта 2023 г., со 2 по 5 июня, 24 февраля прошлого года
        _Scanner(
            re.compile(
                rf"(?P<day>\d{{1,2}})(?:-?го)?{ru_range}?{_SP}(?P<mon>{_alternation(ru_gen)}){no_ru}{ru_year_part}"
            ),
            _scan_ru_day_month, None, True,
        ),
        # третьего февраля, двадцать пятого мая 2024 года
        _Scanner(
            re.compile(
                rf"(?:(?P<tens>{_alternation(lex.ru_ordinal_tens)}){_SP})?(?P<ord>{_alternation(lex.ru_ordinal_day)})"
                rf"{_SP}(?P<mon>{_alternation(ru_gen)}){no_ru}{ru_year_part}"
            ),
            _scan_ru_ordinal_day, frozenset(lex.ru_ordinal_day) | frozenset(lex.ru_ordinal_tens), True,
        ),
        # в марте, в декабре 2022 года, с марта, январь 2023
        _Scanner(
            re.compile(rf"(?P<mon>{_alternation(lex.ru_month)}){no_ru}{ru_year_part}"),
            _scan_ru_month, frozenset(lex.ru_month), True,
        ),
        # in 2022, since 2020, в 2019 году, 2019-2021 гг.
        _Scanner(
            re.compile(
                r"(?P<year>(?:19|20)\d\d)(?!\d)(?P<rng>\s{0,2}[-–—]\s{0,2}(?:(?:19|20)\d\d|\d\d)(?!\d))?"
                r"(?P<ru>\s{0,2}(?:-(?:м|го|й)|год(?:у|а|ов|ах|ы)?|гг?\.?)(?![а-яё]))?"
            ),
            _scan_year, None, True,
        ),
        # on Tuesday, last Friday, Monday's raid
        _Scanner(
            re.compile(rf"(?P<wd>{_cased(lex.en_weekday)})(?![A-Za-z])"),
            _scan_en_weekday, frozenset(_first_words(lex.en_weekday)), False,
        ),
        # в понедельник, в прошлую пятницу
        _Scanner(
            re.compile(rf"(?P<wd>{_alternation(lex.ru_weekday)}){no_ru}"),
            _scan_ru_weekday, frozenset(lex.ru_weekday), True,
        ),
        # last spring, in the summer of 2022, this fall
        _Scanner(
            re.compile(rf"(?P<season>{_alternation(lex.en_season)})(?![a-z])"
                       rf"(?:{_SP}(?:of{_SP})?{year}|{_SP}(?:of{_SP})?(?P<yrel>last|this){_SP}year\b)?"),
            _scan_en_season, frozenset(lex.en_season), True,
        ),
        # весной 2022 года, прошлой осенью, летом
        _Scanner(
            re.compile(rf"(?P<season>{_alternation(lex.ru_season)}){no_ru}{ru_year_part}"),
            _scan_ru_season, frozenset(lex.ru_season), True,
        ),
        # two days later, 15 days after, 3 weeks ago
        _Scanner(
            re.compile(
                rf"(?P<n>\d{{1,3}}|{en_numbers})[\s-]{{1,3}}(?P<unit>{_alternation(lex.en_unit)})(?![a-z])"
                rf"{_SP}(?P<dir>{_alternation(lex.en_direction)})(?![a-z])"
            ),
            _scan_en_offset, frozenset(_first_words(lex.en_number)), True, True,
        ),
        # через два дня, спустя неделю, три дня назад, год спустя
        _Scanner(
            re.compile(
                rf"(?:(?P<pre>через|спустя){_SP}(?:(?P<n>\d{{1,3}}|{ru_numbers}){_SP})?(?P<unit>{ru_units})"
                rf"|(?:(?P<n2>\d{{1,3}}|{ru_numbers}){_SP})?(?P<unit2>{ru_units}){_SP}(?P<dir>назад|спустя)"
                # "за два дня до задержания": only with "до" after it ("за два дня" alone is a duration)
                rf"|за{_SP}(?:(?P<n3>\d{{1,3}}|{ru_numbers}){_SP})?(?P<unit3>{ru_units})(?={_SP}до(?![^\W\d_])))"
                rf"{no_ru}"
            ),
            _scan_ru_offset, frozenset({"через", "спустя", "за", *lex.ru_number, *lex.ru_unit}), True, True,
        ),
    ]
    # yesterday, last week, the following day, на прошлой неделе, в тот же день: one pattern per
    # first word, so a frequent word ("the", "в") only tries the few phrases that start with it.
    by_first: dict[str, list[str]] = {}
    for phrase in lex.relative:
        by_first.setdefault(phrase.split()[0], []).append(phrase)
    for first, phrases in by_first.items():
        pattern = re.compile(f"(?:{_alternation(phrases)})(?![^\\W_])")
        scanners.append(_Scanner(pattern, _scan_relative, frozenset({first}), True))
    return scanners


RU_YEAR_REL = {"прошлого": "last", "минувшего": "last", "этого": "this", "текущего": "this",
               "нынешнего": "this", "следующего": "next", "позапрошлого": "before_last"}


# ---------------------------------------------------------------------------------------------
# Small helpers for scanners


def _glued_left(text: str, start: int) -> bool:
    """True when the candidate starts inside a word ("Remarch") or a longer number ("1.24.02")."""
    if start == 0:
        return False
    prev = text[start - 1]
    if prev.isalnum() or prev == "_":
        return True
    return prev in ".,/-:" and start >= 2 and text[start - 2].isdigit()


def _next_word(text: str, pos: int) -> str:
    m = _NEXT_WORD.match(text, pos)
    return m.group(1) if m else ""


_TOKEN = re.compile(r"[^\W_]+")
_NEXT_WORD = re.compile(r"[\s\-]{0,3}([^\W\d_]{1,30})")
_PREV_WORD = re.compile(r"([^\W\d_]{1,30})\s{1,3}\Z")


def _lookback(pattern: re.Pattern[str], text: str, start: int) -> re.Match[str] | None:
    return pattern.search(text, max(0, start - LOOKBACK), start)


def _explicit(
    year: int | None, month: int, day: int | None, pub: _Pub | None, yrel: str | None
) -> Resolved | None:
    """A calendar date with or without its year; a missing year comes from the publication."""
    if year is None:
        if pub is None:
            return None
        shift = {"last": -1, "this": 0, "next": 1}
        year = pub.value.year + shift[yrel] if yrel else _infer_year(pub, month, day or 1)
    when = _make_date(year, month, day or 1)
    if when is None:
        return None
    return (when, "day" if day else "month")


def _yrel(value: str | None) -> str | None:
    if not value:
        return None
    v = value.lower()
    return RU_YEAR_REL.get(v, v)


def _explicit_ru(
    year: int | None, month: int, day: int | None, pub: _Pub | None, yrel: str | None
) -> Resolved | None:
    if yrel == "before_last":
        if pub is None:
            return None
        return _explicit(pub.value.year - 2, month, day, pub, None)
    return _explicit(year, month, day, pub, yrel)


def _const(value: Resolved | None) -> Resolver:
    return lambda pub, prev: value


def _lazy(fn: Callable[[_Pub | None], Resolved | None]) -> Resolver:
    return lambda pub, prev: fn(pub)


# ---------------------------------------------------------------------------------------------
# Scanners: each turns regex matches into candidates (start, end, rule, resolver)


def _scan_numeric(m: re.Match[str], text: str, lex: _Lexicon, lang: str) -> Iterator[_Cand]:
    if _glued_left(text, m.start()):
        return
    if m["iy"]:
        year, month, day, rule = int(m["iy"]), int(m["im"]), int(m["id"]), "iso"
    elif m["dy"]:
        year, month, day, rule = int(m["dy"]), int(m["dm"]), int(m["dd"]), "numeric_dmy"
    else:
        first, second, year = int(m["s1"]), int(m["s2"]), int(m["sy"])
        # Slashes: month first in English unless impossible, day first in Russian.
        month_first = (lang == "en" and first <= 12) or second > 12
        month, day = (first, second) if month_first else (second, first)
        rule = "numeric_slash"
    when = _make_date(year, month, day)
    if when is not None:
        yield _Cand(m.start(), m.end(), f"dates.{rule}.v1", _const((when, "day")), own_year=True)


# Before a number that is no date: an article ("ст. 20.2 КоАП", "Article 19.11"), a section, a sum.
_NOT_A_DAY_BEFORE = re.compile(r"(?:ст|ч|п|пп|статья|статьи|статье|статью|article|art|section|пункт\w*|§|№|no|"
                               r"версия|version|v)\.?\s*\Z", re.IGNORECASE)
_NOT_A_DAY_AFTER = re.compile(r"\s*(?:%|млн|млрд|тыс|руб|сом|тенге|долл|евро|\$|€|km|км|кг|kg|м\b|ч\b|часов|"
                              r"мин|УК|КоАП|Code|УПК|утра|вечера|ночи|a\.?m\.?|p\.?m\.?|GMT|UTC|мск)", re.IGNORECASE)


def _scan_short_numeric(m: re.Match[str], text: str, lex: _Lexicon, lang: str) -> Iterator[_Cand]:
    """"27.04 — запрос о выдаче", "10.06.26": a day and month written as digits, as chronicles and
    tables write them; the year is inferred when none is written (rule dates.numeric_day_month.v1)."""
    if _lookback(_NOT_A_DAY_BEFORE, text, m.start()) or _NOT_A_DAY_AFTER.match(text, m.end()):
        return
    day, month = int(m["sd"]), int(m["sm"])
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return
    year = 2000 + int(m["syy"]) if m["syy"] else None
    yield _Cand(m.start(), m.end(), "dates.numeric_day_month.v1",
                _lazy(lambda pub: _explicit(year, month, day, pub, None)), **_year_kind(year, month, day, None))


# "the last week of January", "в последнюю неделю января": a week of a month, told by its place in it.
WEEK_OF_MONTH_EN = re.compile(r"(?:the\s+)?(?P<nth>first|second|third|fourth|last|final)\s+week\s+of\s+\Z",
                              re.IGNORECASE)
WEEK_OF_MONTH_RU = re.compile(r"(?:в|на)\s+(?P<nth>перв|втор|трет|четв[её]рт|последн)\w*\s+недел[юие]\s+\Z",
                              re.IGNORECASE)
_NTH_WEEK = {"first": 1, "second": 2, "third": 3, "fourth": 4, "перв": 1, "втор": 2, "трет": 3, "четвёрт": 4,
             "четверт": 4}


def _week_of_month(resolved: Resolved | None, nth: str) -> Resolved | None:
    """The Monday of the nth (or last) week of a resolved month: the week holding its 4th, 11th, 18th or
    25th day, the last week the one holding its fourth-last day."""
    if resolved is None:
        return None
    first = resolved[0].replace(day=1)
    last_day = calendar.monthrange(first.year, first.month)[1]
    n = _NTH_WEEK.get(nth.lower())
    day = min(7 * n - 3, last_day) if n else last_day - 3
    when = first.replace(day=day)
    return (when - dt.timedelta(days=when.weekday()), "week")


def _scan_en_month(m: re.Match[str], text: str, lex: _Lexicon, lang: str) -> Iterator[_Cand]:
    start = m.start()
    if _glued_left(text, start):
        return
    mon = m["mon"]
    name = mon.rstrip(".")
    month = lex.en_month.get(name) or lex.en_month[name.title()]
    day = int(m["day"]) if m["day"] else None
    end = m.end()
    year = int(m["year"]) if m["year"] else None
    yrel = _yrel(m["yrel"])
    if day is None and (week := WEEK_OF_MONTH_EN.search(text, max(0, start - 30), start)) is not None:
        nth = week["nth"]
        yield _Cand(week.start(), end, "dates.week_of_month.v1",
                    _lazy(lambda pub: _week_of_month(_explicit(year, month, None, pub, yrel), nth)),
                    **_year_kind(year, month, None, yrel))
        return
    if day is not None and _next_word(text, m.end("day")).lower() in lex.en_count_nouns:
        # "in March 15 people were detained": the number counts people, it is not a day.
        day, year, yrel, end = None, None, None, m.end("mon")
    ctx = _lookback(lex.en_month_ctx, text, start)
    rel = lex.en_rel.get(_norm(ctx["rel"])) if ctx is not None and ctx["rel"] else None
    if day is None and year is None and yrel is None:
        # A bare month name is a date only in context ("in May", "last December"); never "Jan".
        if ctx is None or name.title() in lex.en_abbrev or (name.upper() == name and len(name) <= 4):
            return
        end = m.end("mon") - (1 if mon.endswith(".") else 0)
    if rel and day is None and year is None and yrel is None:
        start = ctx.start("rel")  # type: ignore[union-attr]
        yield _Cand(start, end, "dates.en_month.v1", _lazy(lambda pub: _month_rel(pub, month, rel)))
        return
    rule = "dates.en_month_day.v1" if day else "dates.en_month.v1"
    yield _Cand(start, end, rule, _lazy(lambda pub: _explicit(year, month, day, pub, yrel)),
                **_year_kind(year, month, day, yrel))


def _year_kind(year: int | None, month: int, day: int | None, yrel: str | None) -> dict[str, Any]:
    if year is not None:
        return {"own_year": True}
    return {"yearless": (month, day)} if yrel is None else {}


def _month_rel(pub: _Pub | None, month: int, rel: str) -> Resolved | None:
    """'last December': the latest December before the publication month; 'next March' after it."""
    if pub is None:
        return None
    year = pub.value.year
    if rel == "last":
        year = year if month < pub.value.month else year - 1
    elif rel == "next":
        year = year if month > pub.value.month else year + 1
    else:
        year = _infer_year(pub, month)
    return (dt.date(year, month, 1), "month")


NIGHT_BEFORE = re.compile(r"(?:night\s+of|ночь\s+с|ночь\s+со)\s*\Z", re.IGNORECASE)


def _night_end(m: re.Match[str], text: str) -> int | None:
    """"the night of 4 to 5 May", "в ночь с 4 на 5 мая": a night is dated by the morning it ends in."""
    second = m["day2"] or m["day2b"]
    if second and NIGHT_BEFORE.search(text[max(0, m.start() - 12):m.start()]):
        return int(second)
    return None


def _scan_en_day_month(m: re.Match[str], text: str, lex: _Lexicon, lang: str) -> Iterator[_Cand]:
    if _glued_left(text, m.start()):
        return
    name = m["mon"].rstrip(".")
    month = lex.en_month.get(name) or lex.en_month[name.title()]
    day = _night_end(m, text) or int(m["day"])
    year = int(m["year"]) if m["year"] else None
    yrel = _yrel(m["yrel"])
    end = m.end() - (1 if m.group().endswith(".") and not m["year"] and not yrel else 0)
    resolve = _lazy(lambda pub: _explicit(year, month, day, pub, yrel))
    yield _Cand(m.start(), end, "dates.en_day_month.v1", resolve, **_year_kind(year, month, day, yrel))


def _scan_ru_day_month(m: re.Match[str], text: str, lex: _Lexicon, lang: str) -> Iterator[_Cand]:
    if _glued_left(text, m.start()):
        return
    month = lex.ru_month[m["mon"].lower()][0]
    day = _night_end(m, text) or int(m["day"])
    year = int(m["year"]) if m["year"] else None
    yrel = _yrel(m["yrel"])
    yield _Cand(m.start(), m.end(), "dates.ru_day_month.v1",
                _lazy(lambda pub: _explicit_ru(year, month, day, pub, yrel)), **_year_kind(year, month, day, yrel))


def _scan_ru_ordinal_day(m: re.Match[str], text: str, lex: _Lexicon, lang: str) -> Iterator[_Cand]:
    if _glued_left(text, m.start()):
        return
    day = lex.ru_ordinal_day[m["ord"].lower()] + (lex.ru_ordinal_tens[m["tens"].lower()] if m["tens"] else 0)
    if day > 31:
        return
    month = lex.ru_month[m["mon"].lower()][0]
    year = int(m["year"]) if m["year"] else None
    yrel = _yrel(m["yrel"])
    yield _Cand(m.start(), m.end(), "dates.ru_ordinal_day.v1",
                _lazy(lambda pub: _explicit_ru(year, month, day, pub, yrel)), **_year_kind(year, month, day, yrel))


def _scan_ru_month(m: re.Match[str], text: str, lex: _Lexicon, lang: str) -> Iterator[_Cand]:
    if _glued_left(text, m.start()):
        return
    month, form = lex.ru_month[m["mon"].lower()]
    year = int(m["year"]) if m["year"] else None
    yrel = _yrel(m["yrel"])
    if form == "gen" and (week := WEEK_OF_MONTH_RU.search(text, max(0, m.start() - 30), m.start())) is not None:
        nth = week["nth"]
        yield _Cand(week.start(), m.end(), "dates.week_of_month.v1",
                    _lazy(lambda pub: _week_of_month(_explicit_ru(year, month, None, pub, yrel), nth)),
                    **_year_kind(year, month, None, yrel))
        return
    # Prepositional "в марте" is always a date; genitive "марта" needs "с", "до", "в начале"...;
    # nominative "март" needs a year.
    if year is None and yrel is None and (
        form == "nom" or (form == "gen" and _lookback(lex.ru_month_ctx, text, m.start()) is None)
    ) and not (form == "nom" and _TABLE_CELL.match(text, m.end())
               and _ROW_START.search(text, max(0, m.start() - 20), m.start())):
        return  # a month alone in a table row's first cell ("май | Екатеринбург | ...") is a date
    resolve = _lazy(lambda pub: _explicit_ru(year, month, None, pub, yrel))
    yield _Cand(m.start(), m.end(), "dates.ru_month.v1", resolve, **_year_kind(year, month, None, yrel))


_TABLE_CELL = re.compile(r"[ \t]*\|")
_ROW_START = re.compile(r"(?:^|\n)[ \t|]*\Z")


def _scan_year(m: re.Match[str], text: str, lex: _Lexicon, lang: str) -> Iterator[_Cand]:
    start, end = m.start(), m.end()
    if _glued_left(text, start):
        return
    after = text[end : end + 2]
    if after[:1] in {",", "."} and after[1:2].isdigit():
        return  # 2,023 or 2023.5: a number, not a year
    year = int(m["year"])
    if not m["ru"] and not _year_in_context(m, text, lex):
        return
    value = (dt.date(year, 1, 1), "year")
    yield _Cand(start, end, "dates.year.v1", _const(value), own_year=True)  # type: ignore[arg-type]


def _year_in_context(m: re.Match[str], text: str, lex: _Lexicon) -> bool:
    """A bare four-digit number is a year only after a context word or as 'the 2014 <Event>'."""
    start, end = m.start(), m.end()
    nxt = _next_word(text, end)
    if _lookback(lex.en_year_ctx, text, start) is not None:
        rest = text[end : end + 3].lstrip()
        return nxt.lower() not in lex.en_count_nouns and not rest.startswith("%")
    if _lookback(lex.ru_year_ctx, text, start) is not None:
        # "в 2000 километрах" is a distance: a Russian year with a preposition only before punctuation.
        rest = text[end : end + 4].lstrip()
        return not rest or rest[0] in ",.;:)!?»\"" or nxt.lower() in {"и", "по"}
    prev = _PREV_WORD.search(text, max(0, start - 10), start)
    if prev is not None and prev.group(1).lower() == "the" and nxt and m.end() == m.end("year"):
        return nxt[:1].isupper() or nxt.lower() in lex.en_year_nouns
    return False


def _scan_en_weekday(m: re.Match[str], text: str, lex: _Lexicon, lang: str) -> Iterator[_Cand]:
    start = m.start()
    if _glued_left(text, start) or _lookback(lex.en_weekday_blockers, text, start) is not None:
        return
    if _FOLLOWED_BY_DATE.match(text, m.end()) or _after_date(text, start):
        return  # "Tuesday, March 7": the explicit date that follows tells the day
    weekday = lex.en_weekday[m["wd"].title()]
    ctx = _lookback(lex.en_month_ctx, text, start)
    mode = lex.en_rel.get(_norm(ctx["rel"]), "on") if ctx is not None and ctx["rel"] else "on"
    if mode != "on":
        start = ctx.start("rel")  # type: ignore[union-attr]
    yield _Cand(start, m.end(), "dates.en_weekday.v1", _lazy(lambda pub: _weekday_before(pub, weekday, mode)),
                weekday=weekday if mode == "on" else None)


_FOLLOWED_BY_DATE = re.compile(r",?\s{1,3}(?:the\s{1,3})?\(?\d|,?\s{1,3}[A-Z][a-z]{2,8}\.?\s{1,3}\d")
# "2 июня, в воскресенье", "on March 7, a Tuesday": the explicit date before it tells the day.
_PRECEDED_BY_DATE = re.compile(r"(?:\d{1,2}\s+[^\W\d]{3,12}|[^\W\d]{3,9}\.?\s+\d{1,2})(?:\s+\d{4})?,?\s*"
                               r"(?:в|во|on|a)?\s*$")


def _after_date(text: str, start: int) -> bool:
    return _PRECEDED_BY_DATE.search(text[max(0, start - 30):start]) is not None


def _scan_ru_weekday(m: re.Match[str], text: str, lex: _Lexicon, lang: str) -> Iterator[_Cand]:
    start = m.start()
    if _glued_left(text, start):
        return
    ctx = _lookback(lex.ru_weekday_ctx, text, start)
    if ctx is None:
        return  # "среда" is also "environment": a weekday only after "в", "во", "в ночь на"
    if _FOLLOWED_BY_DATE.match(text, m.end()) or _after_date(text, start):
        return
    weekday = lex.ru_weekday[m["wd"].lower()]
    mode = lex.ru_rel.get(ctx["rel"].lower(), "on") if ctx["rel"] else "on"
    if mode == "this":
        mode = "on"
    if ctx["rel"]:
        start = ctx.start("rel")
    yield _Cand(start, m.end(), "dates.ru_weekday.v1", _lazy(lambda pub: _weekday_before(pub, weekday, mode)),
                weekday=weekday if mode == "on" else None)


def _scan_en_season(m: re.Match[str], text: str, lex: _Lexicon, lang: str) -> Iterator[_Cand]:
    start = m.start()
    if _glued_left(text, start):
        return
    season = m["season"].lower()
    month = lex.en_season[season]
    year = int(m["year"]) if m["year"] else None
    yrel = _yrel(m["yrel"])
    ctx = _lookback(lex.en_season_ctx, text, start)
    rel = lex.en_rel.get(_norm(ctx["rel"])) if ctx is not None and ctx["rel"] else None
    # "fall" is also a verb and a noun ("the fall of Kabul"): only "last fall", "this fall".
    if year is None and yrel is None and (ctx is None or (season == "fall" and rel is None)):
        return
    if rel and year is None and yrel is None:
        start = ctx.start("rel")  # type: ignore[union-attr]
    resolve = _lazy(lambda pub: _season_res(pub, month, rel, year, yrel))
    yield _Cand(start, m.end(), "dates.en_season.v1", resolve)


def _season_res(
    pub: _Pub | None, month: int, rel: str | None, year: int | None, yrel: str | None
) -> Resolved | None:
    if year is None and yrel is not None:
        if pub is None:
            return None
        year = pub.value.year + {"last": -1, "this": 0, "next": 1, "before_last": -2}[yrel]
    return _season(pub, month, rel if rel in ("last", "next", "before_last") else None, year)


def _scan_ru_season(m: re.Match[str], text: str, lex: _Lexicon, lang: str) -> Iterator[_Cand]:
    start = m.start()
    if _glued_left(text, start):
        return
    month = lex.ru_season[m["season"].lower()]
    year = int(m["year"]) if m["year"] else None
    yrel = _yrel(m["yrel"])
    ctx = _lookback(lex.ru_season_ctx, text, start)
    rel = lex.ru_rel.get(ctx["rel"].lower()) if ctx is not None else None
    if rel and year is None and yrel is None:
        start = ctx.start("rel")  # type: ignore[union-attr]
    resolve = _lazy(lambda pub: _season_res(pub, month, rel, year, yrel))
    yield _Cand(start, m.end(), "dates.ru_season.v1", resolve)


def _scan_relative(m: re.Match[str], text: str, lex: _Lexicon, lang: str) -> Iterator[_Cand]:
    start, end = m.start(), m.end()
    if _glued_left(text, start) or (end < len(text) and (text[end].isalnum() or text[end] == "_")):
        return
    phrase = _norm(m.group())
    entry = lex.relative[phrase]
    if entry.get("guard") == "eve" and phrase == "накануне" and not _eve_alone(text, end, lex):
        return
    rule = f"dates.{entry['key']}.v1"
    base = entry["base"]
    precision: str = entry["precision"]
    if entry.get("kind") == "weekday":
        weekday = int(entry["weekday"])
        yield _Cand(start, end, rule, _lazy(lambda pub: _weekday_before(pub, weekday, "last")))
        return
    unit, amount = entry["shift"][0], int(entry["shift"][1])
    fallback = entry.get("fallback") == "pub"

    def resolve(pub: _Pub | None, prev: Resolved | None) -> Resolved | None:
        anchor = (pub.anchor if pub else None) if base == "pub" else prev
        if anchor is None and fallback and pub is not None:
            anchor = pub.anchor
        return None if anchor is None else _shift_anchor(anchor, unit, amount, precision)

    next_anchor = bool(entry.get("next_anchor"))
    # "the day after the arrest", "на следующий день после задержания": anchored on the act it names.
    named_act = next_anchor and _names_act_after(text, start, end)
    yield _Cand(start, end, rule, resolve, uses_prev=base == "prev", next_anchor=next_anchor,
                shift=(unit, amount) if named_act else None)


_PAST_VERB = re.compile(r"\w+(?:л|ла|ло|ли|лся|лась|лось|лись)\Z")


def _eve_alone(text: str, end: int, lex: _Lexicon) -> bool:
    """'Накануне' means 'the day before' unless a noun follows ('накануне выборов')."""
    word = _next_word(text, end)
    between = text[end : end + 3]
    if not word or not between[:1].isspace() or word[:1].isupper():
        return True
    return word in lex.ru_eve_followers or _PAST_VERB.match(word) is not None


def _offset(unit: str, n: int, direction: str) -> tuple[str, Resolver]:
    """Shift by n units: 'ago' from the publication date, 'after'/'before' from the last date told."""
    precision = "day" if unit in ("day", "week") else unit
    sign = -1 if direction in ("ago", "before") else 1

    def resolve(pub: _Pub | None, prev: Resolved | None) -> Resolved | None:
        anchor = (pub.anchor if pub else None) if direction == "ago" else prev
        return None if anchor is None else _shift_anchor(anchor, unit, sign * n, precision)

    return ("ago" if direction == "ago" else "offset"), resolve


_FOR_BEFORE = re.compile(r"\bfor\s+\Z", re.IGNORECASE)


def _scan_en_offset(m: re.Match[str], text: str, lex: _Lexicon, lang: str) -> Iterator[_Cand]:
    if _glued_left(text, m.start()):
        return
    if _FOR_BEFORE.search(text, max(0, m.start() - 6), m.start()):
        return  # "held for three days before being granted bail": a duration, not a date
    raw = _norm(m["n"])
    n = int(raw) if raw.isdigit() else lex.en_number[raw]
    unit = lex.en_unit[m["unit"].lower()]
    direction = lex.en_direction[_norm(m["dir"])]
    kind, resolve = _offset(unit, n, direction)
    # Only "after"/"before" can take the date written next as anchor, not "later"/"earlier".
    anchored = _norm(m["dir"]) in ("after", "before", "prior to")
    yield _Cand(m.start(), m.end(), f"dates.{kind}.v1", resolve, uses_prev=direction != "ago",
                next_anchor=anchored, shift=(unit, -n if direction == "before" else n) if anchored else None)


def _scan_ru_offset(m: re.Match[str], text: str, lex: _Lexicon, lang: str) -> Iterator[_Cand]:
    if _glued_left(text, m.start()):
        return
    raw = m["n"] or m["n2"] or m["n3"]
    form = (m["unit"] or m["unit2"] or m["unit3"]).lower()
    unit, singular = lex.ru_unit[form]
    if raw:
        n = int(raw) if raw.isdigit() else lex.ru_number[raw.lower()]
    elif singular:
        n = 1  # "через день", "неделю назад"
    else:
        return  # "несколько дней назад": no number
    direction = "before" if m["unit3"] else lex.ru_direction[(m["pre"] or m["dir"]).lower()]
    kind, resolve = _offset(unit, n, direction)
    # "через два дня после задержания", "за два дня до задержания": anchored on the act named after it.
    anchored = bool(m["unit3"]) or (
        direction == "after" and bool(re.match(r"\s{1,3}после\b", text[m.end():m.end() + 10])))
    yield _Cand(m.start(), m.end(), f"dates.{kind}.v1", resolve, uses_prev=direction != "ago",
                next_anchor=anchored, shift=(unit, -n if direction == "before" else n) if anchored else None)


# ---------------------------------------------------------------------------------------------
# Public interface


def find_dates(
    text: str, published: dt.date | None, published_precision: str | None = "day", lang: str = "en"
) -> list[DateMention]:
    """Every date expression of `text`, sorted by start, resolved against `published`.

    `published_precision` is "day", "week", "month" or "year" (None is taken as "day"); a coarse
    publication date gives coarse relative dates and no weekday dates. Without a publication date,
    only dates that carry their year (and anaphora anchored on them) are returned.
    """
    if not text:
        return []
    lex = _lexicon()
    pub = None
    if published is not None:
        precision = published_precision if published_precision in PRECISION_RANK else "day"
        pub = _Pub(published, precision)  # type: ignore[arg-type]
    lang = (lang or "en")[:2].lower()
    lower = text.lower()
    if len(lower) != len(text):  # a few characters ("İ") grow when lower-cased: keep offsets
        lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    candidates: list[_Cand] = []
    # One pass over the words; patterns are tried only where a trigger word or a number starts.
    by_word, by_number = lex.by_word, lex.by_number
    for tm in _TOKEN.finditer(lower):
        word = tm.group()
        scanners = by_number if word[0].isdigit() else by_word.get(word)
        if not scanners:
            continue
        pos = tm.start()
        for scanner in scanners:
            m = scanner.pattern.match(lower if scanner.on_lower else text, pos)
            if m is not None:
                candidates.extend(scanner.scan(m, text, lex, lang))
    lines = _dateline_dates(text)
    if lines:
        candidates = [c for c in candidates if not any(lo <= c.start and c.end <= hi for lo, hi in lines)]
    return _resolve_all(text, _without_overlaps(candidates), pub)


# A wire dateline: "KUALA LUMPUR, Nov 19 (Reuters) -", "БИШКЕК, 12 марта — Sputnik.": its date is
# when the report was filed, not when anything happened (rule dates.dateline_skipped.v1).
_DATELINE = re.compile(
    r"^[ \t]*[A-ZÀ-ÞА-ЯЁ][A-ZÀ-ÞА-ЯЁ'’.\- ]{1,40}(?:,[ \t]*[A-ZÀ-ÞА-ЯЁ][\w.'’ ]{1,30})?,[ \t]*"
    r"(?P<date>(?:\d|[^\W\d_]{3,9}\.?[ \t]{1,2}\d)[^\n—–()\-]{0,28}?)"
    r"[ \t]*(?:\([^)\n]{1,40}\)[ \t]*)?(?:--?|—|–)", re.MULTILINE)


def _dateline_dates(text: str) -> list[tuple[int, int]]:
    """The spans of dates written in a dateline at the start of a line."""
    return [m.span("date") for m in _DATELINE.finditer(text, 0, min(len(text), 4000))
            if any(ch.isdigit() for ch in m["date"])]


def _without_overlaps(candidates: list[_Cand]) -> list[_Cand]:
    """Sorted by start; of overlapping candidates the longest stays (the earliest on ties)."""
    candidates.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[_Cand] = []
    for c in candidates:
        if kept and c.start < kept[-1].end:
            if c.end - c.start > kept[-1].end - kept[-1].start:
                kept[-1] = c
            continue
        kept.append(c)
    return kept


_SENTENCE_END = re.compile(r"[.!?]\s|\n")
# A date about the person, not the story: "who has lived in Kyrgyzstan since 2022", "живёт в Вильнюсе с".
_BACKGROUND = re.compile(
    r"(?<![\w-])(?:lived|living|lives|based|moved|fled|settled|arrived|emigrated|relocated|born|founded|formed|"
    r"created|established|живет|живёт|жил\w*|живш\w*|живущ\w*|проживает|переехал\w*|уехал\w*|эмигрировал\w*|"
    r"родил\w*|основан\w*|создан\w*)\s+(?:[^\s.!?;]+\s+){0,3}?(?:in|since|on|в|с|со)?\s*\Z")
_EVENT_AFTER = re.compile(r"\s{1,3}(?:(?:после|до)\s+)?(?:(?:the|his|her|their|its|его|её|ее|их)\s+)?([^\W\d_]{4,})",
                          re.IGNORECASE)


def _names_act_after(text: str, start: int, end: int) -> bool:
    """A relative date followed by the act it counts from: "the day after [the arrest]", "на
    следующий день после [задержания]"."""
    return bool(re.search(r"(?:after|before)\Z", text[start:end], re.IGNORECASE)
                or re.match(r"\s{1,3}(?:после|до|after|before)\b", text[end:end + 12], re.IGNORECASE))


_COUNTED_FROM = re.compile(r"(?<![\w-])(?:after|before|since|following|после|до|с момента)\s+"
                           r"(?:(?:the|his|her|their|its|его|её|ее|их)\s+)?[^\W\d_]+")


def _event_anchor(text: str, c: _Cand, out: list[DateMention]) -> Resolved | None:
    """The date of the act a phrase like "two days after the arrests" or "через два дня после
    задержания" counts from: the last earlier sentence that names that act ("arrested on Monday")
    with a date."""
    m = _EVENT_AFTER.match(text, c.end)
    if m is None:
        return None
    stem = m.group(1).lower()[:5]
    if len(stem) < 5:
        return None
    stems = next((group for group in _event_stems() if any(stem.startswith(g) for g in group)), (stem,))
    alternation = "|".join(re.escape(g) for g in stems)
    here = max((e.end() for e in _SENTENCE_END.finditer(text, max(0, c.start - 400), c.start)), default=0)
    for d in reversed(out):
        if d.span.end > here or _BACKGROUND.search(text, max(0, d.span.start - 50), d.span.start):
            continue  # a date of this sentence, or one about the person ("живёт в России с 2019 года")
        lo = max((e.end() for e in _SENTENCE_END.finditer(text, max(0, d.span.start - 400), d.span.start)),
                 default=0)
        hi = _SENTENCE_END.search(text, d.span.end)
        sentence = text[lo:hi.start() if hi else len(text)].lower()
        if _names_act_after(text, d.span.start, d.span.end) and (own := _EVENT_AFTER.match(text, d.span.end)):
            # "На следующий день после задержания брата вызвали": that sentence counts from an
            # arrest, it does not tell one.
            cut_lo, cut_hi = d.span.end - lo, own.end() - lo
            sentence = sentence[:cut_lo] + sentence[cut_hi:]
        # "Two months before the attack, in March": a sentence that counts from the act does not tell it.
        sentence = _COUNTED_FROM.sub(" ", sentence)
        if re.search(rf"(?<![\w-])(?:{alternation})", sentence):
            return (d.value, d.precision)
    return None


@cache
def _event_stems() -> list[tuple[str, ...]]:
    """Groups of stems naming one kind of act (dates.yaml `event_stems`)."""
    return [tuple(str(s).lower() for s in group) for group in load_lexicon("dates.yaml").get("event_stems") or []]


def _anchor_of(text: str, candidates: list[_Cand], i: int, out: list[DateMention],
               pub: _Pub | None, prev: Resolved | None) -> tuple[Resolved | None, bool]:
    """The anchor of an "N days after/before" phrase and whether to count back from it:
    - the date written right after it, or later in its clause ("two weeks after she spoke in
      Munich on 4 June 2022");
    - the date just before it in its sentence, across a comma ("deported on Sunday, two days after
      police arrested him"): the act after "after" came N days before that date;
    - the earlier sentence that tells the act it names ("two days after the arrests");
    - else the last date told."""
    c = candidates[i]
    if i + 1 < len(candidates):
        nxt = candidates[i + 1]
        between = text[c.end:nxt.start]
        if not nxt.uses_prev and (not between.strip() or (
                len(between) <= 100 and not re.search(r"[,;:.!?\n]", between))):
            return nxt.resolve(pub, None) or prev, False
    if out and c.shift is not None:
        last = out[-1]
        between = text[last.span.end:c.start]
        if len(between) <= 40 and "," in between and not _SENTENCE_END.search(between):
            return (last.value, last.precision), True
    if c.shift is not None and (event := _event_anchor(text, c, out)) is not None:
        return event, False
    return prev, False


# Dates written as a day and month, a month or a season, whose year may be inferred from publication.
_INFERRED_YEAR_RULES = frozenset({"dates.en_month.v1", "dates.ru_month.v1", "dates.en_day_month.v1",
                                  "dates.ru_day_month.v1", "dates.en_month_day.v1", "dates.ru_ordinal_day.v1",
                                  "dates.en_season.v1", "dates.ru_season.v1"})


def has_inferred_year(d: DateMention) -> bool:
    """Was the date written without its year ("In April", "3 марта"), its year taken from publication?"""
    return d.rule in _INFERRED_YEAR_RULES and not re.search(r"\d{4}", d.span.text)


def year_before(d: DateMention) -> DateMention:
    """The same day or month a year earlier (29 February becomes 28 February)."""
    value = _shift(d.value, "year", -1)
    return d if value is None else DateMention(d.span, value, d.precision, d.rule)


BACKWARD_RULE = "dates.offset_back.v1"  # the date of an earlier act, counted back from the date before it
SAME_DAY_RULE = "dates.same_day.v1"


STORY_YEAR_RULE = "dates.story_year.v1"
STORY_SPAN = 92  # days after the story's last dated event a yearless date may fall in its year


def _in_story_year(c: _Cand, resolved: Resolved, story: Resolved | None, pub: _Pub | None) -> Resolved | None:
    """A date without a year that would fall after the publication, told after an event dated with
    an earlier year ("On 17 February 2025 ... on 19 February" in a report of January 2026),
    continues that story: it takes the story's year when that keeps it after the event and within
    three months of it. A date already past at publication keeps the publication's year: news goes
    back to its own time after a background paragraph ("On February 26, 2022 ... on March 7")."""
    if c.yearless is None or story is None or pub is None or story[0].year >= resolved[0].year:
        return None
    if resolved[0] <= pub.end:
        return None
    month, day = c.yearless
    when = _make_date(story[0].year, month, day or 1)
    if when is None or when < _truncate(story[0], story[1]):
        return None
    if (when - story[0]).days > STORY_SPAN:
        return None
    return (when, resolved[1])


WEEKDAY_STORY_RULE = "dates.weekday_in_story.v1"
WEEKDAY_STORY_SPAN = 1500  # characters after the last date a bare weekday may continue its week
_WEEKDAY_WRITTEN = re.compile(
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|понедельник|вторник|среду|четверг|"
    r"пятницу|субботу|воскресенье)\W{1,3}(?:the\s+)?\Z", re.IGNORECASE)


def _in_weekday_story(c: _Cand, prev: Resolved | None, story_end: int | None, pub: _Pub | None
                      ) -> Resolved | None:
    """A bare weekday told after a past date that was written with its own weekday ("В среду,
    25 февраля, брата забрали ... Отпустили его в субботу вечером") continues that week: it is the
    first such day on or after the date before it, not the last one before publication."""
    if c.weekday is None or prev is None or story_end is None or pub is None or prev[1] != "day":
        return None
    if c.start - story_end > WEEKDAY_STORY_SPAN or (pub.value - prev[0]).days <= 7:
        return None
    when = prev[0] + dt.timedelta(days=(c.weekday - prev[0].weekday()) % 7)
    return (when, "day") if when <= pub.value else None


def _resolve_all(text: str, candidates: list[_Cand], pub: _Pub | None) -> list[DateMention]:
    out: list[DateMention] = []
    prev: Resolved | None = None
    story: Resolved | None = None  # the last event told with its own year
    week_story: int | None = None  # the end of the last past date told with its weekday, while its week goes on
    last_day: Resolved | None = None  # the last date told to the day (not background)
    for i, c in enumerate(candidates):
        anchor = prev
        backwards = False
        if c.rule == SAME_DAY_RULE and prev is not None and prev[1] != "day" and last_day is not None:
            # "the same night" cannot continue "In January": it goes back to the last day told.
            anchor = last_day
        if c.next_anchor:
            anchor, backwards = _anchor_of(text, candidates, i, out, pub, prev)
        try:
            if backwards and c.shift is not None and anchor is not None:
                unit, amount = c.shift
                resolved = _shift_anchor(anchor, unit, -amount, "day" if unit in ("day", "week") else unit)
            else:
                resolved = c.resolve(pub, anchor)
        except (ValueError, OverflowError):
            resolved = None  # a date outside the calendar (year 0, year 10000): not a date
        if resolved is None:
            continue
        # "on January 20, six days after he vanished": counted back, the date is that of the earlier act
        # named after "after"; the story's time stays at the date it was counted from.
        rule = BACKWARD_RULE if backwards else c.rule
        if (continued := _in_story_year(c, resolved, story, pub)) is not None:
            resolved, rule = continued, STORY_YEAR_RULE
        if (in_week := _in_weekday_story(c, prev, week_story, pub)) is not None:
            resolved, rule = in_week, WEEKDAY_STORY_RULE
        if c.weekday is None and not c.uses_prev:
            written = resolved[1] == "day" and _WEEKDAY_WRITTEN.search(text, max(0, c.start - 20), c.start)
            week_story = c.end if written else None
        elif week_story is not None:
            week_story = c.end
        out.append(DateMention(Span(c.start, c.end, text[c.start : c.end]), resolved[0], resolved[1], rule))
        if not backwards and not _BACKGROUND.search(text, max(0, c.start - 50), c.start):
            prev = resolved  # "who has lived there since 2022" is no anchor for "the next day"
            if resolved[1] == "day":
                last_day = resolved
            if c.own_year and resolved[1] in ("day", "month"):
                story = resolved
            elif c.yearless is None and pub is not None and resolved[0].year == pub.value.year:
                story = None  # "last week", "on Monday": the story is back in the publication's time
    return out
