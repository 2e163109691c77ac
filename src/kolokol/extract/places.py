"""Place mentions in a report: capitalised names (English or Russian, inflected or not) resolved
against the gazetteer, with the guards a gazetteer alone lacks: stoplisted common words and first
names, street and district names ("Kyiv street", "Oktyabrsky district court"), person names
("Vladimir Putin"), outlets and treaties ("Moscow Times", "Minsk agreements"), and datelines
("BISHKEK --", "KARAKOL, Kyrgyzstan —"). A smaller town far from the focus region is a place only
where the text says so: after "in", "near", "outside" or "the town of" ("at her home in Ngozi").
"""

from __future__ import annotations

import re

from kolokol.domain import PlaceMention, Span
from kolokol.resolve.gazetteer import (
    ALTERNATE,
    COUNTRY,
    CURATED,
    MINOR,
    PRIMARY,
    Gazetteer,
    Match,
    Token,
    country_of_adjective,
    get_gazetteer,
    load_data,
    normalize_token,
    ru_forms,
    ru_known,
    ru_lemma,
    ru_parses,
    tokenize,
)

RULE_NAME = "places.name.v1"
RULE_INFLECTED = "places.ru_inflected.v1"
RULE_DATELINE = "places.dateline.v1"
RULE_ACRONYM = "places.acronym.v1"
RULE_PART = "places.hyphen_part.v1"
RULE_REGION = "places.region_of_city.v1"
RULE_NAMED_COUNTRY = "places.named_country.v1"
RULE_CAPITAL = "places.capital_named.v1"

# After an upper-case place at the start of a line: ", Country", "(Agency)", then a dash.
_DATELINE_AFTER = re.compile(r"[ \t]*(?:,[^\n\-—–(]{1,60}?)?[ \t]*(?:\([^)\n]{0,40}\)[ \t]*)?(?:--?|—|–)")
# Endings of Russian and Central Asian surnames as written in English.
_SURNAME_EN = re.compile(
    r"(?:ov|ova|ev|eva|in|ina|yn|enko|uulu|kyzy|uly|bekov|bekova|yan|ian|idze|shvili|sky|skiy|"
    r"skaya|vich|ovna|evna)$")
_REGION_WORDS = frozenset({"region", "oblast", "province"})
_NAME_TAGS = ("Name", "Surn", "Patr")


def _is_caps(token: Token) -> bool:
    return len(token.surface) > 1 and token.surface.isupper()


def _at_line_start(text: str, token: Token) -> bool:
    """Only blanks between the previous newline and the token (looking back at most 40 chars)."""
    lo = max(0, token.start - 40)
    before = text[lo:token.start]
    nl = before.rfind("\n")
    return before[nl + 1:].strip() == "" and (nl >= 0 or lo == 0)


def _next(tokens: list[Token], j: int, text: str) -> Token | None:
    """Token j if it follows token j-1 on the same line after a single space or directly."""
    if j >= len(tokens):
        return None
    gap = text[tokens[j - 1].end:tokens[j].start]
    return tokens[j] if gap in {" ", "\u00a0", ""} else None


def _ru_not_a_place(token: Token) -> bool:
    """pymorphy2 knows this word, and not as a place: a first name, surname or common word."""
    if not ru_known(token.norm):
        return False  # unknown words are often foreign place names: keep them
    parses = ru_parses(token.norm)
    if not parses:
        return False
    if any(t in parses[0][1] for t in _NAME_TAGS):
        return True
    return not any("Geox" in tag for _lemma, tag, _score in parses)


_CALENDAR_WORDS = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "spring", "summer", "autumn", "winter", "christmas", "easter", "ramadan"})
_LOCATIVE_BEFORE = re.compile(r"(?:\bin|\bnear|\boutside|\bat)\s$")
_MINOR_CUE = re.compile(
    r"(?:\b(?:in|near|outside)|\b(?:town|city|village|suburb|outskirts|district|municipality)\s+of)\s\Z",
    re.IGNORECASE)


