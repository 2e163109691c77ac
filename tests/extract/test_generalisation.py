"""Rules that carry to reports they were not written for: each case is a short report written for
this test (its own names, countries and outlets), pinning one general rule.

Threats told without a threat word, renditions inferred from a disappearance and a reappearance in
custody, places the gazetteer does not know as written, Russian names first written in an oblique
case, relative dates, one act told over several sentences, and calls to action or background that
are not incidents."""

from __future__ import annotations

import pytest

from kolokol.domain import Mention, ReportInput
from kolokol.extract.engines import RulesEngine
from tests.extract.helpers import names, run_rules


def extract(engine: RulesEngine, text: str, lang: str = "en", published: str = "2024-09-10") -> list[Mention]:
    return run_rules(engine, text, published=published, lang=lang)


def dump(out: list[Mention]) -> list[dict]:
    return [m.to_interchange() for m in out]


# ------------------------------------------------------------------------------------ Russian names


@pytest.mark.parametrize(("text", "name"), [
    ("4 сентября в Минске задержали 41-летнего Андрея Ковальчука, водителя автобуса.", "Андрей Ковальчук"),
    ("Андрею Ковальчуку 4 сентября предъявили обвинение в Минске.", "Андрей Ковальчук"),
    ("4 сентября суд в Гродно оштрафовал Павла Мельника за репост.", "Павел Мельник"),
])
def test_an_oblique_consonant_surname_is_named_in_the_nominative(engine, text, name):
    out = extract(engine, text, lang="ru")
    assert out and name in names(out[0]), dump(out)


def test_a_womans_consonant_surname_does_not_decline(engine):
    out = extract(engine, "4 сентября в Минске задержали Ольгу Ковальчук.", lang="ru")
    assert out and names(out[0]) == ["Ольга Ковальчук"], dump(out)


# ------------------------------------------------------------------------------------------- places


@pytest.mark.parametrize(("text", "lang", "place", "country"), [
    ("В четверг на пункте пропуска «Брест» пограничники задержали 41-летнего Андрея Ковальчука, "
     "который ехал из Варшавы.", "ru", "Брест", "BY"),
    ("On Thursday border guards at the \"Narva\" checkpoint detained the Russian activist Pavel Sokolov, 34, "
     "who was returning from Helsinki, and questioned him for five hours.", "en", "Narva", "EE"),
])
def test_a_checkpoint_named_after_a_town_is_at_that_town_not_where_the_traveller_came_from(
        engine, text, lang, place, country):
    out = extract(engine, text, lang=lang)
    assert out and (out[0].place, out[0].country) == (place, country), dump(out)


# ----------------------------------------------------------------------- threats with no threat word


def test_a_harm_foretold_to_a_relative_at_home_is_a_threat(engine):
    text = ("Jamshid Nuraliev, an Uzbek blogger who lives in Warsaw, said that on 2 September two officers of "
            "the State Security Service came to his mother's flat in Namangan. They told her that her son would "
            "\"have problems\" and that she should persuade him to stop posting.")
    out = extract(engine, text)
    assert [m.types for m in out] == [["threat"]], dump(out)
    assert (out[0].date, out[0].place, out[0].country) == ("2024-09-02", "Namangan", "UZ")


@pytest.mark.parametrize(("text", "lang", "place"), [
    ("On 3 September police officers came to the home of Farida Saidova's parents in Khujand and demanded "
     "that she return to Tajikistan.", "en", "Khujand"),
    ("3 сентября сотрудники милиции пришли домой к матери журналиста Азамата Бекова в Оше и потребовали, "
     "чтобы он вернулся на родину.", "ru", "Ош"),
    ("По словам блогера Тимура Алиева, 5 сентября сотрудники КГБ позвонили его сестре в Гомеле и сказали, "
     "что родственникам будет плохо, если он не удалит видео.", "ru", "Гомель"),
])
def test_officers_demanding_the_exile_return_or_foretelling_harm_is_a_threat(engine, text, lang, place):
    out = extract(engine, text, lang=lang)
    assert [m.types for m in out] == [["threat"]], dump(out)
    assert out[0].place == place and out[0].perpetrators, dump(out)


def test_a_private_demand_is_not_a_threat(engine):
    text = "On 3 September her former landlord came to the flat and demanded that she return the keys."
    assert extract(engine, text) == []


# ------------------------------------------------------------------------------------------- types


@pytest.mark.parametrize(("text", "lang"), [
    ("В понедельник суд Центрального района Гомеля арестовал блогера Игоря Лапицкого на 10 суток по "
     "ст. 19.11 КоАП за репост.", "ru"),
    ("On Monday a judge in Baku ordered the reporter Elvin Huseynov, 29, jailed for 30 days under Article 535 "
     "of the Code of Administrative Offences.", "en"),
])
def test_custody_a_court_orders_under_an_article_is_also_a_legal_action(engine, text, lang):
    out = extract(engine, text, lang=lang)
    assert len(out) == 1 and set(out[0].types) == {"detention", "legal_action"}, dump(out)


