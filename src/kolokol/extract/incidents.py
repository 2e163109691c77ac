"""Assemble triggers, actors, dates, places and legal references into report-level incidents.

The reading, step by step:
1. Each sentence with live triggers gives one candidate per act: when a sentence names several
   victims with several triggers, each victim goes with its nearest trigger ("X was detained in
   2019 and Y was deported in 2021" = two candidates).
2. A candidate without a named victim looks back for the one it speaks of ("he", "they", "the
   centre", "all of them") in the previous sentences; with none it is context, not an incident.
3. Candidates telling the same act are merged: the same sentence, an anaphoric continuation, or
   the same named victim in the same paragraph with a compatible date and no conflicting
   perpetrator.
4. Fields are filled from the incident's sentences first, then from its paragraph, then from
   the report (dateline, publication date), each with the span it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, TypeVar

from kolokol.domain import (
    PRECISION_RANK,
    ActorMention,
    DateMention,
    Mention,
    Party,
    PlaceMention,
    Span,
    sort_types,
)
from kolokol.extract.actors import get_lexicon as _actor_lexicon
from kolokol.extract.dates import BACKWARD_RULE, has_inferred_year, window_end, year_before
from kolokol.extract.document import Document, Trigger
from kolokol.extract.names import fold_name, same_person
from kolokol.extract.origin import find_origin_country
from kolokol.lexicon import load_lexicon
from kolokol.resolve.gazetteer import country_of_adjective

T = TypeVar("T")

ANAPHORA_EN = re.compile(
    r"(?<![\w-])(?:he|she|they|him|her|them|his|their|all of them|both of them|the (?:activist|journalist|"
    r"musician|blogger|lawyer|pianist|detainees?|group|band|cent(?:er|re)|organi[sz]ation|outlet|"
    r"foreigners|emigr[eé]s?|exiles?|incident|couple|artist|man|woman|student|dissident|singer|poet|"
    r"defendant|men|women|activists|journalists|perpetrators|detainees|participants|protesters|protestors)"
    r"|those detained|those arrested)(?![\w-])",
    re.IGNORECASE,
)
ANAPHORA_RU = re.compile(
    r"(?<![\w-])(?:он|она|они|его|её|ее|их|ему|ей|им|активист\w*|журналист\w*|музыкант\w*|блогер\w*|"
    r"задержанн\w*|групп\w*|центр\w*|организаци\w*|все они)(?![\w-])",
    re.IGNORECASE,
)
SPEECH = re.compile(
    r"(?<![\w-])(?:said|says|told|tells|added|wrote|recalled|explained|stated|claimed|shared|learned|"
    r"learnt|noted|believes|suggested|warned that|argued|insisted|confirmed|announced|reported|"
    r"заявил\w*|сказал\w*|рассказал\w*|сообщил\w*|отметил\w*|считает|уточнил\w*|пишет|написал\w*)"
    r"(?![\w-])",
    re.IGNORECASE,
)
SOURCE_BEFORE = re.compile(r"(?:according to|published by|reported by|told|quoted by|cited by|by the count of|"
                           r"figures from|data from|a report by|по словам|"
                           r"по данным|сообщает|сообщил\w*|рассказал\w*)\s+(?:the\s+)?(?:[\w-]+\s+){0,4}$|"
                           r"(?:according to|по словам)\s+(?:\w+\s+){0,2}\w+,\s+$",  # "according to his lawyer, X"
                           re.IGNORECASE)
SUBJECT_PRONOUN = re.compile(r"^\W*(?:he|she|they|his|her|their|it|both|all of them|он|она|они|его|ее|её|их)\b",
                             re.IGNORECASE)
ACT_ANAPHOR = re.compile(r"(?<![\w-])(?:the|this|that|these|his|her|their) (?:incident|detention|arrest|"
                         r"detentions|arrests|case|raid)(?![\w-])|(?<![\w-])(?:этот|это|тот) (?:инцидент|случай|"
                         r"задержани\w*)(?![\w-])", re.IGNORECASE)
# A place that is someone's nationality or home, not the scene of the act: "a citizen of the Russian
# Federation", "who lives in Tbilisi", "гражданин России", "живёт в Ереване", "fled to Istanbul".
NOT_THE_SCENE = re.compile(
    r"(?:\bcitizens?\s+of|\bnationals?\s+of|\bnative\s+of|\blives?\s+in|\bliving\s+in|\bbased\s+in|"
    r"\bresident\s+of|\bmoved\s+to|\bfled\s+to|\brelocated\s+to|\bsettled\s+in|\bhas\s+lived\s+in|"
    r"гражданин\w*|граждан\w*|уроженец|уроженк\w*|жив[ёе]т\s+в|живущ\w*\s+в|проживает\s+в|проживающ\w*\s+в|"
    r"переехал\w*\s+в|эмигрировал\w*\s+в|уехал\w*\s+в|бежал\w*\s+в|"
    # Where a traveller was coming from: "returning from Warsaw", "возвращался из Варшавы".
    r"\b(?:returning|returned|travell?ing|coming|arriving|flying|back)\s+(?:home\s+)?from|"
    r"(?:возвращал|вернул|ехал|летел|прилетел|прибыл|приехал|следовал)\w*\s+(?:\w+\s+)?из)"
    r"\s+(?:the\s+)?(?:[\w-]+\s+){0,2}$",
    re.IGNORECASE)
DESTINATION = re.compile(r"(?:\bto|\binto|\btowards|\bfor)\s+(?:the\s+)?$")
# "took him to a removal centre in Tuzla": where the person was taken, not where the act happened.
FACILITY_DESTINATION = re.compile(
    r"(?:\bto|\binto)\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,2}(?:centre|center|facility|prison|camp|jail|station|"
    r"unit|colony|hospital)\s+(?:in|at|near)\s+$", re.IGNORECASE)
# "summoned to the ward police station in Nam Dinh": the station one is called to is where the act happens.
SUMMONED_TO = re.compile(r"(?:summon\w*|called|invited|ordered|told)\s+(?:to\s+(?:report|come|appear)\s+)?(?:to|at)\s+"
                         r"(?:a|an|the)\s+(?:[\w-]+\s+){0,2}\w+\s+(?:in|at|near)\s+$", re.IGNORECASE)
# "отправили рейсом в Душанбе", "выслали в Узбекистан": after a verb of transfer, "в" is "to".
DESTINATION_RU = re.compile(
    r"(?<![\w-])(?:отправ|депортир|выслан|выслал|высыла|выдворен|выдворил|выдворя|экстрадир|выдал|выдан|переда|"
    r"вывез|вывоз|увез|увоз|доставлен|доставил|этапир|вернул|возвращ|вылет|рейс|направ|перевез|"
    r"выехал|уехал|бежал|переехал)\w*\s+(?:[\w«»-]+\s+){0,3}?(?:в|во|на)\s+$", re.IGNORECASE)
# "увезли из дома в Гудермесе": the town of the home a victim was taken from is the scene, not a destination.
LEFT_FROM_IN = re.compile(r"(?<![\w-])из\s+(?:\w+\s+)?(?:дома|квартиры|подъезда|кафе|мечети|офиса|общежития|"
                          r"гостиницы|отеля|магазина|больницы|школы)\s+(?:в|во)\s+$", re.IGNORECASE)
# "отправлен в лагерь в Кашгаре": the town of the camp or cell a victim was sent to is the scene.
FACILITY_IN = re.compile(r"(?<![\w-])(?:лагер|колони|сизо|тюрьм|изолятор|спецприемник|спецприёмник)\w*\s+(?:в|во)\s+$",
                         re.IGNORECASE)
# "Анкара обвиняет", "Moscow says", "Beijing's request": a state named by its capital, not a scene.
METONYMY_AFTER = re.compile(
    r"(?:['’]s\s+(?:request|demand|pressure|side)|\s+(?:says|said|accuses|accused|wants|wanted|demands|demanded|"
    r"requested|asked|claims|claimed|insists|denies|denied|considers|obtained|has accused|has asked|"
    r"обвиняет|обвинял\w*|требует|требовал\w*|заявил\w*|заявляет|хочет|добивается|настаивает|утверждает|"
    r"считает|запросил\w*|просит|просил\w*)(?![\w-]))")
LOCATIVE = re.compile(r"(?:\b(?i:in|at|near|outside|inside)\s+(?:the\s+)?(?:[A-Z][\w-]*\s+){0,2}|"
                      r"(?<![\w-])(?i:(?:в|во|на|под|у)\s+(?:(?:аэропорт[уе]?|центре|пригороде|окрестностях|"
                      r"городе|посёлке|поселке|селе|районе|здании|отделе)\s+)?))$")

TARGET_KINDS = {"person", "organization", "group"}
# Facts about the whole report (its narrator, main country, where its people live) asked for every
# candidate: computed once per report. Reset by assemble_incidents.
_MEMO: dict[tuple[int, str], object] = {}


def _once(doc: Document, key: str, compute: Callable[[], T]) -> T:
    memo_key = (id(doc), key)
    if memo_key not in _MEMO:
        _MEMO[memo_key] = compute()
    return _MEMO[memo_key]  # type: ignore[return-value]


def _sentence_of(doc: Document, offset: int) -> int | None:
    """`doc.sentence_at(offset)`, remembered: every candidate asks it about the same actors."""
    memo: dict[int, int | None] = _once(doc, "_sentence_of", dict)
    if offset not in memo:
        memo[offset] = doc.sentence_at(offset)
    return memo[offset]


MERGE_LOOKBACK = 3  # sentences an anaphor may reach back


@dataclass
class Candidate:
    sentences: list[int]
    triggers: list[Trigger]
    targets: list[ActorMention] = field(default_factory=list)
    perpetrators: list[ActorMention] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    later_dates: list[DateMention] = field(default_factory=list)  # from sentences merged into it
    anaphoric: bool = False
    trace: list[str] = field(default_factory=list)
    origin_hint: tuple[str, Span] | None = None  # the state an inferred rendition delivered the victim to
    scene_hint: PlaceMention | None = None  # where the victim of an inferred rendition vanished

    @property
    def first_sentence(self) -> int:
        return min(self.sentences)

    @property
    def types(self) -> set[str]:
        return {t.type for t in self.triggers}


# A state's proxy (rule incidents.proxy_not_victim.v1): "the embassy-backed X", "pro-Kremlin X",
# "X, close to the embassy", "«Х», близкого к посольству".
PROXY_BEFORE = re.compile(
    r"(?<![\w-])(?:(?:embassy|consulate|government|state|kremlin|regime|security[- ]service)[- ](?:backed|funded|"
    r"linked|sponsored|controlled|affiliated|run|organi[sz]ed)|pro-(?:government|kremlin|regime|embassy)|"
    r"проправительственн\w*|прокремлевск\w*|прокремлёвск\w*|провластн\w*)\s+(?:[\w-]+\s+){0,2}[«\"“]?$",
    re.IGNORECASE)
PROXY_AFTER = re.compile(
    r"[»\"”]?,?\s+(?:(?:which is |that is )?(?:close to|linked to|backed by|funded by|loyal to) the (?:\w+ )?"
    r"(?:embassy|consulate|government|authorities|regime)|(?:близк\w+|подконтрольн\w+|лояльн\w+|"
    r"связанн\w+) (?:к |с )?(?:посольств|консульств|власт|правительств))", re.IGNORECASE)
AFFILIATION_BEFORE = re.compile(
    r"(?:founders?|co-founders?|members?|leaders?|head|director|editor|forming|leading|founding|"
    r"establish(?:ing|ed)?|founded|joined|works? for|worked for|организатор\w*|основател\w*|член\w*|"
    r"участни\w*|руководител\w*|создани\w*)\s+(?:of\s+)?(?:the\s+)?(?:[\w-]+\s+){0,2}$",
    re.IGNORECASE,
)
SUSPECT_AFTER = re.compile(
    r"[\s,—–-]{0,3}(?:\w+\s+){0,6}?(?:suspected|accused) of (?:spying|espionage|plotting|planning|working for|"
    r"murder|killing|attack|the (?:attack|murder|killing|shooting|abduction))|[\s,]{0,3}(?:who|that) (?:had )?"
    r"(?:spied|worked for (?:the )?\w+ intelligence)|\s+(?:with|for|of) (?:spying|espionage)|"
    r"[\s,]{0,3}(?:подозреваем\w*|обвиняем\w*) в (?:шпионаже|убийстве|нападении|сборе (?:сведений|информации|данных)|"
    r"слежке|работе на|сотрудничестве с (?:\w+ )?(?:спецслужб|разведк)\w*)", re.IGNORECASE)
SUSPECT_BEFORE = re.compile(r"(?:suspects?|suspected (?:spies|agents|killers|attackers)|alleged (?:spies|agents))"
                            r"[\s,]+$", re.IGNORECASE)
# "came to his mother's flat": a relative visited at home is the one threatened.
HOME_AFTER = re.compile(r"['’]s\s+(?:\w+\s+)?(?:home|house|flat|apartment|door)\b", re.IGNORECASE)
HAS_COUNT_BEFORE = re.compile(r"(?:(?<![\w-])(?:has|have|had|with|boasts?|насчитыва\w*|имеет|у\s+[\w-]+)\s+"
                              r"(?:(?:about|around|over|some|more than|nearly|almost|около|более|почти|свыше|"
                              r"примерно)\s+)?)$", re.IGNORECASE)
ALIAS_BEFORE = re.compile(r"(?:назвал(?:ся|ась|ись)|представил(?:ся|ась|ись)|назвавш\w+\s+себя|called\s+himself|"
                          r"called\s+herself|introduced\s+(?:himself|herself)\s+as|gave\s+(?:his|her)\s+name\s+as|"
                          r"said\s+(?:his|her)\s+name\s+was)\s+(?:[\w-]+\s+)?$", re.IGNORECASE)
TOPIC_BEFORE = re.compile(r"(?<![\w-])(?:about|regarding|concerning|о|об|про|насч[её]т)\s+(?:(?:his|her|their|"
                          r"the|its|[\w-]+['’]s)\s+)?$", re.IGNORECASE)
KIN_AFTER = re.compile(r"(?:'s|’s)\s+(?:[\w-]+\s+)?(?:mother|father|parents|brother|sister|wife|husband|son|daughter|"
                       r"relatives|family|cousin|uncle|aunt)\b", re.IGNORECASE)
PRONOUN_AFTER_SPEECH = re.compile(r"^\W*(?:\w+\W+){0,3}?(?:that\s+)?(?:he|she|they|i|we|он|она|они|я|мы)\b",
                                  re.IGNORECASE)


AGENT_OBJECT = re.compile(r"(?<![\w-])(?:him|her|them|me|us|его|её|ее|их|меня|нас)(?![\w-])", re.IGNORECASE)


PASSIVE_GAP = re.compile(r"(?<![\w-])(?:was|were|been|being|is|are|got|get|had|has|have|был|была|были|было|"
                         r"которы\w+|who|that|which|and|or|и|или)(?![\w-])", re.IGNORECASE)
INTRANSITIVE = re.compile(r"disappeared|went missing|vanished|died|пропа|исчез|погиб|умер", re.IGNORECASE)
OBJECT_AFTER = re.compile(r"\s*(?:him|her|them|me|us|the|a|an|his|her|their|its|every\w*|people|visitors|"
                          r"participants|guests|[а-яё]+(?:ей|ов|ев|их|ых|ого|его|ую|юю|у|ю)\b)", re.IGNORECASE)
RU_NOMINATIVE_GROUP = re.compile(r"^(?:двое|трое|четверо|пятеро|шестеро|несколько|неизвестные|мужчины|люди)\b",
                                 re.IGNORECASE)
RU_FINITE = re.compile(r"^\w+(?:ли|ла|ло|ют|ет|ит|ат|ят|ут)\b", re.IGNORECASE)


# "a book by X", "a screening of a film by X": X is the author of banned work, not an agent.
WORK_BY = re.compile(r"\b(?:books?|novels?|films?|documentar(?:y|ies)|videos?|songs?|articles?|poems?|plays?|works?"
                     r"|albums?|podcasts?|paintings?|drawings?|cartoons?|posts?|essays?|lectures?|memoirs?|concerts?|screenings?"
                     r"|performances?|exhibitions?|shows?|readings?|talks?|gigs?)\s+by\s*$",
                     re.IGNORECASE)


def _agent_of_act(doc: Document, actor: ActorMention, triggers: list[Trigger] | None) -> bool:
    """The subject right before an active act that has its own object ("двое мужчин затолкали его в
    машину", "two men followed him home", "двое мужчин снимают на телефон посетителей"): the actor,
    not the victim. A passive ("were detained") or a reduced relative ("activists detained in Osh")
    keeps the name the victim."""
    for t in triggers or []:
        gap = doc.text[actor.span.end:t.span.start]
        if not 0 <= t.span.start - actor.span.end <= 25 or re.search(r"[,;:.—–()]", gap) or PASSIVE_GAP.search(gap):
            continue
        if INTRANSITIVE.search(t.span.text):
            continue
        if AGENT_OBJECT.search(t.span.text) or AGENT_OBJECT.match(doc.text[t.span.end:t.span.end + 5].strip()):
            return True
        if doc.lang == "ru":
            if actor.kind == "group" and RU_NOMINATIVE_GROUP.match(actor.span.text) and RU_FINITE.match(t.span.text):
                return True
        elif t.span.text.split()[0].lower().endswith("ed") and OBJECT_AFTER.match(doc.text, t.span.end):
            return True
    return False


RU_KIN_NOMINATIVE = frozenset({"мать", "отец", "родители", "брат", "братья", "сестра", "жена", "муж", "сын",
                               "дочь", "родственники", "семья"})


def _oblique_relative(actor: ActorMention) -> bool:
    """"позвонили его сестре и сказали": a Russian relative in an oblique case is spoken to, not the
    speaker of the verb after it."""
    words = actor.span.text.lower().split()
    return (actor.profile == "relative" and bool(re.search("[а-яё]", actor.span.text))
            and not any(w in RU_KIN_NOMINATIVE for w in words))


def _oblique_name(doc: Document, actor: ActorMention) -> bool:
    """"Фарходу Рахимову позвонили и сказали": a Russian name written in another case than its
    nominative is not the subject who speaks."""
    if doc.lang != "ru" or not actor.canonical or not re.search("[а-яё]", actor.span.text):
        return False
    return fold_name(actor.span.text.split()[-1]) != fold_name(actor.canonical.split()[-1])


AUDIENCE = re.compile(r"(?:followers|subscribers|readers|viewers|listeners|fans|members|подписчик\w*|читател\w*|"
                      r"зрител\w*|слушател\w*)\s*$", re.IGNORECASE)
AUDIENCE_SIZE_BEFORE = re.compile(r"(?<![\w-])(?:has|had|have|having|with|boasts|gained|reached|имеет|набрал\w*|"
                                  r"насчитывает|собрал\w*|с)\s+$", re.IGNORECASE)


def _is_target(actor: ActorMention, doc: Document, triggers: list[Trigger] | None = None) -> bool:
    """Can this actor be a victim here? Officials, and the people and outlets a report quotes or
    cites, are not victims of the act they speak about."""
    if actor.kind not in TARGET_KINDS:
        return False
    if actor.kind == "person" and actor.profile == "official":
        return False
    before = doc.text[max(0, actor.span.start - 60):actor.span.start]
    if actor.kind == "group" and AUDIENCE.search(actor.span.text) and AUDIENCE_SIZE_BEFORE.search(before):
        return False  # "My page has about 210,000 followers": the size of an audience, not a victim group
    if SOURCE_BEFORE.search(before) or (re.search(r"\bby\s*[\[(]?\s*$", before)
                                        and not WORK_BY.search(before)):
        return False  # a source, or the agent of a passive act ("detained by five men")
    if SUSPECT_AFTER.match(doc.text, actor.span.end) or SUSPECT_BEFORE.search(before):
        return False  # the host state arresting the agents of transnational repression
    if _agent_of_act(doc, actor, triggers):
        return False  # "двое мужчин затолкали его в машину": the men acted, "его" is the victim
    if actor.kind == "group":
        # "the channel has 60,000 subscribers", "у канала 60 тысяч подписчиков": an audience, no victims
        return not (actor.count and HAS_COUNT_BEFORE.search(before[-40:]))
    if actor.kind == "person" and KIN_AFTER.match(doc.text, actor.span.end):
        return False  # "Tursunaliev's father": the relative is the victim here, not the exile
    if actor.kind == "person" and TOPIC_BEFORE.search(before):
        return False  # "questioned about Ali's friends", "расспрашивали о Курбанове": what was asked about
    if re.search(r"(?<![\w-])in what\s+$", before, re.IGNORECASE):
        return False  # "..., in what his family called an abduction": who judges the act
    if actor.kind == "person" and ALIAS_BEFORE.search(before):
        return False  # "человек, который назвался Рустамом": the name the caller gave, not a victim
    if actor.kind == "person" and actor.profile == "relative" and re.match(r"['’]s\s", doc.text[actor.span.end:
                                                                                                  actor.span.end + 3]) \
            and not (HOME_AFTER.match(doc.text, actor.span.end) and any(
                t.type == "threat" and t.span.start <= actor.span.start < t.span.end for t in triggers or [])):
        return False  # "his daughter's school": the relative owns something, is not acted against
    if actor.kind == "organization" and AFFILIATION_BEFORE.search(before):
        return False  # "a founder of Left Bloc": the organisation is an affiliation, not a victim
    if actor.kind == "organization" and (PROXY_BEFORE.search(before[-40:]) or PROXY_AFTER.match(
            doc.text, actor.span.end)):
        return False  # "the embassy-backed Young Patriots' League": a proxy of the state, not a victim
    if actor.kind == "organization" and re.search(r"\b(?<!access )(?:in|at|from|to|into|inside|outside|near)\s+the\s+$",
                                                  before):
        return False  # "taken from the Sakharovo centre": a place, not a victim
    index = doc.sentence_at(actor.span.start)
    if index is None:
        return True
    sent = doc.sentences[index]
    after = doc.text[actor.span.end:sent.end]
    # "X said/told/claimed ...": the speaker is a source. When a trigger of this sentence comes
    # before the speech verb, X may still be the victim ("X, detained in May, said ...").
    speech = SPEECH.search(after[:120])
    if speech and re.search(r"(?<![\w-])(?:being|been|was|were|is|are|not)\s+$", after[:speech.start()]):
        speech = None  # "without his lawyer being told": a passive, not what the person said
    if speech and actor.kind == "person" and not _oblique_relative(actor) and not _oblique_name(doc, actor):
        first_trigger = min((t.span.start for t in triggers or [] if t.sentence == index
                             and t.span.start > actor.span.end), default=None)
        if first_trigger is None or first_trigger > actor.span.end + speech.start():
            between = after[:speech.start()]
            # "X said he had been beaten": the speaker tells of an act against themself.
            tells_own = PRONOUN_AFTER_SPEECH.match(after[speech.end():]) or _object_of_act(
                doc, actor.span.end + speech.end(), sent.end, triggers or [])
            if not tells_own and ("," not in between or re.fullmatch(r",[^,]*,\s*", between)
                                  or len(between) < 3):
                return False
    if speech and actor.kind == "organization" and not ORG_TELLS_OWN.search(
            after[speech.end():speech.end() + 80]) and not ORG_TELLS_OWN.search(after[:speech.start()]):
        # ("... sealed its doors, its founders said": the centre's own people tell of the act against it)
        # "Lao Dawn said it believed he was killed": the group speaks of another's act.
        first_trigger = min((t.span.start for t in triggers or [] if t.sentence == index
                             and t.span.start > actor.span.end), default=None)
        if first_trigger is None or first_trigger > actor.span.end + speech.start():
            return False
    # Quote attribution: "..., said Rustam Sharipov, a lawyer."
    return not re.search(r"(?:said|says|told|added|adds|wrote|writes|notes|noted|explains|explained|argues|argued|"
                         r"observes|observed|recalls|recalled|заявил\w*|сказал\w*|отмечает|отметил\w*|пишет|"
                         r"считает|рассказ\w*)\s*$", before[-25:])


# An organisation telling of an act against itself: "said its site was blocked", "said it had been raided".
ORG_TELLS_OWN = re.compile(r"(?<![\w-])(?:its|it was|it had been|it has been|we were|we had been|our|us|"
                           r"его|её|ее|их|нас|нам|нами|мы|наш\w*)(?![\w-])", re.IGNORECASE)


OBJECT_AFTER_ACT = re.compile(r"^\s+(?:(?:him|her|me|его|её|ее|меня)\b|\S+\s+(?:him|her|me|его|её|ее|меня)\b)",
                              re.IGNORECASE)


def _object_of_act(doc: Document, start: int, end: int, triggers: list[Trigger]) -> bool:
    """"X said officers called him and told him ...", "Элиф рассказала, что полицейские расспрашивали
    её": after the speech verb an act lands on the speaker (an object pronoun right after a trigger)."""
    return any(start <= t.span.start < end and OBJECT_AFTER_ACT.match(doc.text[t.span.end:t.span.end + 20])
               for t in triggers)


def _distance(a: Span, b: Span) -> int:
    if a.end <= b.start:
        return b.start - a.end
    if b.end <= a.start:
        return a.start - b.end
    return 0


def _anchor_distance(doc: Document, item: Span, trig: Span) -> int:
    """How far a date or body is from an act, with one inside a relative clause before the act counted
    as far away ("who fled in January was sentenced on Tuesday")."""
    return _distance(item, trig) + (10_000 if _relative_before(doc, item, trig) else 0)


def _split_by_scene(doc: Document, index: int, triggers: list[Trigger]) -> list[list[Trigger]]:
    """The triggers of one sentence grouped by the country of the place their own clause names as
    the scene; triggers without one join the nearest group."""
    transfer = any(t.type in TRANSFERS for t in triggers)
    places = [p for p in doc.in_sentence(doc.places, index)
              if _is_scene(doc, p, transfer) and not _not_a_scene(doc, p)]
    return _group_by_anchor(doc, triggers, places, lambda p: p.country)


# "deported from Warsaw to Dushanbe, where the GKNB detained him": a transfer happens where it starts
# (rule incidents.transfer_from.v1).
FROM_BEFORE = re.compile(r"(?<![\w-])(?i:from|из|изо)\s+$")


def _is_scene(doc: Document, place: PlaceMention, transfer: bool) -> bool:
    """Named as where the act happened: a locative, or for a transfer the city it starts from."""
    return _is_locative(doc, place) or (transfer and place.kind == "city" and bool(
        FROM_BEFORE.search(doc.text[max(0, place.span.start - 8):place.span.start])))


RELATIVE_PRONOUN = re.compile(r"(?<![\w-])([\w'’-]+)\s*,?\s+(who|whom|which|that|которы\w+|которо\w+|котора\w+|"
                              r"которую)(?![\w-])", re.IGNORECASE)
RELATIVE_ENDS = re.compile(r"(?:[,;—–]|(?<![\w-])(?:was|were|is|are|has|have|had|been|got|будет)\s+"
                           r"(?:[\w-]+ly\s+|later\s+|then\s+|also\s+)?$)", re.IGNORECASE)


def _relative_before(doc: Document, item: Span, trig: Span, act: bool = False) -> bool:
    """"A blogger who disappeared in Bangkok in January was sentenced on Tuesday", "журналист, которого
    выслали в 2023 году, задержан": a date or place inside a relative clause before the main verb belongs
    to the relative clause's act, not to the main one (rule incidents.relative_clause_anchor.v1)."""
    if item.end > trig.start or trig.start - item.end > 80:
        return False
    index = doc.sentence_at(item.start)
    start = doc.sentences[index].start if index is not None else 0
    before = doc.text[max(start, item.start - 100):item.start]
    last = None
    for m in RELATIVE_PRONOUN.finditer(before):
        last = m
    if last is None or NOT_A_HEAD.fullmatch(last.group(1)) or last.group(1).lower() in PRONOUN_FORMS:
        return False
    if last.group(2).lower() == "that" and re.search(r"ed$|s$", last.group(1)):
        return False  # "showed that", "says that": what was said, not a relative clause
    if re.search(r"[,;:—–()]", before[last.end():]):
        return False  # the relative clause closed before the date
    if act and not any(item.start - len(before) + last.end() <= t.span.start < item.start for t in doc.triggers):
        return False  # "who lives in Managua, was detained": where the victim is, not another act's scene
    gap = doc.text[item.end:trig.start]
    if re.search(r"(?<![\w-])(?:and|or|but|и|или|а|но)(?![\w-])", gap, re.IGNORECASE):
        return False  # "who was detained in January and sentenced in May": one relative clause
    return bool(RELATIVE_ENDS.search(gap))


PAST_MARKER = re.compile(r"(?<![\w-])(?:had|earlier|previously|once|formerly|years? ago|ранее|раньше|прежде|"
                         r"когда-то|в прошлом|уже|назад)(?![\w-])", re.IGNORECASE)


def _past_relative_act(doc: Document, trig: Trigger, others: list[Trigger]) -> bool:
    """"Журналиста, которого ранее выслали из Казахстана, задержали в Ереване", "the blogger, who had been
    deported earlier, was detained": an undated earlier act told in a relative clause about the victim is
    background, not a type of the main act (rule incidents.relative_clause_past.v1); a dated one is split
    off by its date."""
    sent = doc.sentences[trig.sentence] if trig.sentence < len(doc.sentences) else None
    start = sent.start if sent is not None else 0
    before = doc.text[max(start, trig.span.start - 80):trig.span.start]
    last = None
    for m in RELATIVE_PRONOUN.finditer(before):
        last = m
    if last is None or NOT_A_HEAD.fullmatch(last.group(1)) or last.group(1).lower() in PRONOUN_FORMS \
            or last.group(2).lower() == "that" or re.search(r"[,;:—–()]", before[last.end():]):
        return False
    for main in others:
        if main is trig or main.span.start < trig.span.end or main.span.start - trig.span.end > 100:
            continue
        gap = doc.text[trig.span.end:main.span.start]
        if re.search(r"(?<![\w-])(?:and|or|but|и|или|а|но)(?![\w-])", gap, re.IGNORECASE) \
                or not RELATIVE_ENDS.search(gap):
            continue
        cut = re.search(r"[,;—–]", gap)
        clause = before[last.end():] + trig.span.text + (gap[:cut.start()] if cut else gap)
        lo, hi = trig.span.start - len(before) + last.end(), trig.span.end + (cut.start() if cut else len(gap))
        dated = any(lo <= d.span.start and d.span.end <= hi for d in doc.dates)
        return bool(PAST_MARKER.search(clause)) and not dated
    return False


def _group_by_anchor(doc: Document, triggers: list[Trigger], anchors: Sequence[Any],
                     key: Callable[[Any], Hashable]) -> list[list[Trigger]]:
    """Acts of one sentence grouped by the key (country, month) of the nearest anchor (place, date) in
    their own clause; acts with no anchor join the nearest group. One group: the sentence is one act."""
    grouped: dict[Hashable, list[Trigger]] = {}
    loose: list[Trigger] = []
    for trig in triggers:
        own = [a for a in anchors if _same_clause(doc.text, a.span, trig.span)
               and not _relative_before(doc, a.span, trig.span)]
        if own:
            nearest = min(own, key=lambda a: _distance(a.span, trig.span))
            grouped.setdefault(key(nearest), []).append(trig)
        else:
            loose.append(trig)
    if len(grouped) < 2:
        return [triggers]
    groups = list(grouped.values())
    for trig in loose:
        min(groups, key=lambda g: min(_distance(t.span, trig.span) for t in g)).append(trig)
    return [sorted(g, key=lambda t: t.span.start) for g in groups]


MEMBER_BEFORE = re.compile(r"(?:among (?:them|whom)|including|in particular|one of (?:them|whom),?|в том числе|"
                           r"среди (?:них|которых)|один из (?:них|которых),?|одна из (?:них|которых),?|"
                           r"включая)\s+(?:the\s+)?(?:\w+\s+){0,2}$", re.IGNORECASE)


def _split_by_date(doc: Document, index: int, triggers: list[Trigger]) -> list[list[Trigger]]:
    """"The site has been blocked since August 2022, and in October 2024 the authorities designated it
    extremist": acts of one sentence whose own clauses carry different dates are different acts."""
    dates = [d for d in doc.in_sentence(doc.dates, index)
             if not RANGE_END.search(before := doc.text[max(0, d.span.start - 40):d.span.start])
             and not BACKGROUND_DATE.search(before) and not (
                 re.search(r"(?:since|с|со)\s+$", before)  # "incarcerated since 2020": a state, unless
                 and not any(0 <= d.span.start - t.span.end <= 30 or 0 <= t.span.start - d.span.end <= 20
                             for t in triggers))]  # "blocked since May", "с декабря находится в розыске"
    return _group_by_anchor(doc, triggers, dates, lambda d: (d.value.year, d.value.month))


# "deported four of them", "троих из них": a part of a group already told, counted on its own.
_COUNT_PART = r"(?:\s+(?:of\s+(?:them|those|the\s+detainees)|из\s+них))"


def _count_anchors(doc: Document, index: int) -> list[ActorMention]:
    """Counted victims of sentence `index`: the counted groups it names, and counts standing on their
    own as an act's object ("deported four of them", "а троих уже выдали")."""
    sent = doc.sentences[index]
    out = [a for a in doc.in_sentence(doc.actors, index) if a.kind == "group" and a.count is not None
           and not MEMBER_BEFORE.search(doc.text[max(0, a.span.start - 30):a.span.start])]
    lx = _actor_lexicon()
    words = lx.number_ru if doc.lang == "ru" else lx.number_en
    alternation = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    # A Russian collective number stands alone as the object ("троих", "девятерых"); otherwise only
    # a part of a group ("four of them", "двоих из них").
    collective = r"|(?:\w+ерых|двоих|троих)(?![\w-])" if doc.lang == "ru" else ""
    pattern = re.compile(rf"(?<![\w-])(?:(?:\d{{1,4}}|{alternation}){_COUNT_PART}{collective})", re.IGNORECASE)
    for m in pattern.finditer(sent.text):
        start, end = sent.start + m.start(), sent.start + m.end()
        if any(a.span.start <= start < a.span.end or start <= a.span.start < end for a in out):
            continue
        word = re.match(r"\w+", m.group()).group().lower()
        count = int(word) if word.isdigit() else words.get(word)
        if count is None:
            continue
        out.append(ActorMention(span=Span(start, end, doc.text[start:end]), name=doc.text[start:end],
                                kind="group", count=count, rule="incidents.count_split.v1"))
    return sorted(out, key=lambda a: a.span.start)


def _split_by_count(doc: Document, index: int, triggers: list[Trigger]) -> list[list[Trigger]]:
    """"detained fourteen people and deported four of them", "задержали девятерых, а троих уже выдали":
    acts of one sentence each with its own count near it (in its own clause) are different acts. Acts
    of one custody on the spot ("detained fourteen and fined four of them") stay one sequence."""
    if {t.type for t in triggers} <= ON_THE_SPOT:
        return [triggers]
    anchors = [a for a in _count_anchors(doc, index)
               if any(_distance(a.span, t.span) <= COUNT_WINDOW for t in triggers)]
    own = {id(t): [a for a in anchors if _distance(a.span, t.span) <= COUNT_WINDOW
                   and _same_clause(doc.text, a.span, t.span)] for t in triggers}
    counted = [t for t in triggers if own[id(t)]]
    if len({min(own[id(t)], key=lambda a: _distance(a.span, t.span)).count for t in counted}) < 2:
        return [triggers]
    return _group_by_anchor(doc, triggers, anchors, lambda a: a.count)


COUNT_WINDOW = 40  # characters between an act and the count of its victims
ON_THE_SPOT = {"detention", "interrogation", "fine", "ill_treatment"}  # one custody, told with several counts


def _sentence_candidates(doc: Document, index: int, triggers: list[Trigger]) -> list[Candidate]:
    actors = doc.in_sentence(doc.actors, index)
    targets = [a for a in actors if _is_target(a, doc, triggers)]
    agencies = [a for a in actors if a.kind == "agency" and not _speaker(doc, a, triggers)
                and not CRITICISED.search(doc.text[max(0, a.span.start - 40):a.span.start])
                and not SUPPORTERS_OF.search(doc.text[max(0, a.span.start - 40):a.span.start])]
    dates = doc.in_sentence(doc.dates, index)
    distinct: list[ActorMention] = []
    for t in targets:
        if MEMBER_BEFORE.search(doc.text[max(0, t.span.start - 30):t.span.start]) and any(
                d.kind == "group" for d in distinct):
            continue  # "seven supporters, among them the activist X": one of the group, not another victim
        if not any(t.kind == d.kind and same_person(_party_name(doc, t), _party_name(doc, d)) for d in distinct):
            distinct.append(t)
    if len(triggers) < 2 or len(distinct) < 2 or len({t.type for t in triggers}) == 1:
        scenes = _split_by_scene(doc, index, triggers)
        if len(scenes) == 1:
            scenes = _split_by_date(doc, index, triggers)
        by_count = False
        if len(scenes) == 1 and len(triggers) > 1:
            scenes = _split_by_count(doc, index, triggers)
            by_count = len(scenes) > 1
        if len(scenes) > 1:
            # "depoted from Warsaw, and in Dushanbe airport GKNB officers detained him": two acts.
            out = []
            counts = _count_anchors(doc, index) if by_count else []
            for group in scenes:
                victims = list(targets)
                if by_count:
                    # Each act keeps the count told next to it (rule incidents.count_split.v1).
                    mine = [a for a in counts if min(_distance(a.span, t.span) for t in group) <= COUNT_WINDOW
                            and min(scenes, key=lambda g: min(_distance(t.span, a.span) for t in g)) is group]
                    victims = [v for v in targets if v.kind != "group" or v.count is None] + mine[:1]
                c = Candidate(sentences=[index], triggers=group, targets=victims)
                if by_count:
                    c.trace.append("one act of several told with its own count (incidents.count_split.v1)")
                for item in [*dates, *agencies]:
                    nearest = min(scenes, key=lambda g: min(_anchor_distance(doc, item.span, t.span) for t in g))
                    if nearest is group or (by_count and isinstance(item, DateMention)):
                        (c.dates if isinstance(item, DateMention) else c.perpetrators).append(item)
                out.append(c)
            if any(t.type in TRANSFERS for t in triggers) and len(_split_by_date(doc, index, triggers)) == 1:
                # Split by scene or count, told on one date ("В феврале ... депортировала из Варшавы, а в
                # аэропорту Душанбе его задержали"): every act keeps the sentence's date.
                for c in out:
                    if not c.dates:
                        c.dates = list(dates)
            return out
        return [Candidate(sentences=[index], triggers=list(triggers), targets=targets,
                          perpetrators=agencies, dates=dates)]
    # Several victims and several triggers: each victim goes with its nearest trigger.
    groups: dict[int, Candidate] = {}
    for target in targets:
        nearest = min(range(len(triggers)), key=lambda i: _distance(triggers[i].span, target.span))
        groups.setdefault(nearest, Candidate(sentences=[index], triggers=[]))
        groups[nearest].targets.append(target)
    owners = sorted(groups)
    for trig in triggers:
        owner = min(owners, key=lambda o: _distance(triggers[o].span, trig.span))
        groups[owner].triggers.append(trig)
    for group in groups.values():
        # "banned demonstrations, threatened to deport a Russian citizen": an act of the list whose
        # clause names no victim is not the victim's act.
        own = [t for t in group.triggers if any(_same_clause(doc.text, t.span, v.span) or _appositive_gap(
            doc.text, t.span, v.span) for v in group.targets)]
        if own:
            group.triggers = own
    for item in [*dates, *agencies]:
        owner = min(owners, key=lambda o: min(_distance(t.span, item.span) for t in groups[o].triggers))
        (groups[owner].dates if isinstance(item, DateMention) else groups[owner].perpetrators).append(item)
    return [groups[o] for o in owners]


ORG_ANAPHOR = re.compile(
    r"(?<![\w-])(?:the|its|this|that) (?:outlet|cent(?:er|re)|organi[sz]ation|band|group|channel|site|website|"
    r"media|newspaper|magazine|publication|association|foundation|movement|collective|venue|club|space|"
    r"bookshop|school|premises|office|offices|troupe|theat(?:re|er)|ensemble|choir|studio|publisher|circle|"
    r"society|charity|network|initiative|community|shelter|union|party)(?![\w-])|(?<![\w-])(?:издани\w*|центр\w*|организаци\w*|групп\w*|"
    r"канал\w*|сайт\w*|редакци\w*|объединени\w*|движени\w*|помещени\w*|офис\w*)(?![\w-])",
    re.IGNORECASE,
)


PRONOUN_EN = re.compile(r"(?<![\w-])(he|him|his|himself|she|her|herself|they|them|their|themselves)(?![\w-])",
                        re.IGNORECASE)
PRONOUN_RU = re.compile(r"(?<![\w-])(он|его|ему|него|нему|ним|она|её|ее|ей|неё|нее|ней|они|их|им|них|ними)(?![\w-])",
                        re.IGNORECASE)
PRONOUN_FORMS = {"he": ("m", "sg"), "him": ("m", "sg"), "his": ("m", "sg"), "himself": ("m", "sg"),
                 "she": ("f", "sg"), "her": ("f", "sg"), "herself": ("f", "sg"),
                 "they": (None, "pl"), "them": (None, "pl"), "their": (None, "pl"), "themselves": (None, "pl"),
                 "он": ("m", "sg"), "его": ("m", "sg"), "ему": ("m", "sg"), "него": ("m", "sg"), "нему": ("m", "sg"),
                 "ним": (None, None), "она": ("f", "sg"), "её": ("f", "sg"), "ее": ("f", "sg"), "ей": ("f", "sg"),
                 "неё": ("f", "sg"), "нее": ("f", "sg"), "ней": ("f", "sg"), "они": (None, "pl"),
                 "их": (None, "pl"), "им": (None, None), "них": (None, "pl"), "ними": (None, "pl")}


def _pronoun_of_victim(doc: Document, index: int,
                       triggers: list[Trigger] | None = None) -> tuple[str | None, str | None]:
    """(gender, number) of the pronoun that stands for the victim in sentence `index`: the object
    right after a trigger ("detained him"), else the subject before it ("she was fined")."""
    sent = doc.sentences[index]
    pattern = PRONOUN_RU if doc.lang == "ru" else PRONOUN_EN
    found = [(sent.start + m.start(), m.group(1).lower()) for m in pattern.finditer(sent.text)]
    if not found:
        # A noun anaphor: "the blogger", "блогер" (one), "the detainees", "активисты" (several).
        noun = (ANAPHORA_RU if doc.lang == "ru" else ANAPHORA_EN).search(sent.text)
        if noun is None:
            return None, None
        word = noun.group().split()[-1].lower()
        plural = word.endswith(("s", "ы", "и", "ов", "ей", "ам", "ами", "ах")) or word in ("men", "women")
        return None, "pl" if plural else "sg"
    for trig in triggers or []:
        for pos, word in found:
            if 0 <= pos - trig.span.end <= 12:
                return PRONOUN_FORMS.get(word, (None, None))
    anchor = min((t.span.start for t in triggers or []), default=sent.end)
    before = [(pos, word) for pos, word in found if pos < anchor]
    pos, word = (before or found)[-1 if before else 0]
    return PRONOUN_FORMS.get(word, (None, None))


def _gender(doc: Document, actor: ActorMention) -> str | None:
    from kolokol.extract.actors import person_gender
    from kolokol.extract.relatives import relative_gender

    if actor.kind != "person":
        return None
    if actor.profile == "relative" and (kin := relative_gender(actor.name)):
        return kin
    return person_gender(_party_name(doc, actor))


def _plural(actor: ActorMention) -> bool:
    if actor.kind == "group":
        return actor.count is None or actor.count > 1
    return actor.kind == "person" and actor.profile == "relative" and bool(
        re.search(r"(?i)parents|relatives|family|brothers|sisters|родител|родствен|семь|братья|братьев", actor.name))


def _may_be_outlet(doc: Document, gender: str | None) -> bool:
    """"They" may stand for an outlet; English "he" and "she" stand for people (Russian gender is
    grammatical: "газета" is "она")."""
    return gender is None or doc.lang == "ru"


def _agrees(doc: Document, actor: ActorMention, gender: str | None, number: str | None) -> bool:
    """Can a pronoun of this gender and number stand for the actor ("him" not for "his mother")?"""
    if number == "sg" and _plural(actor):
        return False
    if number == "pl" and actor.kind == "person" and not _plural(actor):
        return False  # "they", "their diaspora" do not stand for one named person
    if actor.kind == "organization" and not _may_be_outlet(doc, gender):
        return False
    if gender is not None and actor.kind == "person":
        own = _gender(doc, actor)
        if own is not None and own != gender:
            return False
    return True


def _is_suspect(doc: Document, actor: ActorMention) -> bool:
    before = doc.text[max(0, actor.span.start - 60):actor.span.start]
    return bool(SUSPECT_AFTER.match(doc.text, actor.span.end) or SUSPECT_BEFORE.search(before))


BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _recent_target(doc: Document, index: int, triggers: list[Trigger] | None = None) -> list[ActorMention]:
    """The most recent victim-like actor in the previous sentences (the antecedent of an anaphor):
    an organisation for "the outlet", "the centre"; a person or group for "he", "they" that agrees
    with the pronoun in gender and number. When the latest people named are another state's
    suspected agents, "the men" are they: no victim."""
    sent = doc.sentences[index]
    wants_org = bool(ORG_ANAPHOR.search(sent.text))
    gender, number = (None, None) if wants_org else _pronoun_of_victim(doc, index, triggers)
    fallback: list[ActorMention] = []
    for back in range(index - 1, max(-1, index - 1 - MERGE_LOOKBACK), -1):
        if doc.sentences[back].paragraph < sent.paragraph - 1 and len(
                BLANK_LINE.findall(doc.text, doc.sentences[back].end, sent.start)) > 1:
            break  # beyond the previous paragraph; lines of a post without blank lines still read on
        here = doc.in_sentence(doc.actors, back)
        # A person quoted there can still be the one a pronoun stands for ("X says ... He received").
        main = _narrator(doc)
        main_key = fold_name(_party_name(doc, main)) if main is not None else None
        targets = [a for a in here if _is_target(a, doc) or (
            a.kind == "person" and main_key is not None and fold_name(_party_name(doc, a)) == main_key)]
        if wants_org:
            orgs = [a for a in targets if a.kind == "organization"]
            if orgs:
                return orgs[-1:]
            fallback = fallback or targets[-1:]
            continue
        for actor in reversed([a for a in here if a.kind in ("person", "group")]):
            if not _agrees(doc, actor, gender, number):
                continue
            if _is_suspect(doc, actor):
                return []  # "the men" are the suspected agents named just before
            if actor in targets:
                return [actor]
        if not [a for a in targets if a.kind != "organization"] and targets and _may_be_outlet(doc, gender):
            return targets[-1:]
    if wants_org:
        # The organisation may have been named earlier in the report.
        orgs = [a for a in doc.actors if a.kind == "organization" and a.span.start < sent.start and _is_target(a, doc)]
        if orgs:
            return orgs[-1:]
    return fallback


def _has_anaphor(doc: Document, index: int) -> bool:
    sent = doc.sentences[index]
    pattern = ANAPHORA_RU if doc.lang == "ru" else ANAPHORA_EN
    return bool(pattern.search(sent.text))


def _key(actor: ActorMention) -> str:
    return fold_name(actor.canonical or actor.name)


def _shares_target(doc: Document, a: Candidate, b: Candidate) -> bool:
    for x in a.targets:
        for y in b.targets:
            if x.kind == "group" and y.kind == "group":
                if x.count is not None and x.count == y.count:
                    return True
            elif x.kind == y.kind and same_person(_party_name(doc, x), _party_name(doc, y)):
                return True
    return False


STATEMENT_DATE = re.compile(r"(?:said|says|told|announced|reported|stated|confirmed|wrote|explained|claimed|"
                            r"learned|learnt|found out|became known|заявил\w*|сообщил\w*|рассказал\w*|объявил\w*|"
                            r"узнал\w*|стало известно)\s+(?:only\s+|только\s+|лишь\s+)?(?:on\s+|in\s+)?$",
                            re.IGNORECASE)


SPEECH_THAT = re.compile(r"(?<![\w-])(?:said|says|explained|announced|reported|stated|claimed|confirmed|told|"
                         r"wrote|заявил\w*|сообщил\w*|рассказал\w*|объявил\w*|пояснил\w*)(?![\w-])", re.IGNORECASE)


def _statement_date(doc: Document, d: DateMention, act_start: int | None = None) -> bool:
    """The date of a statement about the act ("the ministry said on Friday that ...", "On March 9, the
    police explained that ..."), not of the act."""
    if STATEMENT_DATE.search(doc.text[max(0, d.span.start - 25):d.span.start]):
        return True
    # "Last year, she said, the embassy refused ...": an attribution set off by commas is no statement date.
    return act_start is not None and d.span.end <= act_start and bool(
        SPEECH_THAT.search(ASIDE_ATTRIBUTION.sub(" ", doc.text[d.span.end:act_start])))


ASIDE_ATTRIBUTION = re.compile(r",\s*(?:he|she|they|we|I|[A-ZА-ЯЁ][\w'’-]+(?:\s+[A-ZА-ЯЁ][\w'’-]+)?|он|она|они)\s+"
                               r"(?:said|says|recalls|recalled|told\s+\w+|added|сказал\w*|рассказ\w*|вспомина\w*)\s*,")


APPOSITIVE_GAP = re.compile(r"[^,;:]*,\s*[A-ZА-ЯЁ][\w'’\- ]{1,40},[^,;:]*")


def _appositive_gap(text: str, a: Span, b: Span) -> bool:
    """Between the two, only a name set off by commas: "отца, Николая Зенкевича, поместили"."""
    first, lo, hi = (a, a.end, b.start) if a.end <= b.start else (b, b.end, a.start)
    if hi - lo > 60:
        return False
    if text[max(0, first.start - 2):first.start].strip() == "," and text[lo:hi].lstrip().startswith(","):
        return not re.search(r"[,;:—–()]", text[lo:hi].lstrip()[1:])  # the earlier one is the appositive
    return bool(APPOSITIVE_GAP.fullmatch(text[lo:hi]))


def _same_clause(text: str, a: Span, b: Span) -> bool:
    lo, hi = (a.end, b.start) if a.end <= b.start else (b.end, a.start)
    if not re.search(r"[,;:—–()]", text[lo:hi]):
        return True
    # A fronted place or time frames the whole sentence: "In Kigali, his brother was detained",
    # "On 3 April, officers came".
    first = a if a.end <= b.start else b
    if re.search(r"[;:—–()]", text[lo:hi]) or text[lo:hi].count(",") != 1:
        return False
    head = text[max(0, first.start - 30):first.start]
    if re.search(r"(?:^|[.!?\n]\s*|—\s*)(?:[Ii]n|[Aa]t|[Oo]n|[Вв]|[Вв]о)\s+$", head) and re.match(
            r"\s*,", text[first.end:first.end + 3]):
        return True
    # "On his arrival at Cairo airport on 12 September, he was arrested": a fronted phrase opening the
    # sentence frames the clause after its comma.
    opening = FRONTED.search(text, max(0, first.start - 80), first.start)
    if opening is None or "," in text[opening.end():first.start]:
        return False
    comma = text.find(",", first.end)
    return not FINITE_VERB.search(text, opening.start(), comma)  # a phrase, not "On 19 June he was taken"


FRONTED = re.compile(r"(?:^|[.!?\n]\s*)(?:On|Upon|After|During|At|In|Shortly after|Soon after|Within|По|После|Во время|"
                     r"Сразу после|Через|На|В|Во)\s[^.!?\n,]*\Z")


# The date of a fact about the victim, not of the act: "a collective which was formed in 2022", "who
# fled in 2014", "основанный в 2019 году", "живёт в Вильнюсе с 2021 года".
BACKGROUND_DATE = re.compile(
    r"(?<![\w-])(?:formed|founded|created|established|born|opened|set up|launched|registered|lived|living|"
    r"moved|fled|left|arrived|emigrated|relocated|settled|создан\w*|основан\w*|основал\w*|родил\w*|"
    r"живет|живёт|жил\w*|живш\w*|переехал\w*|уехал\w*|эмигрировал\w*|открыт\w*)\s+(?:[^\s,;]+\s+){0,3}?"
    r"(?:in|on|since|в|с|со)?\s*$")  # not across a comma: "живёт в Стамбуле, а 9 апреля её отца вызвали"


RANGE_END = re.compile(r"(?:between|from|с|со)\s+\S+(?:\s+\d{4})?\s+(?:and|to|until|till|through|по|до)\s+$",
                       re.IGNORECASE)
BACKGROUND_AFTER = re.compile(r"\s*(?:года\s+)?(?:живет|живёт|проживает|жил\w*|lives|has lived|has been living)")


EVENT_NOUNS = (r"protests?|elections?|war|revolution|uprising|unrest|coup|riots?|crackdown|referendum|events|"
               r"протест\w*|выбор\w*|войн\w*|революци\w*|восстани\w*|беспорядк\w*|событи\w*|переворот\w*")
EVENT_DATE_AFTER = re.compile(rf"\s+(?:{EVENT_NOUNS})(?![\w-])", re.IGNORECASE)
EVENT_DATE_BEFORE = re.compile(rf"(?<![\w-])(?:{EVENT_NOUNS})\s+$", re.IGNORECASE)


def _names_an_event(doc: Document, d: DateMention) -> bool:
    """"fled after the 2018 protests", "после протестов 2020 года": the year names a past event, not
    the date of the act (rule incidents.event_year.v1)."""
    return bool(EVENT_DATE_AFTER.match(doc.text, d.span.end)
                or EVENT_DATE_BEFORE.search(doc.text[max(0, d.span.start - 30):d.span.start]))


def _clause_start(doc: Document, pos: int, window: int) -> int:
    """Where a look-back window before `pos` starts: at most `window` characters, never before its
    sentence ("She lives in Bishkek. In 2019 ..." : the year is not where she lives)."""
    index = doc.sentence_at(pos)
    start = doc.sentences[index].start if index is not None else 0
    return max(0, start, pos - window)


# "withdrew her invitation to speak on 14 April": the date of what was planned, not of the act.
PLANNED_BEFORE = re.compile(r"(?<![\w-])(?:to\s+(?:speak|attend|give|present|perform|travel|fly|appear|take\s+part|"
                            r"participate|hold|screen|testify|lecture)|выступить|принять\s+участие|прилететь|"
                            r"приехать)(?![\w-])[^.;:!?]{0,40}$", re.IGNORECASE)
COUNTED_BEFORE = re.compile(r"(?:before|prior to)$|(?:before|prior to|\sдо)\s", re.IGNORECASE)


def _date_of(doc: Document, c: Candidate, triggers: list[Trigger]) -> DateMention | None:
    """The date of the act: in the trigger's own clause if there is one ("was detained ... on 2 June",
    not "who has lived there since 2019, was detained"), the nearest otherwise."""
    dates = [d for d in c.dates if not BACKGROUND_DATE.search(doc.text[_clause_start(doc, d.span.start, 40):
                                                                        d.span.start])
             and not BACKGROUND_AFTER.match(doc.text, d.span.end) and not _names_an_event(doc, d)
             and not PLANNED_BEFORE.search(doc.text[max(0, d.span.start - 60):d.span.start])]
    # "refused to renew her passport, which expires in November": a date after publication is not
    # when a reported act happened, while the act has another.
    past = [d for d in dates if doc.published is None or d.value <= doc.published]
    dates = past or dates
    if not dates:
        return None
    anchor = triggers[0].span if triggers else dates[0].span
    text = doc.text

    # "on January 20, six days after he vanished, officers came": a date counted back names the earlier act
    # after "after"; the act of the clause has the date counted from (custody sequences keep both).
    # "On 15 January, the day before the request was filed": a date counted forward names a later act,
    # never an earlier step of this one.
    counted_back = {id(d) for d in dates if d.rule == BACKWARD_RULE and (
        not c.types & CUSTODY or COUNTED_BEFORE.search(text, d.span.start, min(len(text), d.span.end + 4)))}

    def rank(d: DateMention) -> tuple[int, int, int, int, int, int]:
        own = any(_same_clause(text, d.span, t.span) and not _relative_before(doc, d.span, t.span)
                  for t in triggers) and id(d) not in counted_back
        since = bool(re.search(r"(?:since|с|со)\s+$", text[max(0, d.span.start - 7):d.span.start]))
        # "between March 2021 and October 2023", "с марта по октябрь": the window opens with the first.
        range_end = bool(RANGE_END.search(text[max(0, d.span.start - 40):d.span.start]))
        return (1 if _statement_date(doc, d, anchor.start) else 0, 0 if own else 1, 1 if id(d) in counted_back else 0,
                1 if range_end else 0,
                1 if since and not any(t.kind == "group" for t in c.targets) else 0, _distance(d.span, anchor))

    best = min(dates, key=rank)
    # Several day dates own to the act's clauses within a week ("deported on Sunday, two days after
    # police arrested him"): the incident starts with the earliest.
    own_days = [d for d in dates if d.precision == "day" and rank(d)[:2] == (0, 0)
                and abs((d.value - best.value).days) <= 7]
    if best.precision == "day" and len(own_days) > 1 and c.types & CUSTODY:
        return min(own_days, key=lambda d: d.value)
    return best


def _told_date(doc: Document, c: Candidate) -> DateMention | None:
    """The date an incident is told with so far: its own, or, when it opened with a headline or a lead
    without one ("В Питере задержали X"), the date a merged sentence gives the same act."""
    own = _date_of(doc, c, c.triggers)
    if own is not None or not c.later_dates:
        return own
    told = [t for t in c.triggers if any(_same_clause(doc.text, d.span, t.span) for d in c.later_dates)]
    return _date_of(doc, replace(c, dates=c.later_dates), told) if told else None


def _dates_compatible(a: DateMention | None, b: DateMention | None) -> bool:
    if a is None or b is None:
        return True
    coarse = max(a.precision, b.precision, key=lambda p: PRECISION_RANK[p])
    if coarse == "day":
        return abs((a.value - b.value).days) <= 1
    if coarse == "week":
        return abs((a.value - b.value).days) <= 7
    if coarse == "month":
        return (a.value.year, a.value.month) == (b.value.year, b.value.month)
    return a.value.year == b.value.year


def _perpetrators_conflict(a: Candidate, b: Candidate) -> bool:
    ka = {p.canonical or fold_name(p.name) for p in a.perpetrators}
    kb = {p.canonical or fold_name(p.name) for p in b.perpetrators}
    return bool(ka and kb and not ka & kb)


# "who has criticised the Tajik government", "критикует власти": the body is what the victim spoke
# against, not an actor of the act.
CRITICISED = re.compile(r"(?:criticis\w*|criticiz\w*|critic of|opposed|opposing|against|mock\w*|expos\w*|"
                        r"investigat\w*|критик\w*|против|разоблач\w*|высмеива\w*)\s+(?:\w+\s+){0,2}$",
                        re.IGNORECASE)
# "two men who support the government in Asmara": the body is whom the attackers back, not an actor.
SUPPORTERS_OF = re.compile(r"(?<![\w-])(?:support(?:s|ed|ing)?|supporters\s+of|loyal\s+to|loyalists\s+of|"
                           r"sympathi[sz]\w*\s+(?:with|to)|поддерживают|поддерживающ\w*|сторонник\w*)\s+"
                           r"(?:the\s+)?$", re.IGNORECASE)
SPEAKS_AFTER = re.compile(r"\s+(?:\w+\s+){0,2}?(?:said|says|told|reported|"
                          r"stated|confirmed|claimed|noted|added|commented|"
                          r"заявил\w*|сообщил\w*|отрица\w*|отверг\w*|подтвердил\w*|ответил\w*|на запрос\w*)(?![\w-])",
                          re.IGNORECASE)


DENIES_AFTER = re.compile(r"\s+(?:\w+\s+){0,2}?(?:denied|denies|rejected|rejects|declined to comment|did not respond|"
                          r"отрица\w*|отверг\w*|не ответил\w*|на запрос\w*)(?![\w-])", re.IGNORECASE)


def _speaker(doc: Document, actor: ActorMention, triggers: list[Trigger] | None = None) -> bool:
    """A body that only speaks about the act: one that denies it ("the foreign ministry denied any
    involvement"), or one that reports an attack, a threat or a killing ("..., Turkish police said").
    A body announcing its own charge or arrest is its actor, and so is one named right after the act."""
    if any(0 <= actor.span.start - t.span.end <= 12 and re.search(r"\bby\b", doc.text[t.span.end:actor.span.start])
           for t in triggers or []):
        return False
    if DENIES_AFTER.match(doc.text, actor.span.end):
        return True
    types = {t.type for t in triggers or []}
    return bool(types) and types <= AT_THE_VICTIM and bool(SPEAKS_AFTER.match(doc.text, actor.span.end))


def _acting_states(c: Candidate) -> set[str]:
    return {p.country for p in c.perpetrators
            if p.country and p.canonical not in FOREIGN_MISSIONS and "proxy" not in (p.profile or "")}


TRANSFERS = {"deportation", "extradition", "rendition"}


def _states_conflict(a: Candidate, b: Candidate) -> bool:
    """Bodies of different states act in the two: two acts (Russian police expel, Tajik GKNB detain).
    A handover alone involves both states ("put on a flight to Cairo, escorted by Egyptian officers")."""
    if a.types <= TRANSFERS or b.types <= TRANSFERS:
        return False
    sa, sb = _acting_states(a), _acting_states(b)
    return bool(sa and sb and not sa & sb)


def _reference_only(doc: Document, c: Candidate) -> bool:
    """Every trigger sits in a phrase pointing back at an act told before ("the detentions led to
    protests", "this arrest"): it tells no act of its own."""
    spans = [(doc.sentences[i].start + m.start(), doc.sentences[i].start + m.end())
             for i in c.sentences for m in ACT_ANAPHOR.finditer(doc.sentences[i].text)
             if not re.match(r"\s+of\b", doc.sentences[i].text[m.end():])]  # "the detention of X" is new
    return bool(spans) and all(any(a <= t.span.start and t.span.end <= b for a, b in spans) for t in c.triggers)


def _merge_into(a: Candidate, b: Candidate, reason: str) -> None:
    a.sentences = sorted(set(a.sentences) | set(b.sentences))
    if reason == "anaphora" and "killing" in a.types and b.types <= {"ill_treatment"}:
        # "The body of X was found ... He had been strangled": the harm told after a death is how
        # he died, part of the killing (rule incidents.means_of_death.v1).
        b.triggers = [replace(t, type="killing") for t in b.triggers]
        a.trace.append("incidents.means_of_death.v1")
    a.triggers.extend(b.triggers)
    seen = {(t.span.start, t.span.end) for t in a.targets}
    a.targets.extend(t for t in b.targets if (t.span.start, t.span.end) not in seen)
    seen = {(p.span.start, p.span.end) for p in a.perpetrators}
    a.perpetrators.extend(p for p in b.perpetrators if (p.span.start, p.span.end) not in seen)
    a.later_dates.extend([*b.dates, *b.later_dates])
    a.trace.append(f"merged sentence {b.first_sentence} ({reason})")


def _skip_sentence(doc: Document, index: int, seen_texts: set[str]) -> bool:
    """Headlines, section headings and repeated decks are not separate tellings of an act."""
    sent = doc.sentences[index]
    text = sent.text.strip()
    if sent.paragraph_sentences == 1 and len(text) < 120 and not re.search(r"[.!?»\"”…]$", text):
        return True
    if doc.title and text.rstrip(".").strip().lower() == doc.title.rstrip(".").strip().lower():
        return True
    if text in seen_texts:
        return True
    seen_texts.add(text)
    return False


FIRST_PERSON_EN = re.compile(r"(?<![\w-])(?:I|[Mm]e|[Mm]y|[Mm]yself)(?![\w-])")
FIRST_PERSON_RU = re.compile(
    r"(?<![\w-])(?:я|меня|мне|мной|мною|мо[йяеёю]|моего|моей|моих|моим|моему|мои|моими)(?![\w-])", re.IGNORECASE)
NARRATOR_INTRO = re.compile(
    r"(?:my name is|меня зовут|our guest (?:today )?is|my guest is|i am|i'm|я\s+[—-]|"
    r"^[^\S\n]*(?:guest|interviewee|гость|собеседни(?:к|ца)):)\s+$", re.IGNORECASE | re.MULTILINE)


def _narrator_uncached(doc: Document) -> ActorMention | None:
    """Who "I" is in a testimony or interview: the person who introduces themself ("My name is ...",
    "Меня зовут ...", "Our guest is ..."), else the person the report names most often."""
    persons = [a for a in doc.actors if a.kind == "person" and a.profile not in ("official", "relative")]
    for person in persons:
        if NARRATOR_INTRO.search(doc.text[max(0, person.span.start - 25):person.span.start]):
            return person
    first_person = [i for i in range(len(doc.sentences)) if _speaks_of_self(doc, i)]
    tail = max(0, len(doc.text) - 600)
    for m in SIGNATURE.finditer(doc.text, tail):
        # A post or letter signed at its end ("— Айдос Жаксыбеков") and told in the first person: its author
        # is "I" (rule incidents.signed_post.v1).
        signer = next((p for p in persons if m.start("name") <= p.span.start < m.end("name")), None)
        if signer is not None and len(first_person) >= 3:
            return signer
    ranked = _ranked_by_mentions(doc, persons)
    if ranked and (len(ranked[0]) >= 2 or len(ranked) == 1) and (len(ranked) == 1 or len(ranked[0]) > len(ranked[1])):
        return ranked[0][0]  # named most often, or the only person the report names
    if persons and len(first_person) >= 3:
        # A testimony with an editor's introduction ("От редакции. Хеде Мусаевой 29 лет ... Я уехала из
        # Грозного"): the person introduced before the first "I" (rule incidents.testimony_narrator.v1).
        opening = doc.sentences[first_person[0]].start
        intro = [p for p in persons if p.span.start < opening and not ALIAS_BEFORE.search(
            doc.text[max(0, p.span.start - 60):p.span.start]) and not KIN_NEAR.search(
            doc.text[max(0, p.span.start - 30):p.span.start])]
        if intro:
            return intro[0]
    turns = list(INTERVIEW_TURN.finditer(doc.text)) or list(QUESTION_LINE.finditer(doc.text))
    if persons and len(turns) >= 2:
        # An interview: the lead introduces the person who answers, before the first question
        # (rule incidents.interviewee.v1).
        first = [p for p in persons if p.span.start < turns[0].start() and not KIN_NEAR.search(
            doc.text[max(0, p.span.start - 30):p.span.start])]
        if first:
            return first[0]
    return None


def _ranked_by_mentions(doc: Document, persons: list[ActorMention]) -> list[list[ActorMention]]:
    """The mentions of `persons` grouped by the person they name, the most often named first."""
    counts: dict[str, list[ActorMention]] = {}
    for person in persons:
        counts.setdefault(fold_name(_party_name(doc, person)), []).append(person)
    return sorted(counts.values(), key=len, reverse=True)


SIGNATURE = re.compile(r"^[^\S\n]*[—–-][^\S\n]*(?P<name>[A-ZА-ЯЁ][\w'’-]+(?:[^\S\n]+[A-ZА-ЯЁ][\w'’-]+){1,2})"
                       r"[^\S\n]*(?:,[^\n]{0,60})?$", re.MULTILINE)
# Turns of an interview: a dash opening a line, "Q:", "Вопрос:", a bold name and a colon.
INTERVIEW_TURN = re.compile(r"^\s*(?:[—–-]\s+\S|(?:Q|A|В|О|Вопрос|Ответ|Question|Answer)\s*[:.]\s)", re.MULTILINE)
# A question on a line of its own ("Are you facing charges at home?"): an interview without dashes.
QUESTION_LINE = re.compile(r"^[^\S\n]*[A-ZА-ЯЁ][^\n?]{5,200}\?[^\S\n]*$", re.MULTILINE)
KIN_NEAR = re.compile(r"(?:mother|father|brother|sister|wife|husband|son|daughter|мам\w*|мат\w*|отц\w*|отец|"
                      r"брат\w*|сестр\w*|жен\w*|муж\w*|сын\w*|доч\w*)\W+$", re.IGNORECASE)


def _speaks_of_self(doc: Document, index: int) -> bool:
    pattern = FIRST_PERSON_RU if doc.lang == "ru" else FIRST_PERSON_EN
    return bool(pattern.search(doc.sentences[index].text))


NOT_A_HEAD = re.compile(r"(?:said|says|say|told|tell|tells|claimed|claims|reported|warned|warns|believe[sd]?|"
                        r"think|thinks|thought|know|knew|knows|learned|learnt|heard|saw|fear(?:s|ed)?|hope[sd]?|added|explained|"
                        r"noted|stated|announced|confirmed|denied|alleged|so|such|now|than|and|but|or|сказал\w*|"
                        r"заявил\w*|сообщил\w*)", re.IGNORECASE)
GENERIC_PLURAL = re.compile(r"(?:threats|arrests|detentions|deportations|extraditions|abductions|killings|"
                            r"renditions|closures|угрозы|угроз|аресты|арестов|задержания|задержаний|"
                            r"депортации|депортаций|похищения|похищений|убийства|убийств)", re.IGNORECASE)
RELATIVE_CLAUSE = re.compile(r"(?<![\w-])(\w+)\s+(?:who|that|which|кто|которы\w+|whose\s+\w+|чьи\s+\w+)\s+"
                             r"(?:(?:were|was|had been|have been|are|is|being|были|был|была)\s+)*(?:being\s+)?$",
                             re.IGNORECASE)


def _relative_clause_victim(doc: Document, index: int, trig: Trigger) -> bool:
    """"the cries of other people who were being beaten", "Kazakhs whose relatives are held in
    Xinjiang": the victim is the noun the relative clause hangs on, not a name elsewhere in the
    sentence; when that noun names no one, the trigger tells no act of the report."""
    sent = doc.sentences[index]
    lo = max(sent.start, trig.span.start - 60)
    m = RELATIVE_CLAUSE.search(doc.text[lo:trig.span.start])
    if m is None or m.group(1).lower() in PRONOUN_FORMS or NOT_A_HEAD.fullmatch(m.group(1)):
        return False  # "said that he would ...": "that" opens what was said, not a relative clause
    head = lo + m.start(1)
    # The head is the victim: a counted group or a named person stays one; "some other people" is none.
    owner = [a for a in doc.in_sentence(doc.actors, index) if a.span.start <= head < a.span.end]
    return not owner or (owner[0].kind == "group" and owner[0].count is None)


ATTACKERS = re.compile(r"(?<![\w-])(?:men|man|strangers?|assailants?|attackers?|gunmen|мужчин\w*|неизвестн\w*|"
                       r"нападавш\w*)(?![\w-])", re.IGNORECASE)


def _unnamed_is_main_person(doc: Document, cand: Candidate) -> None:
    """"An exiled Azerbaijani journalist who disappeared ..." and later "Vugar Rustamli": one unnamed
    victim is the person the report is about (so that later tellings of the act merge with it)."""
    if len(cand.targets) == 1 and cand.targets[0].kind == "group" and cand.targets[0].count == 1:
        main = _narrator(doc)
        if main is not None and (cand.targets[0].nationality in (None, main.nationality) or main.nationality is None) \
                and _once(doc, "_main_is_victim", lambda: _main_is_victim(doc, main)):
            cand.targets = [main]
            cand.trace.append("the unnamed victim is the report's main person")


def _main_victim_for(doc: Document, cand: Candidate) -> ActorMention | None:
    """An act told with the body that did it and its date but no victim ("On 3 May the GKNB opened a
    case for calls to extremism") in a report about one person acted against: that person."""
    if not cand.perpetrators or cand.types & {"censorship", "closure"} or not any(
            not _statement_date(doc, d, cand.triggers[0].span.start) for d in cand.dates):
        return None  # "the ministry said on June 13 that it had begun ...": a statement, not an act
    main = _narrator(doc)
    if main is None or not _once(doc, "_main_is_victim", lambda: _main_is_victim(doc, main)):
        return None
    return main


def _portrait_subject(doc: Document) -> ActorMention | None:
    """The one person a portrait or testimony is about: named at least three times, twice as often as
    anyone else. "her address", "approached her" with no one named near stand for that person
    (rule incidents.portrait_subject.v1)."""
    def find() -> ActorMention | None:
        ranked = _ranked_by_mentions(doc, [a for a in doc.actors if a.kind == "person" and a.profile not in (
            "official", "relative") and (a.canonical or "").strip()])
        if not ranked or len(ranked[0]) < 3 or (len(ranked) > 1 and len(ranked[0]) < 2 * len(ranked[1])):
            return None
        return ranked[0][0]
    return _once(doc, "_portrait_subject", find)


# The pronoun an act is done to, in its words or right after them: "approached her", "posted her address".
ACT_OBJECT = re.compile(r"(?<![\w-])(?:him|her|his|её|ее|его|ей|ему|им)(?![\w-])", re.IGNORECASE)


def _portrait_object(doc: Document, cand: Candidate) -> ActorMention | None:
    """The act done to "her" in a portrait with no one named near: its subject."""
    if not any(ACT_OBJECT.search(doc.text, t.span.start, min(len(doc.text), t.span.end + 12))
               for t in cand.triggers):
        return None
    subject = _portrait_subject(doc)
    if subject is None or subject.span.start > doc.sentences[cand.first_sentence].start:
        return None  # a pronoun looks back: a lead told before the person is named is not about them yet
    return subject


KIN_OF_NARRATOR = re.compile(r"(?:my|мо[йяеёю]|моего|моей|моих|моим|моему|мои)\s", re.IGNORECASE)
KIN_OF_THIRD = re.compile(r"(?:his|her|их|его|её|ее)\s", re.IGNORECASE)
KIN_OF_NAMED = re.compile(r"(?P<owner>[A-ZА-ЯЁ][\w-]+(?:\s+[A-ZА-ЯЁ][\w-]+){0,2})['’]s?\s")


def _kin_owner(doc: Document, relative: ActorMention) -> ActorMention | None:
    """Whose relative an unnamed "my father", "her parents" or "Tsakayev's parents" is."""
    text = relative.span.text
    if KIN_OF_NARRATOR.match(text):
        return _narrator(doc)
    if KIN_OF_THIRD.match(text):
        subject = _portrait_subject(doc)
        return subject if subject is not None and subject.span.start < relative.span.start else None
    if (m := KIN_OF_NAMED.match(text)) is not None:
        key = fold_name(m["owner"])

        def owns(a: ActorMention) -> bool:
            folded = fold_name(_party_name(doc, a))
            return key == folded or key in folded.split()
        return next((a for a in doc.actors if a.kind == "person" and a.profile != "relative"
                     and a.span.start < relative.span.start and owns(a)), None)
    return None


def _main_is_victim(doc: Document, main: ActorMention) -> bool:
    """The report's main person is someone acted against (named as a possible victim at least once),
    not an analyst it quotes throughout."""
    key = fold_name(_party_name(doc, main))
    return any(_is_target(a, doc) for a in doc.actors if a.kind == "person" and fold_name(_party_name(doc, a)) == key)


EVALUATED_BEFORE = re.compile(
    r"(?<![\w-])(?:назвал\w*|называ\w*|осудил\w*|осужда\w*|прокомментировал\w*|раскритиковал\w*|"
    r"called|calls|described|describes|condemned|condemns|denounced|denounces|critici[sz]ed|critici[sz]es|"
    r"commented on|investigat(?:e|ion|ions|ing) into|investigate|inquiry into|расследовани\w*|расследова\w*)"
    r"\s+(?:(?:the|this|that|these|his|her|their|its|это|этот|эту|это|этого|свой|свою|своё|"
    r"свое)\s+)?(?:[\w-]+\s+)?$", re.IGNORECASE)


def _question(doc: Document, index: int) -> bool:
    """"Were there direct threats?", "Бегать по городу с этим приговором?": a question asks, it tells no
    act (rule incidents.question.v1)."""
    text = QUOTE_ATTRIBUTION.sub("", doc.sentences[index].text.rstrip())  # "«...?» — спрашивает он."
    return text.rstrip(" »\"”’)'").endswith("?")


QUOTE_ATTRIBUTION = re.compile(r"(?<=[?!])\s*([»\"”’]?)\s*[,—–-]{1,2}\s*[^.!?«»\"“”]{1,60}[.!]?$")


AUTHOR_SELF = re.compile(r"(?<![\w-])(?:автор\w*\s+(?:этого|этой|данного|данной|настоящего)\s+(?:материала|текста|"
                         r"статьи|публикации|репортажа)|(?:наш\w*|нашего)\s+корреспондент\w*|the\s+author\s+of\s+"
                         r"this\s+(?:article|report|piece|story)|this\s+(?:reporter|correspondent|writer)|"
                         r"our\s+(?:reporter|correspondent))(?![\w-])", re.IGNORECASE)
BYLINE = re.compile(r"^\s*(?:(?:by|автор|текст)\s*[:—-]?\s*)?(?P<name>[^\n]{3,60}?)\s*$", re.IGNORECASE)


def _byline(doc: Document) -> ActorMention | None:
    """The person who signed the report: a name alone on its line ("Айгуль Бектемирова", "By Jane Roe",
    "Автор: ...") before the story's second paragraph."""
    def find() -> ActorMention | None:
        for a in doc.actors:
            if a.kind != "person" or a.span.start > len(doc.text) // 3:
                continue
            line_start = doc.text.rfind("\n", 0, a.span.start) + 1
            line_end = doc.text.find("\n", a.span.end)
            line = doc.text[line_start:line_end if line_end >= 0 else len(doc.text)]
            m = BYLINE.match(line)
            if m and m.group("name").strip(" ,.") == a.span.text:
                return a
        # "By Jane Roe": a signed line is no actor of the story (actors skip bylines), so its name is read here.
        for m in SIGNED_LINE.finditer(doc.text):
            if m.start() > len(doc.text) // 3:
                break
            return ActorMention(span=Span(m.start("name"), m.end("name"), m.group("name")), name=m.group("name"),
                                kind="person", rule="incidents.byline_author.v1")
        return None
    return _once(doc, "_byline", find)


# A signed line: "By Jane Roe", "Written by ...", "Автор: ...", "Текст: ..." alone on its line.
SIGNED_LINE = re.compile(r"^[^\S\n]*(?:(?:written|reported)\s+by|by|автор|текст)(?:[^\S\n]*:[^\S\n]*|[^\S\n]+)"
                         r"(?P<name>(?-i:[A-ZА-ЯЁ][\w'’-]+)(?:[^\S\n]+(?-i:[A-ZА-ЯЁ][\w'’-]+)){1,3})[^\S\n]*$",
                         re.IGNORECASE | re.MULTILINE)


def build_candidates(doc: Document) -> list[Candidate]:
    by_sentence: dict[int, list[Trigger]] = {}
    for trig in doc.triggers:
        if trig.suppressed is None:
            by_sentence.setdefault(trig.sentence, []).append(trig)
    seen_texts: set[str] = set()
    skip = {i for i in range(len(doc.sentences)) if _skip_sentence(doc, i, seen_texts) or _question(doc, i)}
    candidates: list[Candidate] = []
    for index in sorted(by_sentence):
        if index in skip:
            continue
        live = [t for t in by_sentence[index] if not _relative_clause_victim(doc, index, t)]
        live = [t for t in live if not _past_relative_act(doc, t, live)] or live
        threats = [t for t in live if t.type == "threat" and not _in_quote(doc, t.span.start)]
        if threats:
            # «закрыть лавочку», "close the centre or else": an act named in the quoted words of a threat is
            # what the threat demands, not an act done (rule incidents.quoted_demand.v1).
            first = min(t.span.start for t in threats)
            live = [t for t in live if t.type == "threat" or t.span.start < first or not _in_quote(doc, t.span.start)]
        # "назвал штраф матери местью", "condemned the arrest", "vanished ..., in what his family called an
        # abduction": an act told before (or beside), judged.
        live = [t for t in live if not (
            EVALUATED_BEFORE.search(doc.text[max(0, t.span.start - 40):t.span.start])
            and (any(t.type in c.types for c in candidates) or any(
                o.type == t.type and o.span.start < t.span.start for o in live)))]
        if not live:
            continue
        for cand in _sentence_candidates(doc, index, live):
            if cand.types <= AT_THE_VICTIM and cand.targets and all(
                    t.kind == "group" and ATTACKERS.search(t.name) for t in cand.targets) and (
                    _speaks_of_self(doc, index) or AGENT_OBJECT.search(doc.sentences[index].text)):
                cand.targets = []  # "меня ждали трое мужчин: ... ударили в лицо": the men are the attackers
            elif cand.types <= AT_THE_VICTIM and any(t.kind == "person" for t in cand.targets) and any(
                    t.kind == "group" and ATTACKERS.search(t.name) for t in cand.targets):
                # "two men who support the government punched and kicked the activist X": men named before
                # the act, a person after it: the men are the attackers.
                first = min(t.span.start for t in cand.triggers)
                cand.targets = [t for t in cand.targets if not (
                    t.kind == "group" and ATTACKERS.search(t.name) and t.span.end <= first
                    and any(o.kind == "person" and o.span.start > first for o in cand.targets))]
            if _speaks_of_self(doc, index) and (not cand.targets or (
                    cand.types <= {"threat"} and all(t.profile == "relative" for t in cand.targets))):
                # "I got a call ...", "something would happen to my father": the narrator is the
                # one acted against (and threatened through a relative).
                narrator = _narrator(doc)
                if narrator is not None:
                    cand.targets = [narrator, *cand.targets]
                    cand.trace.append("victim: the narrator")
            if not cand.targets and AUTHOR_SELF.search(doc.sentences[index].text) and (
                    byline := _byline(doc)) is not None:
                # "автора этого материала вызвали в ГКНБ": the journalist who signed the report.
                cand.targets = [byline]
                cand.trace.append("victim: the report's author (incidents.byline_author.v1)")
            _unnamed_is_main_person(doc, cand)
            if not cand.targets and all(GENERIC_PLURAL.fullmatch(t.span.text) for t in cand.triggers):
                continue  # "one of the threats it has seen increase": acts in general, no victim
            if not cand.targets:
                if _has_anaphor(doc, index):
                    cand.anaphoric = True
                    cand.trace.append("victim by anaphora")
                elif (main := _main_victim_for(doc, cand)) is not None:
                    cand.targets = [main]
                    cand.trace.append("no victim named: the report's main person (incidents.main_person.v1)")
                else:
                    cand.trace.append("no victim named: context")
            candidates.append(cand)
    return candidates


AMONG = re.compile(r"^\W*(?:among (?:those|the|them)\b|среди (?:задержанн|арестованн|них|депортированн))",
                   re.IGNORECASE)  # "Among those detained is X": one of the group just told
OBJECT_PRONOUN = re.compile(r"^\s+(?:him|her|them|его|её|ее|их)\b", re.IGNORECASE)


def _continues(doc: Document, cand: Candidate) -> bool:
    """Does the candidate's sentence carry on telling the previous act ("They were taken to a
    police station", "The detention was condemned ...", "a court fined him")?"""
    text = doc.sentences[cand.first_sentence].text
    if SUBJECT_PRONOUN.search(text) or AMONG.search(text):
        return True
    if ACT_ANAPHOR.search(text):
        # "Since his arrest, officers visited his mother": a new act against someone else refers
        # back to the arrest without continuing it.
        return not any(t.kind in ("person", "organization") for t in cand.targets)
    return any(OBJECT_PRONOUN.match(doc.text[t.span.end:t.span.end + 8]) for t in cand.triggers)


def _named(c: Candidate) -> bool:
    return any(t.kind in ("person", "organization") for t in c.targets)


FINITE_VERB = re.compile(r"(?<![\w-])(?:was|were|is|are|has|have|had|been|said|says|told|did|will|would|"
                         r"был[аио]?|будет|\w+(?:лся|лась|лись))(?![\w-])|(?<![\w-])\w+л[аио]?(?![\w-])",
                         re.IGNORECASE)


CUSTODY = {"detention", "interrogation", "ill_treatment", "fine", "deportation", "extradition", "rendition",
           "legal_action", "abduction", "summons"}


def _scene_countries(doc: Document, c: Candidate) -> set[str]:
    index = min(c.sentences)
    transfer = bool(c.types & TRANSFERS)
    return {p.country for p in doc.in_sentence(doc.places, index)
            if _is_scene(doc, p, transfer) and any(_same_clause(doc.text, p.span, t.span) for t in c.triggers)}


def _scenes_conflict(doc: Document, a: Candidate, b: Candidate) -> bool:
    """Both acts are placed, in different countries."""
    sa, sb = _scene_countries(doc, a), _scene_countries(doc, b)
    return bool(sa and sb and not sa & sb)


def _custody_sequence(doc: Document, a: Candidate, b: Candidate) -> bool:
    """One tightly bound sequence: the same person held, then questioned, charged, expelled or handed
    over within a few days."""
    if not (a.types & CUSTODY and b.types & CUSTODY):
        return False
    da, db = _told_date(doc, a), _date_of(doc, b, b.triggers)
    if da is None or db is None or da.precision != "day" or db.precision != "day":
        return False
    return 0 <= (db.value - da.value).days <= 4


def _is_caption(doc: Document, index: int) -> bool:
    """A photo caption: a short paragraph of its own that tells without a finite verb
    ("Detention of X on 27 July 2019 in Moscow.")."""
    sent = doc.sentences[index]
    if sent.paragraph_sentences != 1 or len(sent.text) >= 160:
        return False
    verbs = FINITE_VERB.findall(sent.text) if doc.lang == "ru" else re.findall(
        r"(?<![\w-])(?:was|were|is|are|has|have|had|been|said|says|told|did|will|would)(?![\w-])",
        sent.text, re.IGNORECASE)
    return not verbs


CONFESSION = re.compile(r"confess|repent|televis|\btv\b|sheet of paper|покаян|признани|телевид|видео", re.IGNORECASE)
TRANSFER = {"rendition", "abduction", "deportation", "extradition"}


def _confession_only(cand: Candidate) -> bool:
    """An act that is only a coerced confession ("appeared on state television reading a confession")."""
    return cand.types == {"ill_treatment"} and all(CONFESSION.search(t.span.text) for t in cand.triggers)


def _confession_after_transfer(prev: Candidate, cand: Candidate) -> bool:
    """"On 19 June he was taken ...; two days later he was on Tajik state television reading a confession":
    the confession is filmed in the state he was taken to, a second act, not a step of the seizure."""
    return bool(prev.types & TRANSFER) and _confession_only(cand)


def _types_continue(prev: Candidate, cand: Candidate) -> bool:
    """Can `cand` carry on telling `prev`'s act: the same kind of act, the next step of one custody
    ("detained ... a court fined him"), or a threat that came with it; not a detention after an
    intimidation campaign, nor a confession filmed after a transfer."""
    if _confession_after_transfer(prev, cand):
        return False
    return bool(prev.types & cand.types) or bool(prev.types & CUSTODY and cand.types <= CUSTODY) or (
        cand.types <= {"threat"}) or ("legal_action" in prev.types and cand.types <= {"fine", "other"}) or (
        "killing" in prev.types and cand.types <= {"ill_treatment"})  # "He had been strangled": how he died


def _victim_agrees(doc: Document, prev: Candidate, cand: Candidate) -> bool:
    """Can the anaphor of `cand` ("he", "the blogger", "they") stand for a victim of `prev`?"""
    gender, number = _pronoun_of_victim(doc, cand.first_sentence, cand.triggers)
    if gender is None and number is None:
        return True
    return any(_agrees(doc, t, gender, number) for t in prev.targets)


SEIZED = {"abduction", "rendition"}  # a rendition is told as its seizure, its removal or both


def _after_disappearance(doc: Document, prev: Candidate, cand: Candidate) -> bool:
    """"X vanished in Bishkek on Saturday ... On Wednesday a court in Ankara ordered him jailed": the custody a
    vanished person turns up in, told on a day of its own, is the state's next act, not a step of the
    disappearance (rule incidents.after_disappearance.v1)."""
    if cand.types & SEIZED or not any(t.type == "abduction" and INTRANSITIVE.search(t.span.text)
                                      for t in prev.triggers):
        return False
    own, told = _date_of(doc, cand, cand.triggers), _told_date(doc, prev)
    return own is not None and told is not None and own.value != told.value


def _context_date(doc: Document, cand: Candidate) -> DateMention | None:
    """The act's own date, else the date its paragraph told before it ("Nurlan at a rally in Aktobe in 2022.
    After that rally he was jailed for 15 days"), as `_choose_date` will date it."""
    own = _date_of(doc, cand, cand.triggers)
    if own is not None:
        return own
    before = _paragraph_before(doc, doc.dates, cand.first_sentence)
    opening = [d for d in before if _opens_sentence(doc, d)]
    return (opening or before)[-1] if before else None


# Threats and watching told in a row of one victim are one campaign ("He wrote that he knew my address.
# He sent photos of my entrance.").
WATCHED = frozenset({"threat", "surveillance"})


def _same_victim(doc: Document, merged: list[Candidate], cand: Candidate) -> Candidate | None:
    """3. The same victim told again: a named person or organisation with a shared type anywhere in
    the report (any type right after in the same paragraph, or a custody sequence), a counted group
    in the same or the next paragraph; never across explicit, different dates, acting states or
    scenes."""
    sent = doc.sentences[cand.first_sentence]
    for prev in reversed(merged):
        if not _shares_target(doc, prev, cand) or _confession_after_transfer(prev, cand) or _other_row(doc, prev, cand):
            continue
        last = max(prev.sentences)
        prev_par = doc.sentences[last].paragraph
        named = _named(prev) and _named(cand)
        near = cand.first_sentence - last <= 2 and prev_par == sent.paragraph
        sequence = named and _custody_sequence(doc, prev, cand)
        # Different types merge only as one custody sequence told in a row ("detained ... a court
        # fined him"), not a threat and a detention that happen to share a victim.
        if sequence and _after_disappearance(doc, prev, cand):
            continue
        if not prev.types & cand.types and not sequence and not (
                named and near and prev.types & CUSTODY and cand.types & CUSTODY) and not (
                near and cand.types <= {"threat"}) and not (
                named and prev.types & SEIZED and cand.types & SEIZED) and not (
                prev_par == sent.paragraph and cand.types <= WATCHED and prev.types & WATCHED):
            continue
        if not named and prev_par < sent.paragraph - 1:
            continue
        if _is_caption(doc, last) != _is_caption(doc, cand.first_sentence) and not near:
            continue
        if not sequence and not _dates_compatible(_told_date(doc, prev), _context_date(doc, cand)):
            continue
        if _perpetrators_conflict(prev, cand) and prev_par != sent.paragraph and not sequence:
            continue  # police detain, a court fines the next day: one sequence all the same
        if _states_conflict(prev, cand):
            continue
        if _scenes_conflict(doc, prev, cand):
            continue  # held in Dubai, then held in Cairo: two acts
        return prev
    return None


def merge_candidates(doc: Document, candidates: list[Candidate]) -> list[Candidate]:
    merged: list[Candidate] = []
    for cand in candidates:
        sent = doc.sentences[cand.first_sentence]
        target = None
        # 1. Same sentence and no distinct victims: one act with several types.
        for prev in reversed(merged):
            if cand.first_sentence in prev.sentences and (not cand.targets or _shares_target(doc, prev, cand)) \
                    and not _scenes_conflict(doc, prev, cand) and _dates_compatible(
                        _told_date(doc, prev), _date_of(doc, cand, cand.triggers)):
                target = (prev, "same sentence")
                break
        if target is None and (cand.anaphoric or _continues(doc, cand)):
            # 2. An anaphoric continuation of the incident told just before, when its anaphor can
            # stand for that incident's victim ("he" not for "his mother", "the blogger" not for
            # "two residents").
            before = [p for p in merged if max(p.sentences) < cand.first_sentence]
            if before:
                prev = max(before, key=lambda p: max(p.sentences))
                gap = cand.first_sentence - max(prev.sentences)
                prev_par = doc.sentences[max(prev.sentences)].paragraph
                own = _date_of(doc, cand, cand.triggers)
                new_date = own is not None and not _statement_date(doc, own, cand.triggers[0].span.start) and \
                    not _dates_compatible(own, _told_date(doc, prev))
                if new_date and _custody_sequence(doc, prev, cand) and not _after_disappearance(doc, prev, cand):
                    new_date = False  # held on 2 June, expelled on 5 June: one sequence
                other_state = _states_conflict(prev, cand)
                other_scene = _scenes_conflict(doc, prev, cand)  # held in Girne, then questioned in Ashgabat
                # A continuation does not bring a new named person ("... расспрашивали её" of the wife
                # after her husband's detention is another act).
                agrees = _victim_agrees(doc, prev, cand) if not cand.targets else (
                    not any(t.kind == "person" for t in cand.targets) or _shares_target(doc, prev, cand)
                    or any(t.kind == "group" and (t.count or 2) > 1 for t in prev.targets))  # one of the group
                if gap <= MERGE_LOOKBACK and prev_par >= sent.paragraph - 1 and not _is_caption(
                        doc, max(prev.sentences)) and not new_date and not other_state and not other_scene and agrees \
                        and _types_continue(prev, cand) and not _other_row(doc, prev, cand):
                    target = (prev, "anaphora")
                elif _reference_only(doc, cand):
                    cand.trace.append("a reference to an act told before: context")
                    continue
                elif (new_date or other_state) and not cand.targets and agrees:
                    # The same victim, a new act on another date: "On 21 June he appeared on TV".
                    cand.targets = list(prev.targets)
                    cand.trace.append("victim of the previous incident, new date")
        if target is None and not cand.targets and cand.anaphoric:
            antecedent = _recent_target(doc, cand.first_sentence, cand.triggers)
            if antecedent:
                cand.targets = antecedent
                cand.trace.append("victim from the previous sentences")
            elif (main := _main_victim_for(doc, cand) or _portrait_object(doc, cand)) is not None and _victim_agrees(
                    doc, Candidate(sentences=[], triggers=[], targets=[main]), cand):
                # "Five years earlier, she had been one of them. On the night of ... police beat her": no
                # one named near, the report's main person (incidents.main_person.v1).
                cand.targets = [main]
                cand.trace.append("anaphor with no antecedent near: the report's main person")
        if target is None and cand.targets:
            prev = _same_victim(doc, merged, cand)
            if prev is not None:
                target = (prev, "same victim")
        if target is not None:
            _merge_into(target[0], cand, target[1])
            continue
        if cand.targets:
            merged.append(cand)
    return [c for c in merged if _acted_by_state(c) and not _detained_suspects(doc, c)
            and not _vague_aggregate(doc, c) and not _ordinary_crime(doc, c)]


SUSPECTS_NEXT = re.compile(
    r"(?<![\w-])(?:the (?:two |three |four |five )?suspects|подозреваем\w+"
    r"|in connection with (?:the |his |her |their |this )?(?:killing|murder|attack|shooting|stabbing"
    r"|assassination|abduction|kidnapping|death|case(?! (?:of|against)))"
    r"|in (?:that|this|the same) (?:case|killing|murder|shooting|attack|stabbing)"
    r"|по подозрению в (?:убийстве|нападении|похищении)|по делу об? (?:убийстве|нападении|похищении))"
    r"(?![\w-])", re.IGNORECASE)


def _detained_suspects(doc: Document, c: Candidate) -> bool:
    """"Police detained two Tajik nationals at the airport. Prosecutors said the suspects ...": unnamed
    people the next sentence calls suspects are the host state's arrest of attackers, not victims."""
    if any(t.kind != "group" for t in c.targets):
        return False
    last = max(c.sentences)
    first = min(t.span.start for t in c.triggers)
    told = [m.span() for m in SUSPECTS_NEXT.finditer(doc.text, first, doc.sentences[last].end)]
    # "задержаны по подозрению в убийстве": the killing named in the suspicion is not a second act.
    acts = {t.type for t in c.triggers if not any(a <= t.span.start < b for a, b in told)}
    if not acts <= {"detention", "legal_action"}:
        return False
    if told:
        return True  # "... had been arrested, and that the evidence indicates that the suspects ..."
    nxt = last + 1
    return nxt < len(doc.sentences) and doc.sentences[nxt].paragraph == doc.sentences[last].paragraph and bool(
        SUSPECTS_NEXT.search(doc.sentences[nxt].text))


VAGUE_TIME = re.compile(r"in recent (?:years|months)|over the (?:past|last) (?:few )?(?:years|decade)|for years|"
                        r"в последние (?:годы|месяцы)|за последние (?:годы|несколько лет)", re.IGNORECASE)


def _vague_aggregate(doc: Document, c: Candidate) -> bool:
    """"Gulf states have detained several Uyghurs in recent years": uncounted people over an open
    period, placed nowhere, is a trend, not an incident."""
    if not c.targets or any(t.kind != "group" or t.count for t in c.targets):
        return False
    text = " ".join(doc.sentences[i].text for i in c.sentences)
    return bool(VAGUE_TIME.search(text)) and not any(_is_locative(doc, p) for i in c.sentences
                                                      for p in doc.in_sentence(doc.places, i))


NON_POLITICAL = re.compile(
    r"(?<![\w-])(?:for|on|over)\s+(?:\w+\s+){0,2}?(?:ordinary|common|non-political|regular|general)\s+(?:criminal\s+)?"
    r"(?:offen[cs]es|crimes|charges)|(?<![\w-])(?:за|по)\s+(?:\w+\s+){0,2}?(?:обычн|обще(?:уголовн)?|неполитическ)\w*\s+"
    r"(?:уголовн\w+\s+)?(?:преступлени|статья|статьям|обвинени|делам)\w*", re.IGNORECASE)


def _ordinary_crime(doc: Document, c: Candidate) -> bool:
    """"approved the extradition of three persons, all of them for ordinary criminal offences": people
    the report itself says were pursued for common crimes, counted and unnamed, are no incident."""
    if not c.targets or any(t.kind != "group" for t in c.targets):
        return False
    return any(NON_POLITICAL.search(doc.sentences[i].text) for i in c.sentences)


def _acted_by_state(c: Candidate) -> bool:
    """Acts a private person can do too (filing a complaint, warning) count only with a state body
    or proxy named as the actor."""
    if c.perpetrators:
        return True
    return any(not t.rule.endswith(".private.v1") for t in c.triggers)


# ----------------------------------------------------------------------------- field filling


def _paragraph_before(doc: Document, items: list, index: int) -> list:
    """Items in the sentences of the same paragraph before sentence `index`, nearest last."""
    par = doc.sentences[index].paragraph
    start = index
    while start > 0 and doc.sentences[start - 1].paragraph == par:
        start -= 1
    lo, hi = doc.sentences[start].start, doc.sentences[index].start
    return [x for x in items if lo <= x.span.start < hi]


def _main_city(doc: Document, country: str) -> PlaceMention | None:
    """The city a report is about, for an act it places in no city of its own: the dateline's city,
    or the one city of that country the report names repeatedly."""
    dateline = _dateline(doc)
    if dateline is not None and dateline.country == country:
        return dateline
    counts: dict[str, list[PlaceMention]] = {}
    for place in doc.places:
        if place.kind == "city" and place.country == country:
            counts.setdefault(place.gazetteer_id, []).append(place)
    ranked = sorted(counts.values(), key=len, reverse=True)
    if ranked and len(ranked[0]) >= 2 and (len(ranked) == 1 or len(ranked[0]) > len(ranked[1])):
        return ranked[0][0]
    return None


def _dateline_uncached(doc: Document) -> PlaceMention | None:
    head = doc.text[:400]
    for place in doc.places:
        if place.span.start > len(head):
            break
        if place.kind == "city" and place.span.text.isupper():
            return place
    return None


def _opens_sentence(doc: Document, date: DateMention) -> bool:
    index = doc.sentence_at(date.span.start)
    if index is None:
        return False
    head = doc.text[doc.sentences[index].start:date.span.start]
    return len(head.split()) <= 2


def _choose_date(doc: Document, cand: Candidate) -> tuple[str | None, str | None, Span | None]:
    primary = _date_of(doc, cand, cand.triggers)
    first = min(cand.triggers, key=lambda t: t.span.start)
    if (cell := _row_date(doc, cand)) is not None and (primary is None or (
            primary.span.start > first.span.end and not _same_clause(doc.text, primary.span, first.span))):
        # Only when the act has no date of its own: a later step of the row ("... and deported him on
        # 20.07") does not date it.
        primary = cell
        cand.trace.append("incidents.table_row_date.v1")
    if primary is None and (told := _told_date(doc, cand)) is not None and (
            (at := doc.sentence_at(told.span.start)) is not None
            and doc.sentences[at].paragraph != doc.sentences[cand.first_sentence].paragraph):
        # "X is wanted at home. ... [another paragraph] In 2021 the GKNB opened a case against me": the
        # act told again later with its own date takes that date, not the date of the paragraph that
        # first named it (incidents.merged_own_date.v1).
        primary = told
        cand.trace.append("incidents.merged_own_date.v1")
    if primary is None:
        before = _paragraph_before(doc, doc.dates, cand.first_sentence)
        # The narrative date is set by a date opening a sentence ("On March 7, ..."), not by one in
        # a subordinate clause ("... announced on 21 February").
        opening = [d for d in before if _opens_sentence(doc, d)]
        if opening or before:
            primary = (opening or before)[-1]
    if primary is None:
        # The narrative date carries over from the previous paragraph when it opened a sentence there.
        index = cand.first_sentence
        par = doc.sentences[index].paragraph
        start = index
        while start > 0 and doc.sentences[start - 1].paragraph == par:
            start -= 1
        if start > 0:
            prev_dates = [d for d in _paragraph_before(doc, doc.dates, start - 1) + doc.in_sentence(doc.dates,
                                                                                                   start - 1)
                          if d.precision == "day" and not _statement_date(doc, d)]
            opening = [d for d in prev_dates if _opens_sentence(doc, d)]
            if prev_dates and not _is_caption(doc, start - 1):
                primary = (opening or prev_dates)[-1]
    if primary is None:
        own = [d for d in cand.later_dates
               if any(_same_clause(doc.text, d.span, t.span) for t in cand.triggers)]
        if own:
            primary = own[0]
    if primary is not None and doc.published is not None and has_inferred_year(primary) and \
            primary.value > window_end(doc.published, doc.published_precision or "day"):
        # "In April, blogger X was pushed into a car" in a report of February: an act told in the past
        # without its year happened before publication, in the year before (incidents.past_act_year.v1).
        primary = year_before(primary)
        cand.trace.append("incidents.past_act_year.v1")
    if primary is not None:
        since = re.search(r"(?:since|с|со)\s+$", doc.text[max(0, primary.span.start - 7):primary.span.start])
        if since and primary.precision == "day" and any(t.kind == "group" and t.count for t in cand.targets):
            # An aggregate counted "since June 2" covers a window: its date is the month.
            return primary.iso()[:7], "month", primary.span
        return primary.iso(), primary.precision, primary.span
    if doc.published is None:
        return None, None, None
    # An act told without a date is taken as recent: the month of publication.
    if doc.published_precision == "year":
        return f"{doc.published.year:04d}", "year", None
    return f"{doc.published.year:04d}-{doc.published.month:02d}", "month", None


def _is_locative(doc: Document, place: PlaceMention) -> bool:
    if place.rule == "places.checkpoint_town.v1":
        return True  # "на пункте пропуска «Брест»": where the traveller was stopped
    if place.span.start < 60 and place.span.text.isupper():
        return True  # dateline
    before = doc.text[max(0, place.span.start - 60):place.span.start]
    return bool(LOCATIVE.search(before[-40:])) and (not DESTINATION_RU.search(before)
                                                    or bool(FACILITY_IN.search(before) or LEFT_FROM_IN.search(before)))


# The seat of an organisation, not a scene: "the Toronto-based lab", "a London-based network", "headquartered in
# Prague", "базирующийся в Вильнюсе", "со штаб-квартирой в Праге" (rule incidents.seat_not_scene.v1).
SEAT_AFTER = re.compile(r"\s?-\s?(?:based|headquartered|registered)\b|\s+based\b(?!\s+(?:on|upon))", re.IGNORECASE)
SEAT_BEFORE = re.compile(r"(?:\b(?:headquartered|registered|incorporated)\s+in|\bheadquarters\s+(?:is\s+|are\s+)?in|"
                         r"(?<![\w-])(?:базирующ\w*|штаб-квартир\w*|зарегистрированн\w*)\s+в)\s+(?:the\s+)?$",
                         re.IGNORECASE)


# People an interrogation asks about, named with where they are (incidents.people_in_not_scene.v1).
PEOPLE_IN = re.compile(r"(?<![\w-])(?:friends|contacts|acquaintances|relatives|colleagues|associates|друзь\w*|друзей|"
                       r"знакомы\w*|контакт\w*|родственник\w*|коллег\w*|общает\w*|общаю\w*|общал\w*|встречает\w*|"
                       r"communicates|socialises|socializes|meet|meets|met|встречаюсь|встречался)\s+(?:\w+\s+)?"
                       r"(?:in|at|в|во)\s+$",
                       re.IGNORECASE)


# "the government in Asmara", "режим в Минске": a capital standing for its state (incidents.state_seat.v1).
STATE_SEAT = re.compile(r"(?<![\w-])(?:government|regime|authorities|leadership|junta|правительств\w*|режим\w*|"
                        r"власт(?:и|ей|ям|ями|ях))\s+(?:in|в|во)\s+$", re.IGNORECASE)


ACTIVITY_IN = re.compile(r"(?<![\w-])(?:activism|activities|campaigning|advocacy|journalism|reporting|work|"
                         r"деятельност\w*|активизм\w*|публикаци\w*)\s+(?:[\w-]+\s+)?(?:in|в|во)\s+(?:the\s+)?$",
                         re.IGNORECASE)


ORIGIN_FROM = re.compile(r"(?:этническ\w+\s+[а-яё]+|уроженц\w*|уроженк\w*|выходц\w*|выходец|родом|native|natives"
                         r"|originally|hails?|hailing)\s+(?:(?:from|of|из|с)\s+)?(?:the\s+)?$", re.IGNORECASE)


def _in_quote(doc: Document, pos: int) -> bool:
    """Inside quoted words of its sentence: after an opening « or “ not yet closed, or after an odd
    number of straight double quotes."""
    index = doc.sentence_at(pos)
    if index is None:
        return False
    before = doc.text[doc.sentences[index].start:pos]
    if before.count("«") > before.count("»") or before.count("“") > before.count("”"):
        return True
    return before.count('"') % 2 == 1


REFERENCE_PLACE = re.compile(r"(?:after|since|before|following|после|до|с момента)\s+(?:(?:the|his|her|their|its|"
                             r"его|её|ее|их)\s+)?\w+\s+(?:in|at|в|во)\s+$", re.IGNORECASE)


def _not_a_scene(doc: Document, place: PlaceMention) -> bool:
    """A destination ("flown to Cairo", "рейсом в Душанбе"), the place of an act referred to ("two
    days after the arrests in Ixelles"), the seat of an organisation ("the Toronto-based lab"), where
    the people asked about live ("about his friends in Berlin") or a state named by its capital as the
    subject of a verb ("Анкара обвиняет", "Moscow's request")."""
    before = doc.text[max(0, place.span.start - 60):place.span.start]
    if DESTINATION.search(before[-12:]) or (DESTINATION_RU.search(before) and not FACILITY_IN.search(before)
                                            and not LEFT_FROM_IN.search(before)) \
            or REFERENCE_PLACE.search(before) or (FACILITY_DESTINATION.search(before)
                                                  and not SUMMONED_TO.search(before)):
        return True
    if PEOPLE_IN.search(before):
        return True  # "asked about his friends in London": where people the act is about live, not its scene
    if STATE_SEAT.search(before):
        return True  # "men who support the government in Asmara": the state, not where they acted
    if ACTIVITY_IN.search(before):
        return True  # "held because of her activism in the UK": where the cause lies, not the scene
    if ORIGIN_FROM.search(before) or (_in_quote(doc, place.span.start) and place.rule != "places.checkpoint_town.v1"):
        # "этнического казаха из Каракалпакстана": where the person comes from; «пока родителям в Рязани не
        # стало хуже»: a place in the words quoted, not where they were said (incidents.quoted_place.v1)
        return True
    seat = SEAT_AFTER.match(doc.text, place.span.end)
    if (seat and ORG_AFTER_BASED.match(doc.text, seat.end())) or SEAT_BEFORE.search(before):
        return True  # the seat of an organisation (incidents.seat_not_scene.v1); a person's base is a home
    return not LOCATIVE.search(before[-40:]) and bool(METONYMY_AFTER.match(doc.text, place.span.end))


# A row of a table "date | place | what happened" (rules incidents.table_row_place.v1, table_row_date.v1).
TABLE_ROW = re.compile(r"[ \t|]*[^|\n]{1,40}\|[ \t]*(?P<cell>[^|\n]{2,60}?)[ \t]*\|")


def _table_row(doc: Document, offset: int) -> re.Match[str] | None:
    """The table row the line holding `offset` is, or None."""
    return TABLE_ROW.match(doc.text, doc.text.rfind("\n", 0, offset) + 1)


def _act_row(doc: Document, cand: Candidate) -> re.Match[str] | None:
    """The one table row all the act's words are told in, or None."""
    if len({doc.text.rfind("\n", 0, t.span.start) for t in cand.triggers}) != 1:
        return None
    return _table_row(doc, cand.triggers[0].span.start)


def _other_row(doc: Document, prev: Candidate, cand: Candidate) -> bool:
    """Each row of a table is a record of its own: acts of two rows are two incidents."""
    a, b = (_table_row(doc, min(t.span.start for t in c.triggers)) for c in (prev, cand))
    return a is not None and b is not None and a.start() != b.start()


def _row_place(doc: Document, cand: Candidate) -> PlaceMention | None:
    """The place cell of the table row that tells the act, unless the act reaches the victim from afar."""
    if cand.types <= {"threat", "surveillance"}:
        return None
    row = _act_row(doc, cand)
    if row is None or row.end() > min(t.span.start for t in cand.triggers):
        return None
    lo, hi = row.span("cell")
    return next((p for p in doc.places if lo <= p.span.start and p.span.end <= hi), None)


def _row_date(doc: Document, cand: Candidate) -> DateMention | None:
    """The date cell that opens the table row telling the act ("14.07 | Nicosia | detained ... deported
    on 20.07"): the row's record is dated by it (rule incidents.table_row_date.v1)."""
    row = _act_row(doc, cand)
    if row is None:
        return None
    bar = doc.text.find("|", row.start())
    return next((d for d in doc.dates if row.start() <= d.span.start and d.span.end <= bar), None)


def _choose_place(doc: Document, cand: Candidate) -> tuple[PlaceMention | None, PlaceMention | None]:
    """(city-level place, country-level mention) for the incident: places said to be where
    something happened ("in Osh", "в Бишкеке") first, nearest to the act's trigger first."""
    city = country = None
    if cand.scene_hint is not None:
        return (cand.scene_hint, None) if cand.scene_hint.kind == "city" else (None, cand.scene_hint)
    if (cell := _row_place(doc, cand)) is not None:
        return (cell, None) if cell.kind == "city" else (None, cell)
    named = [p for i in cand.sentences for p in doc.in_sentence(doc.places, i) if not _not_a_scene(doc, p)]
    if cand.triggers:
        # "A blogger who disappeared in Bangkok ... was sentenced": the place of the relative clause's act.
        named = [p for p in named if not all(_relative_before(doc, p.span, t.span, act=True) for t in cand.triggers)]
    if cand.types <= AT_THE_VICTIM:
        # "the Urumqi public security bureau called him": the seat of the body that threatens from afar.
        seats = [(a.span.start, a.span.end) for a in cand.perpetrators]
        named = [p for p in named if not any(s <= p.span.start < e for s, e in seats)]
    # A home or nationality is the scene only when nothing else is named.
    places = [p for p in named if not NOT_THE_SCENE.search(doc.text[max(0, p.span.start - 40):p.span.start])] or named
    locative = [p for p in places if _is_locative(doc, p)]
    pool = locative or places
    if not locative and places and not cand.types & TRANSFERS:
        # "He said he brought greetings from Baku" after "a man approached me near my flat in Cologne":
        # a place the act's sentences name only in passing yields to the scene told just before it
        # (rule incidents.scene_before.v1).
        scene = [p for p in _paragraph_before(doc, doc.places, cand.first_sentence)
                 if p.kind == "city" and _is_locative(doc, p) and not _not_a_scene(doc, p)
                 and not RESIDENCE_BEFORE.search(doc.text[max(0, p.span.start - 40):p.span.start])
                 and cand.first_sentence - (doc.sentence_at(p.span.start) or 0) <= 1]
        if scene:
            pool = scene[-1:]
    anchors = [t.span for t in cand.triggers]

    primary = min(cand.sentences)

    main = _dominant_country(doc)

    def rank(p: PlaceMention) -> tuple[int, int, int, int, int, int]:
        index = doc.sentence_at(p.span.start) or primary
        own = any(_same_clause(doc.text, p.span, a) for a in anchors)
        # Of two places of one clause, the one in the country the report is about ("Tuzla" in an
        # Istanbul story is the district, not the Bosnian town).
        near = min(_distance(p.span, a) for a in anchors)
        # Of two places of one clause, the one right by the act ("detained by police in Ghulja two weeks
        # after she spoke in Munich"), then the one in the country the report is about ("Tuzla" in an
        # Istanbul story is the district, not the Bosnian town).
        return (0 if p in locative else 1, 0 if own else 1, 0 if near <= 25 else 1, 0 if p.country == main else 1,
                index - primary, near)

    for place in sorted(pool, key=rank):
        if place.kind == "city" and city is None:
            city = place
        elif place.kind in ("country", "region") and country is None:
            country = place
    if city is not None and country is not None and country.country != city.country and rank(country) < rank(city):
        # "detained in Kazakhstan ... between Bishkek and Astana": keep the city only if it lies in
        # the country the act is placed in.
        city = None
    if city is None and country is None and cand.types <= REMOTE:
        # A threat or surveillance told without a place happens where the exile lives.
        city = _residence(doc, cand)
    if city is None:
        before = [p for p in _paragraph_before(doc, doc.places, cand.first_sentence)
                  if p.kind == "city" and not _not_a_scene(doc, p)
                  and not NOT_THE_SCENE.search(doc.text[max(0, p.span.start - 40):p.span.start])]
        if before:
            city = before[-1]
    if city is None and country is None and cand.types <= AT_THE_VICTIM:
        city = _residence(doc, cand)  # an attack told without a place, nor one just before: at home
    if country is None:
        before = [p for p in _paragraph_before(doc, doc.places, cand.first_sentence) if p.kind == "country"]
        if before:
            country = before[-1]
    return city, country


FOREIGN_MISSIONS = {"embassy", "consulate"}
REQUEST = re.compile(r"request|behest|behalf|запрос|просьб|требовани|заказ", re.IGNORECASE)
# Acts that happen where their victim is, wherever the actor sits.
AT_THE_VICTIM = {"threat", "surveillance", "ill_treatment", "killing", "abduction", "other"}
REMOTE = {"threat", "surveillance"}  # done from afar: told without a place, they reach the victim at home
REMOTE_MEANS = re.compile(r"spyware|pegasus|predator|hack|phish|infect|malware|messag|call|e-?mail|voice|online|"
                          r"шпионск|взлом|фишинг|заразил|сообщени|звон|письм|мессендж", re.IGNORECASE)
# A threat or watching done in person: it happens where it was done, not where the victim lives.
IN_PERSON = re.compile(r"approach|came|come|visit|follow|photograph|waited|wait|stood|sat|knock|men|man\b|"
                       r"подош|приш|приход|приезж|приех|навест|след|ждал|стоял|фотограф|мужчин", re.IGNORECASE)
RESIDENCE_BEFORE = re.compile(
    r"(?:\blives?|\bliving|\blived|\bbased|\bresident|\bsettled|\bresides|\bstays?|живет|живёт|жил\w*|живущ\w*|"
    r"проживает|проживающ\w*|обосновал\w*)\s+(?:\w+\s+){0,2}?(?:in|at|в|во)\s+$"
    r"|(?P<home>\b(?:his|her|their|my)\s+(?:own\s+|rented\s+)?(?:home|flat|apartment(?:\s+building)?|house)\s+"
    r"in\s+$)", re.IGNORECASE)


# After "X-based": an organisation's name or kind, not a person ("the Toronto-based Citizen Lab", "a
# London-based rights group").
ORG_AFTER_BASED = re.compile(
    r"\s+(?:[\w'’-]+\s+){0,3}?(?i:lab|laboratory|group|network|organi[sz]ation|ngo|centre|center|institute|outlet|"
    r"newspaper|website|channel|broadcaster|agency|company|firm|charity|foundation|association|coalition|campaign|"
    r"watchdog|monitor|think tank|university|initiative|project|team|researchers|society|council|union|committee|"
    r"alliance|platform|service|media|news|radio|tv|magazine|journal)\b")


def _residences_uncached(doc: Document) -> dict[str, PlaceMention]:
    """Where the people of a report live, when it says so ("who has lived in Utrecht since 2023",
    "London-based", "живёт в Вильнюсе"): person name key -> city."""
    out: dict[str, PlaceMention] = {}
    for place in doc.places:
        if place.kind != "city":
            continue
        before = doc.text[max(0, place.span.start - 40):place.span.start]
        based = re.match(r"-based\b", doc.text[place.span.end:place.span.end + 7])
        if based and ORG_AFTER_BASED.match(doc.text, place.span.end + 6):
            continue  # "the Toronto-based Citizen Lab": the seat of an organisation, nobody's home
        told = RESIDENCE_BEFORE.search(before)
        if not (told or based):
            continue
        index = doc.sentence_at(place.span.start)
        if index is None:
            continue
        everyone = [a for a in doc.in_sentence(doc.actors, index) if a.kind == "person"]
        nearest = next((a for a in reversed(everyone) if a.span.start < place.span.start), None)
        if told and told["home"] and nearest is None:
            continue  # "his home in Tabriz" with no one named in the sentence: whose is unsure
        if based:
            # "Aarhus-based human rights defender Ali Jaffar Mansoor": the person the phrase describes.
            nearest = next((a for a in everyone if 0 <= a.span.start - place.span.end <= 60), nearest)
        if nearest is not None and nearest.profile in ("official", "relative"):
            continue  # "his father, who lives in Ganja": the relative's home, not the exile's
        people = [a for a in everyone if a.profile not in ("official", "relative")]
        owner = nearest or (people[0] if people else _narrator(doc))
        if owner is not None:
            out.setdefault(fold_name(_party_name(doc, owner)), place)  # the home told first
    return out


def _residence(doc: Document, cand: Candidate) -> PlaceMention | None:
    """The city where the candidate's victim (an exile, not a relative) lives, if the report says."""
    homes = _residences(doc)
    for target in cand.targets:
        if target.kind == "person" and target.profile != "relative":
            home = homes.get(fold_name(_party_name(doc, target)))
            if home is not None:
                return PlaceMention(span=home.span, name=home.name, country=home.country, kind=home.kind,
                                    gazetteer_id=home.gazetteer_id, latitude=home.latitude,
                                    longitude=home.longitude, rule="incidents.residence.v1")
    return None


NATIONAL = {"legal_action", "censorship"}


def _foreign_actor(doc: Document, cand: Candidate, country: str | None) -> tuple[str | None, Span | None]:
    """A body of another state acting in the act's own sentences ("officers of Rwanda's NISS followed
    him in Brussels", "the Turkmen consulate refused to renew her passport in Istanbul"): the act is
    done on that state's behalf. A body that only speaks about it ("Tajikistan's foreign ministry
    denied ...") is not acting."""
    if country is None:
        return None, None
    for actor in sorted(cand.perpetrators, key=lambda a: a.span.start):
        if not actor.country or actor.country == country or "proxy" in (actor.profile or ""):
            continue
        if SPEECH.match(doc.text, actor.span.end + 1) or re.match(r"\s+(?:said|says|denied|denies|rejected|"
                                                                  r"заявил\w*|сообщил\w*|отрицает)",
                                                                  doc.text[actor.span.end:actor.span.end + 20]):
            continue
        return actor.country, actor.span
    return None, None


def _home_state_uncached(doc: Document) -> str | None:
    """The state the report's repression comes from: the state of most acting bodies and codes named."""
    votes: dict[str, int] = {}
    for actor in doc.actors:
        if actor.kind == "agency" and actor.country and actor.canonical not in FOREIGN_MISSIONS \
                and "proxy" not in (actor.profile or ""):
            votes[actor.country] = votes.get(actor.country, 0) + 1
    for legal in doc.legal:
        code = (legal.code or "").split(" ")[0]
        if len(code) == 2 and code.isupper():
            votes[code] = votes.get(code, 0) + 2
    return max(votes, key=lambda c: votes[c]) if votes else None


def _section_country(doc: Document, index: int) -> PlaceMention | None:
    """The country of the nearest section heading before sentence `index` ("KAZAKHSTAN" in a
    round-up)."""
    for back in range(index - 1, -1, -1):
        sent = doc.sentences[back]
        if sent.paragraph_sentences != 1 or len(sent.text) > 60:
            continue
        places = doc.in_sentence(doc.places, back)
        if len(places) == 1 and places[0].kind == "country" and len(places[0].span.text) >= len(
                sent.text.strip(" :.-—")) - 2:
            return places[0]
        # "Россия: штраф отцу активиста", "Kazakhstan — two detained": a headed item of a digest.
        if places and places[0].kind == "country" and places[0].span.start == sent.start and re.match(
                r"\s*[:—–-]", doc.text[places[0].span.end:places[0].span.end + 3]):
            return places[0]
    return None


# A town the gazetteer does not know, said to be the scene ("in Sitra", "в Сейди"): a capitalised word after a
# locative preposition that is no known place, actor, nationality ("in Turkish custody"), month or weekday.
UNKNOWN_TOWN = re.compile(r"(?:(?<![\w-])(?:in|at|near|outside)\s+(?:the\s+(?:town|village|city)\s+of\s+)?"
                          r"|(?<![\w-])(?:в|во|под)\s+(?:(?:городе|селе|поселке|посёлке|деревне|г\.)\s+)?)"
                          r"([A-ZА-ЯЁ][a-zа-яё]{2,}(?:-[A-ZА-ЯЁ][a-zа-яё]+)?)(?![\w-]|\s+[A-ZА-ЯЁ])")
# "центр временного содержания иностранных граждан в Сахарово", "a removal centre in X": a place for
# foreigners stands in the host state, never in the state the report is about.
FOR_FOREIGNERS = re.compile(r"(?:иностран\w*(?:\s+граждан\w*)?|мигрант\w*|foreign(?:ers|\s+nationals)|migrants|"
                            r"(?:removal|deportation|immigration|repatriation)\s+(?:centre|center|facility|unit))\s*$",
                            re.IGNORECASE)
NOT_A_TOWN = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "christmas", "easter", "ramadan", "parliament", "court", "facebook", "telegram", "instagram", "youtube",
    "twitter", "whatsapp", "english", "russian", "arabic", "январе", "феврале", "марте", "апреле", "мае",
    "июне", "июле", "августе", "сентябре", "октябре", "ноябре", "декабре", "понедельник", "вторник", "среду",
    "четверг", "пятницу", "субботу", "воскресенье", "телеграме", "телеграм-канале", "инстаграме", "фейсбуке",
    "ютубе",
    # Institutions written with a capital ("в Центр временного содержания", "at the Embassy"): no towns.
    "центр", "центре", "отдел", "отделе", "суд", "суде", "управление", "управлении", "изолятор", "изоляторе",
    "комитет", "комитете", "министерство", "министерстве", "прокуратуру", "прокуратуре", "посольство",
    "посольстве", "консульство", "консульстве", "centre", "center", "embassy", "consulate", "ministry",
    "police", "office", "prison", "airport", "аэропорт", "аэропорту",
})


