"""Event triggers: find the words that tell an act happened, with their type, from lexicon data.

Each trigger is checked against the words just before it: a hypothetical, negated or feared act
("could be arrested", "was not detained", "the threat of being deported") is kept with a
`suppressed` reason so the decision stays visible in the trace, but makes no incident.
"""

from __future__ import annotations

import bisect
import re
import sys
from dataclasses import dataclass
from functools import cache

from kolokol.domain import Span
from kolokol.extract.document import Document, Trigger
from kolokol.lexicon import load_lexicon

IRREALIS_WINDOW = 40  # characters before a trigger searched for hypothetical/negated wording
THREAT_WINDOW = 60  # characters between a threat word and the act it threatens


@dataclass(frozen=True, slots=True)
class TriggerSet:
    patterns: list[tuple[str, re.Pattern[str], bool]]  # (type, compiled, private), longest first
    irrealis: re.Pattern[str]
    threat_heads: re.Pattern[str]


def _word_re(alternatives: list[str], flags: int = re.IGNORECASE) -> re.Pattern[str]:
    body = "|".join(f"(?:{a})" for a in alternatives)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", flags)


@cache
def trigger_set(lang: str) -> TriggerSet:
    data = load_lexicon("triggers.yaml")
    key = "ru" if lang == "ru" else "en"
    private = set(data.get("private", {}).get(key, []))
    patterns: list[tuple[str, re.Pattern[str], bool]] = []
    for itype, by_lang in data["triggers"].items():
        for pattern in by_lang.get(key, []):
            patterns.append((itype, _word_re([pattern]), pattern in private))
    patterns.sort(key=lambda p: -len(p[1].pattern))
    return TriggerSet(
        patterns=patterns,
        irrealis=_word_re(data["irrealis"][key]),
        threat_heads=_word_re(data["threat_heads"][key]),
    )


def _irrealis(doc: Document, sentence_start: int, start: int, ts: TriggerSet) -> str | None:
    window = doc.text[max(sentence_start, start - IRREALIS_WINDOW):start]
    # Only the clause the trigger is in: stop at the last comma, semicolon or dash.
    clause = re.split(r"[,;:—–]| - ", window)[-1]
    for m in ts.irrealis.finditer(clause):
        if m.group() == "May":  # the month, not the verb
            continue
        return f"irrealis:{m.group().lower()}"
    return None


def _inside_name(names: list[tuple[int, int]], start: int, end: int) -> bool:
    """Is the trigger part of a name ("Centre for the Prevention of Torture", "Arrest Watch")?"""
    i = bisect.bisect_right(names, (start, sys.maxsize)) - 1
    return i >= 0 and names[i][0] <= start and end <= names[i][1]


def _infinitive(doc: Document, start: int) -> str | None:
    """An English infinitive ("plans to deport", "the pressure to shut down") tells of an aim, not an
    act; "was forced to close" and "had to leave" are acts."""
    if doc.lang == "ru" or not re.search(r"(?<![\w-])to\s+$", doc.text[max(0, start - 4):start]):
        return None
    acts = r"\b(?:forced|had|was|were|been|is|are|began|started|used)\s+to\s+$"
    return None if re.search(acts, doc.text[max(0, start - 20):start]) else "infinitive"


def find_triggers(doc: Document) -> list[Trigger]:
    ts = trigger_set(doc.lang)
    found: list[Trigger] = []
    names = sorted((a.span.start, a.span.end) for a in doc.actors if a.kind in ("organization", "agency"))
    for sent in doc.sentences:
        taken = bytearray(len(sent.text))  # characters already claimed by a longer pattern
        hits: list[Trigger] = []
        for itype, pattern, private in ts.patterns:
            for m in pattern.finditer(sent.text):
                if any(taken[m.start():m.end()]):
                    continue
                taken[m.start():m.end()] = b"\x01" * (m.end() - m.start())
                s, e = sent.start + m.start(), sent.start + m.end()
                kind = "private" if private else "v1"
                trig = Trigger(type=itype, span=Span(s, e, doc.text[s:e]), sentence=sent.index,
                               rule=f"events.trigger.{itype}.{kind}" + (".v1" if private else ""))
                if _inside_name(names, s, e) or (
                        m.group()[:1].isupper() and m.start() > 0 and doc.lang != "ru"
                        and re.search(r"[A-Z][\w-]*\s+(?:of\s+|for\s+|against\s+|and\s+)?(?:the\s+)?$",
                                      sent.text[max(0, m.start() - 30):m.start()])):
                    # "Centre for the Prevention of Torture": a capitalised trigger in a name.
                    trig.suppressed = "inside-name"
                hits.append(trig)
        hits.sort(key=lambda t: t.span.start)
        threat_ends = [sent.start + m.end() for m in ts.threat_heads.finditer(sent.text)]
        for trig in hits:
            if trig.suppressed:
                found.append(trig)
                continue
            if trig.type != "threat":
                i = bisect.bisect_right(threat_ends, trig.span.start) - 1
                if i >= 0 and trig.span.start - threat_ends[i] <= THREAT_WINDOW:
                    trig.suppressed = "inside-threat"
                    found.append(trig)
                    continue
            reason = _infinitive(doc, trig.span.start) or _irrealis(doc, sent.start, trig.span.start, ts)
            if reason:
                trig.suppressed = reason
            found.append(trig)
    return found