def test_custody_on_charges_is_also_a_legal_action(engine):
    text = ("A court in Istanbul ordered the journalist Deniz Ekinci held in pre-trial detention on 5 September "
            "on charges under Article 220 of the Turkish Penal Code.")
    out = extract(engine, text)
    assert len(out) == 1 and set(out[0].types) == {"detention", "legal_action"}, dump(out)


def test_an_organisation_declared_extremist_in_a_state_is_a_legal_action(engine):
    text = ("Литовская инициатива «Свободный голос», в которой работала Ковальчук, в 2022 году признана в "
            "Беларуси «экстремистским формированием».")
    out = extract(engine, text, lang="ru")
    assert [m.types for m in out] == [["legal_action"]], dump(out)
    assert (out[0].date, out[0].country) == ("2022", "BY") and "Свободный голос" in names(out[0])


# ----------------------------------------------------------------------------- context, not incidents


@pytest.mark.parametrize(("text", "lang"), [
    ("We call on the Georgian authorities to investigate the threats and to end the harassment of Nino "
     "Beridze's family.", "en"),
    ("The committee urged Ankara to drop the charges against the reporter Selin Acar.", "en"),
    ("Мы призываем литовские власти расследовать нападение на журналиста Игоря Лапицкого и угрозы в его адрес.",
     "ru"),
])
def test_a_call_to_action_about_an_act_is_not_an_incident(engine, text, lang):
    assert extract(engine, text, lang=lang) == []


def test_a_call_to_release_someone_still_tells_the_act_in_its_relative_clause(engine):
    text = ("We call on Kazakhstan to release Aliya Kasenova, who was detained in Almaty on 3 September.")
    out = extract(engine, text)
    assert [m.types for m in out] == [["detention"]], dump(out)


# --------------------------------------------------------------------------------- inferred renditions


@pytest.mark.parametrize(("text", "lang", "place", "country", "origin"), [
    ("Sardor Yuldashev, an Uzbek imam, vanished in Almaty on 14 August. Nine days later he turned up in a "
     "pre-trial detention centre in Tashkent.", "en", "Almaty", "KZ", "UZ"),
    ("Таджикский оппозиционер Далер Шарипов пропал в Москве 2 августа. Через неделю он оказался в СИЗО "
     "в Душанбе.", "ru", "Москва", "RU", "TJ"),
    ("The Rwandan dissident Eric Mugabo disappeared in Kampala on 1 August and appeared before a court in "
     "Kigali five days later.", "en", "Kampala", "UG", "RW"),
    ("In 2023, three Egyptian students went missing in Nairobi and later resurfaced in Egyptian custody.",
     "en", "Nairobi", "KE", "EG"),
])
def test_vanishing_abroad_and_turning_up_in_home_custody_is_one_rendition(
        engine, text, lang, place, country, origin):
    out = extract(engine, text, lang=lang)
    assert len(out) == 1, dump(out)
    m = out[0]
    assert set(m.types) == {"abduction", "rendition"}, dump(out)
    assert (m.place, m.country, m.origin_country) == (place, country, origin), dump(out)
    assert any("inferred_rendition" in step for step in m.trace)


@pytest.mark.parametrize(("text", "lang", "place", "country", "origin"), [
    # Vanished and held, told in one sentence; the place left ("from a ... street") is the scene.
    ("An Uzbek imam who vanished in the Kazakh capital last Friday is being held in Tashkent, his lawyer said.",
     "en", "Astana", "KZ", "UZ"),
    ("The Tajik blogger Firuz Nazarov, who disappeared from a Moscow street on 3 June, is in pre-trial detention "
     "in Dushanbe, his family said.", "en", "Moscow", "RU", "TJ"),
    ("Узбекский имам Собир Каримов, пропавший в казахстанской столице 3 июня, содержится в СИЗО в Ташкенте.",
     "ru", "Astana", "KZ", "UZ"),  # a capital named by its state is written by its name
])
def test_vanished_and_held_abroad_in_one_sentence_is_one_rendition(engine, text, lang, place, country, origin):
    out = extract(engine, text, lang=lang, published="2025-06-10")
    assert len(out) == 1, dump(out)
    m = out[0]
    assert set(m.types) == {"abduction", "rendition"}, dump(out)  # the custody is where it ended
    assert (m.place, m.country, m.origin_country) == (place, country, origin), dump(out)


def test_the_court_order_after_a_disappearance_is_an_act_of_its_own(engine):
    # A custody sequence (held, then a court order within days) does not join a disappearance: the court
    # of the state the victim was taken to acts on a day of its own (incidents.after_disappearance.v1).
    text = ("Kamil Osmanov, an exiled Turkmen poet, vanished in Istanbul on Saturday, 6 June. He is now being held "
            "in Ashgabat.\n\nOn Tuesday, 9 June, a court in Ashgabat ordered Osmanov held in custody pending trial "
            "on a charge of treason under Article 171 of the Criminal Code, the prosecutor's office said.")
    out = extract(engine, text, published="2025-06-11")
    kinds = sorted((tuple(sorted(m.types)), m.country, m.date) for m in out)
    assert kinds == [(("abduction", "rendition"), "TR", "2025-06-06"),
                     (("detention", "legal_action"), "TM", "2025-06-09")], dump(out)
    court = next(m for m in out if m.country == "TM")
    assert names(court) == ["Kamil Osmanov"], dump(out)  # "Criminal Code" is a law, not an organisation