@cache
def _is_language(word: str) -> bool:
    """"a voice note in Kinyarwanda": a major language (one with a two-letter ISO 639-1 code), not a town."""
    import pycountry

    try:
        lang = pycountry.languages.get(name=word)
    except LookupError:
        return False
    return lang is not None and hasattr(lang, "alpha_2")


def _unknown_town(doc: Document, cand: Candidate) -> Span | None:
    """A town said to be the act's scene in its own clause that the gazetteer does not know
    (incidents.unknown_town.v1): the act then happens in the state the report is about, not at the
    dateline or in a city named for another reason."""
    for trig in cand.triggers:
        sent = doc.sentences[trig.sentence]
        for m in UNKNOWN_TOWN.finditer(doc.text, sent.start, sent.end):
            s, e = m.span(1)
            if m.group(1).lower() in NOT_A_TOWN or country_of_adjective(m.group(1)) or _is_language(m.group(1)) \
                    or FOR_FOREIGNERS.search(doc.text[max(0, m.start() - 60):m.start()]) or _in_quote(doc, s) \
                    or any(p.span.start < e and s < p.span.end for p in doc.places) \
                    or any(a.span.start < e and s < a.span.end for a in doc.actors):
                continue
            span = Span(s, e, doc.text[s:e])
            if _same_clause(doc.text, span, trig.span):
                return span
    return None


