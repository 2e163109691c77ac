"""General rules of the rules engine, each on sentences written for this test (English and Russian).

Every case names the rule it pins: what makes a type, a victim, a date, a place or an origin, and
what is context rather than an incident."""

from __future__ import annotations

import datetime as dt

import pytest

from kolokol.domain import Mention
from kolokol.extract.actors import find_actors
from kolokol.extract.dates import find_dates
from kolokol.extract.engines import RulesEngine
from tests.extract.helpers import names, run_rules


def extract(engine: RulesEngine, text: str, published: str = "2025-05-21", lang: str = "en") -> list[Mention]:
    return run_rules(engine, text, published=published, lang=lang)


# ---------------------------------------------------------------------------------------------- types


@pytest.mark.parametrize(("text", "lang"), [
    ("On Tuesday, city inspectors sealed the office of Bright Path, a migrant aid group, in Almaty.", "en"),
    ("Во вторник сотрудники полиции опечатали офис объединения «Северный ветер» в Бишкеке.", "ru"),
])
def test_sealing_premises_is_a_closure(engine, text, lang):
    out = extract(engine, text, lang=lang)
    assert len(out) == 1 and out[0].types == ["closure"], [m.to_interchange() for m in out]
    assert out[0].perpetrators


@pytest.mark.parametrize(("text", "lang"), [
    ("On 3 May, officers of the State Security Service summoned the blogger Aziz Karimov and questioned him "
     "for six hours about his sources.", "en"),
    ("3 мая сотрудники ГКНБ вызвали в управление блогера Азиза Каримова и шесть часов расспрашивали его о "
     "знакомых.", "ru"),
])
def test_summoned_and_questioned_is_an_interrogation(engine, text, lang):
    out = extract(engine, text, lang=lang)
    assert [m.types for m in out] == [["interrogation"]]


def test_a_relative_summoned_and_warned_is_a_threat(engine):
    text = ("On 12 May, officers of the National Security Committee summoned his sister, Dana Omarova, in Almaty "
            "and told her that her brother should come home before it is too late.")
    out = extract(engine, text)
    assert [m.types for m in out] == [["threat"]]


@pytest.mark.parametrize(("text", "lang"), [
    ("Police in Tbilisi detained the blogger Rauf Aliyev, who is wanted by Azerbaijan, on Monday.", "en"),
    ("В понедельник в Тбилиси полицейские задержали блогера Рауфа Алиева, объявленного в розыск по запросу "
     "Азербайджана.", "ru"),
])
def test_a_wanted_notice_behind_a_detention_is_no_type_of_its_own(engine, text, lang):
    out = extract(engine, text, lang=lang)
    assert [m.types for m in out] == [["detention"]]
    assert out[0].origin_country == "AZ"


def test_a_fine_in_absentia_is_a_fine(engine):
    text = "12 мая Мещанский районный суд Москвы заочно оштрафовал журналистку Анну Лебедь на 30 тысяч рублей."
    out = extract(engine, text, lang="ru")
    assert [m.types for m in out] == [["fine"]]


def test_a_fine_inside_a_criminal_sentence_is_the_sentence(engine):
    text = ("On 2 May, the Minsk City Court sentenced the editor Olga Baranova in absentia to eight years in prison "
            "and fined her 500 base units.")
    out = extract(engine, text)
    assert [m.types for m in out] == [["legal_action"]]


@pytest.mark.parametrize(("text", "lang", "kind"), [
    ("On 4 May, the Central District Court declared his YouTube channel extremist materials.", "en", "censorship"),
    ("4 мая суд Центрального района признал его YouTube-канал экстремистскими материалами.", "ru", "censorship"),
    ("In 2020, the Supreme Court banned the Ak Zhol movement as an extremist organisation.", "en",
     "legal_action"),
])
def test_extremist_material_is_censorship_an_extremist_group_a_legal_action(engine, text, lang, kind):
    out = extract(engine, "The blogger Timur Sadykov lives in Riga. " + text, lang=lang)
    assert out and all(m.types == [kind] for m in out), [m.to_interchange() for m in out]


