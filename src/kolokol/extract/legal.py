"""Legal bases ("Part 2 of Article 280 of the Russian Criminal Code", "ч. 2 ст. 280 УК РФ", "the law
on foreign agents") and outcomes (fines with normalised amounts, release, custody, deportation,
hand-over to another state, sentences) in English and Russian reports.

The vocabulary lives in `lexicon/legal.yaml`; this module only assembles it into patterns. Every
repetition in a pattern is bounded, and amounts start only at the beginning of a digit run, so a
hostile input (a megabyte of digits on one line) cannot make a pattern backtrack without end.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from kolokol.domain import LegalMention, OutcomeMention, Span
from kolokol.resolve.gazetteer import (
    country_of_adjective,
    get_gazetteer,
    is_cyrillic,
    load_data,
    normalize_token,
    ru_lemma,
)

_FLAGS = re.IGNORECASE
_NOT_WORD_AFTER = r"(?![^\W_])"
# Article numbers: 280, 207.3, 20.3.3, 280(2) - and lists of them ("205 and 280", "205, 280").
# "280.3", "307(1)", and the hyphenated numbers of the Belarusian and Kazakh codes ("361-4", "456-2").
_NUM = r"\d{1,4}(?:\.\d{1,3}){0,3}(?:-\d{1,2}(?![\d.]))?(?:\s?\(\d{1,2}\))?"
_NUMLIST_EN = rf"{_NUM}(?:(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+){_NUM}){{0,6}}"
_NUMLIST_RU = rf"{_NUM}(?:(?:\s*,\s*(?:и\s+|или\s+)?|\s+(?:и|или)\s+){_NUM}){{0,6}}"
_SPLIT_NUMS = re.compile(_NUM)
_CONTEXT_CHARS = 400  # how far back a legal mention looks for the country it belongs to


def _alt(patterns: list[str]) -> str:
    return "(?:" + "|".join(f"(?:{p})" for p in patterns) + ")"


# ---------------------------------------------------------------- legal bases


@dataclass(frozen=True, slots=True)
class _Code:
    id: str
    name: str
    default_country: str | None
    en: re.Pattern[str]
    ru: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class _LegalPatterns:
    codes: tuple[_Code, ...]
    jurisdictions: dict[str, dict[str, re.Pattern[str]]]
    article_en: re.Pattern[str]
    code_first_en: re.Pattern[str]
    article_ru: re.Pattern[str]
    law_en: re.Pattern[str]  # one pattern for all laws: group "law_<i>" says which
    law_ru: re.Pattern[str]
    law_names: tuple[str, ...]
    qual_before_en: re.Pattern[str]  # a country adjective just before a match ("Russian law on ...")
    qual_before_ru: re.Pattern[str]


@cache
def _legal_patterns() -> _LegalPatterns:
    data = load_data("legal.yaml")
    codes = tuple(
        _Code(c["id"], c["name"], c.get("default_country"),
              re.compile(_alt(c["en"]), _FLAGS),
              re.compile(_alt([p + _NOT_WORD_AFTER for p in c["ru"]]), _FLAGS))
        for c in data["codes"])
    juris: dict[str, dict[str, re.Pattern[str]]] = {}
    qual: dict[str, list[str]] = {"en_adj": [], "en_of": [], "ru": [], "ru_adj": []}
    for cc, forms in data["jurisdictions"].items():
        juris[cc] = {k: re.compile(_alt(v) + r"\Z" if k.endswith("adj") else r"\A" + _alt(v), _FLAGS)
                     for k, v in forms.items()}
        for k in qual:
            qual[k].extend(forms.get(k, []))
    code_en = _alt([p for c in data["codes"] for p in c["en"]])
    code_ru = _alt([p + _NOT_WORD_AFTER for c in data["codes"] for p in c["ru"]])
    # Longest first and whole words only: "Russian Federation" is not "Russia" + "n Federation".
    def words(patterns: list[str]) -> str:
        return _alt(sorted(patterns, key=len, reverse=True)) + _NOT_WORD_AFTER

    adj_en, of_en = words(qual["en_adj"]), words(qual["en_of"])
    ru_after, ru_adj = words(qual["ru"]), words(qual["ru_adj"])
    part_en = r"(?:part|paragraph|clause|section)\s+(?P<part>\d{1,2}(?:\.\d)?|[a-z])\b"
    code_tail_en = (rf"(?P<code>\s*,?\s+of\s+(?:the\s+)?(?P<qual>{adj_en}\s+)?(?P<codename>{code_en})"
                    rf"(?:\s+of\s+(?:the\s+)?(?P<qualof>{of_en}))?)?")
    article_en = re.compile(
        rf"(?<![\w.])(?:{part_en}(?:\s*,\s*|\s+)of\s+(?:the\s+)?)?"
        rf"(?P<art>articles?|arts?\.)\s*(?P<nums>{_NUMLIST_EN})(?!\d)"
        rf"(?:\s*,?\s*(?:part|paragraph)\s+(?P<part2>\d{{1,2}})\b)?" + code_tail_en, _FLAGS)
    # Anchored on the code's name (a qualifier alternation first would be tried at every position).
    code_first_en = re.compile(
        rf"(?<![\w.])(?P<codename>{code_en})\s*,?\s+"
        rf"(?:{part_en}(?:\s*,\s*|\s+)of\s+)?(?P<art>articles?|arts?\.)\s*(?P<nums>{_NUMLIST_EN})(?!\d)"
        rf"(?:\s*,?\s*(?:part|paragraph)\s+(?P<part2>\d{{1,2}})\b)?", _FLAGS)
    part_ru = r"(?:ч\.|част(?:ь|и|ью|ям|ей))\s*(?P<part>\d{1,2})"
    punkt_ru = r"(?:п\.|пункт(?:а|у|ом|е)?)\s*[«\"„]?(?P<punkt>[а-яa-z\d]{1,2})[»\"“]?"
    article_ru = re.compile(
        rf"(?<![\w.])(?:{punkt_ru}\s*,?\s*)?(?:{part_ru}\s*,?\s*)?"
        rf"(?P<art>ст\.\s*ст\.|ст\.|ст(?=\s*\d)|стать(?:я|и|е|ю|ей|ям|ями|ях))\s*(?P<nums>{_NUMLIST_RU})(?!\d)"
        rf"(?:\s*,?\s*(?:ч\.|часть|части)\s*(?P<part2>\d{{1,2}}))?"
        rf"(?P<code>\s*,?\s*(?P<qual>{ru_adj}\s+)?(?P<codename>{code_ru})(?:\s+(?P<qualof>{ru_after}))?)?",
        _FLAGS)
    subj_en = "|".join(f"(?P<law_{i}>{_alt(law['en'])})" for i, law in enumerate(data["laws"]))
    subj_en2 = "|".join(f"(?P<law2_{i}>{_alt(law['en'])})" for i, law in enumerate(data["laws"]))
    subj_ru = "|".join(f"(?P<law_{i}>{_alt(law['ru'])})" for i, law in enumerate(data["laws"]))
    law_en = re.compile(
        r"\b(?:(?:new|so-called|controversial|notorious)\s+)?(?:law|legislation|act|bill)\s+"
        rf"(?:on|about|regarding|against)\s+(?:the\s+)?[\"“«']?(?:{subj_en})[\"”»']?"
        rf"|\b[\"“«']?(?:{subj_en2})[\"”»']?\s+(?:law|legislation|act|bill)\b", _FLAGS)
    law_ru = re.compile(
        rf"(?<![\w])(?:нов\w{{0,3}}\s+)?закон\w{{0,3}}\s+(?:(?P<qualof>{ru_after})\s+)?[«\"“]?\s?(?:об?|о)\s+"
        rf"[«\"“]?(?:{subj_ru})[»\"”]?", _FLAGS)
    qual_before_en = re.compile(rf"(?<![\w])(?P<qual>{adj_en})\s+\Z", _FLAGS)
    qual_before_ru = re.compile(rf"(?<![\w])(?P<qual>{ru_adj})\s+\Z", _FLAGS)
    return _LegalPatterns(codes, juris, article_en, code_first_en, article_ru, law_en, law_ru,
                          tuple(str(law["name"]) for law in data["laws"]), qual_before_en, qual_before_ru)


def _code_of(name: str | None, lang: str) -> _Code | None:
    if not name:
        return None
    for code in _legal_patterns().codes:
        if (code.ru if lang == "ru" else code.en).fullmatch(name.strip()):
            return code
    return None


def _jurisdiction(text: str | None, kind: str) -> str | None:
    if not text:
        return None
    text = text.strip()
    for cc, forms in _legal_patterns().jurisdictions.items():
        pattern = forms.get(kind)
        if pattern is not None and pattern.search(text):
            return cc
    return None


def _context_country(text: str, start: int) -> str | None:
    """The last state named shortly before `start` in the same paragraph: a place or an adjective.

    A code named without its country ("Article 330 of the Criminal Code") belongs to the state the
    sentence is about ("A Bishkek court charged him ...").
    """
    from kolokol.extract.places import find_places

    lo = max(0, start - _CONTEXT_CHARS)
    para = text.rfind("\n\n", lo, start)
    window_start = para + 2 if para >= 0 else lo
    window = text[window_start:start]
    best: tuple[int, str] | None = None
    for place in find_places(window):
        if best is None or place.span.end > best[0]:
            best = (place.span.end, place.country)
    for m in re.finditer(r"[^\W\d_]{4,30}", window):
        code = country_of_adjective(m.group())
        if code and (best is None or m.end() > best[0]):
            best = (m.end(), code)
    return best[1] if best else None


def _normalised_code(code: _Code | None, country: str | None) -> str | None:
    if code is None:
        return None
    return f"{country} {code.name}" if country else code.name


def _articles(nums: str) -> str:
    return ",".join(m.group().replace(" ", "") for m in _SPLIT_NUMS.finditer(nums))


def find_legal(text: str, lang: str = "en") -> list[LegalMention]:
    """Articles, codes and named laws invoked, sorted by position.

    `text` is the phrase as written; `article` is the number ("280", "207.3"; several joined by
    commas: "205,280"); `part` the part; `code` the normalised code ("RU Criminal Code", "KG Code
    of Offenses") or law ("law on foreign agents"). A bare "Article 431" takes the code of an
    earlier mention of the same article; "the same Article 431" that of the last coded mention.
    Both languages' patterns run whatever `lang` says (reports quote each other).
    """
    if not text:
        return []
    pats = _legal_patterns()
    found: list[tuple[LegalMention, str | None]] = []  # mention, country of its code
    for rx, lang_of, rule in ((pats.article_en, "en", "legal.article.v1"),
                              (pats.code_first_en, "en", "legal.article_code_first.v1"),
                              (pats.article_ru, "ru", "legal.article_ru.v1")):
        for m in rx.finditer(text):
            found.append(_article_mention(text, m, lang_of, rule))
    for rx, lang_of in ((pats.law_en, "en"), (pats.law_ru, "ru")):
        for m in rx.finditer(text):
            found.append(_law_mention(text, m, lang_of))
    # Of overlapping readings keep the one that names a code, then the longest: "Russia's
    # Criminal Code Article 207.3" beats its bare "Article 207.3".
    mentions = _drop_overlaps(found)
    # "ARTICLE 19" alone is the free-expression group, not a law.
    mentions = [f for f in mentions if not (f[0].code is None and f[0].text.isupper())]
    return _resolve_codes(text, mentions)


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _qualifier_before(text: str, start: int, lang: str) -> re.Match[str] | None:
    """A country adjective right before `start` ("Russian | law on", "Kyrgyzstan's | Criminal Code")."""
    pats = _legal_patterns()
    rx = pats.qual_before_ru if lang == "ru" else pats.qual_before_en
    return rx.search(text, max(0, start - 40), start)


def _law_mention(text: str, m: re.Match[str], lang: str) -> tuple[LegalMention, str | None]:
    g = m.groupdict()
    names = _legal_patterns().law_names
    index = next(int(k.rsplit("_", 1)[1]) for k, v in g.items() if k.startswith("law") and v is not None)
    start = m.start()
    qual = _qualifier_before(text, start, lang)
    country = _jurisdiction(qual.group("qual") if qual else None, "ru_adj" if lang == "ru" else "en_adj")
    if qual is not None and country is not None:
        start = qual.start()
    country = country or _jurisdiction(g.get("qualof"), "ru")
    span = Span(start, m.end(), text[start:m.end()])
    code = f"{country} {names[index]}" if country else names[index]
    return LegalMention(span=span, text=span.text, code=code, rule=f"legal.law_{lang}.v1"), country


def _article_mention(text: str, m: re.Match[str], lang: str, rule: str) -> tuple[LegalMention, str | None]:
    g = m.groupdict()
    code = _code_of(g.get("codename"), lang)
    adj_kind, of_kind = ("ru_adj", "ru") if lang == "ru" else ("en_adj", "en_of")
    start, end = m.start(), m.end()
    qual_text = g.get("qual")
    if qual_text is None and rule == "legal.article_code_first.v1":
        qual = _qualifier_before(text, start, lang)
        if qual is not None:
            qual_text, start = qual.group("qual"), qual.start()
    country = _jurisdiction(qual_text, adj_kind) or _jurisdiction(g.get("qualof"), of_kind)
    if code is not None and country is None:
        country = code.default_country
    span = Span(start, end, text[start:end])
    part = g.get("part") or g.get("part2")
    mention = LegalMention(span=span, text=span.text, article=_articles(g["nums"]) or None, part=part,
                           code=_normalised_code(code, country) if code else None, rule=rule)
    return mention, country if code else None


def _drop_overlaps(found: list[tuple[LegalMention, str | None]]) -> list[tuple[LegalMention, str | None]]:
    """Greedy choice among overlapping mentions: with a code first, then longest, then earliest."""
    ranked = sorted(found, key=lambda f: (f[0].code is None, -(f[0].span.end - f[0].span.start),
                                          f[0].span.start))
    starts: list[int] = []  # kept spans never overlap, so sorted starts give sorted ends
    kept: list[tuple[LegalMention, str | None]] = []
    for f in ranked:
        span = f[0].span
        i = bisect.bisect_right(starts, span.start)
        if i > 0 and kept[i - 1][0].span.end > span.start:
            continue
        if i < len(kept) and kept[i][0].span.start < span.end:
            continue
        starts.insert(i, span.start)
        kept.insert(i, f)
    return kept


_SAME_AFTER = re.compile(r"\s*,?\s*(?:of\s+the\s+same\s+(?:code|law)|того\s+же\s+(?:кодекса|закона))", _FLAGS)
_SAME_BEFORE = re.compile(r"(?:same|this|that|это[йм]?|той\s+же|этой\s+же|то[йм]\s+же)\s+\Z", _FLAGS)


def _resolve_codes(text: str, found: list[tuple[LegalMention, str | None]]) -> list[LegalMention]:
    """Fill codes the text leaves implicit: coreference first, then the country in context."""
    by_article: dict[str, str] = {}
    last_code: str | None = None
    out = []
    for mention, country in found:
        if mention.article is not None:
            before = text[max(0, mention.span.start - 12):mention.span.start]
            after = text[mention.span.end:mention.span.end + 30]
            if mention.code is None:
                same = _SAME_BEFORE.search(before) is not None or _SAME_AFTER.match(after) is not None
                inherited = by_article.get(mention.article) or (last_code if same else None)
                if inherited:
                    mention.code = inherited
                    mention.rule = "legal.article_same.v1" if same else mention.rule
            elif country is None:
                # "of the Criminal Code": whose? The state the sentence is about, if it says.
                code = _code_of_name(mention.code)
                ctx = _context_country(text, mention.span.start)
                if code is not None and ctx:
                    mention.code = _normalised_code(code, ctx)
            if mention.code:
                by_article.setdefault(mention.article, mention.code)
                last_code = mention.code
        out.append(mention)
    return out


def _code_of_name(name: str) -> _Code | None:
    for code in _legal_patterns().codes:
        if code.name == name:
            return code
    return None


# ---------------------------------------------------------------- money


@dataclass(frozen=True, slots=True)
class _MoneyPatterns:
    digits: re.Pattern[str]  # where an amount may start
    amount_after: re.Pattern[str]  # at a digit: amount, multiplier, currency word
    amount: re.Pattern[str]  # at a digit: amount and multiplier (a currency symbol came before)
    symbol_before: re.Pattern[str]  # ends right before the digit: "$", "KGS "
    currency_before: list[tuple[re.Pattern[str], str]]
    currency_after: list[tuple[re.Pattern[str], str]]
    multipliers: list[tuple[re.Pattern[str], float]]
    trigger_before: re.Pattern[str]
    trigger_after: re.Pattern[str]


# An amount starts at the beginning of a digit run; thousands groups are bounded (up to 10^21).
_AMOUNT = (r"(?:\d{1,3}(?:[ \u00a0\u202f\u2009,.]\d{3}){1,6}(?:[.,]\d{1,2})?(?!\d)"
           r"|\d{1,15}(?:[.,]\d{1,4})?(?!\d))")


@cache
def _money_patterns() -> _MoneyPatterns:
    data = load_data("legal.yaml")
    before = [(re.compile(_alt(c["before"]), _FLAGS), c["code"]) for c in data["currencies"]]
    after = [(re.compile(_alt(c["after"]), _FLAGS), c["code"]) for c in data["currencies"]]
    mults = [(re.compile(_alt(v), _FLAGS), float(k)) for k, v in data["multipliers"].items()]
    pre = _alt([p for c in data["currencies"] for p in c["before"]])
    post = _alt([p for c in data["currencies"] for p in c["after"]])
    mult = _alt([p for v in data["multipliers"].values() for p in v])
    trig = data["fine_triggers"]
    # The scan finds digit runs with a trivial pattern, then tries the currency patterns only there:
    # one big alternation tried at every position of a long text is what makes regexes slow.
    return _MoneyPatterns(
        digits=re.compile(r"(?<![\d.,])\d"),
        amount_after=re.compile(rf"(?P<n>(?>{_AMOUNT}))(?:\s?(?P<m>{mult})(?![^\W\d_]))?[\s-]{{0,2}}"
                                rf"(?P<cur>{post})(?![^\W\d_])", _FLAGS),
        amount=re.compile(rf"(?P<n>(?>{_AMOUNT}))(?:\s?(?P<m>{mult})(?![^\W\d_]))?", _FLAGS),
        symbol_before=re.compile(rf"(?<![^\W\d_])(?P<cur>{pre})\s?\Z", _FLAGS),
        currency_before=before, currency_after=after, multipliers=mults,
        trigger_before=re.compile(r"\b" + _alt(trig["before"]) + r"(?![^\W\d_])", _FLAGS),
        # used with .match(text, pos): anchored at pos (no \A, which only matches at index 0)
        trigger_after=re.compile(r"[\s-]{0,3}(?:[^\W\d_]{1,12}[\s-]{1,2}){0,1}" + _alt(trig["after"])
                                 + r"(?![^\W\d_])", _FLAGS))


def parse_amount(number: str, multiplier: str | None = None) -> float:
    """ "5,500" -> 5500.0, "30 000" -> 30000.0, "1,5" + "млн" -> 1500000.0, "10.000,50" -> 10000.5.

    A last separator followed by exactly three digits groups thousands; otherwise it is decimal.
    """
    s = re.sub(r"[\u00a0\u202f\u2009 ]", " ", number.strip())
    m = re.search(r"[.,](\d+)\Z", s)
    if m and len(m.group(1)) != 3:
        whole, frac = s[: m.start()], m.group(1)
    else:
        whole, frac = s, ""
    digits = re.sub(r"[ .,]", "", whole) or "0"
    value = float(f"{digits}.{frac}" if frac else digits)
    if multiplier:
        for rx, factor in _money_patterns().multipliers:
            if rx.match(multiplier.strip()):  # anchored at 0 by match()
                value *= factor
                break
    return value


def _currency(symbol: str, where: str) -> str | None:
    pats = _money_patterns()
    table = pats.currency_before if where == "before" else pats.currency_after
    for rx, code in table:
        if rx.fullmatch(symbol.strip()):  # "сомони" is not "сом" + "они"
            return code
    return None


def _fmt(value: float) -> str:
    return str(int(value)) if value.is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(slots=True)
class Money:
    """An amount of money found in a text."""

    start: int
    end: int
    amount: float
    currency: str


def find_money(text: str) -> list[Money]:
    """Every amount with a currency ("KGS 5,500", "$63", "5 тысяч рублей", "1.5 million rubles")."""
    pats = _money_patterns()
    out: list[Money] = []
    next_free = 0
    for d in pats.digits.finditer(text):
        pos = d.start()
        if pos < next_free:
            continue  # inside the previous amount ("5 000": the "000" is not a new one)
        sym = pats.symbol_before.search(text, max(0, pos - 8), pos)
        if sym is not None:
            m = pats.amount.match(text, pos)
            if m is not None:
                cur = _currency(sym.group("cur"), "before")
                if cur is not None:
                    out.append(Money(sym.start(), m.end(), parse_amount(m.group("n"), m.group("m")), cur))
                    next_free = m.end()
                    continue
        m = pats.amount_after.match(text, pos)
        if m is not None:
            cur = _currency(m.group("cur"), "after")
            if cur is not None:
                out.append(Money(pos, m.end(), parse_amount(m.group("n"), m.group("m")), cur))
                next_free = m.end()
    return out


# ---------------------------------------------------------------- outcomes


@dataclass(frozen=True, slots=True)
class _OutcomeRule:
    id: str
    kind: str
    pattern: re.Pattern[str]
    texts: tuple[str, ...]
    dest: str | None  # None, "optional" or "required"
    keywords: tuple[str, ...]  # one must occur in the lower-cased text for the rule to run


_UNIT_EN = r"(?:years?|months?|weeks?|days?)\b"
_UNIT_RU = (r"(?:год(?:ами|ам|а|у)?|лет|месяц(?:ами|ам|ев|а)?|недел(?:ями|ям|я|и|ь)|сут(?:ками|кам|ки|ок)"
            r"|дн(?:ями|ям|ей|я)|день)(?![а-яё])")
_DEST_EN = r"[^\W\d_][\w'’-]{1,29}(?:\s+[^\W\d_][\w'’-]{1,29}){0,2}"
_DEST_RU = r"[^\W\d_][\w-]{1,29}(?:\s+[^\W\d_][\w-]{1,29})?"


@cache
def _number_words() -> tuple[dict[str, float], dict[str, float]]:
    data = load_data("legal.yaml")["number_words"]
    return ({str(k).lower(): float(v) for k, v in data["en"].items()},
            {str(k).lower(): float(v) for k, v in data["ru"].items()})


@cache
def _outcome_rules() -> tuple[_OutcomeRule, ...]:
    data = load_data("legal.yaml")
    en_words, _ru_words = _number_words()
    words = sorted(en_words, key=len, reverse=True)
    units = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    num_en = (rf"\d{{1,3}}(?:[.,]\d)?|(?:{'|'.join(words)})(?:-(?:{'|'.join(units)}))?"
              r"(?:\s+and\s+a\s+half)?")
    num_ru = r"\d{1,3}(?:[.,]\d)?|[а-яё]{3,15}(?:\s+с\s+половиной)?"
    rules = []
    for r in data["outcomes"]:
        pattern = (r["pattern"].replace("{NUM_EN}", num_en).replace("{NUM_RU}", num_ru)
                   .replace("{UNIT_EN}", _UNIT_EN).replace("{UNIT_RU}", _UNIT_RU)
                   .replace("{DEST_EN}", _DEST_EN).replace("{DEST_RU}", _DEST_RU))
        rules.append(_OutcomeRule(r["id"], r["kind"], re.compile(pattern, _FLAGS), tuple(r["text"]),
                                  r.get("dest"), tuple(str(k).lower() for k in r["keywords"])))
    return tuple(rules)


def _number(word: str) -> float | None:
    """ "nine" -> 9, "6" -> 6, "3,5" -> 3.5, "шести" -> 6, "двадцать-one"... "two and a half" -> 2.5."""
    w = " ".join(word.lower().split())
    half = 0.0
    for suffix in (" and a half", " с половиной"):
        if w.endswith(suffix):
            w, half = w[: -len(suffix)], 0.5
    if re.fullmatch(r"\d{1,3}(?:[.,]\d)?", w):
        return float(w.replace(",", ".")) + half
    en, ru = _number_words()
    if "-" in w:
        a, _, b = w.partition("-")
        if a in en and b in en:
            return en[a] + en[b] + half
    if w in en:
        return en[w] + half
    if is_cyrillic(w):
        lemma = ru_lemma(normalize_token(w))
        if lemma in ru:
            return ru[lemma] + half
        if w in ru:
            return ru[w] + half
    return None


@cache
def _unit_table() -> tuple[tuple[str, str], ...]:
    data = load_data("legal.yaml")["units"]
    return tuple((prefix, unit) for unit, prefixes in data.items() for prefix in prefixes)


def _unit(word: str, count: float | None) -> str | None:
    w = word.lower()
    for prefix, unit in _unit_table():
        if w.startswith(prefix):
            return unit[:-1] if count == 1 else unit  # "1 year", "9 years"
    return None


def _state(phrase: str, required: bool) -> tuple[str, int] | None:
    """The state a destination phrase names, and how many characters of it name it: "Russia",
    "Russian authorities", "российским властям", "России", "Uzbekistan's security service".
    A city counts for its country only when the destination is optional ("deported to Tashkent")."""
    gaz = get_gazetteer()
    words = list(re.finditer(r"\S+", phrase))
    for n in range(min(3, len(words)), 0, -1):
        end = words[n - 1].end()
        candidate = re.sub(r"(?:['’]s)?[.,;:]*\Z", "", phrase[:end])
        place = gaz.lookup(candidate)
        if place is not None and (place.kind == "country" or not required):
            return place.country, len(candidate)
    if words:
        code = country_of_adjective(phrase[: words[min(2, len(words)) - 1].end()])
        if code:
            return code, words[min(2, len(words)) - 1].end()
    return None


def _outcome_text(rule: _OutcomeRule, fields: dict[str, str]) -> str:
    for template in rule.texts:
        names = re.findall(r"{(\w+)}", template)
        if all(fields.get(n) for n in names):
            return template.format(**fields)
    return rule.texts[-1]


def _apply_rule(text: str, rule: _OutcomeRule, m: re.Match[str]) -> OutcomeMention | None:
    g = m.groupdict()
    fields: dict[str, str] = {}
    if g.get("same") or g.get("same2"):
        fields["same"] = "yes"
    elif any("same" in t for t in rule.texts):
        rule = _OutcomeRule(rule.id, rule.kind, rule.pattern, tuple(t for t in rule.texts if "same" not in t),
                            rule.dest, rule.keywords)
    if g.get("num"):
        count = _number(g["num"])
        unit = _unit(g.get("unit") or "", count)
        if count is not None and unit is not None:
            fields["num"], fields["unit"] = _fmt(count), unit
    end = m.end()
    if rule.dest is not None:
        state = _state(g["dest"], rule.dest == "required") if g.get("dest") else None
        if state is None and rule.dest == "required":
            return None
        if state is not None:
            code, used = state
            country = get_gazetteer().country(code)
            fields["dest"] = country.name if country is not None else code
            if m.end("dest") == m.end():
                end = m.start("dest") + used  # "handed over to Russia", not "... to Russia and later"
    return OutcomeMention(span=Span(m.start(), end, text[m.start():end]), kind=rule.kind,  # type: ignore[arg-type]
                          text=_outcome_text(rule, fields), rule=f"outcomes.{rule.id}.v1")


def _fines(text: str) -> list[OutcomeMention]:
    """Fines with amounts: an amount with a fine word shortly before it in the same sentence, or
    just after it ("a 5,000-ruble fine"). An amount in brackets right after a fine is its
    conversion ("KGS 5,500 (USD 63)") and joins that fine's text."""
    pats = _money_patterns()
    out: list[OutcomeMention] = []
    prev_end = -1
    last_trigger = -1
    for money in find_money(text):
        if out and prev_end >= 0 and re.fullmatch(r"\s*\(\s*(?:about|approx\.?|~|≈|около|примерно)?\s*",
                                                  text[prev_end:money.start], _FLAGS):
            close = re.match(r"\s*\)", text[money.end:money.end + 5])
            if close:
                last = out[-1]
                end = money.end + close.end()
                each = last.text.endswith(" each")
                last.text = last.text.removesuffix(" each") + f" ({_fmt(money.amount)} {money.currency})"
                if each or _EACH.match(text, end, min(len(text), end + 20)):
                    last.text += " each"
                last.span = Span(last.span.start, end, text[last.span.start:end])
                prev_end = end
                continue
        start = _fine_trigger_start(text, money.start, pats)
        end = money.end
        if start is not None and start == last_trigger:
            start = money.start  # "fined him 5,500 soms; another 200 dollars": one trigger, two fines
        elif start is not None:
            last_trigger = start
        if start is None:
            after = pats.trigger_after.match(text, money.end, min(len(text), money.end + 30))
            if after is None:
                prev_end = -1
                continue
            start, end = money.start, after.end()
        each = _EACH.match(text, end, min(len(text), end + 20))
        label = f"fined {_fmt(money.amount)} {money.currency}"
        out.append(OutcomeMention(span=Span(start, end, text[start:end]), kind="fine", text=label,
                                  amount=money.amount, currency=money.currency,
                                  rule="outcomes.fine.amount.v1"))
        if each:
            out[-1].text += " each"
        prev_end = end
    return out


_EACH = re.compile(r"\s*(?:each|apiece|per\s+person|каждый|каждая|каждому|каждого|с\s+каждого)\b", _FLAGS)
_SENTENCE_END = re.compile(r"[.!?](?=\s+[\"“«(]?[A-ZА-ЯЁ])|\n")


def _fine_trigger_start(text: str, at: int, pats: _MoneyPatterns) -> int | None:
    lo = max(0, at - 120)
    window = text[lo:at]
    ends = [m.end() for m in _SENTENCE_END.finditer(window)]
    cut = ends[-1] if ends else 0
    found = None
    for m in pats.trigger_before.finditer(window, cut):
        found = m  # the closest trigger before the amount
    return lo + found.start() if found else None


_BARE_FINE = re.compile(
    r"\b(?:was|were|been|being|is|are|got)\s+(?:also\s+)?fined\b|\bоштрафован[аы]?\b|\bоштрафовал[аи]?\b",
    _FLAGS)


def find_outcomes(text: str, lang: str = "en") -> list[OutcomeMention]:
    """Outcomes of acts against people, sorted by position: fines (amount in ISO 4217), released,
    held, deported, handed_over (to another state), sentenced, other (acquitted, charges dropped).

    `text` of each mention is a short normalised phrase ("fined 5500 KGS", "released the same day",
    "held for 2 months", "handed over to Russia", "sentenced to 9 years"). Patterns of both
    languages run whatever `lang` says.
    """
    if not text:
        return []
    found = _fines(text)
    for m in _BARE_FINE.finditer(text):
        found.append(OutcomeMention(span=Span(m.start(), m.end(), m.group()), kind="fine", text="fined",
                                    rule="outcomes.fine.bare.v1"))
    lower = text.lower()
    for rule in _outcome_rules():
        if not any(k in lower for k in rule.keywords):
            continue
        for m in rule.pattern.finditer(text):
            mention = _apply_rule(text, rule, m)
            if mention is not None:
                found.append(mention)
    return _dedupe(found)


def _same_amount(a: OutcomeMention, b: OutcomeMention) -> bool:
    """Two fines of different amounts are two fines, even when their evidence overlaps."""
    return a.amount is None or b.amount is None or (a.amount, a.currency) == (b.amount, b.currency)


def _dedupe(found: list[OutcomeMention]) -> list[OutcomeMention]:
    """One mention per act: of overlapping mentions of a kind keep the most informative."""
    def weight(o: OutcomeMention) -> tuple[int, int, int]:
        return (o.amount is not None, len(o.text), o.span.end - o.span.start)

    found.sort(key=lambda o: (o.span.start, o.span.end))
    by_kind: dict[str, list[OutcomeMention]] = {}
    for o in found:
        kept = by_kind.setdefault(o.kind, [])
        # Sorted by start: only the last few kept mentions can still overlap this one.
        clash = next((j for j in range(len(kept) - 1, max(-1, len(kept) - 9), -1)
                      if _overlap(o.span, kept[j].span) and _same_amount(o, kept[j])), None)
        if clash is None:
            kept.append(o)
        elif weight(o) > weight(kept[clash]):
            kept[clash] = o
    return sorted((o for kept in by_kind.values() for o in kept), key=lambda o: (o.span.start, o.span.end))


def outcome_rules() -> list[dict[str, Any]]:
    """The outcome rules as loaded (id, kind), for documentation and tests."""
    return [{"id": r.id, "kind": r.kind} for r in _outcome_rules()]
