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
        # "мать Кургановича", "брата Ризвона": kinship word, then a capitalised name in the genitive.
        return [re.compile(rf"(?<![\w-])(?i:{words})\s+[А-ЯЁ][а-яё]+(?:\s+[А-ЯЁ][а-яё]+)?")]
    return [
        re.compile(rf"(?<![\w-])[A-Z][\w-]+(?:'s|’s)\s+(?:{words})(?![\w-])"),
        re.compile(rf"(?<![\w-])(?:the\s+)?(?:{words})\s+of\s+[A-Z][\w-]+(?:\s+[A-Z][\w-]+)?"),
        re.compile(rf"(?<![\w-])(?:his|her|their|my)\s+(?:(?:younger|older|elder|little|big|late|eldest|youngest)\s+)?"
                   rf"(?:{words})(?![\w-])", re.IGNORECASE),
    ]


_APPOSITIVE_NAME = re.compile(
    r",\s+((?:[A-ZА-ЯЁ][\w’'-]+)(?:\s+(?:(?:al|el|bin|ibn|abu|de|van|von|der|uulu|kyzy|уулу|кызы)[-\s])?"
    r"[A-ZА-ЯЁ][\w’'-]+){0,2})")


def find_relatives(text: str, lang: str, taken: list[tuple[int, int]]
                   ) -> tuple[list[ActorMention], list[tuple[int, int]]]:
    """Relatives by kinship, skipping spans already claimed by other actors; and where a relative is
    named in apposition ("his sister, Saltanat", "his brother, Nawaf al-Suhaimi"), that name's span."""
    out: list[ActorMention] = []
    named_at: list[tuple[int, int]] = []
    for pattern in _patterns(lang):
        for m in pattern.finditer(text):
            s, e = m.start(), m.end()
            overlapping = [(a, b) for a, b in taken if a < e and s < b]
            # A relative phrase may wrap a name already found ("мать Кургановича"): keep the longer
            # phrase only when the name lies inside it.
            if overlapping and not any(s <= a and b <= e for a, b in overlapping):
                continue
            # "his mother, Gulbahor Alidodova": the name that follows is the relative's own name.
            appos = _APPOSITIVE_NAME.match(text[e:e + 60])
            if appos:
                named_at.append((e + appos.start(1), e + appos.end(1)))
                continue
            out.append(ActorMention(span=Span(s, e, text[s:e]), name=text[s:e], kind="person",
                                    profile="relative", rule="actors.relative.v1"))
            taken.append((s, e))
    return out, named_at