def _rejected(gaz: Gazetteer, text: str, tokens: list[Token], m: Match, dateline: bool) -> bool:
    """Why a gazetteer hit is not a place mention here (see the module docstring)."""
    first, last = tokens[m.first], tokens[m.last]
    hit = m.hit
    single = m.first == m.last
    trusted = hit.source in (CURATED, COUNTRY)
    surface = text[first.start:last.end]
    if hit.acronym is not None:
        return surface not in hit.acronym  # "USA" yes, "Usa" no
    if _is_caps(first) and not dateline and not (trusted and len(first.surface) >= 4):
        return True  # "OSH", "ANTI": upper-case words are codes and shouting, not places
    if hit.source == MINOR and not dateline and not _MINOR_CUE.search(text, max(0, first.start - 24), first.start):
        return True  # "Ngozi" alone may be a name; "in Ngozi" is the town
    if single and hit.source in (PRIMARY, ALTERNATE) and gaz.is_stoplisted([first]):
        # A stoplisted word is still the place right after a locative preposition, capitalised
        # mid-sentence: "detained in Oral", "a court in Nice".
        return not (first.surface[:1].isupper() and first.norm not in _CALENDAR_WORDS
                    and _LOCATIVE_BEFORE.search(text[max(0, first.start - 8):first.start]))
    following = _next(tokens, m.last + 1, text)
    if following is not None and following.norm in gaz.street_words_en and not (
            following.surface.islower() and m.first > 0 and tokens[m.first - 1].norm in ("a", "an")):
        return True  # "on Kyiv Street", not "from a Tbilisi street"
    if m.first > 0 and tokens[m.first - 1].cyrillic:  # "улица Мира", "на проспекте Победы"
        before = tokens[m.first - 1]
        if any(f in gaz.street_words_ru for f in ru_forms(before.norm)):
            return True
    if single and hit.place.kind == "city" and following is not None and (
            following.norm in gaz.district_words
            or (following.cyrillic and any(f in gaz.district_words for f in ru_forms(following.norm)))):
        return True
    if single and m.morph and hit.source == COUNTRY and first.cyrillic and _ru_not_a_place(first):
        return True  # "Самое страшное": an inflected guess at "Самоа" that is a common word
    if not single or trusted:
        return False
    if first.cyrillic:
        if _ru_not_a_place(first):
            return True
        if following is not None and following.cyrillic and following.surface[:1].isupper():
            parses = ru_parses(following.norm)
            if parses and "Surn" in parses[0][1]:
                return True
        return False
    if _SURNAME_EN.search(first.norm):
        # "Ivanova" is a declined alternate name of Ivanovo, and far more often a surname; after a
        # capitalised word ("Ivan Kasimov") a surname-like town name is a surname.
        preceding = tokens[m.first - 1] if m.first > 0 else None
        if hit.source == ALTERNATE or (preceding is not None and _next(tokens, m.first, text) is first
                                       and preceding.surface[:1].isupper()):
            return True
    # "<Place> <Surname>" in English is a person: "Vladimir Kara-Murza" ... unless it is a place too.
    return bool(following is not None and following.surface[:1].isupper() and not _is_caps(following)
                and _SURNAME_EN.search(following.norm) and gaz.match_at(tokens, m.last + 1, text) is None)


def _mention(text: str, tokens: list[Token], m: Match, rule: str) -> PlaceMention:
    start, end = tokens[m.first].start, tokens[m.last].end
    return m.hit.place.mention(Span(start, end, text[start:end]), rule)


def _region_of_city(text: str, tokens: list[Token], m: Match) -> PlaceMention | None:
    """ "Karaganda region": the region named after a city the gazetteer has no region entry for."""
    place = m.hit.place
    nxt = _next(tokens, m.last + 1, text)
    if place.kind != "city" or m.first != m.last or nxt is None or nxt.norm not in _REGION_WORDS:
        return None
    start, end = tokens[m.first].start, nxt.end
    return PlaceMention(span=Span(start, end, text[start:end]), name=f"{place.name} Region",
                        country=place.country, kind="region", gazetteer_id=f"{place.gazetteer_id}:region",
                        latitude=place.latitude, longitude=place.longitude, admin1=place.admin1,
                        rule=RULE_REGION)


def _hyphen_parts(text: str, token: Token) -> list[Token]:
    """The parts of "Russia-Ukraine" or "Moscow-based" as tokens of their own."""
    parts = []
    offset = token.start
    for piece in re.split(r"([-\u2010\u2011])", token.surface):
        if piece and piece not in "-\u2010\u2011":
            parts.append(Token(offset, offset + len(piece), piece, normalize_token(piece), token.cyrillic))
        offset += len(piece)
    return parts


def find_places(text: str, lang: str = "en") -> list[PlaceMention]:
    """Every place named in `text`, sorted by position; `text[m.span.start:m.span.end] == m.span.text`.

    Both scripts are handled whatever `lang` says (English reports quote Russian names and the
    reverse); `lang` is accepted for the pipeline's uniform signature.
    """
    if not text:
        return []
    gaz = get_gazetteer()
    tokens = tokenize(text)
    found: list[PlaceMention] = []
    keys: dict[int, tuple[str, ...]] = {}  # index in found -> the name's tokens
    i = 0
    while i < len(tokens):
        skip = gaz.not_place_phrase_at(tokens, i, text)
        if skip:
            i += skip
            continue
        token = tokens[i]
        if not token.surface[:1].isupper():
            i += 1
            continue
        m = gaz.match_at(tokens, i, text)
        if m is None:
            if "-" in token.norm:
                found.extend(_places_in_parts(gaz, text, token))
            i += 1
            continue
        dateline = _is_caps(token) and _at_line_start(text, token) and bool(
            _DATELINE_AFTER.match(text, tokens[m.last].end))
        if _rejected(gaz, text, tokens, m, dateline):
            i += 1
            continue
        region = _region_of_city(text, tokens, m)
        if region is not None:
            found.append(region)
            i = m.last + 2
            continue
        if dateline:
            rule = RULE_DATELINE
        elif m.hit.acronym is not None:
            rule = RULE_ACRONYM
        elif m.morph:
            rule = RULE_INFLECTED
        else:
            rule = RULE_NAME
        found.append(_mention(text, tokens, m, rule))
        keys[len(found) - 1] = tuple(t.norm for t in tokens[m.first:m.last + 1])
        i = m.last + 1
    _prefer_named_countries(gaz, found, keys)
    found.extend(_named_capitals(gaz, text, found))
    found.sort(key=lambda p: p.span.start)
    return found