def test_refused_entry_and_cancelled_permit(engine):
    text = ("28 января пограничники в аэропорту отказали во въезде активисту Илье Громову. Его вид на жительство "
            "аннулирован.")
    out = extract(engine, text, published="2026-02-10", lang="ru")
    assert [sorted(m.types) for m in out] == [["deportation", "threat"]]


# -------------------------------------------------------------------------------- context, not acts


@pytest.mark.parametrize(("text", "lang"), [
    ("After the hearing, around forty people held a protest outside parliament against the detention of "
     "political prisoners.", "en"),
    ("We call on the government to halt the deportation of refugees to countries where they face persecution.",
     "en"),
    ("Правозащитники призывают власти прекратить выдворение мигрантов, которым на родине грозит преследование.",
     "ru"),
    ("“He heard the cries of other people who were being beaten,” his lawyer said.", "en"),
    ("The security service said that intimidation of the diaspora is one of the threats it has seen increase.",
     "en"),
])
def test_protests_appeals_and_general_statements_are_no_incident(engine, text, lang):
    assert extract(engine, text, lang=lang) == []


def test_the_host_state_arresting_another_states_agents_is_no_incident(engine):
    text = ("Prosecutors on Wednesday charged two men with spying on the exiled journalist Amina Tarik on behalf of "
            "a foreign intelligence service. The men were arrested on Monday in Ghent.")
    out = extract(engine, text)
    assert all(m.types == ["surveillance"] for m in out), [m.to_interchange() for m in out]
    assert not any(t.kind == "group" and t.count == 2 for m in out for t in m.targets)


def test_people_later_called_suspects_are_no_victims(engine):
    text = ("ISTANBUL - The exiled activist Rustam Valiev was shot dead outside his home on Monday, police said. "
            "Police detained two men at the airport on Tuesday. Prosecutors said the suspects had been in contact "
            "with an officer of Tajikistan's State Committee for National Security.")
    out = extract(engine, text)
    assert [m.types for m in out] == [["killing"]]
    assert out[0].origin_country == "TJ" and out[0].country == "TR"


def test_since_his_arrest_refers_to_an_act_told_before(engine):
    text = ("Officers detained the poet Kamal Umarov in Baku on 2 May. Since his arrest, officers have twice visited "
            "his mother, Leyla Umarova, and asked her about his friends.")
    out = extract(engine, text)
    assert sorted(tuple(m.types) for m in out) == [("detention",), ("interrogation",)]


# --------------------------------------------------------------------------------------------- victims


def test_a_pronoun_stands_for_a_victim_of_its_gender(engine):
    text = ("On 3 April, officers of the National Security Agency questioned his mother, Nadia Salem, in Alexandria. "
            "The journalist Omar Salem lives in Hamburg. In May a man followed him from his office and photographed "
            "the entrance to his building.")
    out = extract(engine, text, published="2025-06-10")
    surveillance = [m for m in out if "surveillance" in m.types]
    assert surveillance and "Omar Salem" in names(surveillance[0]) and "Nadia Salem" not in names(surveillance[0])
    assert surveillance[0].place == "Hamburg" and surveillance[0].country == "DE"


def test_the_men_who_act_are_not_the_victims(engine):
    text = "11 июля в Стамбуле двое мужчин затолкали блогера Шохруха Эргашева в микроавтобус."
    out = extract(engine, text, lang="ru")
    assert len(out) == 1 and len(out[0].targets) == 1 and "Эргашев" in out[0].targets[0].name


def test_a_speaker_tells_of_an_act_against_herself(engine):
    text = ("Жена учителя Элиф Озтюрк рассказала, что в августе полицейские дважды приходили к ним домой и "
            "расспрашивали её о коллегах мужа.")
    out = extract(engine, text, published="2025-09-01", lang="ru")
    assert out and "Элиф Озтюрк" in names(out[0])


def test_a_threat_made_through_a_relative_is_against_the_narrator(engine):
    text = ("My name is Dilnoza Rashidova. In December a man called me and said that something would happen to my "
            "father if I did not stop my podcast.")
    out = extract(engine, text, published="2026-01-10")
    assert out and out[0].types == ["threat"] and "Dilnoza Rashidova" in names(out[0])