STATE_SCREEN = re.compile(
    r"(?<![\w-])([A-Z][a-z]+|[а-яё]+(?:ском|ское|ского|ским))\s+(?:(?:state|state-run|pro-government"
    r"|государственн\w+|провластн\w+)\s+)?(?:television|TV|broadcaster|телевидени\w+|телеканал\w*)(?![\w-])",
    re.IGNORECASE)


def _confession_state(doc: Document, cand: Candidate) -> tuple[str, Span] | None:
    """The state whose television broadcast a coerced confession, for an act that is only that."""
    if not _confession_only(cand):
        return None
    for i in sorted(cand.sentences):
        for m in STATE_SCREEN.finditer(doc.sentences[i].text):
            if code := country_of_adjective(m.group(1)):
                start = doc.sentences[i].start + m.start(1)
                return code, Span(start, start + len(m.group(1)), m.group(1))
    return None


EXTRADITION_REQUEST = re.compile(r"запрос|request|asked|urged|pressed|called on|demand|sought|seek|ходатайств|требова"
                                 r"|добива|запраш", re.IGNORECASE)


def _request_addressee(doc: Document, cand: Candidate) -> tuple[str, Span | None] | None:
    """The state asked to extradite: a place or a body of another state than the requester named in the
    request's own sentence ("направила властям Черногории запрос о выдаче" -> ME)."""
    if not cand.triggers or not all(t.type == "extradition" and EXTRADITION_REQUEST.search(t.span.text)
                                    for t in cand.triggers):
        return None
    requesters = {a.country for a in cand.perpetrators if a.country and a.span.end <= cand.triggers[0].span.start}
    if not requesters:
        return None
    index = cand.triggers[0].sentence
    named = [(p.country, p.span) for p in doc.in_sentence(doc.places, index)] + [
        (a.country, a.span) for a in doc.in_sentence(doc.actors, index) if a.kind == "agency" and a.country]
    others = [(cc, span) for cc, span in sorted(named, key=lambda n: n[1].start) if cc not in requesters
              and not any(t.span.start <= span.start < t.span.end for t in cand.targets)]
    if not others:
        # "the Embassy of China submitted a request for his extradition to the Attorney General": the state
        # asked is the one the report is about, when that is not the requester.
        other = _other_state(doc, next(iter(requesters))) if len(requesters) == 1 else None
        return (other, None) if other else None
    return others[0]


