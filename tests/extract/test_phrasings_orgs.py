"""Acts against organisations, outlets and works, told in many phrasings, English and Russian: each
makes an incident of its type with the organisation (or the author of the work) among its victims.
Sentences written for this test, not taken from any gold set: an outlet named only as the object of a
ban, a venue named with its kind ("the Nur cultural centre"), a Russian name in the case its verb
needs («Группу 24» is «Группа 24»)."""

from __future__ import annotations

import pytest

from kolokol.extract.actors import find_actors
from tests.extract.helpers import run_rules

CONTEXT = {"en": "Tajik exiles in Turkey say pressure from Dushanbe has grown. ",
           "ru": "Таджикские эмигранты в Турции говорят, что давление Душанбе растёт. "}

PHRASINGS = [
    ("en", "closure", "Nur", "On 12 May Turkish police sealed the Nur cultural centre, where Tajik exiles met."),
    ("en", "closure", "Nur", "On 12 May police closed the Nur community centre run by Tajik exiles in Istanbul."),
    ("en", "closure", "Dilkusho",
     "On 12 May Istanbul officials shut the Dilkusho bookshop, a gathering place for Tajik exiles."),
    ("en", "closure", "Navruz",
     "On 12 May the Navruz school for Tajik children in Istanbul was closed on the orders of the governor."),
    ("en", "closure", "Ozod",
     "On 12 May the authorities revoked the licence of Ozod, a Tajik exile radio station in Istanbul."),
    ("en", "legal_action", "Group 24",
     "On 12 May Tajikistan's Supreme Court designated Group 24 a terrorist organisation."),
    ("en", "legal_action", "Group 24",
     "On 12 May the Supreme Court in Dushanbe banned Group 24 as an extremist organisation."),
    ("en", "legal_action", "Payom", "On 12 May Tajikistan declared the Payom movement extremist."),
    ("en", "legal_action", "Islamic Renaissance Party",
     "On 12 May a court in Dushanbe outlawed the Islamic Renaissance Party as a terrorist group."),
    ("en", "censorship", "Paik", "On 12 May access to Paik, an exile news site, was restricted in Tajikistan."),
    ("en", "censorship", "Ozodagon",
     "On 12 May Tajikistan blocked Ozodagon, a news website run by exiles in Istanbul."),
    ("en", "censorship", "Sado", "On 12 May YouTube removed the Sado channel after a complaint from Dushanbe."),
    ("en", "censorship", "Sado",
     "On 12 May the Tajik authorities ordered internet providers to block the Sado channel."),
    ("en", "censorship", "Farhod Rahimov",
     "On 12 May a court in Dushanbe banned a book by Farhod Rahimov as extremist."),
    ("en", "censorship", "Farhod Rahimov",
     "On 12 May police in Istanbul stopped a screening of a film by Farhod Rahimov."),
    ("en", "censorship", "Paik", "On 12 May a court in Dushanbe ordered access to the Paik website blocked."),
    ("en", "other", "Payom",
     "On 12 May the bank accounts of the Payom movement in Istanbul were frozen at Tajikistan's request."),
    ("ru", "closure", "Нур", "12 мая полиция опечатала помещение центра «Нур» в Стамбуле."),
    ("ru", "closure", "Навруз",
     "12 мая в Стамбуле по распоряжению губернатора закрыли школу «Навруз» для таджикских детей."),
    ("ru", "legal_action", "Группа 24",
     "12 мая Верховный суд Таджикистана признал «Группу 24» террористической организацией."),
    ("ru", "legal_action", "Паём", "12 мая Верховный суд Таджикистана запретил движение «Паём» как экстремистское."),
    ("ru", "censorship", "Садо", "12 мая YouTube удалил канал «Садо» по требованию Душанбе."),
    ("ru", "censorship", "Паик", "12 мая в Таджикистане был заблокирован доступ к изданию «Паик»."),
    ("ru", "censorship", "Фарход Рахимов", "12 мая суд в Душанбе признал экстремистской книгу Фархода Рахимова."),
    ("ru", "detention", "Группа 24", "12 мая в Стамбуле задержали троих членов «Группы 24»."),
]


@pytest.mark.parametrize("lang,expected,name,sentence", PHRASINGS)
def test_each_phrasing_names_the_organisation_as_victim(engine, lang, expected, name, sentence):
    incidents = run_rules(engine, CONTEXT[lang] + sentence, published="2025-06-20", lang=lang)
    hits = [m for m in incidents if expected in m.types]
    assert hits, [(m.types, [t.name for t in m.targets]) for m in incidents]
    assert any(name in [t.name for t in m.targets] for m in hits), [[t.name for t in m.targets] for m in hits]
    assert hits[0].date == "2025-05-12"


def test_members_of_a_quoted_organisation_are_a_counted_group(engine):
    text = CONTEXT["ru"] + "12 мая в Стамбуле задержали троих членов «Группы 24»."
    (incident,) = run_rules(engine, text, published="2025-06-20", lang="ru")
    assert [t.count for t in incident.targets if t.kind == "group"] == [3]


@pytest.mark.parametrize("text,lang,name", [
    ("The court designated Farhod Rahimov a terrorist.", "en", "Farhod Rahimov"),
    ("Суд признал «Свободу» экстремистской.", "ru", "Свобода"),
])
def test_the_object_of_a_designation_keeps_its_kind(text, lang, name):
    """A person in the object slot stays a person; a bare quoted Russian name there is an organisation,
    put in the nominative."""
    kinds = {a.name: a.kind for a in find_actors(text, lang)}
    assert kinds.get(name) == ("person" if name == "Farhod Rahimov" else "organization"), kinds


@pytest.mark.parametrize("text", [
    "On 12 May police blocked the road to the airport.",
    "The bank blocked his bank account last year.",
])
def test_blocking_that_is_not_content_is_no_censorship(engine, text):
    incidents = run_rules(engine, CONTEXT["en"] + text, published="2025-06-20", lang="en")
    assert not any("censorship" in m.types for m in incidents)


def test_a_day_and_its_month_are_no_group_count():
    """"12 мая активисты": "мая" ends like a modifier, but the number is the day, not a count."""
    groups = [a for a in find_actors("12 мая активисты движения «Паём» нашли трекер.", "ru") if a.kind == "group"]
    assert all(a.count != 12 for a in groups), [(a.span.text, a.count) for a in groups]