def test_a_deportation_and_the_arrest_on_arrival_are_two_acts_in_two_states(engine):
    # "put on a flight to Cairo" is the deportation; "On his arrival at Cairo airport on 12 May, X was
    # arrested" is placed by its fronted phrase (a phrase, not a clause, before its comma).
    text = ("On 10 May, the Egyptian cameraman Tarek Fouad was detained at Istanbul Airport. He was held "
            "overnight and, the following day, put on a flight to Cairo.\n\nOn his arrival at Cairo "
            "International Airport on 12 May, Tarek Fouad was arrested by officers of the National Security "
            "Agency.")
    out = extract(engine, text, published="2025-05-20")
    kinds = sorted((m.country, tuple(sorted(m.types)), m.date) for m in out)
    assert kinds == [("EG", ("detention",), "2025-05-12"), ("TR", ("deportation", "detention"), "2025-05-10")], \
        dump(out)


def test_a_fronted_clause_with_its_own_verb_does_not_frame_the_next(engine):
    text = ("On the night of 3 May the blogger Anvar Kholov was taken from the camp without his lawyer being "
            "told, and on 6 May he appeared on Uzbek state television reading a confession.")
    out = extract(engine, text, published="2025-05-20")
    assert any(m.types == ["ill_treatment"] and m.date == "2025-05-06" for m in out), dump(out)


@pytest.mark.parametrize(("text", "lang", "place"), [
    ("В ночь на 4 мая вооружённые люди увезли из дома в Аргуне брата живущего в Вене блогера Руслана Исаева.",
     "ru", "Аргун"),
    ("On 4 May officers summoned the blogger Ruslan Ibragimov to their office in Mansoura and questioned him.",
     "en", "Al Mansurah"),
])
def test_where_an_act_happened_not_where_the_victim_lives_or_a_spelling_variant(engine, text, lang, place):
    out = extract(engine, text, published="2025-05-20", lang=lang)
    assert out and out[0].place == place, dump(out)


def test_who_calls_the_act_an_abduction_is_not_its_victim(engine):
    text = ("A Chechen blogger who vanished in Vienna on Sunday is being held in Grozny, in what his family and "
            "rights groups called a kidnapping carried out with the help of local police.")
    out = extract(engine, text, published="2025-06-11")
    assert len(out) == 1 and "rendition" in out[0].types, dump(out)
    assert all("family" not in t.name for m in out for t in m.targets), dump(out)


def test_turning_up_in_custody_in_the_same_country_is_not_a_rendition(engine):
    text = ("The blogger Ruslan Ibragimov went missing in Grozny on 3 August. Two days later he turned up in "
            "a police station in Grozny.")
    out = extract(engine, text)
    assert out and all("rendition" not in m.types for m in out), dump(out)


@pytest.mark.parametrize(("text", "place", "country"), [
    ("Его сестра Гульнара Рахимова в 2017 году была отправлена в лагерь в Урумчи.", "Урумчи", "CN"),
    ("В 2019 году её брата Рустама Алиева отправили в колонию в Навои.", "Навои", "UZ"),
])
def test_a_past_act_is_placed_at_the_camp_it_sent_the_victim_to(engine, text, place, country):
    out = extract(engine, "Правозащитница живёт в Бишкеке. " + text, lang="ru")
    assert len(out) == 1 and (out[0].place, out[0].country) == (place, country), dump(out)
    assert out[0].date_precision == "year" and out[0].date in ("2017", "2019")


# -------------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(("text", "lang"), [
    ("The Belarusian blogger Ihar Losik, who fled to Vilnius after the 2020 protests, was beaten outside his "
     "home in Vilnius on Tuesday.", "en"),
    ("Блогера Игоря Лосика, уехавшего в Вильнюс после протестов 2020 года, 10 сентября избили у его дома в "
     "Вильнюсе.", "ru"),
])
def test_a_year_that_names_a_past_event_is_not_the_date_of_the_act(engine, text, lang):
    out = extract(engine, text, lang=lang, published="2024-09-12")
    assert len(out) == 1 and (out[0].date, out[0].date_precision) == ("2024-09-10", "day"), dump(out)


# ---- rules added when gold6 became a development set (each on reports written for the test) ----

def test_the_seat_of_an_organisation_is_not_the_scene(engine):
    """incidents.seat_not_scene.v1 and the residence rule: "the Toronto-based lab" places neither the act
    nor the victim in Toronto."""
    text = ("LONDON, 4 June 2025 - The Eritrean blogger Yonas Tekle's laptop was infected with spyware in May, "
            "according to researchers at the Toronto-based Open Signal Lab, who tied it to the Eritrean "
            "government.")
    out = extract(engine, text, published="2025-06-04")
    assert [(m.country, m.place) for m in out if "surveillance" in m.types] == [("GB", "London")]