TOWN_APPOSITION = re.compile(
    r",?\s+(?:(?:a|an|the)\s+(?:[\w-]+\s+){0,3}?(?:town|city|village|settlement|suburb|municipality|port|resort"
    r"|border town|district)\s+(?:in|of|on)\s+(?:the\s+)?(?:(?:far\s+)?(?:north|south|east|west|northern"
    r"|southern|eastern|western|central|north-?eastern|north-?western|south-?eastern|south-?western)\s+)?"
    r"|(?:небольш\w+\s+|приграничн\w+\s+)*(?:город\w*|пос[её]л\w*|сел\w*|деревн\w*)\s+(?:на\s+\w+\s+|в\s+)?"
    # "in Koya, in the Kurdistan Region of Iraq", "in Koya, in northern Iraq"
    r"|(?:in|near)\s+(?:the\s+)?(?:[\w-]+\s+){0,4}?(?:of\s+)?)$",
    re.IGNORECASE)


def _town_apposition_country(doc: Document, town: Span) -> PlaceMention | None:
    """The country of a town the gazetteer lacks when the report places it: "Upala, a small town in
    northern Costa Rica", "Upala, Costa Rica"."""
    sent = doc.sentence_at(town.start)
    if sent is None:
        return None
    for p in doc.in_sentence(doc.places, sent):
        if p.kind != "country" or p.span.start < town.end or p.span.start - town.end > 80:
            continue
        gap = doc.text[town.end:p.span.start]
        if gap.strip() == "," or TOWN_APPOSITION.match(gap):
            return p
    return None