# ---------------------------------------------------------------------------------------- places, states


def test_one_sentence_two_scenes_two_incidents(engine):
    text = ("Блогер Шохрух Эргашев, пропавший в Стамбуле 11 июля, находится в следственном изоляторе в Ташкенте, "
            "сообщила его сестра.")
    out = extract(engine, text, published="2025-07-30", lang="ru")
    assert sorted(m.country for m in out) == ["TR", "UZ"]


def test_a_destination_is_not_the_scene(engine):
    text = ("2 июня полиция задержала активиста Фаридуна Шарипова в Екатеринбурге. 4 июня его отправили рейсом в "
            "Душанбе.")
    out = extract(engine, text, published="2025-06-12", lang="ru")
    assert [m.country for m in out] == ["RU"] and "deportation" in out[0].types


def test_a_capital_standing_for_its_state_is_not_the_scene(engine):
    text = ("Казахстан в понедельник экстрадировал в Турцию учителя Хасана Озтюрка, которого Анкара обвиняет "
            "в терроризме.")
    out = extract(engine, text, published="2025-08-27", lang="ru")
    assert [(m.types, m.country, m.origin_country) for m in out] == [(["extradition"], "KZ", "TR")]


def test_a_charge_without_a_place_is_the_repressing_states(engine):
    text = ("Блогер Алесь Зенкевич с 2021 года живёт в Вильнюсе. Гродненский областной суд 1 сентября заочно "
            "приговорил его к восьми годам по ч. 3 ст. 130 УК РБ. Уголовное дело против блогера возбудили в "
            "феврале прошлого года.")
    out = extract(engine, text, published="2025-09-04", lang="ru")
    assert out and all(m.country == "BY" for m in out), [m.to_interchange() for m in out]


def test_a_foreign_body_acting_is_the_origin(engine):
    text = ("BRUSSELS - Between June and October, officers of Rwanda's National Intelligence and Security Service "
            "followed the opposition politician Jean-Baptiste Mugabo in Brussels and fitted a GPS tracker under "
            "his car.")
    out = extract(engine, text, published="2025-11-20")
    assert out and out[0].types == ["surveillance"] and out[0].origin_country == "RW" and out[0].country == "BE"
    assert out[0].date == "2025-06"


@pytest.mark.parametrize(("text", "lang"), [
    ("Пять лет Тимур Алиев вёл эфиры про поборы на границе и про пытки в СИЗО Вахдата.", "ru"),
    ("For five years Timur Aliev ran broadcasts about extortion at the border and about torture in custody.",
     "en"),
    ("Её песни о депортациях и задержаниях слушают в диаспоре.", "ru"),
])
def test_an_act_that_is_the_subject_of_someones_work_is_no_incident(engine, text, lang):
    """"вёл эфиры про пытки": torture is what the broadcasts are about (rule: events `topics`)."""
    assert extract(engine, text, lang=lang) == []


def test_a_video_about_how_police_beat_him_still_tells_the_act(engine):
    text = "In a video about how police beat him in Almaty on 3 May, the blogger Arman Sadykov shows his bruises."
    out = extract(engine, text)
    assert [m.types for m in out] == [["ill_treatment"]], [m.to_interchange() for m in out]


@pytest.mark.parametrize(("text", "lang"), [
    ("Полиция задержала в Казани блогера Тимура Алиева.\n\nВ ночь на 14 октября полицейские задержали Тимура "
     "Алиева у подъезда его дома. Ещё в марте 2023 года МВД Таджикистана объявило его в межгосударственный розыск.",
     "ru"),
])
def test_a_lead_without_a_date_does_not_let_an_act_of_another_date_in(engine, text, lang):
    """The lead tells the arrest without a date and the next sentence dates it 14 October: the wanted
    listing of March 2023 told right after is another incident, not part of the arrest."""
    out = extract(engine, text, published="2025-10-20", lang=lang)
    assert sorted((tuple(m.types), m.date) for m in out) == [(("detention",), "2025-10-14"),
                                                             (("legal_action",), "2023-03")], \
        [m.to_interchange() for m in out]