# "the Kyrgyz capital", "киргизской столице"; "the capital of Kazakhstan", "в столице Узбекистана".
_CAPITAL_BY_ADJECTIVE = re.compile(
    r"(?<![\w-])(?:(?i:the)\s+(?P<en>[A-Z][\w'’-]+)\s+capital(?!\s+(?:punishment|markets?|gains?|flight|city\s+of))"
    r"|(?P<ru>[а-яё]+(?:ая|ой|ую))\s+столиц(?:а|ы|е|у|ей))(?![\w-])")
_CAPITAL_OF = re.compile(r"(?<![\w-])(?:(?i:the)\s+capital\s+of|столиц(?:а|ы|е|у|ей))\s+(?:the\s+)?\Z")


def _named_capitals(gaz: Gazetteer, text: str, found: list[PlaceMention]) -> list[PlaceMention]:
    """A capital named by its state, not by its name: "the Kyrgyz capital" and "в столице Киргизии" are
    Bishkek; "the Chechen capital" is Grozny (rule places.capital_named.v1). The mention spans the
    words that name it; a country right after "capital of" gives way to its capital."""
    out: list[PlaceMention] = []
    if "capital" not in text and "столиц" not in text:
        return out
    regional = {str(k): str(v) for k, v in (load_data("places.yaml").get("regional_capitals") or {}).items()}
    for m in _CAPITAL_BY_ADJECTIVE.finditer(text):
        adj = m.group("en") or m.group("ru")
        city_name = regional.get(adj) or regional.get(ru_lemma(adj.lower()))
        if city_name:
            place = gaz.lookup(city_name)
        else:
            place = gaz.capital(code) if (code := country_of_adjective(adj)) is not None else None
        if place is not None and place.kind == "city":
            out.append(place.mention(Span(m.start(), m.end(), m.group()), RULE_CAPITAL))
    for k, p in enumerate(found):
        if p.kind == "country" and (c := _CAPITAL_OF.search(text, max(0, p.span.start - 20), p.span.start)) \
                and (capital := gaz.capital(p.country)) is not None:
            found[k] = capital.mention(Span(c.start(), p.span.end, text[c.start():p.span.end]), RULE_CAPITAL)
    return out
    regional = {str(k): str(v) for k, v in (load_data("places.yaml").get("regional_capitals") or {}).items()}
    for m in _CAPITAL_BY_ADJECTIVE.finditer(text):
        adj = m.group("en") or m.group("ru")
        city_name = regional.get(adj) or regional.get(ru_lemma(adj.lower()))
        place = gaz.lookup(city_name) if city_name else None
        if place is None and not city_name and (code := country_of_adjective(adj)) is not None:
            place = gaz.capital(code)
        if place is not None and place.kind == "city":
            start = m.start("en") - 4 if m.group("en") and text[m.start():m.start() + 3].lower() == "the" else m.start()
            start = m.start() if m.group("ru") else start
            out.append(place.mention(Span(start, m.end(), text[start:m.end()]), RULE_CAPITAL))
    for k, p in enumerate(found):
        if p.kind == "country" and _CAPITAL_OF.search(text, max(0, p.span.start - 20), p.span.start) and (
                capital := gaz.capital(p.country)) is not None:
            c = _CAPITAL_OF.search(text, max(0, p.span.start - 20), p.span.start)
            assert c is not None
            found[k] = capital.mention(Span(c.start(), p.span.end, text[c.start():p.span.end]), RULE_CAPITAL)
    return out


def _prefer_named_countries(gaz: Gazetteer, found: list[PlaceMention], keys: dict[int, tuple[str, ...]]) -> None:
    """A city whose name other countries share is read in a country the text names, when its best
    entry lies in one the text never names: "San José" in a report about Costa Rica is not the
    Californian city (rule places.named_country.v1)."""
    named: dict[str, int] = {}
    for p in found:
        if p.kind == "country":
            named[p.country] = named.get(p.country, 0) + 1
    if not named:
        return
    ranked = sorted(named, key=lambda cc: -named[cc])
    for k, key in keys.items():
        p = found[k]
        if p.kind != "city" or p.country in named:
            continue
        other = gaz.namesake(key, ranked)
        if other is not None:
            found[k] = other.mention(p.span, RULE_NAMED_COUNTRY)


def _places_in_parts(gaz: Gazetteer, text: str, token: Token) -> list[PlaceMention]:
    parts = _hyphen_parts(text, token)
    out = []
    for k, part in enumerate(parts):
        if not part.surface[:1].isupper():
            continue
        m = gaz.match_at(parts, k, text)
        if m is None or m.last != k or _rejected(gaz, text, parts, m, False):
            continue
        out.append(_mention(text, parts, m, RULE_PART))
    return out