def test_a_persons_base_is_still_a_home(engine):
    text = ("Birmingham-based Kyrgyz journalist Aibek Turgunov received threatening messages on Monday "
            "from a man who said he worked for the GKNB.")
    out = extract(engine, text, published="2025-03-12")
    assert [m.country for m in out] == ["GB"]


def test_a_town_the_gazetteer_does_not_know_is_in_the_reports_state(engine):
    """incidents.unknown_town.v1: "in Qaryat" is no known place; the act is in the state whose bodies the
    report names, not in the city its exile lives in."""
    text = ("The Bahraini activist Ali Marhoon has lived in London since 2019. In 2021, Bahrain's Interior "
            "Ministry revoked his citizenship. On Sunday, his brother Hasan Marhoon was summoned to a police station "
            "in Qaryat and questioned for six hours about Ali's friends in London.")
    out = extract(engine, text, published="2025-05-20")
    found = [m for m in out if "interrogation" in m.types]
    assert [m.country for m in found] == ["BH"]


def test_a_date_counted_back_is_the_earlier_act_not_the_clause(engine):
    """dates.offset_back.v1: "on 9 May, six days after he was abducted" dates the visit 9 May, and "three days
    later" counts from 9 May."""
    text = ("The Cambodian blogger Sok Dara was abducted by unknown men in Bangkok on 3 May. "
            "On 9 May, six days after he was abducted, two police officers came to his wife's home in "
            "Phnom Penh and threatened her. Three days later, police questioned his brother Sok Vannak "
            "in Phnom Penh.")
    out = extract(engine, text, published="2025-06-01")
    dates = sorted((m.date, sorted(m.types)[0]) for m in out)
    assert ("2025-05-09", "threat") in dates
    assert ("2025-05-12", "interrogation") in dates


def test_a_relative_called_into_a_security_office_in_a_russian_exonym_town(engine):
    text = ("В прошлую среду брату эмигранта Мердану Атаеву позвонили из консульства. Через три дня после "
            "звонка его отца Довлета Атаева вызвали в областное управление МНБ в Дашховузе.")
    out = extract(engine, text, lang="ru", published="2025-10-20")
    found = [m for m in out if set(m.types) & {"interrogation", "summons"}]
    assert [(m.country, m.date) for m in found] == [("TM", "2025-10-18")]


def test_a_body_named_inside_a_multiword_place_gives_its_country(engine):
    text = ("On 4 March, the National Security Department of the Hong Kong Police Force issued arrest warrants "
            "for Kelvin Ho Ka-lok, a London-based activist.")
    out = extract(engine, text, published="2025-03-10")
    assert [(m.country, sorted(m.types)) for m in out] == [("HK", ["legal_action"])]


def test_a_remote_act_on_behalf_of_a_body_is_not_placed_in_that_bodys_state(engine):
    """incidents.remote_origin_body.v1: spyware sent "on behalf of" a foreign ministry reaches its victim where
    he is (the dateline here), not in that ministry's state."""
    text = ("PARIS, 2 May 2025 - In April, the exiled Rwandan journalist Eric Mugisha received emails "
            "impersonating a French broadcaster that carried spyware. Researchers linked them to an operator "
            "working on behalf of Rwanda's National Intelligence and Security Service.")
    out = extract(engine, text, published="2025-05-02")
    assert [m.country for m in out if "surveillance" in m.types] == ["FR"]


def test_where_the_people_asked_about_live_is_not_the_scene(engine):
    """incidents.people_in_not_scene.v1: "questioned about his friends in Berlin" happens where the body that
    questioned works, not in Berlin."""
    text = ("On 3 March, officers of Kazakhstan's KNB questioned the mother of the exiled blogger Aidos Serikov "
            "for five hours about his friends in Berlin.")
    out = extract(engine, text, published="2025-03-10")
    assert [m.country for m in out if "interrogation" in m.types] == ["KZ"]


# ------------------------------------------------------------- "против", counts and relative clauses


@pytest.mark.parametrize("text", [
    "3 сентября в Ташкенте против активистки Нодиры Каримовой возбуждено уголовное дело.",
    "3 сентября в Бишкеке против блогера Рустама Юсупова завели уголовное дело о клевете.",
])
def test_russian_against_before_the_victim_is_not_a_negation(engine, text):
    """"против" + a person is who the act is against: the act stands."""
    out = extract(engine, text, lang="ru")
    assert [m.types for m in out] == [["legal_action"]], dump(out)


@pytest.mark.parametrize("text", [
    "Депутат Олег Петров 3 сентября выступил против депортации активистки Нодиры Каримовой из Ташкента.",
    "3 сентября в Ташкенте выступил Комитет против пыток.",
])
def test_russian_being_against_an_act_is_not_the_act(engine, text):
    """Speaking against an act ("выступил против депортации") or a body named against it is no act."""
    out = extract(engine, text, lang="ru")
    assert out == [], dump(out)