def test_a_date_counted_forward_names_a_later_act(engine):
    """"On 15 January, the day before the request was filed, police took his mother": the detention is
    on 15 January; 16 January is the request's date."""
    text = ("On 15 January, the day before the request was filed, police in Hotan detained Zahir Tursun’s mother, "
            "Gulnar Tursun, at her home.")
    out = extract(engine, text, published="2026-02-01")
    assert [(m.types, m.date) for m in out] == [(["detention"], "2026-01-15")], [m.to_interchange() for m in out]


# ------------------------------------------------------------------------------------------------ dates


PUB = dt.date(2025, 11, 20)


@pytest.mark.parametrize(("text", "lang", "phrase", "expected"), [
    # counted from the act the phrase names, told in an earlier sentence
    ("The men were arrested on Monday in Ghent. In August he was warned. His brother was detained two days "
     "after the arrests.", "en", "two days after", dt.date(2025, 11, 19)),
    # "deported on Sunday, two days after police arrested him": the arrest came two days before
    ("He was deported on Sunday, two days after police arrested him.", "en", "two days after", dt.date(2025, 11, 14)),
    # anchored on the date later in its own clause
    ("Her father was detained two weeks after she spoke at a meeting in Munich on 4 June 2022.", "en",
     "two weeks after", dt.date(2022, 6, 18)),
    ("Его задержали 3 мая. Через два дня после задержания его избили.", "ru", "Через два дня", dt.date(2025, 5, 5)),
])
def test_dates_relative_to_another_act(text, lang, phrase, expected):
    found = {d.span.text: d.value for d in find_dates(text, PUB, "day", lang)}
    assert found[phrase] == expected, found


def test_the_first_date_of_a_range_and_no_background_date(engine):
    text = ("Between March 2021 and October 2023, the man passed information on at least 23 members of the Uyghur "
            "community in Munich to an officer of China's Ministry of State Security.")
    out = extract(engine, text)
    assert out and out[0].date == "2021-03" and out[0].origin_country == "CN"


# ------------------------------------------------------------------------------------------ names, bodies


@pytest.mark.parametrize(("text", "name"), [
    ("Police detained Faisal al-Otaibi, 31, on Saturday.", "Faisal al-Otaibi"),
    ("The court heard from Joost van Dijk on Monday.", "Joost van Dijk"),
    ("Officers arrested Mohammed bin Salman al-Harbi at the airport.", "Mohammed bin Salman al-Harbi"),
    ("They followed Jean-Baptiste Mugabo, the spokesman of the exiled opposition party.", "Jean-Baptiste Mugabo"),
    ("Cambodian opposition activist Sokha Veasna was deported.", "Sokha Veasna"),
])
def test_names_of_many_origins(text, name):
    persons = [a for a in find_actors(text) if a.kind == "person"]
    assert [p.span.text for p in persons] == [name]
    assert persons[0].profile != "official"


def test_a_russian_name_natasha_may_miss():
    persons = [a.span.text for a in find_actors("Курбан Мередов в своей мастерской.", "ru") if a.kind == "person"]
    assert persons == ["Курбан Мередов"]


@pytest.mark.parametrize(("text", "lang", "body", "country"), [
    ("The Supreme State Security Prosecution ordered him held.", "en", "Supreme State Security Prosecution", "EG"),
    ("In 2020 the Cairo Criminal Court sentenced him in absentia.", "en", "Cairo Criminal Court", "EG"),
    ("Thai immigration police arrested him in Bangkok.", "en", "Thai immigration police", "TH"),
    ("Kigali police detained his brother.", "en", "police", "RW"),
    ("City inspectors sealed the office.", "en", "City inspectors", None),
    ("Сотрудники ГКНБ Таджикистана встретили его. Он содержится в изоляторе ГКНБ.", "ru", "ГКНБ", "TJ"),
])
def test_state_bodies_and_their_states(text, lang, body, country):
    agencies = [a for a in find_actors(text, lang) if a.kind == "agency"]
    found = [a for a in agencies if a.span.text == body]
    assert found and found[-1].country == country, [(a.span.text, a.country) for a in agencies]