BEHALF_BEFORE = re.compile(r"(?:on behalf of|at the behest of|for|tied to|linked to|attributed (?:it )?to|working for|"
                           r"по заданию|по поручению|в интересах|связанн\w* с)\s+(?:the\s+)?(?:[\w'’-]+\s+){0,3}$",
                           re.IGNORECASE)


AGENT_BY = re.compile(r"(?<![\w-])by\s+(?:the\s+)?\Z", re.IGNORECASE)


def _choose_country(doc: Document, cand: Candidate, city: PlaceMention | None,
                    country_mention: PlaceMention | None, origin_span: Span | None
                    ) -> tuple[str | None, Span | None]:
    """Where the act happened: a place said to be its location, the state of the body that acted,
    the section of a round-up, then any place named with it, the dateline, the report's main country."""
    def outside_origin(p: PlaceMention | None) -> bool:
        return p is not None and not (origin_span and origin_span.start <= p.span.start < origin_span.end)

    anchors = [t.span for t in cand.triggers]
    dateline = _dateline(doc)
    home = _home_state(doc)
    town = _unknown_town(doc, cand)
    if town is not None and (told := _town_apposition_country(doc, town)) is not None:
        # "in Upala, a small town in northern Costa Rica": the report says where the town lies
        # (rule incidents.town_apposition.v1).
        cand.trace.append("incidents.town_apposition.v1")
        return told.country, told.span
    if not home:
        town = None
    if (screen := _confession_state(doc, cand)) is not None:
        # "he appeared on Tajik state television reading a confession": filmed where he is held, in the
        # state whose television shows it (rule incidents.confession_state.v1).
        cand.trace.append("incidents.confession_state.v1")
        return screen
    if (addressee := _request_addressee(doc, cand)) is not None:
        # "направила в Ереван запрос о выдаче", "asked Turkey to extradite": a request for an extradition
        # happens where the person is, in the state asked (rule incidents.request_addressee.v1).
        cand.trace.append("incidents.request_addressee.v1")
        return addressee

    def nearer_town(place: PlaceMention) -> bool:
        """An unknown town closer to the act than the known place ("summoned to a station in Qaryat and
        asked about his friends in London")."""
        return town is not None and bool(anchors) and min(_distance(town, a) for a in anchors) < min(
            _distance(place.span, a) for a in anchors)

    for place in (city, country_mention):
        # The place of the act's own clause; a dateline counts for the lead sentence it opens; a threat
        # told without a place happens where its victim lives. Where the victim of a charge or sentence
        # lives, told in its clause ("заочно приговорил живущего во Франции блогера"), gives way to the
        # body that acted (rule incidents.residence_in_clause.v1).
        if cand.types <= NATIONAL and place is not None and place.rule != "incidents.residence.v1" \
                and RESIDENCE_BEFORE.search(doc.text[max(0, place.span.start - 40):place.span.start]):
            continue
        if outside_origin(place) and not nearer_town(place) and ((_is_locative(doc, place) and (any(  # type: ignore[arg-type]
                _same_clause(doc.text, place.span, a) for a in anchors) or place is dateline))  # type: ignore[union-attr]
                or place.rule == "incidents.residence.v1"):  # type: ignore[union-attr]
            return place.country, place.span  # type: ignore[union-attr]
    remote = cand.types <= REMOTE and any(REMOTE_MEANS.search(t.span.text) for t in cand.triggers) and not any(
        IN_PERSON.search(t.span.text) for t in cand.triggers if not REMOTE_MEANS.search(t.span.text))
    for actor in [] if remote else cand.perpetrators:
        # Spyware, hacking, calls and messages reach the victim where they are: the body behind them
        # does not place them (rule incidents.remote_means.v1).
        domestic = actor.country and actor.canonical not in FOREIGN_MISSIONS and "proxy" not in (actor.profile or "") \
            and not (origin_span and origin_span.start <= actor.span.start < origin_span.end
                     and REQUEST.search(origin_span.text))  # "по запросу Генпрокуратуры Узбекистана": asked
        # Only the body that acted: before the act's word, or right after it ("detained by ...").
        if domestic and any(actor.span.end <= t.span.start or 0 <= actor.span.start - t.span.end <= 40 or (
                t.span.end <= actor.span.start and t.sentence == doc.sentence_at(actor.span.start)
                and AGENT_BY.search(doc.text, max(0, actor.span.start - 10), actor.span.start))
                for t in cand.triggers):
            # "the arrest of at least 14 relatives of ... critics by the Eritrean authorities": the agent.
            return actor.country, actor.span  # type: ignore[return-value]
    if home and town is not None:
        return home, town
    if remote and (lives := _residence(doc, cand)) is not None:
        cand.trace.append("incidents.remote_means.v1")
        return lives.country, lives.span
    for place in (city, country_mention):
        if outside_origin(place) and (_is_locative(doc, place) or  # type: ignore[arg-type]
                                      place.rule == "incidents.residence.v1"):  # type: ignore[union-attr]
            return place.country, place.span  # type: ignore[union-attr]
    heading = _section_country(doc, cand.first_sentence)
    if heading is not None:
        return heading.country, heading.span
    own = [p for p in (city, country_mention)
           if outside_origin(p) and p is not dateline and doc.sentence_at(p.span.start) in cand.sentences]  # type: ignore[union-attr]
    if cand.types <= NATIONAL and not own and (home := _home_state(doc)):
        # A charge, sentence or ban told without a place is the act of the report's repressing state,
        # not of the country where its victim lives.
        return home, None
    for place in (city, country_mention):
        if outside_origin(place) and place is not dateline:
            return place.country, place.span  # type: ignore[union-attr]
    for index in sorted(cand.sentences)[:1]:
        for legal in doc.in_sentence(doc.legal, index):
            # An act under a state's code happens in that state ("по ч. 1 ст. 342 УК РБ").
            code = (legal.code or "").split(" ")[0]
            if len(code) == 2 and code.isupper():
                return code, legal.span
    par = doc.sentences[cand.first_sentence].paragraph
    for actor in doc.actors:
        # A body of the act's paragraph, in another of its sentences ("Berlin police have opened an
        # investigation"); bodies of the act's own sentences that did not act there are its origin.
        if actor.kind == "agency" and actor.country and actor.canonical not in FOREIGN_MISSIONS \
                and "proxy" not in (actor.profile or "") and (i := doc.sentence_at(actor.span.start)) is not None \
                and doc.sentences[i].paragraph == par and i not in cand.sentences \
                and not _speaker(doc, actor, cand.triggers) \
                and not (cand.types <= REMOTE and BEHALF_BEFORE.search(doc.text[max(0, actor.span.start - 40):
                                                                                 actor.span.start])):
            # A threat or surveillance done from afar "on behalf of" a body: that body is its origin, not
            # its scene (incidents.remote_origin_body.v1).
            return actor.country, actor.span
    if dateline is not None:
        return dateline.country, dateline.span
    return _dominant_country(doc), None