@pytest.mark.parametrize(("text", "lang", "want"), [
    ("По данным правозащитников, с начала года в Анкаре задержали девятерых выходцев из Узбекистана, "
     "а троих уже выдали.", "ru", [("detention", 9), ("extradition", 3)]),
    ("In Izmir, police detained fourteen people on 2 September and deported four of them to Kyrgyzstan.",
     "en", [("deportation", 4), ("detention", 14)]),
])
def test_two_acts_with_their_own_counts_are_two_incidents(engine, text, lang, want):
    """incidents.count_split.v1: each act keeps the count told with it."""
    out = extract(engine, text, lang=lang)
    got = sorted((t, g.count) for m in out for t in m.types for g in m.targets if g.kind == "group")
    assert len(out) == 2 and got == sorted(want), dump(out)


@pytest.mark.parametrize(("text", "lang"), [
    ("Two Lao bloggers who disappeared in Hanoi in January were sentenced on Tuesday in Vientiane "
     "to six years in prison.", "en"),
    ("Двое блогеров, которых похитили в Алматы в январе, во вторник были приговорены в Ташкенте "
     "к шести годам.", "ru"),
])
def test_a_relative_clause_does_not_date_the_main_act(engine, text, lang):
    """incidents.relative_clause_anchor.v1: the date (and scene) inside "who disappeared ... in January"
    is the disappearance's, not the sentence's."""
    out = extract(engine, text, lang=lang)
    sentence = [m for m in out if "legal_action" in m.types]
    assert [(m.date, m.country) for m in sentence] == [("2024-09-10", "UZ" if lang == "ru" else "LA")], dump(out)


@pytest.mark.parametrize(("text", "lang"), [
    ("Журналист Павел Орлов, которого выслали из Казахстана в 2023 году, 4 сентября был задержан в Ереване.",
     "ru"),
    ("The journalist Pavel Orlov who was deported from Kazakhstan in 2023 was detained in Yerevan on 4 September.",
     "en"),
    ("Журналиста Павла Орлова, которого ранее выслали из Казахстана, 4 сентября задержали в Ереване.", "ru"),
    ("The journalist Pavel Orlov, who had been deported from Kazakhstan earlier, was detained in Yerevan "
     "on 4 September.", "en"),
])
def test_an_earlier_act_in_a_relative_clause_is_not_a_type_of_the_main_act(engine, text, lang):
    """An earlier act told about the victim ("которого выслали в 2023 году") is not part of the main act;
    dated, it is its own incident."""
    out = extract(engine, text, lang=lang)
    main = [m for m in out if "detention" in m.types]
    assert [(m.types, m.date) for m in main] == [(["detention"], "2024-09-04")], dump(out)
    assert all(m.date == "2023" for m in out if "deportation" in m.types), dump(out)


def test_one_custody_told_with_two_counts_stays_one_incident(engine):
    """Detained and fined on the spot is one tightly bound sequence, whatever counts it gives."""
    out = extract(engine, "In Izmir, police detained fourteen people on 2 September and fined four of them.")
    assert len(out) == 1 and set(out[0].types) == {"detention", "fine"}, dump(out)


# ------------------------------------------------------ wire reports: datelines, people named later

WIRE = ("HANOI/BANGKOK, March 12 (Delta Wire) - Thai immigration police detained a Vietnamese land-rights "
        "blogger at a rented room in Bangkok on Monday and deported him to Hanoi the following day, a refugee "
        "aid group said.\n\n"
        "Tran Minh Duc, 41, had lived in Thailand since 2019 and held a refugee card, the group said.\n\n"
        "Vietnamese police arrested Tran on arrival at Noi Bai airport on Tuesday evening, his wife said.\n\n"
        "On Wednesday, a court in Hanoi charged him with anti-state propaganda and ordered him held for four "
        "months.")


def test_wire_story_names_its_unnamed_victim_and_splits_acts_by_state(engine: RulesEngine) -> None:
    out = extract(engine, WIRE, published="2025-03-12")
    expelled = [m for m in out if m.country == "TH"]
    assert len(expelled) == 1
    # The dateline's "March 12" is when the story was filed: the act is Monday's.
    assert expelled[0].date == "2025-03-10"
    assert {"detention", "deportation"} <= set(expelled[0].types)
    # "a Vietnamese ... blogger" is the person named in the next sentence; "a refugee aid group"
    # and "a refugee card" are no victims.
    assert names(expelled[0]) == ["Tran Minh Duc"]
    # Arrest on arrival: another state, another act; the person named again by the family name.
    arrest = [m for m in out if m.country == "VN"]
    assert arrest and arrest[0].date == "2025-03-11" and "detention" in arrest[0].types
    assert all(names(m) == ["Tran Minh Duc"] for m in arrest)


