"""Relatives as victims: "Amanov's parents", "the mother of Kurganovich", "мать Кургановича",
"his brother, Navruz" — the people pressured at home because of an exile abroad."""

from __future__ import annotations

import re
from functools import cache

from kolokol.domain import ActorMention, Span
from kolokol.lexicon import load_lexicon


@cache
def _patterns(lang: str) -> list[re.Pattern[str]]:
    data = load_lexicon("relatives.yaml")
    words = "|".join(sorted({re.escape(w) for w in data["ru" if lang == "ru" else "en"]}, key=len, reverse=True))
    if lang == "ru":
        owners = "|".join(re.escape(w) for w in data.get("ru_possessives") or [])
        return [
            # "его мать", "её брат" (and "его мать Джемал Бердыева": the name after is her own).
            re.compile(rf"(?<![\w-])(?i:{owners})\s+(?i:{words})(?![\w-])"),
            # "мать Кургановича", "брата Ризвона": kinship word, then a capitalised name in the genitive.
            re.compile(rf"(?<![\w-])(?i:{words})\s+[А-ЯЁ][а-яё]+(?:\s+[А-ЯЁ][а-яё]+)?"),
            # A bare kinship word next to an act: "отца снова вызвали в КГБ", "задержали брата".
            re.compile(rf"(?<![\w-])(?P<kin>(?i:{words}))(?=\s+(?:\w+\s+)?(?i:{_RU_ACTS}))"),
            re.compile(rf"(?<![\w-])(?i:{_RU_ACTS})\w*\s+(?:\w+\s+)?(?P<kin>(?i:{words}))(?![\w-])"),
        ]
    # "her family house", "the family business": "family" as an attribute of a thing, not relatives.
    thing = (r"(?!\s+(?:house|home|homes|property|properties|business|flat|apartment|farm|land|estate|name|car"
             r"|assets)\b)")
    return [
        re.compile(rf"(?<![\w-])[A-Z][\w-]+(?:'s|’s)\s+(?:{words})(?![\w-]){thing}"),
        re.compile(rf"(?<![\w-])(?:the\s+)?(?:{words})\s+of\s+(?![A-Z][\w]*-based\b)[A-Z][\w-]+(?:\s+[A-Z][\w-]+)?"),
        re.compile(rf"(?<![\w-])(?:his|her|their|my)\s+(?:(?:younger|older|elder|little|big|late|eldest|youngest)\s+)?"
                   rf"(?:{words})(?![\w-]){thing}", re.IGNORECASE),
    ]


_PARTICLES = r"(?:(?:al|el|bin|ibn|abu|de|van|von|der|uulu|kyzy|уулу|кызы)[-\s])"
_RU_ACTS = "вызва|задерж|допр|расспрашива|арестова|избил|избит|увез|забрал|похитил|угрожа|запугива|оштрафова"
_APPOSITIVE_NAME = re.compile(
    rf",?\s+((?:[A-ZА-ЯЁ][\w’'-]+)(?:\s+{_PARTICLES}?[A-ZА-ЯЁ][\w’'-]+|\s+{_PARTICLES}[A-ZА-ЯЁ][\w’'-]+){{0,2}})")
_NOT_A_NAME = re.compile(r"(?:The|A|An|In|On|At|He|She|They|It|And|But|Who|Which|В|На|И|Но|Он|Она|Они)\Z")


@cache
def kin_gender() -> dict[str, str]:
    """Kinship word -> "f" or "m" for words naming one woman or one man."""
    data = load_lexicon("relatives.yaml")
    return {**{w: "m" for w in data.get("male") or []}, **{w: "f" for w in data.get("female") or []}}


def relative_gender(phrase: str) -> str | None:
    """The gender of a relative named by kinship ("his mother" -> "f", "отца Ризвона" -> "m")."""
    table = kin_gender()
    for word in re.findall(r"[\w-]+", phrase.lower()):
        if word in table:
            return table[word]
    return None


def find_relatives(text: str, lang: str, taken: list[tuple[int, int]]
                   ) -> tuple[list[ActorMention], list[tuple[int, int]]]:
    """Relatives by kinship, skipping spans already claimed by other actors; and where a relative is
    named in apposition ("his sister, Saltanat", "his brother, Nawaf al-Suhaimi"), that name's span."""
    out: list[ActorMention] = []
    named_at: list[tuple[int, int]] = []
    for pattern in _patterns(lang):
        for m in pattern.finditer(text):
            s, e = m.span("kin") if "kin" in pattern.groupindex else m.span()
            overlapping = [(a, b) for a, b in taken if a < e and s < b]
            if overlapping and all(a < s and b <= e for a, b in overlapping) and text[s - 1:s] == " ":
                # "Farida Saidova's parents": the owner's whole name, not only the surname the
                # pattern starts at.
                s = min(a for a, _ in overlapping)
            # A relative phrase may wrap a name already found ("мать Кургановича"): keep the longer
            # phrase only when the name lies inside it.
            if overlapping and not all(s <= a and b <= e for a, b in overlapping):
                continue
            # "his mother, Gulbahor Alidodova", "my sister Leila", "его мать Джемал Бердыева": the name
            # that follows is the relative's own name (not after a bare Russian kinship word, where a
            # capitalised name is whose relative it is: "мать Кургановича").
            appos = _APPOSITIVE_NAME.match(text[e:e + 60])
            owned = lang != "ru" or bool(re.match(r"(?i)\w+\s", text[s:e]) and " " in text[s:e].strip())
            if appos and (text[e:e + 1] == "," or owned) and not _NOT_A_NAME.match(appos.group(1).split()[0]):
                named_at.append((e + appos.start(1), e + appos.end(1)))
                taken.append((s, e + appos.end(1)))
                continue
            out.append(ActorMention(span=Span(s, e, text[s:e]), name=text[s:e], kind="person",
                                    profile="relative", rule="actors.relative.v1"))
            taken.append((s, e))
    return out, named_at