@cache
def _morph() -> object:
    from natasha import MorphVocab

    return MorphVocab()


def place_as_written(doc: Document, place: PlaceMention) -> str:
    """The place as the report names it: the English gazetteer name for Latin script, the nominative
    of the report's own words for Cyrillic ("в Нижнем Новгороде" -> "Нижний Новгород")."""
    text = place.span.text
    if place.rule == "places.capital_named.v1" or not re.search("[А-Яа-яЁё]", text):
        return place.name
    if place.rule == "places.ru_adjective.v1":  # "стамбульском" -> "Стамбул"
        from kolokol.resolve.gazetteer import city_of_ru_adjective

        return city_of_ru_adjective(text) or place.name
    morph = _morph()
    words = []
    for word in re.findall(r"[\w-]+", text):
        parses = morph.parse(word)  # type: ignore[attr-defined]
        geo = [p for p in parses if "Geox" in str(p.tag)] or parses
        lemma = geo[0].normal_form if geo else word.lower()
        words.append("-".join(part[:1].upper() + part[1:] for part in lemma.split("-")))
    lemma = " ".join(words)
    if " " not in text and lemma != text and not _listed_as(lemma, place):
        # pymorphy2 guesses at towns it does not know ("Вахдате" -> "Вахдата"): the form the
        # gazetteer lists, as written ("в Гирне") or without the case ending ("в Вахдате"), wins.
        for form in (text, text[:-1], text[:-2]):
            if len(form) >= 3 and _listed_as(form, place):
                return form[:1].upper() + form[1:]
    return lemma or place.name