def test_court_that_fines_or_expels_ends_the_same_custody(engine: RulesEngine) -> None:
    text = ("On 3 June police in Novosibirsk detained Aziz Rakhimov, a citizen of Tajikistan. "
            "The next day a district court fined him 5,000 roubles and ordered his expulsion.")
    out = extract(engine, text, lang="en", published="2024-06-10")
    assert len(out) == 1 and {"detention", "fine"} <= set(out[0].types)


def test_a_person_asked_about_is_not_the_one_questioned(engine: RulesEngine) -> None:
    text = ("On Sunday, Farid Aliyev's brother, Rauf Aliyev, was summoned to a police station in Ganja and "
            "questioned for six hours about Farid's friends in Berlin.")
    out = extract(engine, text, published="2025-05-20")
    assert len(out) == 1
    assert "Rauf Aliyev" in names(out[0])


def test_party_dissolved_years_ago_is_a_closure_of_that_party(engine: RulesEngine) -> None:
    out = extract(engine, "Laos's Supreme Court dissolved the Lao Farmers' Front in 2018.", published="2025-11-19")
    assert [(m.types, m.date) for m in out] == [(["closure"], "2018")]
    assert names(out[0]) == ["Farmers' Front"] or names(out[0]) == ["Lao Farmers' Front"]


def test_an_embassy_backed_association_is_the_attacker_not_the_victim(engine: RulesEngine) -> None:
    text = ("Arman Tulegenov organised a meeting on 9 August. That evening, three men in the T-shirts of the "
            "embassy-backed Steppe Patriots' League followed Arman Tulegenov into a car park and beat him.")
    out = extract(engine, text, published="2025-08-20")
    beaten = [m for m in out if "ill_treatment" in m.types]
    assert beaten and "Steppe Patriots' League" not in names(beaten[0])
    assert "Arman Tulegenov" in names(beaten[0])


@pytest.mark.parametrize(("text", "place"), [
    ("15 января полиция в Гирне задержала двух студентов из Туркменистана.", "Гирне"),
    ("On 3 March police in Gazimağusa detained two Turkmen students.", "Famagusta"),
])
def test_turkish_names_of_towns_in_northern_cyprus(engine: RulesEngine, text: str, place: str) -> None:
    out = extract(engine, text, lang="ru" if "Гирне" in text else "en", published="2026-03-10")
    # An indeclinable Russian name stays as written (not "Гирня"); Latin script gives the English name.
    assert [(m.country, m.place) for m in out] == [("CY", place)]


INTERVIEW_RU = ("Нодир Рахимов уехал из Таджикистана в 2020 году и живёт в Варшаве, где возглавляет небольшое "
                "объединение таджикских мигрантов.\n\n"
                "— Когда начались проблемы у вашей семьи?\n\n"
                "— В марте мою сестру, Зарину Рахимову, четыре раза вызывали в отдел ГКНБ в Вахдате. "
                "Один раз её продержали там до ночи.\n\n"
                "— А вас самого?\n\n"
                "— В августе меня задержали польские пограничники в аэропорту Варшавы: Таджикистан объявил меня "
                "в розыск через Интерпол.\n")


def test_interview_answers_in_the_first_person_are_the_interviewees(engine: RulesEngine) -> None:
    out = extract(engine, INTERVIEW_RU, lang="ru", published="2025-10-20")
    held = [m for m in out if m.country == "PL"]
    assert held and names(held[0]) == ["Нодир Рахимов"] and "detention" in held[0].types


def test_relative_called_in_and_kept_for_hours_is_questioned(engine: RulesEngine) -> None:
    out = extract(engine, INTERVIEW_RU, lang="ru", published="2025-10-20")
    sister = [m for m in out if any(n.startswith("Зарин") for n in names(m))]
    assert len(sister) == 1
    # A relative summoned is questioned (summons is kept for journalists and activists); the hours
    # she was kept there are the questioning, not an arrest. The GKNB of a Tajik town is Tajikistan's.
    assert sister[0].types == ["interrogation"]
    assert (sister[0].country, sister[0].place, sister[0].origin_country) == ("TJ", "Вахдат", None)


def test_an_attack_told_without_a_place_is_at_the_exiles_home_not_a_relatives(engine: RulesEngine) -> None:
    text = ("I represent Mr Orkhan Aliyev, a blogger who has lived in Grenoble since 2021. "
            "His father, Vagif Aliyev, who lives in Sumqayit, was summoned in October by the State Security "
            "Service.\n\n"
            "On 5 October, two men who had waited in the car park of his building beat Orkhan Aliyev with a bar.")
    out = extract(engine, text, published="2025-12-10")
    beaten = [m for m in out if "ill_treatment" in m.types]
    assert [(m.country, m.place) for m in beaten] == [("FR", "Grenoble")]


@pytest.mark.parametrize(("text", "lang"), [
    ("On 3 May police in Almaty detained two Uyghur students, Erkin Tursun and Dilnur Kasim. "
     "At Urumqi airport they were questioned until morning by state security officers.", "en"),
    ("3 мая полиция в Алматы задержала двух уйгурских студентов, Эркина Т. и Дильнур К. "
     "В аэропорту Урумчи их допрашивали до утра сотрудники госбезопасности.", "ru"),
])
def test_an_anaphor_does_not_carry_an_act_into_another_country(engine: RulesEngine, text: str, lang: str) -> None:
    out = extract(engine, text, lang=lang, published="2025-05-20")
    kz = [m for m in out if m.country == "KZ"]
    assert len(kz) == 1 and kz[0].types == ["detention"]


