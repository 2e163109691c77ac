"""One act told in many phrasings, English and Russian: each makes an incident of its type, with the
named exile as its victim. Sentences written for this test, not taken from any gold set: they probe
the trigger lexicon the way unseen reports do (active and passive voice, a name between verb and
particle, the act told by who took the person or where they were put; Russian names in the case
the sentence needs)."""

from __future__ import annotations

import pytest

from tests.extract.helpers import run_rules

EN = "Farhod Rahimov"
CONTEXT = {"en": f"{EN}, a Tajik opposition blogger, has lived in Istanbul since 2019. ",
           "ru": "Фарход Рахимов, таджикский оппозиционный блогер, живёт в Стамбуле с 2019 года. "}

PHRASINGS = [
    ('en', 'detention', 'On 12 May police picked up X outside his flat.'),
    ('en', 'detention', 'On 12 May X was taken into custody by Turkish police.'),
    ('en', 'detention', 'On 12 May officers rounded up 12 Tajik migrants at a market.'),
    ('en', 'detention', 'On 12 May X was held at the airport for six hours by border police.'),
    ('en', 'detention', 'On 12 May security agents seized X near the mosque.'),
    ('en', 'detention', 'On 12 May X was apprehended by immigration officers.'),
    ('en', 'detention', 'On 12 May X was placed under arrest at the request of Dushanbe.'),
    ('en', 'detention', 'On 12 May X was remanded in custody by a court.'),
    ('en', 'detention', 'On 12 May X was locked up in a migrant removal centre.'),
    ('en', 'detention', 'On 12 May X spent two nights in a police cell.'),
    ('en', 'detention', 'On 12 May X was taken to a police station and held overnight.'),
    ('en', 'detention', 'On 12 May X was stopped at passport control and held by police.'),
    ('en', 'interrogation', 'On 12 May X was questioned for hours by police about his posts.'),
    ('en', 'interrogation', 'On 12 May officers grilled X about his contacts in the opposition.'),
    ('en', 'interrogation', 'On 12 May X was interviewed by counter-intelligence officers about his articles.'),
    ('en', 'interrogation', 'On 12 May police quizzed X about his contacts.'),
    ('en', 'fine', 'On 12 May a court ordered X to pay a penalty of 5,000 lira.'),
    ('en', 'fine', 'On 12 May X was slapped with a fine of 5,000 lira.'),
    ('en', 'deportation', 'On 12 May X was expelled from Turkey.'),
    ('en', 'deportation', 'On 12 May X was put on a plane to Dushanbe by Turkish police.'),
    ('en', 'deportation', 'On 12 May Turkish authorities sent X back to Tajikistan.'),
    ('en', 'deportation', 'On 12 May X was removed from Turkey and flown to Dushanbe.'),
    ('en', 'deportation', 'On 12 May X was refused entry at Istanbul airport and sent back.'),
    ('en', 'deportation', 'On 12 May police handed X over to Tajik border guards.'),
    ('en', 'extradition', 'On 12 May a Turkish court approved the extradition of X to Tajikistan.'),
    ('en', 'extradition', 'On 12 May X was extradited to Tajikistan.'),
    ('en', 'extradition', 'On 12 May Tajikistan requested the extradition of X.'),
    ('en', 'extradition', 'On 12 May Turkey extradited X to Tajikistan.'),
    ('en', 'rendition', 'On 12 May X was forcibly returned to Tajikistan by Tajik agents.'),
    ('en', 'rendition', 'On 12 May X was secretly flown to Dushanbe by Tajik security agents.'),
    ('en', 'abduction', 'On 12 May X was kidnapped by unknown men in Istanbul.'),
    ('en', 'abduction', 'On 12 May men in plain clothes bundled X into a car in Istanbul.'),
    ('en', 'abduction', 'On 12 May X was snatched from the street by unidentified men.'),
    ('en', 'abduction', 'On 12 May unknown men forced X into a van.'),
    ('en', 'threat', 'On 12 May X received death threats from Tajik officials.'),
    ('en', 'threat', 'On 12 May a Tajik diplomat warned X that his family would suffer.'),
    ('en', 'threat', 'On 12 May a caller told X he would regret his videos.'),
    ('en', 'threat', 'On 12 May X was intimidated by men from the Tajik embassy.'),
    ('en', 'threat', 'On 12 May an embassy official threatened to have X deported.'),
    ('en', 'ill_treatment', 'On 12 May X was beaten by police.'),
    ('en', 'ill_treatment', 'On 12 May X was tortured in custody.'),
    ('en', 'ill_treatment', 'On 12 May X was forced to confess on camera.'),
    ('en', 'ill_treatment', 'On 12 May officers kicked and punched X.'),
    ('en', 'ill_treatment', 'On 12 May X was subjected to electric shocks in custody.'),
    ('en', 'ill_treatment', 'On 12 May X was denied medical care in custody.'),
    ('en', 'censorship', 'On 12 May the concert of X was cancelled after a call from the embassy.'),
    ('en', 'censorship', 'On 12 May Tajik authorities blocked the website of X.'),
    ('en', 'censorship', 'On 12 May Instagram removed the account of X at the request of the Tajik government.'),
    ('en', 'summons', "On 12 May X was summoned to the prosecutor's office."),
    ('en', 'summons', 'On 12 May X was called in for a "conversation" by the police.'),
    ('en', 'summons', 'On 12 May X received a summons from the State Committee for National Security.'),
    ('en', 'legal_action', 'On 12 May Tajik prosecutors charged X with extremism.'),
    ('en', 'legal_action', 'On 12 May a criminal case was opened against X.'),
    ('en', 'legal_action', 'On 12 May X was put on the wanted list by Tajikistan.'),
    ('en', 'legal_action', 'On 12 May a Dushanbe court sentenced X in absentia to 10 years.'),
    ('en', 'legal_action', 'On 12 May a court in Dushanbe convicted X of extremism.'),
    ('en', 'legal_action', 'On 12 May an arrest warrant was issued for X in Dushanbe.'),
    ('en', 'legal_action', "On 12 May Interpol issued a red notice for X at Tajikistan's request."),
    ('en', 'legal_action', 'On 12 May a court in Dushanbe designated X an extremist.'),
    ('en', 'surveillance', 'On 12 May X was followed by two men from the Tajik embassy.'),
    ('en', 'surveillance', 'On 12 May X found spyware on his phone.'),
    ('en', 'surveillance', 'On 12 May men from the consulate photographed X at the rally.'),
    ('en', 'surveillance', 'On 12 May agents monitored the flat of X.'),
    ('en', 'killing', 'On 12 May X was shot dead outside his flat.'),
    ('en', 'killing', 'On 12 May X was found dead in his flat.'),
    ('en', 'killing', 'On 12 May X was stabbed to death in Istanbul.'),
    ('en', 'killing', 'On 12 May X was murdered.'),
    ('en', 'other', 'On 12 May the Tajik consulate confiscated the passport of X.'),
    ('en', 'other', 'On 12 May the Tajik consulate refused to renew the passport of X.'),
    ('en', 'other', 'On 12 May Tajik authorities froze the assets of X.'),
    ('en', 'other', 'On 12 May Tajikistan stripped X of citizenship.'),
    ('ru', 'detention', '12 мая полицейские забрали Фархода Рахимова прямо на улице.'),
    ('ru', 'detention', '12 мая Фархода Рахимова взяли под стражу.'),
    ('ru', 'detention', '12 мая Фархода Рахимова доставили в отдел полиции.'),
    ('ru', 'detention', '12 мая Фархода Рахимова арестовали в Стамбуле.'),
    ('ru', 'detention', '12 мая Фархода Рахимова поместили в центр депортации.'),
    ('ru', 'detention', '12 мая Фархода Рахимова продержали в отделе полиции шесть часов.'),
    ('ru', 'detention', '12 мая сотрудники полиции схватили Фархода Рахимова.'),
    ('ru', 'detention', '12 мая Фарход Рахимов был помещён в СИЗО.'),
    ('ru', 'detention', '12 мая Фархода Рахимова задержали на паспортном контроле.'),
    ('ru', 'interrogation', '12 мая Фархода Рахимова допросили в полиции.'),
    ('ru', 'interrogation', '12 мая Фархода Рахимова опросили сотрудники полиции.'),
    ('ru', 'interrogation', '12 мая Фархода Рахимова расспрашивали о его контактах.'),
    ('ru', 'interrogation', '12 мая с Фарходом Рахимовым провели профилактическую беседу в полиции.'),
    ('ru', 'fine', '12 мая суд оштрафовал Фархода Рахимова на 5000 лир.'),
    ('ru', 'fine', '12 мая суд назначил Фарходу Рахимову штраф в 5000 лир.'),
    ('ru', 'deportation', '12 мая Фархода Рахимова выдворили из Турции.'),
    ('ru', 'deportation', '12 мая Фархода Рахимова депортировали в Таджикистан.'),
    ('ru', 'deportation', '12 мая Фархода Рахимова выслали из страны.'),
    ('ru', 'deportation', '12 мая Фархода Рахимова не пустили в Турцию в аэропорту Стамбула.'),
    ('ru', 'deportation', '12 мая Фархода Рахимова передали таджикским пограничникам.'),
    ('ru', 'deportation', '12 мая Фархода Рахимова посадили на самолёт до Душанбе.'),
    ('ru', 'extradition', '12 мая турецкий суд одобрил экстрадицию Фархода Рахимова в Таджикистан.'),
    ('ru', 'extradition', '12 мая Фархода Рахимова выдали Таджикистану.'),
    ('ru', 'extradition', '12 мая Таджикистан запросил выдачу Фархода Рахимова.'),
    ('ru', 'rendition', '12 мая Фархода Рахимова насильно вернули в Таджикистан.'),
    ('ru', 'rendition', '12 мая Фархода Рахимова тайно вывезли в Душанбе.'),
    ('ru', 'abduction', '12 мая Фархода Рахимова похитили в Стамбуле.'),
    ('ru', 'abduction', '12 мая неизвестные затолкали Фархода Рахимова в машину.'),
    ('ru', 'abduction', '12 мая Фархода Рахимова насильно увезли неизвестные.'),
    ('ru', 'threat', '12 мая Фарходу Рахимову угрожали сотрудники посольства.'),
    ('ru', 'threat', '12 мая Фарходу Рахимову пригрозили расправой.'),
    ('ru', 'threat', '12 мая Фарход Рахимов получил угрозы от таджикских силовиков.'),
    ('ru', 'threat', '12 мая Фархода Рахимова предупредили, что его родственникам будет плохо.'),
    ('ru', 'threat', '12 мая Фархода Рахимова запугивали сотрудники консульства.'),
    ('ru', 'ill_treatment', '12 мая Фархода Рахимова избили в отделе полиции.'),
    ('ru', 'ill_treatment', '12 мая Фархода Рахимова пытали в СИЗО.'),
    ('ru', 'ill_treatment', '12 мая Фархода Рахимова заставили записать видео с покаянием.'),
    ('ru', 'ill_treatment', '12 мая Фархода Рахимова вынудили признаться под давлением.'),
    ('ru', 'closure', '12 мая власти закрыли центр, которым руководит Фарход Рахимов.'),
    ('ru', 'closure', '12 мая полиция опечатала кафе, принадлежащее Фарходу Рахимову.'),
    ('ru', 'closure', '12 мая суд ликвидировал организацию, основанную Фарходом Рахимовым.'),
    ('ru', 'censorship', '12 мая концерт Фархода Рахимова отменили после звонка из посольства.'),
    ('ru', 'censorship', '12 мая сайт Фархода Рахимова заблокировали в Таджикистане.'),
    ('ru', 'censorship', '12 мая показ фильма Фархода Рахимова сорвали после давления консульства.'),
    ('ru', 'censorship', '12 мая книгу Фархода Рахимова признали экстремистской.'),
    ('ru', 'summons', '12 мая Фархода Рахимова вызвали в прокуратуру.'),
    ('ru', 'summons', '12 мая Фархода Рахимова вызвали на допрос в ГКНБ.'),
    ('ru', 'summons', '12 мая Фарход Рахимов получил повестку в ГКНБ.'),
    ('ru', 'legal_action', '12 мая против Фархода Рахимова возбудили уголовное дело.'),
    ('ru', 'legal_action', '12 мая Фархода Рахимова объявили в розыск.'),
    ('ru', 'legal_action', '12 мая Фархода Рахимова заочно приговорили к 10 годам.'),
    ('ru', 'legal_action', '12 мая Фарходу Рахимову предъявили обвинение в экстремизме.'),
    ('ru', 'legal_action', '12 мая Фархода Рахимова внесли в перечень террористов и экстремистов.'),
    ('ru', 'legal_action', '12 мая суд заочно арестовал Фархода Рахимова.'),
    ('ru', 'surveillance', '12 мая за Фарходом Рахимовым следили двое мужчин.'),
    ('ru', 'surveillance', '12 мая в телефоне Фархода Рахимова нашли шпионскую программу.'),
    ('ru', 'surveillance', '12 мая сотрудники консульства фотографировали Фархода Рахимова на митинге.'),
    ('ru', 'surveillance', '12 мая за Фарходом Рахимовым установили слежку.'),
    ('ru', 'killing', '12 мая Фархода Рахимова убили в Стамбуле.'),
    ('ru', 'killing', '12 мая Фархода Рахимова застрелили у дома.'),
    ('ru', 'killing', '12 мая Фархода Рахимова нашли мёртвым в квартире.'),
    ('ru', 'killing', '12 мая Фархода Рахимова зарезали.'),
    ('ru', 'other', '12 мая консульство изъяло паспорт Фархода Рахимова.'),
    ('ru', 'other', '12 мая консульство отказало Фарходу Рахимову в продлении паспорта.'),
    ('ru', 'other', '12 мая власти заморозили счета Фархода Рахимова.'),
    # Session 6: verdicts of treason, nationality revoked, veiled threats, lists of exiles, events refused.
    ('en', 'legal_action', 'On 12 May a court in Dushanbe declared X a "traitor to the motherland".'),
    ('en', 'other', 'On 12 May the Tajik authorities revoked the citizenship of X.'),
    ('en', 'other', "On 12 May X's nationality was revoked by a decree from Dushanbe."),
    ('en', 'threat', 'On 12 May a man from the embassy told X he should think about his family in Kulob.'),
    ('en', 'surveillance', 'On 12 May X and two friends were photographed or followed in Istanbul by strangers.'),
    ('en', 'surveillance', 'On 12 May X learned that embassy staff had compiled lists of Tajik exiles in Istanbul.'),
    ('en', 'censorship', 'On 12 May a court in Dushanbe ordered access to the website of X blocked.'),
    ('en', 'censorship', 'On 12 May the district withdrew permission for a concert by X.'),
    ('ru', 'legal_action', '12 мая суд в Душанбе признал Фархода Рахимова предателем Родины.'),
    ('ru', 'other', '12 мая власти Таджикистана лишили Фархода Рахимова гражданства.'),
    ('ru', 'threat', '12 мая сотрудник посольства посоветовал Фарходу Рахимову подумать о семье.'),
    ('ru', 'surveillance',
     '12 мая Фарход Рахимов узнал, что сотрудники посольства составляли списки живущих в Стамбуле таджиков.'),
    # Passports declined, people sent to camps or put on charter flights, lists with addresses, veiled threats.
    ('en', 'other', 'On 12 May the Tajik consulate in Istanbul declined to renew the passport of X.'),
    ('en', 'deportation',
     'On 12 May Turkish officers took X from a removal centre and put him on a chartered flight to Dushanbe.'),
    ('en', 'detention', 'On 12 May police in Kulob took the mother of X to what officials call a "training centre".'),
    ('en', 'surveillance',
     'On 12 May X saw a spreadsheet that lists 40 Tajik exiles in Istanbul with their home addresses.'),
    ('en', 'threat', 'On 12 May a caller read out the home address of X and hinted that his family could suffer.'),
    ('en', 'threat', 'On 12 May a caller told X to come back while his parents are still healthy.'),
    ('ru', 'other', '12 мая консульство Таджикистана в Стамбуле отказалось продлевать паспорт Фарходу Рахимову.'),
    ('ru', 'threat', '12 мая мужчина назвал Фарходу Рахимову его домашний адрес в Стамбуле.'),
    ('ru', 'threat',
     '12 мая Фарходу Рахимову позвонили и сказали, что вернуться лучше по-хорошему, пока родители здоровы.'),
    ('ru', 'surveillance',
     '12 мая Фарход Рахимов увидел таблицу, где 40 эмигрантов перечислены с адресами и номерами телефонов.'),
    ('ru', 'censorship',
     '12 мая телеграм-канал Фархода Рахимова решением суда признали «экстремистскими материалами».'),
]