def _listed_as(form: str, place: PlaceMention) -> bool:
    """Does the gazetteer list `form` itself (no inflection needed) as a name of `place`?"""
    from kolokol.resolve.gazetteer import get_gazetteer, tokenize

    tokens = tokenize(form)
    if len(tokens) != 1:
        return False
    m = get_gazetteer().match_at(tokens, 0, form)
    return m is not None and not m.morph and m.hit.place.name == place.name and m.hit.place.country == place.country


def _stem_match(a: str, b: str) -> bool:
    """Same word up to an inflectional ending (Ризвона / Ризвон, Алину / Алина)."""
    a, b = a.lower(), b.lower()
    common = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return common >= 4 and common >= max(len(a), len(b)) - 2


def _party_name(doc: Document, actor: ActorMention) -> str:
    """A person's name as first written in full in the report: a later "Rizvon" or an inflected
    "Ризвона" stands for the full name told before (or after, in a headline)."""
    name = actor.canonical if actor.kind == "person" and actor.canonical else actor.name
    if actor.kind != "person" or len(name.split()) > 1:
        return name
    for other in doc.actors:
        if other.kind != "person":
            continue
        full = other.canonical or other.name
        parts = full.split()
        if len(parts) > 1 and any(_stem_match(name, part) for part in parts):
            return full
    return name


def _other_state(doc: Document, origin: str) -> str | None:
    """The state the report is about when it is not `origin`, else the country it names most after
    `origin`."""
    home = _home_state(doc)
    if home and home != origin:
        return home
    return _most_named_country(doc, exclude=origin)