@pytest.mark.parametrize(("text", "lang", "kind"), [
    ("On 4 May, police placed the lawyer Aida Nurlanova under house arrest in Almaty.", "en", "detention"),
    ("In March, the phone of the journalist Ravshan Ergashev was hacked with Pegasus spyware.", "en",
     "surveillance"),
    ("The blogger Azamat Sultanov died in custody in Dushanbe on 2 May.", "en", "killing"),
    ("3 мая блогера Азамата Султанова поместили под домашний арест в Душанбе.", "ru", "detention"),
])
def test_more_acts(engine, text, lang, kind):
    out = extract(engine, text, lang=lang)
    assert [m.types for m in out] == [[kind]], [m.to_interchange() for m in out]


def test_fine_as_an_adjective_is_no_fine(engine):
    text = 'My mother, Sara Hamidi, sent one voice message: "do not call, we are fine". Police in Kabul detained her.'
    out = extract(engine, text)
    assert all("fine" not in m.types for m in out)


def test_a_purpose_clause_is_no_act(engine):
    text = "Двое мужчин у подъезда ударили журналиста Бахрома Саидова и потребовали, чтобы он закрыл канал."
    out = extract(engine, text, lang="ru")
    assert [m.types for m in out] == [["ill_treatment"]]


def test_a_passport_refused_is_dated_by_the_act_not_by_its_expiry(engine):
    """"refused to renew Hrynkevich's passport, which expires in November": the consulate acted
    "earlier this month"; November is after publication and dates nothing told."""
    text = ("Alena Hrynkevich fled Belarus in 2021. Earlier this month, the Belarusian consulate in Bialystok "
            "refused to renew Hrynkevich's passport, which expires in November.")
    out = run_rules(engine, text, published="2025-09-22", lang="en")
    assert [(m.types, m.date, m.country) for m in out] == [(["other"], "2025-09", "PL")], \
        [m.to_interchange() for m in out]


def test_an_attribution_set_off_by_commas_does_not_make_a_statement_date(engine):
    text = ("The activist Selam Tesfay organises vigils in Sheffield. The activist Selam Tesfay was beaten in May."
            "\n\nThe city has a small Eritrean community. Most of its members arrived after 2010. Many work in "
            "care homes.\n\nLast year, she said, the Eritrean embassy in London refused to renew her passport "
            "unless she paid the diaspora tax.")
    out = run_rules(engine, text, published="2025-08-20", lang="en")
    assert [(m.date, [t.name for t in m.targets]) for m in out if m.types == ["other"]] == [
        ("2024", ["Selam Tesfay"])], [m.to_interchange() for m in out]


def test_where_a_cause_lies_is_no_scene(engine):
    """"is being held because of her activism in the UK": one arrest in Asmara, not a second act in the UK."""
    text = ("Her brother, Daniel Tesfay, was arrested in Asmara in June and has not been charged, according to "
            "relatives, who believe he is being held because of her activism in the UK.")
    out = run_rules(engine, text, published="2025-08-20", lang="en")
    assert [(m.types, m.country) for m in out] == [(["detention"], "ER")], [m.to_interchange() for m in out]


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("Vietnam. In April, the blogger Tran Quoc Hien was pushed into a car by unidentified men outside a "
     "supermarket in Bangkok.", "en", "2025-04"),
    ("В марте блогера Тимура Алиева задержали в Стамбуле сотрудники полиции.", "ru", "2025-03"),
])
def test_an_act_told_without_its_year_happened_before_publication(engine, text, lang, expected):
    """An annual report published in February: "In April" is last April, not the coming one (the date
    module keeps a near-future reading for announced trials)."""
    out = extract(engine, text, published="2026-02-24", lang=lang)
    assert [m.date for m in out] == [expected], [m.to_interchange() for m in out]


