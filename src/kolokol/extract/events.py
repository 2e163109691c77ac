"""Event triggers: find the words that tell an act happened, with their type, from lexicon data.

Each trigger is checked against the words around it: a hypothetical, negated or feared act
("could be arrested", "was not detained", "the threat of being deported"), a reference to an act
told elsewhere ("since his arrest"), the object of a protest or appeal ("a protest against the
detention of ...") and an act against another state's agents ("charged two men with spying") are
kept with a `suppressed` reason so the decision stays visible in the trace, but make no incident.
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

# A threat told as a visit to the exile's family ("came to his mother's flat", "пришли к родителям").
VISIT = re.compile(r"(?:visited|came|went|turned up|showed up|arrived|навестил|пришли|приходили|приехали|явились)\b",
                   re.IGNORECASE)
# A threat told as an approach ("a man who presented himself as an embassy employee", "звонит мужчина,
# представившийся ...", "к матери приходили"): with another act in its sentence, it is that act's setting.
APPROACH = re.compile(r"(?:who (?:introduced|presented|identified)|к |ко мне|звон|пиш|писа|написал|посетил|пришл|"
                      r"пришёл|приходил|подошл|подошёл|навестил)", re.IGNORECASE)
IRREALIS_WINDOW = 40  # characters before a trigger searched for hypothetical/negated wording
THREAT_WINDOW = 60  # characters between a threat word and the act it threatens
APPEAL_WINDOW = 160  # characters before a trigger searched for a protest or appeal against it
TOPIC_WINDOW = 90  # characters before a trigger searched for a work whose subject it is
CALL_WINDOW = 400  # characters before a trigger searched for a call to action about it


_SPECIAL = set("\\()[]{}?*+.|^$")


def _literal_prefix(branch: str) -> str:
    """The literal text every match of `branch` starts with ("threats?" -> "threat"), or ""."""
    out = []
    for ch in branch:
        if ch in _SPECIAL:
            if ch in "?*{" and out:
                out.pop()  # the character before an optional quantifier is not required
            break
        out.append(ch)
    return "".join(out)


def required_prefixes(pattern: str) -> tuple[str, ...] | None:
    """Literal strings one of which every match of `pattern` starts with, or None when there is no such set:
    a pattern none of whose prefixes occurs in a text cannot match it, and is not run (a sentence-long
    scan for a pattern that opens with an alternation costs the regex engine a try at every position)."""
    depth = 0
    for i, ch in enumerate(pattern):
        escaped = i > 0 and pattern[i - 1] == "\\"
        if ch in "([" and not escaped:
            depth += 1
        elif ch in ")]" and not escaped:
            depth -= 1
        elif ch == "|" and depth == 0 and not escaped:
            return None  # "a|b" at the top: no single start
    if pattern.startswith("(?:"):
        depth, branches, start = 0, [], 3
        for i, ch in enumerate(pattern):
            if ch == "\\":
                continue
            if ch == "(" and (i == 0 or pattern[i - 1] != "\\"):
                depth += 1
            elif ch == ")" and pattern[i - 1] != "\\":
                depth -= 1
                if depth == 0:
                    branches.append(pattern[start:i])
                    if pattern[i + 1:i + 2] in ("?", "*", "{"):
                        return None  # an optional group
                    break
            elif ch == "|" and depth == 1 and pattern[i - 1] != "\\":
                branches.append(pattern[start:i])
                start = i + 1
        else:
            return None
        prefixes = tuple(_literal_prefix(b) for b in branches)
        return prefixes if prefixes and all(prefixes) else None
    prefix = _literal_prefix(pattern)
    return (prefix,) if prefix else None


@dataclass(frozen=True, slots=True)
class TriggerSet:
    patterns: list[tuple[str, re.Pattern[str], bool]]  # (type, compiled, private), longest first
    prefixes: list[tuple[str, ...] | None]  # per pattern: literals one of which starts every match
    all_prefixes: frozenset[str]  # every literal of `prefixes`, each looked for once per text
    irrealis: re.Pattern[str]
    threat_heads: re.Pattern[str]
    references: re.Pattern[str]  # right before a trigger: a reference to an act ("since his arrest")
    appeals: re.Pattern[str]  # before a trigger in its sentence: a protest or appeal against the act
    against_agents: re.Pattern[str]  # after a trigger in its clause: the act is against a state's agents
    calls: re.Pattern[str]  # before a trigger in its sentence: a call to act on it ("call on X to investigate")
    topics: re.Pattern[str]  # before "about" + a noun trigger: a work whose subject the act is


def _word_re(alternatives: list[str], flags: int = re.IGNORECASE) -> re.Pattern[str]:
    body = "|".join(f"(?:{a})" for a in alternatives)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", flags)


@cache
def trigger_set(lang: str) -> TriggerSet:
    data = load_lexicon("triggers.yaml")
    key = "ru" if lang == "ru" else "en"
    private = set(data.get("private", {}).get(key, []))
    patterns: list[tuple[str, re.Pattern[str], bool]] = []
    sources: dict[int, str] = {}
    for itype, by_lang in data["triggers"].items():
        for pattern in by_lang.get(key, []):
            # No leading look-behind and no IGNORECASE: both stop the regex engine from searching
            # for the literal prefix, which is ~20x slower. Text is lower-cased and the left word
            # boundary checked by hand in find_triggers.
            compiled = re.compile(rf"(?:{pattern})(?![\w-])")
            sources[id(compiled)] = pattern
            patterns.append((itype, compiled, pattern in private))
    patterns.sort(key=lambda p: -len(p[1].pattern))
    prefixes = [required_prefixes(sources[id(p)]) for _, p, _ in patterns]
    return TriggerSet(
        patterns=patterns,
        prefixes=prefixes,
        all_prefixes=frozenset(p for ps in prefixes if ps for p in ps),
        irrealis=_word_re(data["irrealis"][key]),
        threat_heads=_word_re(data["threat_heads"][key]),
        references=re.compile(rf"(?<![\w-])(?:{'|'.join(data['references'][key])})\s*\Z", re.IGNORECASE),
        appeals=_word_re(data["appeals"][key]),
        against_agents=_word_re(data["against_agents"][key]),
        calls=_word_re(data["calls"][key]),
        topics=re.compile(rf"(?<![\w-])(?:{'|'.join(data['topics'][key])})(?![\w-])[^.;:!?()«»\"]*?"
                          r"(?<![\w-])(?:about|про|о|об|на тему)\s+(?:[\w-]+\s+){0,3}\Z", re.IGNORECASE),
    )


# A noun of an act (not a verb): only a noun can be a reference ("since his arrest", "после задержания").
_NOUN_EN = re.compile(r"(?:ed|ing)\Z", re.IGNORECASE)
_NOUN_RU = re.compile(r"(?:ни[еяюий]|нием|ци[яиюей]|цией|ст[аеуы]?|стом|ор[аеуы]?|ором|ок|ки|ка)\Z", re.IGNORECASE)


def _reference(doc: Document, sentence_start: int, trig: Trigger, ts: TriggerSet) -> str | None:
    """"since his arrest", "after the arrests", "в день оглашения приговора": the trigger names an
    act told elsewhere (it may anchor a date), not one of its own."""
    word = trig.span.text.split()[-1]
    noun = bool(_NOUN_RU.search(word)) if doc.lang == "ru" else not _NOUN_EN.search(word)
    if not noun:
        return None
    window = doc.text[max(sentence_start, trig.span.start - 40):trig.span.start]
    clause = re.split(r"[,;:—–(]| - ", window)[-1]
    return "reference" if ts.references.search(clause) else None


# A verb after "after he", "since she", "после того как его": an act told as the time of another ("six days
# after he vanished, officers came"), told elsewhere if at all (events.clause_reference.v1).
CLAUSE_REFERENCE = re.compile(
    r"(?:(?<![\w-])(?:after|since|before|until)\s+(?:he|she|they|we|i)\s+(?:had\s+|was\s+|were\s+|been\s+|"
    r"first\s+)*|(?<![\w-])(?:после|до)\s+того,?\s+как\s+(?:(?:его|её|ее|их|он|она|они)\s+)?)\Z", re.IGNORECASE)


# A fact-check's claim under review ("Claim: “He was deported in 2024.”", "Фейк: ..."): what is said, not
# what happened (events.claim_checked.v1).
CLAIM_LINE = re.compile(r"[ \t>*_#-]*(?:claims?|rumou?rs?|myths?|fake|утверждение|фейк|миф|слух)\s*\d*\s*[:—–]",
                        re.IGNORECASE)


def _claim(doc: Document, start: int) -> str | None:
    line_start = doc.text.rfind("\n", 0, start) + 1
    return "claim" if CLAIM_LINE.match(doc.text, line_start, start) else None


def _topic(doc: Document, sentence_start: int, trig: Trigger, ts: TriggerSet) -> str | None:
    """"ran broadcasts about extortion at the border and about torture in pre-trial detention", "вёл
    эфиры про пытки в СИЗО": a noun trigger that is the subject of someone's work, not an act."""
    if doc.lang != "ru" and _NOUN_EN.search(trig.span.text.split()[-1]):
        return None  # "a video about how police beat him" tells an act (after "про" comes a noun)
    window = doc.text[max(sentence_start, trig.span.start - TOPIC_WINDOW):trig.span.start]
    return "topic" if ts.topics.search(window) else None