def _most_named_country(doc: Document, exclude: str | None = None) -> str | None:
    """The country the report names most (a city counts twice), leaving out `exclude`."""
    counts: dict[str, int] = {}
    for place in doc.places:
        if place.country != exclude:
            counts[place.country] = counts.get(place.country, 0) + (2 if place.kind == "city" else 1)
    return max(counts, key=lambda c: counts[c]) if counts else None


def _dominant_country_uncached(doc: Document) -> str | None:
    return _most_named_country(doc)


def _agency_antecedent(doc: Document, cand: Candidate) -> list[ActorMention]:
    """"On March 9, it summoned ...": the body meant by a pronoun subject, from the sentences before."""
    trig = min(cand.triggers, key=lambda t: t.span.start)
    sent = doc.sentences[trig.sentence]
    head = doc.text[sent.start:trig.span.start]
    if not re.search(r"(?:^|[\s,])(?:it|they|он[оа]?|они)\s+(?:\w+\s+)?$", head, re.IGNORECASE):
        return []
    for back in range(trig.sentence - 1, max(-1, trig.sentence - 3), -1):
        if doc.sentences[back].paragraph != sent.paragraph:
            break
        agencies = [a for a in doc.in_sentence(doc.actors, back) if a.kind == "agency"]
        if agencies:
            return agencies[:1]
    return []


BACKGROUND_CHARGE = re.compile(r"(?:которо\w+|которы\w+|whom|who is|who was|who has been|who had been)\s+"
                               r"(?:\S+\s+){0,2}$", re.IGNORECASE)
WEAK_THREAT = re.compile(r"visited|навестил|пришли к", re.IGNORECASE)
WANTED = re.compile(r"розыск|wanted|red notice|warrant|interpol", re.IGNORECASE)
MODIFIER = re.compile(r"заочн|in absentia|специальн\w* производств", re.IGNORECASE)
SENTENCING = re.compile(r"sentenc|convicted|приговор|осужд", re.IGNORECASE)
SUMMONED_FOR = re.compile(r"\s*(?:\w+\s+){0,2}(?:на|для|for)\s*$", re.IGNORECASE)


COURT_BEFORE = re.compile(r"(?<![\w-])(?:court|judge|prosecut\w*|tribunal|суд\w*|судья|прокурор\w*)(?![\w-])"
                          r"[^.;]{0,80}$", re.IGNORECASE)


def _court_ordered_custody(doc: Document, triggers: list[Trigger]) -> bool:
    """"суд ... арестовал его на 15 суток по ст. 19.11 КоАП", "a judge ordered him jailed for ten days
    under Article 34": custody a court orders under a named article is a legal action as well as a
    detention."""
    for t in triggers:
        if t.type != "detention":
            continue
        sent = doc.sentences[t.sentence]
        before = doc.text[sent.start:t.span.start]
        clause = re.split(r"[;:]|,\s+(?:and|but|и|но|а)\s", before)[-1]
        if not COURT_BEFORE.search(clause) or re.search(r"(?:before|brought to|taken to|в суд|перед суд)\w*",
                                                        clause, re.IGNORECASE):
            continue
        # Under a named article: a sentence of custody, not an arrest pending extradition.
        if any(t.span.end <= lm.span.start < sent.end for lm in doc.legal):
            return True
    return False


def act_types(triggers: list[Trigger], targets: list[Party], fined: bool = False,
              doc: Document | None = None) -> set[str]:
    """The types of one act from its triggers, by the guidelines' definitions:
    - a summons is of a journalist or activist: a relative called in, or anyone questioned once
      there, is interrogated ("summoned his father and questioned him" = interrogation);
    - a wanted notice behind a detention is its ground, not an act ("detained on a Kyrgyz warrant");
    - "in absentia" qualifies another act ("fined in absentia" = fine);
    - a fine or a confiscation inside a criminal sentence is the sentence's punishment;
    - a fine amount in the act's sentences makes it a fine ("released after paying 5,500 soms")."""
    types = {t.type for t in triggers}
    if fined:
        types.add("fine")
    legal = [t for t in triggers if t.type == "legal_action"]
    if legal and "detention" in types and all(WANTED.search(t.span.text) for t in legal):
        types.discard("legal_action")
    if doc is not None and "detention" in types and all(
            IN_ABSENTIA.search(doc.text[max(0, t.span.start - 80):t.span.end + 40]) for t in triggers
            if t.type == "detention"):
        # "заочно избрал меру пресечения в виде заключения под стражу": custody ordered for someone
        # abroad is a court act, not a detention (rule incidents.in_absentia_custody.v1).
        types.discard("detention")
        types.add("legal_action")
    if legal and types - {"legal_action"} and all(MODIFIER.search(t.span.text) for t in legal):
        types.discard("legal_action")
    sentencing = [t for t in legal if SENTENCING.search(t.span.text)]
    if sentencing:
        def punishment(t: Trigger) -> bool:
            # In the sentence's own sentence or told right after it in its paragraph ("The court also
            # ordered his share of the flat confiscated").
            return any(t.sentence == s.sentence or (doc is not None and 0 < t.sentence - s.sentence <= 2 and
                       doc.sentences[t.sentence].paragraph == doc.sentences[s.sentence].paragraph)
                       for s in sentencing)
        for kind in ("fine", "other"):
            if all(punishment(t) for t in triggers if t.type == kind):
                types.discard(kind)
    if doc is not None and legal and types - {"legal_action"} and all(
            BACKGROUND_CHARGE.search(doc.text[max(0, t.span.start - 40):t.span.start]) for t in legal):
        types.discard("legal_action")  # "учителя, которого Анкара обвиняет в ...": the victim's background
    if "threat" in types and "interrogation" in types and all(WEAK_THREAT.match(t.span.text) for t in triggers
                                                               if t.type == "threat"):
        types.discard("threat")  # "visited his mother and asked about him": the visit was the questioning
    if "summons" in types:
        relatives = any(t.profile == "relative" for t in targets)
        summons = [t for t in triggers if t.type == "summons"]
        # "вызвали на допрос", "summoned for questioning" are the summons itself; "summoned him
        # and questioned him for six hours" is an interrogation.
        questioned = [t for t in triggers if t.type == "interrogation"
                      and not any(0 <= t.span.start - s.span.end <= 25 for s in summons)]
        if questioned:
            types.discard("summons")
            types.add("interrogation")
        elif relatives:
            types.discard("summons")
            types.discard("interrogation")
            if types == {"detention"} and all(HELD_THERE.search(t.span.text) for t in triggers
                                               if t.type == "detention"):
                types.clear()  # "вызывали в ГКНБ ... продержали там до ночи": kept for questioning
            if not types:
                types.add("interrogation")  # a relative called in is questioned, unless only warned
    return types


IN_ABSENTIA = re.compile(r"(?<![\w-])(?:заочно\w*|in absentia)(?![\w-])", re.IGNORECASE)
HELD_THERE = re.compile(r"^(?:продержал\w*|держали|held|kept)$", re.IGNORECASE)


def to_mention(doc: Document, cand: Candidate, ordinal: int) -> Mention:
    if not cand.perpetrators:
        cand.perpetrators = _agency_antecedent(doc, cand)
    primary = min(cand.triggers, key=lambda t: t.span.start)
    psent = doc.sentences[primary.sentence]
    spans: dict[str, object] = {"incident": Span(psent.start, psent.end, psent.text).to_dict()}
    date, precision, date_span = _choose_date(doc, cand)
    spans["date"] = date_span.to_dict() if date_span else None
    city, country_mention = _choose_place(doc, cand)
    origin, origin_span = find_origin_country(doc, cand.sentences, None)
    country, country_span = _choose_country(doc, cand, city, country_mention, origin_span)
    if origin is None:
        origin, origin_span = _foreign_actor(doc, cand, country)
    if origin is None and cand.origin_hint is not None:
        origin, origin_span = cand.origin_hint
    if origin is not None and origin == country and country_span is None and origin_span is not None \
            and (home := _other_state(doc, origin)) is not None:
        # "задержали по запросу Генеральной прокуратуры Узбекистана" with no place told: the act was asked
        # for by that state, so it happened elsewhere, in the state the report is about
        # (rule incidents.not_the_requester.v1).
        country = home
        cand.trace.append("incidents.not_the_requester.v1")
    if origin is None and cand.types & {"extradition", "rendition"}:
        # An extradition or a rendition is done for the state the victim is handed to: theirs.
        nationality = next((t.nationality for t in cand.targets if t.nationality and t.nationality != country), None)
        origin = nationality
    if origin == country:
        origin, origin_span = None, None
    if city is not None and city.country != country:
        city = None  # a city named in passing, in another country than the act
    if city is None and country is not None:
        # Another city of the act's own sentences in that country ("a district court of Moscow").
        anchors = [t.span for t in cand.triggers]
        same = [p for i in cand.sentences for p in doc.in_sentence(doc.places, i)
                if p.kind == "city" and p.country == country]
        if same:
            city = min(same, key=lambda p: min(_distance(p.span, a) for a in anchors))
    aggregate = all(t.kind == "group" and t.count and t.count > 1 for t in cand.targets) and precision != "day"
    national = {t.type for t in cand.triggers} <= NATIONAL or aggregate
    town_name: str | None = None
    if city is None and (town := _unknown_town(doc, cand)) is not None and \
            _town_apposition_country(doc, town) is not None:
        # "outside his home in Koya, in the Kurdistan Region of Iraq": the town as the report writes it,
        # with no gazetteer entry to place it on a map.
        town_name = town.text
        spans["place"] = town.to_dict()
    elif city is None and country is not None and not national:
        # Acts by national bodies (charges, bans, designations) and counted aggregates over a period
        # happen in no one city: a single act (one raid on a day included) takes the report's main city.
        city = _main_city(doc, country)
    if town_name is None:
        spans["place"] = city.span.to_dict() if city else None
    spans["country"] = country_span.to_dict() if country_span else None

    _unnamed_is_main_person(doc, cand)
    targets: list[Party] = []
    seen: set[str] = set()
    for actor in sorted(cand.targets, key=lambda a: a.span.start):
        name = _party_name(doc, actor)
        key = fold_name(name) + actor.kind
        if key in seen:
            continue
        seen.add(key)
        kind = actor.kind if actor.kind in ("person", "organization", "group") else "person"
        targets.append(Party(name=name, kind=kind, nationality=actor.nationality,  # type: ignore[arg-type]
                             count=actor.count if kind == "group" else None, profile=actor.profile,
                             span=actor.span))
    for actor in sorted(cand.targets, key=lambda a: a.span.start):
        # "my father", "her parents", "Tsakayev's parents": the relative is pressed because of the exile,
        # who is a victim of the act too (rule incidents.kin_owner.v1).
        owner = _kin_owner(doc, actor) if actor.profile == "relative" else None
        if owner is not None and (key := fold_name(name := _party_name(doc, owner)) + "person") not in seen:
            seen.add(key)
            targets.append(Party(name=name, kind="person", nationality=owner.nationality, count=None,
                                 profile=owner.profile, span=owner.span))
    perpetrators: list[Party] = []
    seen = set()
    # The bodies named in the incident's sentences first, then those the rest of its paragraph names
    # as acting (not foreign missions or proxies, which must be named with the act itself).
    par = doc.sentences[cand.first_sentence].paragraph
    context = [a for a in doc.actors if a.kind == "agency" and a.canonical not in FOREIGN_MISSIONS
               and "proxy" not in (a.profile or "")
               and (i := _sentence_of(doc, a.span.start)) is not None and doc.sentences[i].paragraph == par
               and i not in cand.sentences and not _speaker(doc, a, cand.triggers)]
    ordered = sorted(cand.perpetrators, key=lambda a: a.span.start) + sorted(context, key=lambda a: a.span.start)
    for actor in ordered:
        key = fold_name(actor.name)
        if key in seen:
            continue
        seen.add(key)
        own = actor.country
        if own is None and "proxy" not in (actor.profile or ""):
            own = country
        perpetrators.append(Party(name=actor.name, kind="organization", country=own, span=actor.span))

    lo = min(doc.sentences[i].start for i in cand.sentences)
    last = max(cand.sentences)
    # Legal basis and outcome: the incident's sentences and the rest of its paragraph after them.
    par = doc.sentences[last].paragraph
    tail = last
    while tail + 1 < len(doc.sentences) and doc.sentences[tail + 1].paragraph == par and tail - last < 2:
        tail += 1
    hi = doc.sentences[tail].end
    legal = [lm for lm in doc.legal if lo <= lm.span.start < hi]
    outcomes = [om for om in doc.outcomes if lo <= om.span.start < hi]
    legal_basis: list[str] = []
    for lm in legal:
        if lm.text not in legal_basis:
            legal_basis.append(lm.text)
    own_lo, own_hi = lo, doc.sentences[last].end
    fined = any(o.kind == "fine" and own_lo <= o.span.start < own_hi for o in outcomes)
    types = act_types(cand.triggers, targets, fined, doc)
    if "detention" in types and "legal_action" not in types and _court_ordered_custody(doc, cand.triggers):
        types.add("legal_action")
        cand.trace.append("incidents.court_custody.v1")
    spans["types"] = {t: [x.span.to_dict() for x in cand.triggers if x.type == t] for t in sorted(types)}
    spans["targets"] = [t.span.to_dict() for t in targets if t.span]
    spans["perpetrators"] = [p.span.to_dict() for p in perpetrators if p.span]
    spans["legal_basis"] = [lm.span.to_dict() for lm in legal]
    spans["outcome"] = [om.span.to_dict() for om in outcomes]
    spans["origin_country"] = origin_span.to_dict() if origin_span else None
    confidence = 0.4 + 0.2 * bool(date_span) + 0.2 * bool(perpetrators) + 0.1 * bool(city) + 0.1 * any(
        t.kind != "group" for t in targets)
    return Mention(
        source_id=doc.source_id,
        incident_id=f"{doc.source_id or 'report'}-{ordinal}",
        types=sort_types(types),
        date=date,
        date_precision=precision,  # type: ignore[arg-type]
        place=place_as_written(doc, city) if city else town_name,
        place_id=city.gazetteer_id if city else None,
        latitude=city.latitude if city else None,
        longitude=city.longitude if city else None,
        country=country,
        origin_country=origin,
        targets=targets,
        perpetrators=perpetrators,
        legal_basis=legal_basis,
        outcome="; ".join(dict.fromkeys(o.text for o in outcomes)) or None,
        evidence=psent.text,
        evidence_spans=spans,
        confidence=min(confidence, 1.0),
        trace=[*cand.trace, *(f"{t.rule} {t.span.text!r}" for t in cand.triggers)],
    )


def _narrator(doc: Document) -> ActorMention | None:
    return _once(doc, "_narrator", lambda: _narrator_uncached(doc))

def _residences(doc: Document) -> dict[str, PlaceMention]:
    return _once(doc, "_residences", lambda: _residences_uncached(doc))

def _home_state(doc: Document) -> str | None:
    return _once(doc, "_home_state", lambda: _home_state_uncached(doc))

def _dominant_country(doc: Document) -> str | None:
    return _once(doc, "_dominant_country", lambda: _dominant_country_uncached(doc))

def _dateline(doc: Document) -> PlaceMention | None:
    return _once(doc, "_dateline", lambda: _dateline_uncached(doc))


# "disappeared from a Tbilisi street", "пропал из Бишкека": the place left is where the victim vanished.
GONE_FROM = re.compile(r"(?:\b(?i:disappeared|vanished|went missing)\s+from|(?i:пропал\w*|исчез\w*)\s+из)"
                       r"\s+(?:(?:a|an|the)\s+)?\Z")
REAPPEARANCE_LOOKAHEAD = 3  # sentences after a disappearance searched for the victim turning up


@cache
def _reappearances(lang: str) -> re.Pattern[str]:
    data = load_lexicon("triggers.yaml")["reappearances"]["ru" if lang == "ru" else "en"]
    return re.compile("|".join(f"(?:{p})" for p in data), re.IGNORECASE)


def _custody_state(doc: Document, index: int, start: int, scene: set[str]) -> tuple[str, Span] | None:
    """The state whose custody or court a reappearance names: a place after it in its sentence ("in a
    detention centre in Tashkent") or a country adjective in it ("in Turkish custody")."""
    sent = doc.sentences[index]
    for p in doc.in_sentence(doc.places, index):
        if p.span.start >= start and p.country not in scene:
            return p.country, p.span
    words = doc.text[start:sent.end]
    for m in re.finditer(r"[\w-]+", words[:120]):
        code = country_of_adjective(m.group())
        if code and code not in scene:
            return code, Span(start + m.start(), start + m.end(), m.group())
    return None


def infer_renditions(doc: Document, candidates: list[Candidate]) -> list[Candidate]:
    """"X vanished in Almaty on 14 August. Nine days later he turned up in a detention centre in
    Tashkent": a disappearance in one state and a reappearance in another's custody is one abduction
    and rendition, at the place and date of the disappearance, for the state of the custody (rule
    incidents.inferred_rendition.v1). The custody told after it is that act's end, not an act of its own."""
    pattern = _reappearances(doc.lang)
    dropped: set[int] = set()
    for cand in candidates:
        if id(cand) in dropped or "rendition" in cand.types:
            continue
        gone = [t for t in cand.triggers if t.type == "abduction" and INTRANSITIVE.search(t.span.text)]
        if not gone:
            continue
        first = min(cand.sentences)
        for index in range(first, min(len(doc.sentences), max(cand.sentences) + REAPPEARANCE_LOOKAHEAD + 1)):
            sent = doc.sentences[index]
            lo = max(sent.start, gone[0].span.end) if index == first else sent.start
            m = pattern.search(doc.text, lo, sent.end)
            if m is None:
                continue
            # Where the victim vanished: the places told with the disappearance, before it turns up.
            left = [p for p in doc.in_sentence(doc.places, gone[0].sentence)
                    if p.span.start < m.start() and (_is_locative(doc, p) or GONE_FROM.search(
                        doc.text, max(0, p.span.start - 30), p.span.start))]
            scene = {p.country for p in left}
            state = _custody_state(doc, index, m.start(), scene) if scene else None
            if state is None:
                continue
            span = Span(m.start(), m.end(), m.group())
            # "is being held in Ankara" is where the seizure ended, not a detention of its own.
            cand.triggers = [t for t in cand.triggers if not (
                t.type == "detention" and t.span.start < span.end and span.start < t.span.end)]
            cand.triggers.append(Trigger(type="rendition", span=span, sentence=index,
                                         rule="incidents.inferred_rendition.v1"))
            cand.origin_hint = state
            cand.scene_hint = min(left, key=lambda p: (p.kind != "city", _distance(p.span, gone[0].span)))
            cand.trace.append(f"incidents.inferred_rendition.v1: reappeared in {state[0]} custody")
            for other in candidates:
                if other is cand or index not in other.sentences or not (
                        not other.targets or _shares_target(doc, cand, other)) or _confession_after_transfer(
                        cand, other):
                    continue
                if set(other.sentences) <= {index}:
                    dropped.add(id(other))
                    cand.trace.append(f"sentence {index}: the rendition's end, not an act of its own")
                elif any(t.sentence != index for t in other.triggers):
                    # "He is now held in Ashgabat. On Tuesday a court ordered him held": the court's act
                    # goes on without the reappearance it was merged with.
                    other.triggers = [t for t in other.triggers if t.sentence != index]
                    other.sentences = [i for i in other.sentences if i != index]
                    other.dates = [d for d in [*other.dates, *other.later_dates]
                                   if doc.sentence_at(d.span.start) in other.sentences]
                    other.later_dates = []
                    other.trace.append(f"sentence {index}: the end of a rendition told apart")
            break
    return [c for c in candidates if id(c) not in dropped]


def assemble_incidents(doc: Document) -> list[Mention]:
    _MEMO.clear()
    candidates = merge_candidates(doc, build_candidates(doc))
    candidates.sort(key=lambda c: c.first_sentence)
    candidates = infer_renditions(doc, candidates)
    mentions = [to_mention(doc, c, i + 1) for i, c in enumerate(candidates)]
    _MEMO.clear()
    return mentions