def test_a_month_precise_publication_keeps_a_date_of_that_month(engine):
    out = extract(engine, "On 15 July, police in Osh detained the blogger Aziz Karimov.", published="2024-07")
    assert [m.date for m in out] == ["2024-07-15"], [m.to_interchange() for m in out]


def test_the_date_of_what_was_planned_is_not_the_acts(engine):
    text = ("The researcher Lama Haddad lives in London. On 10 April, the organisers of a London workshop withdrew "
            "her invitation to speak on 14 April, after concerns from the Saudi embassy.")
    out = extract(engine, text, published="2026-04-22")
    assert [(m.types, m.date) for m in out] == [(["censorship"], "2026-04-10")], [m.to_interchange() for m in out]


def test_one_of_a_counted_group_named_is_still_one_act(engine):
    text = ("On 3 May, Thai police detained four members of the exiled Lao Youth Forum in Bangkok; one of them, "
            "Somsak Phommachanh, was deported to Vientiane the following week.")
    out = extract(engine, text, published="2025-05-30")
    assert len(out) == 1 and {"detention", "deportation"} <= set(out[0].types), [m.to_interchange() for m in out]


def test_suspects_charged_in_that_case_are_no_victims(engine):
    text = ("The exiled Sikh activist Harjit Singh Dhillon was shot dead in Brampton on 2 May. "
            "Police have charged two men in that case.")
    out = extract(engine, text, published="2025-06-01")
    assert [m.types for m in out] == [["killing"]], [m.to_interchange() for m in out]


def test_an_undated_act_keeps_the_year_its_paragraph_told(engine):
    # The caption's second sentence has no date of its own: the year told just before dates it, and it does
    # not merge into the criminal case of last December.
    text = ("В декабре прошлого года полиция Актобе задержала Серика Нурланова по уголовному делу.\n\n"
            "Его жена говорит, что семья живёт в Оренбурге уже три года.\n\n"
            "[Фото] Серик Нурланов на митинге в Актобе в 2021 году. После той акции его арестовали на 10 суток. "
            "Фото из семейного архива")
    out = extract(engine, text, published="2025-06-01", lang="ru")
    assert any(m.types == ["detention"] and m.date == "2021" for m in out), [m.to_interchange() for m in out]


def test_the_agent_after_by_places_an_act_told_as_a_noun(engine):
    text = ("Rights groups have documented the arrest of at least 12 relatives of Sweden-based critics of the "
            "government by the Eritrean authorities since March 2025.")
    out = extract(engine, text, published="2025-06-01")
    assert out and out[0].country == "ER", [m.to_interchange() for m in out]



def test_an_act_told_again_in_a_later_paragraph_takes_the_date_told_there(engine):
    # The introduction names the case without a date, beside the year he settled abroad; the
    # testimony tells the case again with its own year.
    text = ("Азамат Курбанов, 41 год, с 2018 года живёт в Праге. В Узбекистане он числится в розыске.\n\n"
            "Я уехал из Андижана в 2016-м.\n\n"
            "В 2022 году СГБ возбудила против меня уголовное дело по статье 159 УК Республики Узбекистан.")
    out = extract(engine, text, published="2025-06-01", lang="ru")
    assert [(m.types, m.date) for m in out] == [(["legal_action"], "2022")], [m.to_interchange() for m in out]


def test_a_russian_possessive_tells_the_narrator_of_a_testimony(engine):
    text = ("От редакции. Ольга Саидова, 33 года, живёт в Варшаве с 2021 года. Мы записали её рассказ.\n\n"
            "Я уехала из Ташкента после выборов. Я думала, что здесь я в безопасности.\n\n"
            "В ночь на 4 марта неизвестные взломали мой аккаунт в Telegram.")
    out = extract(engine, text, published="2025-06-01", lang="ru")
    assert [(m.types, names(m)) for m in out] == [(["surveillance"], ["Ольга Саидова"])], \
        [m.to_interchange() for m in out]