def _clause_reference(doc: Document, sentence_start: int, trig: Trigger, told: set[str]) -> str | None:
    """Only an act of a kind already told in an earlier sentence (`told`; a headline tells none): "nearly
    three weeks after he was detained" may be the only telling of the detention."""
    if trig.type not in told:
        return None
    window = doc.text[max(sentence_start, trig.span.start - 40):trig.span.start]
    return "reference" if CLAUSE_REFERENCE.search(window) else None


def _appeal(doc: Document, sentence_start: int, trig: Trigger, ts: TriggerSet) -> str | None:
    """"a protest against the detention of political prisoners", "призывает прекратить выдворение"."""
    before = doc.text[max(sentence_start, trig.span.start - APPEAL_WINDOW):trig.span.start]
    appeals = list(ts.appeals.finditer(before))
    m = appeals[-1] if appeals else None  # the nearest appeal before the trigger
    # The act must be what the protest or appeal is against: "against the detention of", not a
    # later act of the sentence ("banned demonstrations against the war, threatened to deport ...").
    if m is None or re.search(r"[.;,]", before[m.end():]) or len(before[m.end():].split()) > 3:
        return None
    return "appeal"


def _call_to_action(doc: Document, sentence_start: int, trig: Trigger, ts: TriggerSet) -> str | None:
    """"We call on the British authorities to investigate the threats and to end the harassment of
    ...": the acts are what the call is about, told elsewhere if at all. A relative clause between the
    call and the trigger ("release X, who was detained on 5 May") tells an act of its own."""
    # A call reaches the acts of its own long sentence, not beyond CALL_WINDOW characters (which also keeps
    # a sentence of thousands of triggers linear).
    before = doc.text[max(sentence_start, trig.span.start - CALL_WINDOW):trig.span.start]
    m = ts.calls.search(before)
    if m is None or re.search(r",\s*(?:who|which|whom|когда|котор\w+)\b|\b(?:after|since|после)\b", before[m.end():]):
        return None
    return "call-to-action"