@pytest.mark.parametrize("lang,expected,sentence", PHRASINGS)
def test_each_phrasing_makes_an_incident_of_its_type(engine, lang, expected, sentence):
    text = CONTEXT[lang] + sentence.replace("X", EN)
    incidents = run_rules(engine, text, published="2025-06-20", lang=lang)
    assert any(expected in m.types for m in incidents), [m.types for m in incidents]
    hit = next(m for m in incidents if expected in m.types)
    assert hit.date == "2025-05-12"


@pytest.mark.parametrize("lang,sentence", [
    ("ru", "12 мая сотрудники консульства предупредили Фархода Рахимова, что его родственникам будет плохо."),
    ("en", "On 12 May a consular officer warned Farhod Rahimov that his relatives would face trouble."),
])
def test_a_warning_about_relatives_is_one_threat_on_the_sentences_date(engine, lang, sentence):
    """Two threat words and two people in one sentence (the one warned, the relatives named in the
    warning) tell one act: one incident, on the date the sentence opens with."""
    incidents = run_rules(engine, CONTEXT[lang] + sentence, published="2025-06-20", lang=lang)
    threats = [m for m in incidents if "threat" in m.types]
    assert len(threats) == 1, [(m.types, m.date, [t.name for t in m.targets]) for m in incidents]
    assert threats[0].date == "2025-05-12"