def test_threats_and_watching_told_in_one_paragraph_are_one_campaign(engine):
    text = ("In March the blogger Anvar Tursunov received threatening messages on WhatsApp from a man calling "
            "himself an officer. At first he was polite. Then he was not. He sent photos of his front door in Riga.")
    out = extract(engine, text, published="2025-06-01")
    assert [sorted(m.types) for m in out] == [["surveillance", "threat"]], [m.to_interchange() for m in out]


def test_a_supposition_between_commas_is_no_act(engine):
    text = "Адвокат пояснил: если, допустим, блогера Исмоилова задержат в Стамбуле, это будет незаконно."
    assert extract(engine, text, published="2025-06-01", lang="ru") == []


def test_an_act_done_to_her_in_a_portrait_is_done_to_its_subject(engine):
    text = ("Nadia Karimi keeps two phones now. Karimi, 31, studies law in Leeds. A friend, Omid Rahimi, says she "
            "rarely goes out.\n\nKarimi wrote about prisons for years. The blog had a small readership. "
            "It grew after a hunger strike at Evin.\n\nThe library closes at nine. The street outside is dark. "
            "Buses are rare.\n\nOn March 2 two men approached her outside the library in Leeds.")
    out = extract(engine, text, published="2025-06-01")
    assert [(m.types, names(m)) for m in out] == [(["threat"], ["Nadia Karimi"])], [m.to_interchange() for m in out]


def test_an_unnamed_relative_brings_the_exile_they_are_pressed_for(engine):
    text = ("Guest: Tran Van Long, an exiled blogger living in Paris.\n\n"
            "Tran Van Long: In May my mother was summoned to the police station in Hue and questioned for "
            "three hours about my blog.")
    out = extract(engine, text, published="2025-06-01")
    assert [(m.place, m.country, sorted(names(m))) for m in out] == [("Huế", "VN", ["Tran Van Long", "my mother"])], \
        [m.to_interchange() for m in out]


def test_the_exile_named_before_the_possessive_is_the_owner_of_kin(engine):
    text = ("The blogger Adil Nurmatov fled to Vienna in 2021. In March 2025 Nurmatov's parents were detained "
            "in Osh by GKNB officers for a day.")
    out = extract(engine, text, published="2025-06-01")
    assert [sorted(names(m)) for m in out] == [["Adil Nurmatov", "Nurmatov's parents"]], \
        [m.to_interchange() for m in out]


def test_a_table_row_is_a_record_with_its_date_and_place_cells(engine):
    text = ("Хроника квартала (дата | место | что произошло):\n\n"
            "май | Новосибирск | В ходе рейдов на рынке задержаны и выдворены из России 14 граждан Таджикистана.\n"
            "12.06 | Казань | Блогера Фаррух Саидова поместили в центр временного содержания иностранных граждан и "
            "в тот же день выслали рейсом в Душанбе.\n"
            "13.06 | Душанбе | На следующий день после прилёта Саидова задержали сотрудники ГКНБ Таджикистана.\n")
    out = extract(engine, text, published="2026-07-10", lang="ru")
    got = [(m.date, m.place, m.country) for m in out]
    assert got == [("2026-05", "Новосибирск", "RU"), ("2026-06-12", "Казань", "RU"), ("2026-06-13", "Душанбе", "TJ")], \
        [m.to_interchange() for m in out]


def test_a_message_from_a_self_declared_officer_reaches_the_victim_where_he_lives(engine):
    # His home is told by "his apartment building in Lyon"; the quoted "Europe" is no town of the act.
    text = ("On 3 May the blogger Ruslan Dadayev was beaten in the stairwell of his apartment building in Lyon.\n\n"
            "In March, Dadayev received a voice message on WhatsApp from a man who introduced himself as an officer "
            "of the Chechen interior ministry and said that \"people like you do not live long in Europe\".")
    out = extract(engine, text, published="2026-05-20")
    threats = [m for m in out if m.types == ["threat"]]
    assert [m.country for m in threats] == ["FR"], [m.to_interchange() for m in out]


