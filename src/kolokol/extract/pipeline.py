"""A pipeline of named, versioned steps (`Document -> Document`), registered under names such as
"dates.rules.v1". A stored incident records the steps that produced it."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from functools import cache

from kolokol.domain import ActorMention, Span
from kolokol.extract.document import Document

Step = Callable[[Document], Document]
RELATIVES_OF = re.compile(r"(?:(?:the )?(?:relatives|families|parents|family members|wives|mothers) of |"
                          r"(?:родственник\w*|родител\w*|сем\w{1,3}|близки\w*|жён|матерей) )$", re.IGNORECASE)
REGISTRY: dict[str, Step] = {}


def step(name: str) -> Callable[[Step], Step]:
    def register(func: Step) -> Step:
        if name in REGISTRY:
            raise ValueError(f"step {name!r} registered twice")
        REGISTRY[name] = func
        return func

    return register


@step("segment.sentences.v1")
def segment_step(doc: Document) -> Document:
    from kolokol.extract.segment import split_sentences

    doc.sentences = split_sentences(doc.text)
    return doc


@step("dates.rules.v1")
def dates_step(doc: Document) -> Document:
    from kolokol.extract.dates import find_dates

    doc.dates = find_dates(doc.text, doc.published, doc.published_precision, doc.lang)
    return doc


@cache
def _adjective_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    from kolokol.lexicon import load_lexicon

    stems: dict[str, str] = load_lexicon("place_adjectives.yaml")["ru"]
    alternatives = "|".join(sorted(stems, key=len, reverse=True))
    endings = "ий|ый|ой|ая|яя|ое|ее|ие|ые|ого|его|ому|ему|ом|ем|ую|юю|их|ых|им|ым|ими|ыми|ей"
    return re.compile(rf"(?<![\w-])(?i:({alternatives})(?:{endings}))(?![\w-])"), stems


def _adjective_places(text: str) -> list:
    """"в стамбульском районе", "бишкекский суд": a city named by its Russian adjective."""
    if not re.search("[а-яё]", text):
        return []
    from kolokol.resolve.gazetteer import get_gazetteer

    pattern, stems = _adjective_pattern()
    out = []
    for m in pattern.finditer(text):
        place = get_gazetteer().lookup(stems[m.group(1).lower()], "ru")
        if place is not None:
            out.append(place.mention(Span(m.start(), m.end(), m.group()), "places.ru_adjective.v1"))
    return out


@step("places.gazetteer.v1")
def places_step(doc: Document) -> Document:
    from kolokol.extract.places import find_places

    places = find_places(doc.text, doc.lang) + _adjective_places(doc.text)
    places.sort(key=lambda p: p.span.start)
    # A place name in quotation marks names something else: a metro station, a cafe. A border
    # checkpoint or crossing is named after the town it stands at ("пункт пропуска «Брест»"): that
    # town is where the act happened (rule places.checkpoint_town.v1).
    kept = []
    for p in places:
        quoted = (doc.text[p.span.start - 1:p.span.start] in ("«", "“", '"', "„")
                  and doc.text[p.span.end:p.span.end + 1] in ("»", "”", '"', "“"))
        if not quoted:
            kept.append(p)
        elif p.kind == "city" and (_CHECKPOINT_BEFORE.search(doc.text[max(0, p.span.start - 40):p.span.start - 1])
                                   or _CHECKPOINT_AFTER.match(doc.text, p.span.end + 1)):
            kept.append(dataclasses.replace(p, rule="places.checkpoint_town.v1"))
    doc.places = kept
    return doc


_CHECKPOINT_BEFORE = re.compile(
    r"(?:пункт\w*\s+пропуска|погранпереход\w*|пограничн\w+\s+переход\w*|\bКПП|автомобильн\w+\s+переход\w*|"
    r"таможенн\w+\s+пост\w*|checkpoint|border\s+crossing|crossing\s+point|border\s+post)\s*$",
    re.IGNORECASE)
_CHECKPOINT_AFTER = re.compile(r"\s*(?:border\s+)?(?:checkpoint|crossing|border\s+post)", re.IGNORECASE)


@step("actors.rules.v1")
def actors_step(doc: Document) -> Document:
    from kolokol.extract.actors import find_actors
    from kolokol.extract.relatives import find_relatives

    doc.actors = find_actors(doc.text, doc.lang)
    taken = [(a.span.start, a.span.end) for a in doc.actors]
    relatives, named_at = find_relatives(doc.text, doc.lang, taken)
    for actor in doc.actors:
        if actor.kind == "group":
            kin = RELATIVES_OF.search(doc.text[max(0, actor.span.start - 25):actor.span.start])
            if kin:
                # "relatives of five participants", "родственников пятерых участников": the relatives
                # are the group acted against.
                start = actor.span.start - (len(kin.group()))
                actor.span = Span(start, actor.span.end, doc.text[start:actor.span.end])
                actor.name, actor.count, actor.profile = actor.span.text, None, "relative"
    for start, end in named_at:
        known = [a for a in doc.actors if a.kind == "person" and a.span.start == start]
        for actor in known:
            actor.profile = "relative"
        if not known and not any(a.span.start < end and start < a.span.end for a in doc.actors):
            # A relative's name the person recogniser did not know ("Nawaf al-Suhaimi").
            name = doc.text[start:end]
            doc.actors.append(ActorMention(span=Span(start, end, name), name=name, kind="person",
                                           profile="relative", canonical=name, rule="actors.relative_name.v1"))
    doc.actors.sort(key=lambda a: a.span.start)
    if relatives:
        inside = [(r.span.start, r.span.end) for r in relatives]
        # A name wrapped by a relative phrase is the exile, not the victim of this act.
        doc.actors = [a for a in doc.actors
                      if not any(s <= a.span.start and a.span.end <= e for s, e in inside)] + relatives
        doc.actors.sort(key=lambda a: a.span.start)
    _relink_bare_surnames(doc.actors)
    _surname_not_town(doc)
    # A lone word the recogniser took for a person that is exactly a town the gazetteer knows is the
    # town ("вызвали в прокуратуру Куляба"), not somebody (rule actors.town_not_person.v1).
    towns = {(p.span.start, p.span.end) for p in doc.places if p.kind == "city"}
    doc.actors = [a for a in doc.actors if not (a.kind == "person" and " " not in a.span.text.strip()
                                                and (a.span.start, a.span.end) in towns)]
    # A place name inside a person's or organisation's name is not a place ("Gulnar Tursun").
    names = [(a.span.start, a.span.end) for a in doc.actors if a.kind in ("person", "organization")]
    if names:
        doc.places = [p for p in doc.places
                      if not any(s <= p.span.start and p.span.end <= e for s, e in names)]
    return doc


_LOCATIVE = re.compile(r"(?:\b(?:in|near|outside|from|to)|(?<![\w-])(?:в|во|из|под|до))\s+\Z", re.IGNORECASE)


def _surname_not_town(doc: Document) -> None:
    """A lone word that is part of a person's full name told in the report is that person, not the
    town of the same name ("Rafael Ibarra Mendoza ... Ibarra had been captured"), unless the text
    puts it after a locative preposition ("in Ibarra") (rule places.name_of_person.v1)."""
    words: dict[str, str] = {}
    for a in doc.actors:
        if a.kind == "person":
            parts = re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", a.span.text)
            if len(parts) > 1:
                for w in parts:
                    words.setdefault(w.lower(), a.canonical or a.name)
    if not words:
        return
    drop = set()
    for p in doc.places:
        surface = p.span.text.strip()
        if p.kind != "city" or " " in surface or surface.lower() not in words or any(
                a.span.start <= p.span.start and p.span.end <= a.span.end
                and (a.span.end - a.span.start > p.span.end - p.span.start) for a in doc.actors):
            continue
        if _LOCATIVE.search(doc.text, max(0, p.span.start - 8), p.span.start):
            continue
        drop.add((p.span.start, p.span.end))
        if not any(a.span.start == p.span.start and a.span.end == p.span.end for a in doc.actors):
            doc.actors.append(ActorMention(span=p.span, name=surface, kind="person",
                                           canonical=words[surface.lower()], rule="places.name_of_person.v1"))
    if drop:
        doc.places = [p for p in doc.places if (p.span.start, p.span.end) not in drop]
        doc.actors.sort(key=lambda a: a.span.start)


def _relink_bare_surnames(actors: list[ActorMention]) -> None:
    """A bare surname ("Habineza said") stands for the exile the report is about, not for a relative
    of the same surname named in passing ("his brother Emmanuel Habineza")."""
    from kolokol.extract.names import name_tokens

    def surname(name: str) -> str:
        toks = name_tokens(name)
        return toks[-1] if toks else ""

    full = [a for a in actors if a.kind == "person" and len((a.canonical or a.name).split()) > 1]
    relatives = {a.canonical for a in full if a.profile == "relative"}
    for actor in actors:
        if actor.kind != "person" or not actor.rule.endswith("surname.v1") or actor.canonical not in relatives:
            continue
        key = surname(actor.name)
        others = [a for a in full if a.profile != "relative" and surname(a.canonical or a.name) == key]
        if others:
            before = [a for a in others if a.span.start < actor.span.start]
            actor.canonical = (before[-1] if before else others[0]).canonical


@step("legal.rules.v1")
def legal_step(doc: Document) -> Document:
    from kolokol.extract.legal import find_legal, find_outcomes

    doc.legal = find_legal(doc.text, doc.lang)
    doc.outcomes = find_outcomes(doc.text, doc.lang)
    return doc


@step("events.triggers.v1")
def events_step(doc: Document) -> Document:
    from kolokol.extract.events import find_triggers

    doc.triggers = find_triggers(doc)
    return doc


@step("incidents.assemble.v1")
def incidents_step(doc: Document) -> Document:
    from kolokol.extract.incidents import assemble_incidents

    doc.mentions = assemble_incidents(doc)
    return doc


DEFAULT_STEPS = (
    "segment.sentences.v1",
    "dates.rules.v1",
    "places.gazetteer.v1",
    "actors.rules.v1",
    "legal.rules.v1",
    "events.triggers.v1",
    "incidents.assemble.v1",
)


def run_pipeline(doc: Document, steps: tuple[str, ...] = DEFAULT_STEPS) -> Document:
    for name in steps:
        doc = REGISTRY[name](doc)
        doc.steps.append(name)
    return doc
