"""Event triggers: types from the lexicon, and the acts that are not acts (irrealis, threats)."""

from __future__ import annotations

import re

import pytest

from kolokol.extract.document import Document
from kolokol.extract.events import find_triggers
from kolokol.extract.segment import split_sentences
from kolokol.lexicon import load_lexicon


def triggers(text: str, lang: str = "en") -> list[tuple[str, str, str | None]]:
    doc = Document.create(text, lang=lang)
    doc.sentences = split_sentences(text)
    return [(t.type, t.span.text, t.suppressed) for t in find_triggers(doc)]


def test_every_trigger_pattern_compiles_and_every_type_is_known():
    from kolokol.domain import IncidentType

    data = load_lexicon("triggers.yaml")
    assert set(data["triggers"]) <= {t.value for t in IncidentType}
    for by_lang in data["triggers"].values():
        for patterns in by_lang.values():
            for p in patterns:
                re.compile(p)


@pytest.mark.parametrize("text,expected", [
    ("Police detained the blogger outside his flat.", "detention"),
    ("She was interrogated for six hours.", "interrogation"),
    ("The court fined him 10,000 tenge.", "fine"),
    ("He was deported to Dushanbe.", "deportation"),
    ("The centre was shut down in March.", "closure"),
    ("The concert was cancelled after a visit by officers.", "censorship"),
    ("The GKNB summoned the editor.", "summons"),
    ("Prosecutors charged the poet with extremism.", "legal_action"),
    ("The activist was beaten in custody.", "ill_treatment"),
    ("Unknown men abducted the dissident in Istanbul.", "abduction"),
    ("Полиция задержала активиста у посольства.", "detention"),
    ("Журналиста вызвали на допрос в ГКНБ.", "summons"),
])
def test_trigger_types(text, expected):
    lang = "ru" if re.search("[а-я]", text) else "en"
    found = [t for t, _, why in triggers(text, lang) if why is None]
    assert expected in found


def test_irrealis_and_negation_are_suppressed():
    for text in ("Activists fear they could be arrested at any moment.",
                 "She cannot be deported while her asylum claim is pending.",
                 "Nobody was detained that evening.",
                 "Его могут задержать в любой момент.",
                 # a parenthetical between commas does not end the conditional clause
                 "Адвокат говорит, что если бы я жил в Турции, меня бы, скорее всего, уже выдали.",
                 "Had he stayed, he would, in all likelihood, be deported.",
                 "Police offered HK$200,000 for information leading to each arrest."):
        lang = "ru" if re.search("[а-я]", text) else "en"
        assert all(why is not None for _, _, why in triggers(text, lang)), text


def test_may_the_month_is_not_may_the_verb():
    found = triggers("On May 9, officers detained two students.")
    assert ("detention", "detained", None) in found


def test_threatened_acts_are_threats_not_acts():
    found = triggers("Officers threatened to deport the journalist.")
    assert ("threat", "threatened", None) in found
    assert ("deportation", "deport", "inside-threat") in found