def test_a_post_signed_at_its_end_is_told_by_its_signer(engine):
    text = ("Канал «Свободный Ош»\n\n"
            "Друзья, коротко о главном. Я пишу это из Стамбула.\n\n"
            "Уголовное дело против меня по ч. 1 ст. 330 УК КР ГКНБ возбудил ещё в январе, тогда же меня объявили "
            "в международный розыск. Я узнал об этом из новостей. Мне страшно за маму.\n\n"
            "Мой адвокат Бакыт Осмонов говорит, что Турция меня не выдаст. Бакыт Осмонов ведёт такие дела давно.\n\n"
            "— Эркин Садыров")
    out = extract(engine, text, published="2026-05-20", lang="ru")
    assert [(m.types, names(m)) for m in out] == [(["legal_action"], ["Эркин Садыров"])], \
        [m.to_interchange() for m in out]


def test_a_group_that_speaks_of_anothers_act_is_no_victim(engine):
    text = ("Khamla Vong, a founder of the exile network Free Mekong, vanished in Bangkok on Saturday.\n\n"
            "In late May, the body of another member, Somsak Phanh, was pulled from the river near Nong Khai with his "
            "hands bound. Free Mekong said it believed he was killed by people acting for Lao security services.")
    out = extract(engine, text, published="2026-06-20")
    assert [names(m) for m in out if m.types == ["killing"]] == [["Somsak Phanh"]], [m.to_interchange() for m in out]


def test_a_group_that_tells_of_an_act_against_itself_is_its_victim(engine):
    text = "Mekong Voice, an exile news site, said its website was blocked in Laos in June."
    out = extract(engine, text, published="2026-06-20")
    assert ["Mekong Voice" in names(m) for m in out] == [True], [m.to_interchange() for m in out]


def test_the_guest_of_a_transcript_is_its_i_and_an_audience_size_is_no_victim(engine):
    text = ("Presenter: Anna Berg (AB)\nGuest: Nguyen Thanh Son (NTS), a blogger living in Warsaw\n\n"
            "[00:00:10] AB: Welcome. Tell us about the page.\n\n"
            "[00:00:20] NTS: My page has about 90,000 followers, but since March it has been restricted inside "
            "Vietnam. I was not told why. I keep writing.")
    out = extract(engine, text, published="2026-06-20")
    assert [(m.types, names(m)) for m in out] == [(["censorship"], ["Nguyen Thanh Son"])], \
        [m.to_interchange() for m in out]


def test_a_home_told_before_a_comma_does_not_make_the_next_date_background(engine):
    text = ("2 апреля был заблокирован сайт издания «Ала-Тоо», главный редактор которого, Бермет Асанова, живёт "
            "в Берлине, а 9 апреля её отца вызвали в Нарынское отделение ГКНБ и два часа расспрашивали о дочери.")
    out = extract(engine, text, published="2026-07-01", lang="ru")
    assert sorted(m.date for m in out) == ["2026-04-02", "2026-04-09"], [m.to_interchange() for m in out]


def test_a_group_whose_own_people_tell_of_the_act_stays_its_victim(engine):
    text = ("Police in Tbilisi shut down the exiles' centre Dom Svobody on March 14 and sealed its doors after an "
            "inspection, its founders said.")
    out = extract(engine, text, published="2026-03-20")
    assert out and "Dom Svobody" in names(out[0]), [m.to_interchange() for m in out]


def test_a_table_row_is_dated_by_its_date_cell_unless_the_act_has_its_own_date(engine):
    text = ("Хроника квартала (дата | место | что произошло):\n\n"
            "03.08 | Стамбул (азиатская часть) | Полиция задержала блогера Батыра Оразова, который критиковал "
            "власти в Мары; 11.08 его депортировали в Ашхабад рейсом через Баку.\n"
            "20.08 | Анкара | Суд продлил арест активиста Мурада Ахмедова, задержанного в Анкаре ещё в июле.\n")
    out = extract(engine, text, published="2026-10-01", lang="ru")
    got = sorted((m.date, m.place) for m in out if {"detention", "deportation"} & set(m.types))
    assert ("2026-08-03", "Стамбул") in got, [m.to_interchange() for m in out]
    assert ("2026-07", "Анкара") in got, [m.to_interchange() for m in out]