def _against_agents(doc: Document, sentence_end: int, trig: Trigger, ts: TriggerSet) -> str | None:
    """"charged two men with spying on ...", "sentenced a man for espionage": the host state acting
    against another state's agents."""
    after = doc.text[trig.span.end:min(sentence_end, trig.span.end + 120)]
    clause = re.split(r"[,;:—–]| - ", after)[0]
    return "against-agents" if ts.against_agents.search(clause) else None


FEARED_THAT = re.compile(r"(?<![\w-])(?:боя\w*|боит\w*|опаса\w*|fears?|feared|afraid|worr(?:y|ies|ied))\s*$",
                         re.IGNORECASE)


# A parenthetical word between commas does not end a clause: "меня бы, скорее всего, уже выдали",
# "he would, perhaps, be deported".
PARENTHETICAL = re.compile(
    r",\s*(?:скорее всего|возможно|наверное|наверняка|вероятно|видимо|по-видимому|конечно|пожалуй|"
    r"допустим|предположим|скажем|например|probably|perhaps|possibly|likely|most likely|in all likelihood|"
    r"of course|say|suppose|for example|for instance)\s*,", re.IGNORECASE)


def _irrealis(doc: Document, sentence_start: int, start: int, ts: TriggerSet) -> str | None:
    window = PARENTHETICAL.sub(" ", doc.text[max(sentence_start, start - 2 * IRREALIS_WINDOW):start])
    window = window[-IRREALIS_WINDOW:]
    # Only the clause the trigger is in: stop at the last comma, semicolon or dash.
    parts = re.split(r"[,;:—–]| - ", window)
    clause = parts[-1]
    if len(parts) > 1 and FEARED_THAT.search(parts[-2]) and re.match(r"\s*(?:что|that)\b", clause, re.IGNORECASE):
        return "irrealis:feared"  # "боятся, что их задержат", "fear that they will be deported"
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