def test_a_centre_for_foreigners_in_an_unknown_town_stands_in_the_host_state(engine):
    """"Центр временного содержания иностранных граждан в Сахарово": neither "Центр" nor a town the
    gazetteer lacks, named as the seat of a centre for foreigners, places the custody in the exile's
    home state."""
    text = ("Таджикский блогер Фарход Рахимов критикует власти Таджикистана из эмиграции. "
            "2 июня Фархода Рахимова задержали в Москве. "
            "На следующий день суд назначил ему штраф и выдворение, и его поместили в Центр временного "
            "содержания иностранных граждан в Сахарово.")
    incidents = run_rules(engine, text, published="2025-06-20", lang="ru")
    custody = [m for m in incidents if "detention" in m.types]
    assert custody and all(m.country == "RU" for m in custody), [(m.types, m.country) for m in incidents]


@pytest.mark.parametrize("lang,text", [
    ("en", "In 2024 the ministry approved the extradition of four persons to Tajikistan, all of them for "
           "ordinary criminal offences such as fraud."),
    ("ru", "В 2024 году министерство одобрило экстрадицию четырёх человек в Таджикистан, всех за обычные "
           "уголовные преступления."),
])
def test_people_pursued_for_ordinary_crimes_are_no_incident(engine, lang, text):
    assert run_rules(engine, text, published="2025-06-20", lang=lang) == []


def test_a_counted_group_extradited_without_that_remark_is_an_incident(engine):
    text = "In March 2025 the ministry approved the extradition of four Tajik opposition supporters to Tajikistan."
    incidents = run_rules(engine, text, published="2025-06-20", lang="en")
    assert any("extradition" in m.types for m in incidents)


def test_a_town_in_the_genitive_after_a_body_is_no_victim(engine):
    """"вызвали в прокуратуру Куляба": the recogniser may take the lone word for a person; it is the town
    the gazetteer knows, so no "Куляба" is named among the victims."""
    text = ("Таджикский блогер Фарход Рахимов живёт в Стамбуле. "
            "12 мая брата Фархода Рахимова вызвали в прокуратуру Куляба.")
    incidents = run_rules(engine, text, published="2025-06-20", lang="ru")
    assert incidents
    assert all("Куляба" not in [t.name for t in m.targets] for m in incidents), [m.targets for m in incidents]