@pytest.mark.parametrize(("text", "lang", "count"), [
    ("На прошлой неделе в Оше задержали троих подписчиков канала, и суд оштрафовал каждого на 10 000 сомов.", "ru", 3),
    ("Last week police in Osh detained four followers of the channel and a court fined each of them.", "en", 4),
])
def test_subscribers_and_followers_are_victim_groups(engine: RulesEngine, text: str, lang: str, count: int) -> None:
    out = extract(engine, text, lang=lang, published="2025-10-20")
    assert len(out) == 1 and {"detention", "fine"} <= set(out[0].types)
    assert [t.count for t in out[0].targets] == [count]


def test_an_audience_counted_is_no_victim_group(engine: RulesEngine) -> None:
    text = "У канала 60 тысяч подписчиков — очень много для страны, где YouTube заблокирован."
    assert extract(engine, text, lang="ru", published="2025-10-20") == []


def test_deported_from_one_city_and_detained_on_arrival_are_two_acts(engine: RulesEngine) -> None:
    text = ("В феврале миграционная полиция Литвы депортировала из Вильнюса в Минск активиста Павла Гурского, "
            "а в аэропорту Минска его задержали сотрудники КГБ.")
    out = extract(engine, text, lang="ru", published="2025-03-20")
    assert sorted((m.country, tuple(m.types), m.date) for m in out) == [
        ("BY", ("detention",), "2025-02"), ("LT", ("deportation",), "2025-02")]


@pytest.mark.parametrize(("text", "lang"), [
    ("— Вашего брата Бахтиёра Каримова тоже задерживали сотрудники ГКНБ в Вахдате?", "ru"),
    ("«Как Алексею Орлову жить в Даугавпилсе с этим приговором суда?» — спрашивает он.", "ru"),
    ("Was Bakhtiyor Karimov also detained by GKNB officers in Vahdat last week?", "en"),
])
def test_a_question_tells_no_act(engine: RulesEngine, text: str, lang: str) -> None:
    assert extract(engine, text, lang=lang, published="2025-10-20") == []


def test_host_state_arresting_a_suspected_agent_is_not_an_incident_ru(engine: RulesEngine) -> None:
    text = ("В прошлом году литовские правоохранители задержали гражданина Беларуси Игоря Сальникова, "
            "подозреваемого в сборе сведений о белорусских эмигрантах.")
    assert extract(engine, text, lang="ru", published="2026-01-20") == []


def test_an_act_told_before_and_then_judged_is_not_another_act(engine: RulesEngine) -> None:
    text = ("8 апреля суд в Кондопоге оштрафовал Нину Орлову на 30 тысяч рублей за репост сына.\n\n"
            "Её сын Артём Орлов, живущий в Финляндии, назвал штраф матери «местью за то, что я не молчу».")
    out = extract(engine, text, lang="ru", published="2025-04-20")
    assert [(m.types, m.country) for m in out] == [(["fine"], "RU")]


def test_a_judged_act_nobody_told_before_is_still_told(engine: RulesEngine) -> None:
    # Only the evaluation names the charges: they are not dropped.
    text = "Активист Саид Рахимов, которого в январе обвинили в экстремизме, называет обвинения «местью за посты»."
    out = extract(engine, text, lang="ru", published="2025-04-20")
    assert out and "legal_action" in out[0].types


def test_custody_ordered_in_absentia_is_a_court_act(engine: RulesEngine) -> None:
    text = ("Октябрьский районный суд Бишкека в понедельник, 17 февраля, заочно избрал блогеру Эрмеку "
            "Асанову меру пресечения в виде заключения под стражу.")
    out = extract(engine, text, lang="ru", published="2025-02-20")
    assert [(m.types, m.date) for m in out] == [(["legal_action"], "2025-02-17")]


def test_taken_to_a_centre_in_a_town_is_not_the_scene(engine: RulesEngine) -> None:
    text = ("Turkish police detained Aziz Karimov on Saturday at a café in Istanbul and took him to a removal "
            "centre in Tuzla, his lawyer said.")
    out = extract(engine, text, published="2025-03-31")
    assert [(m.country, m.place) for m in out] == [("TR", "Istanbul")]


def test_during_a_month_is_that_month() -> None:
    import datetime as dt

    from kolokol.extract.dates import find_dates

    found = find_dates("В течение июня полиция задержала 12 человек.", dt.date(2025, 7, 10), "day", "ru")
    assert [(d.value.isoformat(), d.precision) for d in found] == [("2025-06-01", "month")]