def _lower_same_length(text: str) -> str:
    """Lower case with "ё" as "е" (patterns are written with "е"), keeping every offset."""
    lower = text.lower()
    if len(lower) != len(text):  # a few characters ("İ") grow when lower-cased: keep offsets
        lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lower.replace("ё", "е")


def _is_setting(trig: Trigger, hits: list[Trigger]) -> bool:
    """A threat told as a visit with another act right after it, or as an approach with another act
    anywhere in its sentence: the setting of that act, not a threat of its own."""
    others = [o for o in hits if o.type != "threat" and not o.suppressed]
    if VISIT.match(trig.span.text) and any(0 < o.span.start - trig.span.end <= 80 for o in others):
        return True
    return bool(APPROACH.match(trig.span.text) and others)


def find_triggers(doc: Document) -> list[Trigger]:
    ts = trigger_set(doc.lang)
    found: list[Trigger] = []
    names = sorted((a.span.start, a.span.end) for a in doc.actors if a.kind in ("organization", "agency"))
    lower = _lower_same_length(doc.text)
    # Each pattern runs once over the whole text; longer patterns claim their characters first, so
    # "taken into custody" wins over "custody".
    taken = bytearray(len(doc.text))
    by_sentence: dict[int, list[tuple[str, bool, int, int]]] = {}
    present = {p for p in ts.all_prefixes if p in lower}
    for (itype, pattern, private), prefixes in zip(ts.patterns, ts.prefixes, strict=True):
        if prefixes is not None and present.isdisjoint(prefixes):
            continue  # none of the words it starts with is in the text
        for m in pattern.finditer(lower):
            start, end = m.start(), m.end()
            if start > 0 and (lower[start - 1].isalnum() or lower[start - 1] in "_-"):
                continue  # inside a word
            if any(taken[start:end]):
                continue
            index = doc.sentence_at(start)
            if index is None or end > doc.sentences[index].end:
                continue  # across a sentence or paragraph break
            taken[start:end] = b"\x01" * (end - start)
            by_sentence.setdefault(index, []).append((itype, private, start, end))
    told: set[str] = set()  # types of acts told live in the sentences before (headlines aside)
    for index in sorted(by_sentence):
        sent = doc.sentences[index]
        first_of_sentence = len(found)
        hits: list[Trigger] = []
        for itype, private, s, e in by_sentence[index]:
            kind = "private" if private else "v1"
            trig = Trigger(type=itype, span=Span(s, e, doc.text[s:e]), sentence=sent.index,
                           rule=f"events.trigger.{itype}.{kind}" + (".v1" if private else ""))
            if _inside_name(names, s, e) or (
                    doc.text[s:s + 1].isupper() and s > sent.start and doc.lang != "ru"
                    and re.search(r"[A-Z][\w-]*\s+(?:of\s+|for\s+|against\s+|and\s+)?(?:the\s+)?$",
                                  doc.text[max(sent.start, s - 30):s])):
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
            if trig.type == "threat" and _is_setting(trig, hits):
                # "came to his mother's flat and questioned her": the visit is the setting of the act.
                trig.suppressed = "visit-setting"
                found.append(trig)
                continue
            reason = (_claim(doc, trig.span.start) or _infinitive(doc, trig.span.start)
                      or _irrealis(doc, sent.start, trig.span.start, ts)
                      or _reference(doc, sent.start, trig, ts) or _clause_reference(doc, sent.start, trig, told)
                      or _topic(doc, sent.start, trig, ts)
                      or _appeal(doc, sent.start, trig, ts)
                      or _call_to_action(doc, sent.start, trig, ts)
                      or (None if trig.type == "surveillance" else _against_agents(doc, sent.end, trig, ts)))
            if reason:
                trig.suppressed = reason
            found.append(trig)
        if sent.text.rstrip()[-1:] in ".!?»\"”":
            told.update(t.type for t in found[first_of_sentence:] if not t.suppressed)
    return found