INTERVIEW_EN = ("Steppe Review\nNews | Interviews | Donate\n\n"
                "Daniyar Seitkali, 39, edited a news site in Shymkent until 2022. He now lives in Tallinn.\n\n"
                "Interview by Maria Kask\n\n"
                "Why did you leave?\n\n"
                "Most of my colleagues were in prison. I thought I would leave for a year.\n\n"
                "Are you facing charges at home?\n\n"
                "Yes. In 2024 a court in Astana ordered my arrest in absentia on charges of spreading false "
                "information.\n")


def test_an_interview_without_dashes_answers_in_the_interviewees_voice(engine: RulesEngine) -> None:
    out = extract(engine, INTERVIEW_EN, published="2026-02-05")
    assert [(m.types, names(m), m.country, m.date) for m in out] == [
        (["legal_action"], ["Daniyar Seitkali"], "KZ", "2024")]


def test_a_detention_centre_is_a_place_not_an_act(engine: RulesEngine) -> None:
    text = ("On November 27, state television broadcast a film recorded in the detention centre of the security "
            "service in Dushanbe, in which Farrukh Rakhimov \"confessed\" to plotting a coup.")
    out = extract(engine, text, published="2025-12-10")
    assert [m.types for m in out] == [["ill_treatment"]]


def test_a_date_learned_later_is_not_the_acts(engine: RulesEngine) -> None:
    text = ("On November 21, as we learned only a week later, a Dushanbe court remanded Mr Farrukh Rakhimov in "
            "custody for two months.")
    out = extract(engine, text, published="2025-12-10")
    assert [m.date for m in out] == ["2025-11-21"]


def test_a_seizure_and_the_rendition_it_began_are_one_act(engine: RulesEngine) -> None:
    text = ("My client, Mr Farrukh Rakhimov, was forcibly removed from Turkey to Tajikistan last month.\n\n"
            "On the evening of November 18, Mr Rakhimov left his flat in Istanbul. Two neighbours saw four men "
            "push him into a white minibus.\n\n"
            "We call on the Turkish authorities to open an investigation into the abduction of Mr Rakhimov.")
    out = extract(engine, text, published="2025-12-10")
    seized = [m for m in out if {"abduction", "rendition"} & set(m.types)]
    assert len(seized) == 1 and {"abduction", "rendition"} <= set(seized[0].types)


def test_fear_of_being_detained_is_no_detention(engine: RulesEngine) -> None:
    text = "«Многие боятся ездить в Турцию: боятся, что их задержат по запросу Минска», — говорит юрист Ольга Белова."
    assert extract(engine, text, lang="ru", published="2025-09-10") == []


def test_a_venue_named_after_its_kind_is_the_target_of_a_closure(engine: RulesEngine) -> None:
    text = "17 июня в Оше налоговая служба опечатала книжный клуб-кафе «Страница», где собирались эмигранты."
    out = extract(engine, text, lang="ru", published="2025-06-20")
    assert [(m.types, names(m), m.country) for m in out] == [(["closure"], ["Страница"], "KG")]


def test_whom_someone_communicates_with_somewhere_is_not_the_scene(engine: RulesEngine) -> None:
    from kolokol.extract.incidents import _not_a_scene

    report = ReportInput(text="Они расспрашивали её о сыне — с кем он общается в Алматы, на что живёт.", raw=b"",
                         kind="text", origin="test", source_id="t", published="2025-09-20", language="ru")
    doc = engine.document(report)
    almaty = [p for p in doc.places if p.country == "KZ"]
    assert almaty and all(_not_a_scene(doc, p) for p in almaty)


MAIN_PERSON = ("Bakyt Osmonov, a Kyrgyz blogger who has lived in Almaty since 2022, says the pressure began with "
               "his videos about the border deal. Police in Almaty detained Bakyt Osmonov on 2 May.\n\n"
               "On 20 May the GKNB opened a criminal case for calls to mass unrest under Article 278.")


def test_an_act_with_its_body_and_date_but_no_victim_is_the_main_persons(engine: RulesEngine) -> None:
    out = extract(engine, MAIN_PERSON, published="2025-06-01")
    case = [m for m in out if "legal_action" in m.types]
    assert [(names(m), m.date) for m in case] == [(["Bakyt Osmonov"], "2025-05-20")]


def test_a_policy_statement_is_not_given_the_main_persons_name(engine: RulesEngine) -> None:
    text = MAIN_PERSON.split("\n\n")[0] + ("\n\nThe Interior Ministry said on June 13 that it had begun checking a "
                                           "database of persons wanted by other governments.")
    out = extract(engine, text, published="2025-06-20")
    assert all("2025-06" not in (m.date or "") for m in out)


def test_a_place_named_in_passing_yields_to_the_scene_just_before(engine: RulesEngine) -> None:
    text = ("Elnur Mammadov lives in Cologne.\n\n"
            "On 9 January a man approached Elnur Mammadov outside a café in Cologne. He said he brought greetings "
            "from Baku and told him that his children would have problems if he did not stop.")
    out = extract(engine, text, published="2026-01-20")
    threats = [m for m in out if "threat" in m.types]
    assert threats and all((m.country, m.place) == ("DE", "Cologne") for m in threats)
