"""Tests of the actors step (kolokol.extract.actors): agencies, persons, groups, organisations.

Every sentence here is written for the tests; the names are invented or are officials from the
lexicon. Each test asserts something the rules could get wrong.
"""

from __future__ import annotations

import itertools
import re

import pycountry
import pytest

from kolokol.domain import ActorMention
from kolokol.extract import actors
from kolokol.extract.actors import find_actors, load_lexicon_file

RULE_RE = re.compile(r"^actors\.[a-z_]+\.v1$")
KINDS = {"person", "organization", "group", "agency"}


def _check_invariants(text: str, mentions: list[ActorMention]) -> None:
    starts = [m.span.start for m in mentions]
    assert starts == sorted(starts)
    for m in mentions:
        assert text[m.span.start : m.span.end] == m.span.text
        assert RULE_RE.match(m.rule), m.rule
        assert m.kind in KINDS
        assert m.span.text.strip()


def _by_text(mentions: list[ActorMention], text: str, kind: str | None = None) -> ActorMention:
    found = [m for m in mentions if m.span.text == text and (kind is None or m.kind == kind)]
    assert found, f"{text!r} not found in {[(m.span.text, m.kind) for m in mentions]}"
    return found[0]


def _texts(mentions: list[ActorMention], kind: str) -> list[str]:
    return [m.span.text for m in mentions if m.kind == kind]


def _run(text: str, lang: str = "en") -> list[ActorMention]:
    mentions = find_actors(text, lang)
    _check_invariants(text, mentions)
    return mentions


# ------------------------------------------------------------------------------------------------
# Agencies
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase",
    [
        "the State Committee for National Security",
        "the national security committee",
        "officers of the GKNB",
        "Kyrgyz security services",
        "ГКНБ",
    ],
)
def test_gknb_variants_resolve_to_one_id(phrase: str) -> None:
    text = f"Last week {phrase} questioned a blogger in Osh."
    agency = next(m for m in _run(text) if m.kind == "agency")
    assert agency.canonical == "kg.gknb"
    assert agency.country == "KG"


def test_nationality_adjective_is_part_of_the_name_and_sets_country() -> None:
    mentions = _run("The Kazak authorities and Kyrgyz law enforcement denied any role.")
    kz = _by_text(mentions, "Kazak authorities", "agency")
    kg = _by_text(mentions, "Kyrgyz law enforcement", "agency")
    assert (kz.country, kz.canonical) == ("KZ", "authorities")
    assert (kg.country, kg.canonical) == ("KG", "law_enforcement")


def test_possessive_country_sets_country_but_stays_out_of_the_name() -> None:
    mentions = _run("Kazakhstan's Interior Ministry confirmed the arrest.")
    ministry = _by_text(mentions, "Interior Ministry", "agency")
    assert ministry.country == "KZ"
    assert ministry.name == "Interior Ministry"
    assert ministry.canonical == "interior_ministry"


def test_place_after_a_body_sets_its_country() -> None:
    mentions = _run("He was held by police in Almaty for two days.")
    assert _by_text(mentions, "police", "agency").country == "KZ"


def test_generic_body_without_country_clue_has_none() -> None:
    mentions = _run("The authorities refused to comment, and the court postponed the hearing.")
    assert _by_text(mentions, "authorities").country is None
    assert _by_text(mentions, "court").canonical == "court"
    assert _by_text(mentions, "court").country is None


def test_embassy_belongs_to_its_state_not_to_the_host_city() -> None:
    mentions = _run("Officers said they were working with the Russian embassy in Bishkek.")
    embassy = _by_text(mentions, "Russian embassy", "agency")
    assert embassy.country == "RU"


def test_specific_body_switches_id_for_another_state() -> None:
    mentions = _run("The Kazakh national security committee and Tajik security services cooperated.")
    assert _by_text(mentions, "Kazakh national security committee").canonical == "kz.knb"
    assert _by_text(mentions, "Tajik security services").canonical == "tj.gknb"


def test_longest_match_wins_and_agencies_do_not_overlap() -> None:
    text = "Russia's Federal Security Service and law-enforcement agencies sent police officers."
    agencies = [m for m in _run(text) if m.kind == "agency"]
    assert [a.span.text for a in agencies] == [
        "Federal Security Service",
        "law-enforcement agencies",
        "police officers",
    ]
    assert agencies[0].canonical == "ru.fsb"
    for a, b in itertools.pairwise(agencies):
        assert a.span.end <= b.span.start


def test_personnel_noun_joins_the_body() -> None:
    mentions = _run("Two FSB officers searched the flat.")
    fsb = _by_text(mentions, "FSB officers", "agency")
    assert fsb.canonical == "ru.fsb"


def test_compatriots_association_is_a_proxy_of_russia() -> None:
    mentions = _run("A group called Russian Compatriots of Naryn filed a lawsuit against the singer.")
    proxy = _by_text(mentions, "Russian Compatriots of Naryn", "agency")
    assert proxy.profile == "proxy"
    assert proxy.country == "RU"
    assert proxy.canonical == "compatriots"


def test_lower_case_compatriots_are_not_a_proxy() -> None:
    assert not [m for m in _run("Some of his compatriots left the country.") if m.kind == "agency"]


def test_international_bodies_have_no_country() -> None:
    mentions = _run("Interpol rejected the notice filed through CIS channels.")
    assert _by_text(mentions, "Interpol").country is None
    assert _by_text(mentions, "CIS").canonical == "cis"


def test_no_agency_inside_words_or_compounds() -> None:
    mentions = _run("The anti-Kremlin courtyard concert of the policeman's son went ahead.")
    assert "Kremlin" not in _texts(mentions, "agency")
    assert not any(t.startswith("court") for t in _texts(mentions, "agency"))


def test_plainclothes_agents_are_a_body() -> None:
    mentions = _run("Plainclothes officers pushed him into a car.")
    assert _by_text(mentions, "Plainclothes officers", "agency").canonical == "plainclothes"


@pytest.mark.parametrize(
    ("text", "phrase", "canonical", "country"),
    [
        ("Его задержали сотрудники полиции.", "сотрудники полиции", "police", None),
        ("Дело возбудил Следственный комитет.", "Следственный комитет", "ru.sk", "RU"),
        ("Активистку вызвали в Центр «Э».", "Центр «Э»", "ru.center_e", "RU"),
        ("Российские силовики искали его.", "Российские силовики", "law_enforcement", "RU"),
        ("МВД Кыргызстана подтвердило задержание.", "МВД Кыргызстана", "interior_ministry", "KG"),
        ("Посольство России направило запрос.", "Посольство России", "embassy", "RU"),
        ("Прокуратура обжаловала приговор.", "Прокуратура", "prosecutors", None),
        ("Его остановили пограничники.", "пограничники", "border_service", None),
    ],
)
def test_russian_agencies(text: str, phrase: str, canonical: str, country: str | None) -> None:
    agency = _by_text(_run(text, "ru"), phrase, "agency")
    assert agency.canonical == canonical
    assert agency.country == country


def test_russian_authorities_need_a_country() -> None:
    assert not _texts(_run("Он пришёл к власти в 2020 году.", "ru"), "agency")
    mentions = _run("Казахстанские власти отказали ему в убежище.", "ru")
    assert _by_text(mentions, "Казахстанские власти").country == "KZ"


# ------------------------------------------------------------------------------------------------
# Persons (English)
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "nationality", "profile"),
    [
        ("Russian journalist Pavel Smirnov was detained.", "Pavel Smirnov", "RU", "journalist"),
        ("Uzbek blogger Dilshod Rakhimov fled abroad.", "Dilshod Rakhimov", "UZ", "blogger"),
        (
            "Tajik opposition politician Suhrob Nazarov was deported.",
            "Suhrob Nazarov",
            "TJ",
            "opposition politician",
        ),
        ("Chechen blogger Movsar Dzhabrailov disappeared.", "Movsar Dzhabrailov", "RU", "blogger"),
        ("Belarusian artist Siarhei Tsikhanouski was fined.", "Siarhei Tsikhanouski", "BY", "artist"),
        ("Kazakh activist Aigerim Tleuzhanova was summoned.", "Aigerim Tleuzhanova", "KZ", "activist"),
        (
            "Veteran Kyrgyz rights defender Aida Sultanova spoke.",
            "Aida Sultanova",
            "KG",
            "human rights defender",
        ),
    ],
)
def test_person_with_nationality_and_profile_cue(
    text: str, name: str, nationality: str, profile: str
) -> None:
    person = _by_text(_run(text), name, "person")
    assert person.nationality == nationality
    assert person.profile == profile
    assert person.rule == "actors.person.v1"


def test_appositive_gives_profile_and_nationality_and_is_not_a_group() -> None:
    mentions = _run("Timur Akhmedov, a Kazakh journalist, was detained at the border.")
    person = _by_text(mentions, "Timur Akhmedov", "person")
    assert (person.nationality, person.profile) == ("KZ", "journalist")
    assert not _texts(mentions, "group")


def test_place_of_origin_after_name_gives_nationality() -> None:
    person = _by_text(_run("She spoke with Dorzho Tsyrenov from Buryatia."), "Dorzho Tsyrenov")
    assert person.nationality == "RU"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("The poet Aigul Bolotbek kyzy was summoned.", "Aigul Bolotbek kyzy"),
        ("Investigators questioned Makhabat Tursun kyzy on Friday.", "Makhabat Tursun kyzy"),
        ("Nurlan Temir uulu was released.", "Nurlan Temir uulu"),
        ("They also detained Azamat uulu Bakytbek.", "Azamat uulu Bakytbek"),
    ],
)
def test_kyrgyz_patronymic_particles(text: str, name: str) -> None:
    assert _by_text(_run(text), name, "person").name == name


def test_initials_and_hyphenated_names() -> None:
    mentions = _run("A. Petrenko and lawyer V. Ostapenko met Anna Ivanova-Petrova.")
    assert _by_text(mentions, "A. Petrenko", "person")
    assert _by_text(mentions, "V. Ostapenko", "person").profile == "lawyer"
    assert _by_text(mentions, "Anna Ivanova-Petrova", "person")


def test_first_name_pair_shares_the_surname_with_gendered_forms() -> None:
    mentions = _run("Denis and Olga Morozov were detained near their home.")
    persons = [m for m in mentions if m.kind == "person"]
    assert {p.name for p in persons} == {"Denis Morozov", "Olga Morozov"}
    olga = next(p for p in persons if p.name == "Olga Morozov")
    assert olga.canonical == "Olga Morozova"
    denis = next(p for p in persons if p.name == "Denis Morozov")
    assert denis.span.text == "Denis and Olga Morozov"


def test_bare_surnames_point_to_the_full_name_of_the_same_gender() -> None:
    text = (
        "Denis and Olga Morozov were detained. Morozova later said she was fined, "
        "while Morozov was released. Maxim Grebenshchikov, a musician, stayed; Grebenshchikov's band left."
    )
    mentions = _run(text)
    assert _by_text(mentions, "Morozova").canonical == "Olga Morozova"
    assert _by_text(mentions, "Morozov").canonical == "Denis Morozov"
    bare = _by_text(mentions, "Grebenshchikov")
    assert bare.canonical == "Maxim Grebenshchikov"
    assert bare.profile == "musician"
    assert bare.rule == "actors.person_surname.v1"


def test_transliteration_variants_share_a_canonical() -> None:
    mentions = _run("Alexei Volkov was arrested. Later, Aleksei Volkov's lawyer appealed.")
    assert {m.canonical for m in mentions if m.kind == "person"} == {"Alexei Volkov"}


def test_bare_surname_needs_a_full_name_or_a_cue() -> None:
    assert not _texts(_run("Sokolovsky was not in the city."), "person")
    cued = _by_text(_run("The blogger Sokolovsky was detained."), "Sokolovsky", "person")
    assert cued.profile == "blogger"
    assert cued.rule == "actors.person_cue.v1"


def test_officials_are_persons_flagged_official() -> None:
    text = (
        "Kazakh President Kassym-Jomart Tokayev called Putin. Lukashenko and Mirziyoyev were silent, "
        "and Interior Minister Ulan Niyazbekov declined to comment."
    )
    mentions = _run(text)
    tokayev = _by_text(mentions, "Kassym-Jomart Tokayev", "person")
    assert (tokayev.profile, tokayev.nationality) == ("official", "KZ")
    putin = _by_text(mentions, "Putin", "person")
    assert (putin.profile, putin.canonical) == ("official", "Vladimir Putin")
    assert _by_text(mentions, "Lukashenko").profile == "official"
    assert _by_text(mentions, "Mirziyoyev").nationality == "UZ"
    assert _by_text(mentions, "Ulan Niyazbekov").profile == "official"


def test_official_spelling_variants_and_a_relative_in_office() -> None:
    mentions = _run("Sadyr Zhaparov met Akylbek Japarov in the capital.")
    assert _by_text(mentions, "Sadyr Zhaparov").canonical == "Sadyr Japarov"
    other = _by_text(mentions, "Akylbek Japarov")
    assert other.profile == "official"
    assert other.canonical == "Akylbek Japarov"


def test_common_surname_of_an_official_needs_the_first_name() -> None:
    mentions = _run("Activist Anna Zakharova was fined. Maria Zakharova commented.")
    assert _by_text(mentions, "Anna Zakharova").profile == "activist"
    assert _by_text(mentions, "Maria Zakharova").profile == "official"


@pytest.mark.parametrize(
    "text",
    [
        "In March, activists gathered in Saint Petersburg and Nizhny Novgorod.",
        "Rostov Oblast officials refused to register the rally.",
        "They marched down Lermontov Street toward the Sakharov Prize ceremony.",
        "Meanwhile Kremlin officials said nothing.",
        "Reporters Without Borders and the Carnegie Endowment issued statements.",
        "Currently Petrov is abroad.",
        "Victory Day parades were held on Red Square.",
    ],
)
def test_places_months_organisations_and_ordinary_words_are_not_persons(text: str) -> None:
    assert _texts(_run(text), "person") == []


def test_title_case_headline_words_around_a_name_are_trimmed() -> None:
    mentions = _run("Exiled Critic Pavel Smirnov Moved To Prison Near Omsk")
    assert _texts(mentions, "person") == ["Pavel Smirnov"]


def test_bylines_and_photo_credits_are_not_persons() -> None:
    text = (
        "Written by Jane Smithson\n"
        "Photo: Pavel Kuznetsov / AFP / Scanpix\n"
        "Protesters outside the court in Bishkek.\n"
        "Igor Sokolov\n"
        "A rally in Osh. © Kirill Zhuravlev\n"
        "Activist Gulnara Asanova was detained the same day."
    )
    assert _texts(_run(text), "person") == ["Gulnara Asanova"]


def test_caption_repeated_under_a_paragraph_is_kept() -> None:
    text = (
        "The court refused bail for the second time in a week, her lawyer said in a long statement "
        "sent to reporters on Friday evening.\nAida Sultanova\n"
    )
    assert _texts(_run(text), "person") == ["Aida Sultanova"]


def test_attributes_are_shared_across_mentions_of_a_person() -> None:
    text = "Aida Sultanova says the pressure grew. Veteran Kyrgyz rights defender Aida Sultanova added more."
    persons = [m for m in _run(text) if m.kind == "person"]
    assert len(persons) == 2
    assert all(p.nationality == "KG" and p.profile == "human rights defender" for p in persons)


# ------------------------------------------------------------------------------------------------
# Groups
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrase", "count", "nationality"),
    [
        ("Police detained five foreigners at the rally.", "five foreigners", 5, None),
        ("Six Kazakh citizens were fined.", "Six Kazakh citizens", 6, "KZ"),
        ("Officers stopped a group of Uzbek nationals.", "a group of Uzbek nationals", None, "UZ"),
        ("Since May, 57 people have been delivered to precincts.", "57 people", 57, None),
        (
            "Three Belarusian political activists were expelled.",
            "Three Belarusian political activists",
            3,
            "BY",
        ),
        ("Dozens of Tajiks were held overnight.", "Dozens of Tajiks", None, "TJ"),
        ("They threatened to deport a Russian citizen.", "a Russian citizen", 1, "RU"),
        ("Two journalists were summoned.", "Two journalists", 2, None),
        ("Twenty-five people signed the letter.", "Twenty-five people", 25, None),
        ("More than 1,200 migrants were checked.", "More than 1,200 migrants", 1200, None),
        ("Nine citizens of Kyrgyzstan were deported.", "Nine citizens of Kyrgyzstan", 9, "KG"),
        ("One of the four detained foreigners was a minor.", "four detained foreigners", 4, None),
    ],
)
def test_english_groups(text: str, phrase: str, count: int | None, nationality: str | None) -> None:
    group = _by_text(_run(text), phrase, "group")
    assert group.count == count
    assert group.nationality == nationality
    assert group.rule in ("actors.group_en.v1", "actors.group_en_one.v1")


@pytest.mark.parametrize(
    "text",
    [
        "On June 2 people gathered outside.",
        "Article 280 people rarely read it.",
        "In 2021 people protested.",
        "She is a journalist living in Almaty.",
        "Some Kyrgyz observers disagree.",
        "They spent five days in detention.",
    ],
)
def test_not_groups(text: str) -> None:
    assert _texts(_run(text), "group") == []


@pytest.mark.parametrize(
    ("text", "phrase", "count", "nationality"),
    [
        ("Пятеро иностранцев были задержаны.", "Пятеро иностранцев", 5, None),
        ("Полиция оштрафовала шесть граждан России.", "шесть граждан России", 6, "RU"),
        ("Задержаны десятки кыргызстанцев.", "десятки кыргызстанцев", None, "KG"),
        ("В отдел доставили 57 человек.", "57 человек", 57, None),
        ("Группа россиян вышла на акцию.", "Группа россиян", None, "RU"),
        ("Трое таджикских мигрантов пропали.", "Трое таджикских мигрантов", 3, "TJ"),
    ],
)
def test_russian_groups(text: str, phrase: str, count: int | None, nationality: str | None) -> None:
    group = _by_text(_run(text, "ru"), phrase, "group")
    assert (group.count, group.nationality) == (count, nationality)


# ------------------------------------------------------------------------------------------------
# Organisations
# ------------------------------------------------------------------------------------------------


def test_head_noun_name_alias_and_later_mentions() -> None:
    text = (
        "Exiles closed the public center Zelyonaya Dver (Green Door) in March. "
        "Visitors of Zelyonaya Dver's workshops were questioned, and Green Door stayed shut."
    )
    orgs = [m for m in _run(text) if m.kind == "organization"]
    assert [o.span.text for o in orgs] == ["Zelyonaya Dver", "Green Door", "Zelyonaya Dver", "Green Door"]
    assert {o.canonical for o in orgs} == {"Zelyonaya Dver"}
    assert orgs[1].rule == "actors.org_alias.v1"
    assert orgs[2].rule == "actors.org_repeat.v1"
    assert not _texts(_run(text), "person")


@pytest.mark.parametrize(
    ("text", "name", "nationality"),
    [
        ("Popular Russian rock band Sinie Ptitsy cancelled its show.", "Sinie Ptitsy", "RU"),
        ("Police shut down an organization called Open Door last year.", "Open Door", None),
        ("She works for the news agency 15.kg in Bishkek.", "15.kg", None),
        ("The report was published by the independent outlet VERA.", "VERA", None),
        ("She founded the 15.kg news agency.", "15.kg", None),
        ("He joined an organization whose name translates as Free Steppe.", "Free Steppe", None),
        ("A member of the Levyi Front (Left Front) movement was held.", "Levyi Front", None),
        ("Officers raided the “Kolokol” bookshop.", "Kolokol", None),
        ("Prosecutors went after the Anti-Corruption Foundation.", "Anti-Corruption Foundation", None),
    ],
)
def test_english_organisations(text: str, name: str, nationality: str | None) -> None:
    org = _by_text(_run(text), name, "organization")
    assert org.nationality == nationality


def test_organisation_named_before_its_description() -> None:
    mentions = _run("According to Vesti Batken, an independent Kyrgyz news site, officers came at night.")
    org = _by_text(mentions, "Vesti Batken", "organization")
    assert (org.nationality, org.rule) == ("KG", "actors.org_appos.v1")
    assert not _texts(mentions, "person")


@pytest.mark.parametrize(
    "text",
    [
        "It joined a Russia-led regional organization.",
        "The band called Putin a war criminal.",
        "Members of the LGBT community left.",
        "The Collective Security Treaty Organization met.",
    ],
)
def test_not_organisations(text: str) -> None:
    assert _texts(_run(text), "organization") == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Арт-центр «Зелёная дверь» закрылся.", "Зелёная дверь"),
        ("Концерт группы «Синие птицы» отменили.", "Синие птицы"),
        ("Об этом сообщило издание «Вечерний Ош».", "Вечерний Ош"),
        ("Движение «Новая весна» признали нежелательным.", "Новая весна"),
    ],
)
def test_russian_organisations(text: str, name: str) -> None:
    _by_text(_run(text, "ru"), name, "organization")


# ------------------------------------------------------------------------------------------------
# Persons (Russian, natasha)
# ------------------------------------------------------------------------------------------------


def test_russian_person_is_normalised_and_linked() -> None:
    text = "В Бишкеке задержали российского активиста Алексея Смирнова. Позже Смирнова вывезли в Москву."
    persons = [m for m in _run(text, "ru") if m.kind == "person"]
    full = next(p for p in persons if p.span.text == "Алексея Смирнова")
    assert (full.canonical, full.nationality, full.profile) == ("Алексей Смирнов", "RU", "activist")
    bare = next(p for p in persons if p.span.text == "Смирнова")
    assert bare.canonical == "Алексей Смирнов"


def test_russian_kyrgyz_patronymics_are_kept() -> None:
    text = "Журналистку Айгуль Бакыт кызы вызвали на допрос. Кыргызстанца Нурлана Азамат уулу оштрафовали."
    mentions = _run(text, "ru")
    aigul = _by_text(mentions, "Айгуль Бакыт кызы", "person")
    assert aigul.profile == "journalist"
    nurlan = _by_text(mentions, "Нурлана Азамат уулу", "person")
    assert nurlan.canonical == "Нурлан Азамат уулу"
    assert nurlan.nationality == "KG"


def test_russian_feminine_names_and_cues() -> None:
    text = "Гражданка Кыргызстана Юлию Смирнову допросили. Смирнова рассказала об этом."
    mentions = _run(text, "ru")
    yulia = next(m for m in mentions if m.kind == "person" and m.span.text.startswith("Юли"))
    assert yulia.canonical == "Юлия Смирнова"
    assert yulia.nationality == "KG"


def test_russian_appositive_nationality() -> None:
    text = "Правозащитница Айнура Токтосунова, гражданка Кыргызстана, заявила о давлении."
    person = _by_text(_run(text, "ru"), "Айнура Токтосунова", "person")
    assert (person.nationality, person.profile) == ("KG", "human rights defender")


def test_russian_bylines_are_not_persons() -> None:
    text = "Фото: Иван Иванов / ТАСС\nАвтор: Мария Петрова\nВ Оше задержали журналиста Канатбека Осмонова."
    persons = [m for m in _run(text, "ru") if m.kind == "person"]
    assert [p.canonical for p in persons] == ["Канатбек Осмонов"]


def test_russian_officials() -> None:
    mentions = _run("Президент Казахстана Касым-Жомарт Токаев встретился с Путиным.", "ru")
    persons = [m for m in mentions if m.kind == "person"]
    assert persons and all(p.profile == "official" for p in persons)
    assert "Kassym-Jomart Tokayev" in {p.canonical for p in persons}


def test_natasha_is_loaded_lazily_and_once() -> None:
    before = actors._natasha.cache_info()
    _run("Russian activist Pavel Smirnov was detained by police in Osh.")
    after_english = actors._natasha.cache_info()
    assert (after_english.hits, after_english.misses) == (before.hits, before.misses)
    _run("Полиция задержала активиста Павла Смирнова.", "ru")
    _run("Полиция задержала активиста Павла Смирнова.", "ru")
    after_russian = actors._natasha.cache_info()
    assert after_russian.misses - before.misses <= 1
    assert after_russian.currsize == 1


# ------------------------------------------------------------------------------------------------
# Robustness
# ------------------------------------------------------------------------------------------------


def test_report_with_every_kind() -> None:
    text = (
        "BISHKEK -- On May 3 the police in Bishkek detained five foreigners after a rally.\n\n"
        "Russian activist Pavel Smirnov, who runs the art space Tikhiy Dvor, said GKNB agents came.\n"
        "Smirnov was fined. The Kyrgyz Interior Ministry did not reply."
    )
    mentions = _run(text)
    assert {m.kind for m in mentions} == KINDS
    assert _by_text(mentions, "GKNB agents").canonical == "kg.gknb"
    assert _by_text(mentions, "Smirnov").canonical == "Pavel Smirnov"
    assert _by_text(mentions, "Tikhiy Dvor").kind == "organization"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t  ",
        "<div class='x'><p>Police detained <b>Aleksei Volkov</b>&nbsp;in Osh</p><script>var A=1;</script>",
        "ГКНБ задержал Aleksei Volkov и пятеро иностранцев; 57 people, «Красная» band “X",
        "\x00\ufeff\u200b A. B. C. D. (((( “““ «« -- -- Ivan",
        "A. " * 2000,
        "the center Foo (" * 500,
        "Aaaa " * 5000,
        "1 2 3 4 5 " * 2000,
    ],
)
def test_hostile_inputs_do_not_crash(text: str) -> None:
    _run(text)
    _run(text, "ru")


def test_one_megabyte_single_line() -> None:
    sentence = "Russian activist Ivan Petrov was detained by the GKNB in Osh and five foreigners were fined. "
    text = sentence * (1_000_000 // len(sentence) + 1)
    mentions = _run(text)
    assert len(mentions) > 10_000


# ------------------------------------------------------------------------------------------------
# Lexicon files
# ------------------------------------------------------------------------------------------------


def _alpha2_ok(code: str | None) -> bool:
    return code is None or pycountry.countries.get(alpha_2=code) is not None


def test_agencies_yaml_schema() -> None:
    entries = load_lexicon_file("agencies.yaml")["agencies"]
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)), "agency ids must be unique"
    for e in entries:
        assert set(e) <= {
            "id",
            "country",
            "patterns",
            "exact",
            "profile",
            "by_country",
            "place_sets_country",
            "requires_country",
        }, e["id"]
        assert isinstance(e["id"], str) and re.fullmatch(r"[a-z]{2}\.[a-z_]+|[a-z_]+", e["id"])
        assert "country" in e and _alpha2_ok(e["country"]), e["id"]
        patterns = list(e.get("patterns") or []) + list(e.get("exact") or [])
        assert e.get("patterns") or e.get("exact"), e["id"]
        for p in patterns:
            assert isinstance(p, str) and p.strip(), e["id"]
            assert p.count("[") == p.count("]"), p
            re.compile(actors.compile_agency_pattern(p))
        for cc, target in (e.get("by_country") or {}).items():
            assert _alpha2_ok(cc) and target in ids, (e["id"], cc, target)
        assert e.get("profile") in (None, "proxy")


def test_every_agency_pattern_is_found_with_its_id() -> None:
    """Each pattern, written out (first and last bracket option), is found and mapped to its entry."""
    for e in load_lexicon_file("agencies.yaml")["agencies"]:
        if e.get("requires_country"):
            continue
        ids = {e["id"], *(e.get("by_country") or {}).values()}
        for p in list(e.get("patterns") or []) + list(e.get("exact") or []):
            for pick in (0, -1):
                phrase = re.sub(r"\[([^\]]*)\]", lambda m, k=pick: m.group(1).split("|")[k], p)
                phrase = phrase.replace("<NAME>", "Chui")
                text = f"Yesterday {phrase} said so."
                found = [m for m in find_actors(text) if m.kind == "agency" and phrase in m.span.text]
                assert found and found[0].canonical in ids, (e["id"], phrase, found)


def test_names_yaml_schema() -> None:
    names = load_lexicon_file("names.yaml")
    for gender in ("male", "female"):
        entries = names["first_names"][gender]
        assert entries
        for entry in entries:
            variants = entry if isinstance(entry, list) else [entry]
            assert variants and all(isinstance(v, str) and v[:1].isupper() for v in variants), entry
    for key in ("strong", "weak"):
        assert all(isinstance(s, str) and s.islower() for s in names["surname_suffixes"][key])
    assert {"kyzy", "uulu", "кызы", "уулу"} <= set(names["name_particles"])
    assert "nationalities" not in names  # one table: nationalities.yaml, shared with the gazetteer
    for official in names["officials"]:
        assert _alpha2_ok(official["country"]) and official["surnames"], official
    for table in ("number_words_en", "number_words_ru"):
        assert all(isinstance(v, int) and v > 0 for v in names[table].values())
    for table in ("profiles_en", "profiles_ru"):
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in names[table].items())
    for key in ("group_nouns_en", "organization_heads_en", "organization_heads_ru", "titles_en", "titles_ru"):
        assert names[key] and all(isinstance(w, str) and w.strip() for w in names[key]), key
    assert set(names["not_name_words"]) >= {"function", "months", "places", "institutions"}


def test_lexicon_compiles() -> None:
    lx = actors.get_lexicon()
    assert lx.agency_index and lx.first_names and lx.officials and lx.triggers
    assert lx.first_names["yulia"] == lx.first_names["julia"]


def test_nationalities_yaml_is_the_one_table_for_actors_and_gazetteer() -> None:
    """nationalities.yaml feeds both the gazetteer and the actors step: every English adjective and
    place, and a stem of every Russian adjective and demonym, reach the actors' lexicon."""
    from kolokol.resolve.gazetteer import country_of_adjective

    data = load_lexicon_file("nationalities.yaml")
    lx = actors.get_lexicon()
    seen = set()
    for entry in data["nationalities"]:
        cc = entry["country"]
        assert _alpha2_ok(cc) and cc not in seen, cc
        seen.add(cc)
        places = entry["places"]
        assert set(places) == {"en", "ru"} and places["en"] and places["ru"], cc
        for word in entry["en"].get("adjectives", []):
            assert lx.adj_en[word] == cc or country_of_adjective(word) != cc, (cc, word)
        for place in places["en"]:
            assert place in lx.place_en, (cc, place)
        for place in places["ru"]:
            assert place in lx.ru_place, (cc, place)
        for word in entry["ru"].get("adjectives", []) + entry["ru"]["demonyms"]:
            w = word.lower()
            if " " not in w:
                assert any(w.startswith(stem) for stem, _ in lx.ru_adj + lx.ru_demonym), (cc, word)
    # Every city adjective of place_adjectives.yaml belongs to a country through its city.
    city_adjectives = load_lexicon_file("place_adjectives.yaml")["ru"]
    stems = {stem for stem, _ in lx.ru_adj}
    assert set(city_adjectives) <= stems, set(city_adjectives) - stems


@pytest.mark.parametrize(("text", "lang", "country"), [
    ("Rwandan police detained him.", "en", "RW"),
    ("Thai immigration police arrested her.", "en", "TH"),
    ("Сотрудники бельгийской полиции задержали его.", "ru", "BE"),
])
def test_nationality_table_gives_agencies_a_country(text: str, lang: str, country: str) -> None:
    found = [a for a in find_actors(text, lang) if a.kind == "agency"]
    assert found and found[0].country == country, found


def test_russian_demonym_stems() -> None:
    stems = actors.ru_demonym_stems(["россиянин", "чеченец", "китаец", "турки", "русский", "казашка", "узбек"])
    assert {"россиян", "чеченц", "чеченец", "китайц", "турк", "русск", "казашк", "узбек"} <= stems
    assert actors.ru_adjective_stems(["кыргызский", "российский"]) == {"кыргызск", "российск"}


@pytest.mark.parametrize("text", [
    "В Бишкеке задержали журналиста Айгуль Бектемирову и её брата Азамата.",
    "Сотрудники ГКНБ вызвали на беседу Ивана Петрова, а затем отпустили.\nМеня зовут Хеда Мусаева.",
    "Суд в Москве заочно арестовал Глеба Стужина; его адвокат Ольга Смирнова обжалует решение.",
    "  ", "Текст без имён, только цифры 12 и 2025 год.",
    "Ризван Алидодов — памирский блогер. Алидодова задержали в метро «Сокол».",
])
def test_the_direct_name_model_path_finds_what_natasha_finds(text: str) -> None:
    """The extractor runs natasha's NER model without natasha's document pipeline (for speed): the
    spans must be those natasha's own `Doc.tag_ner` gives, so a natasha or slovnet upgrade that changes
    the internals it relies on fails here."""
    from natasha import Doc

    from kolokol.extract.actors import _natasha, _ner_tagged

    segmenter, ner, _ = _natasha()
    doc = Doc(text)
    doc.segment(segmenter)
    doc.tag_ner(ner)
    assert _ner_tagged(text) == [(s.start, s.stop, s.type) for s in doc.spans]


@pytest.mark.parametrize(("text", "name"), [
    ("Officers detained Khaled Ramadan at the airport.", "Khaled Ramadan"),
    ("Police in Ankara questioned Mehmet Yilmaz for six hours.", "Mehmet Yilmaz"),
    ("Selam Tesfay received a call from an unknown number.", "Selam Tesfay"),
    ("Gunmen shot Gurpreet Singh Sandhu outside a temple.", "Gurpreet Singh Sandhu"),
    ("A court in Managua stripped Medardo Salazar of his citizenship.", "Medardo Salazar"),
    ("Security officers visited Dilshat Ablimit's parents in Kashgar.", "Dilshat Ablimit"),
])
def test_given_names_of_the_wider_world_make_persons(text: str, name: str) -> None:
    assert name in [a.span.text for a in find_actors(text, "en") if a.kind == "person"]


def test_a_first_name_alone_is_the_one_full_name_it_opens() -> None:
    text = ("Police arrested Jaffar Mansoor, the father of the exiled activist Ali Jaffar Mansoor. "
            "The next day Ali received a threatening call.")
    persons = [(a.span.text, a.canonical) for a in find_actors(text, "en") if a.kind == "person"]
    assert ("Ali", "Ali Jaffar Mansoor") in persons, persons
    assert ("Jaffar Mansoor", "Jaffar Mansoor") in persons, persons  # the father, not his son


def test_two_surnames_alone_are_the_full_name_they_end() -> None:
    text = ("Lorena Quiroga Salinas, a radio host, left Managua in 2022. Her brother Pablo Quiroga stayed. "
            "Police raided the home of Ms Quiroga Salinas in Granada.")
    persons = [(a.span.text, a.canonical) for a in find_actors(text, "en") if a.kind == "person"]
    assert ("Quiroga Salinas", "Lorena Quiroga Salinas") in persons, persons
    assert ("Pablo Quiroga", "Pablo Quiroga") in persons, persons


def test_a_counted_group_of_an_organisations_members() -> None:
    text = ("Sami, a founder of the exile network Free Delta, vanished. Police later detained four other "
            "Free Delta members in Yangon.")
    actors = [(a.kind, a.span.text, a.count) for a in find_actors(text, "en")]
    assert ("group", "four other Free Delta members", 4) in actors, actors
    assert ("organization", "Free Delta", None) in actors, actors  # where the network is named alone


@pytest.mark.parametrize(("text", "name"), [
    ("Guest: Do Quang Vinh, a blogger living in Prague.", "Do Quang Vinh"),
    ("Police in Hue detained Le Van Hieu on Monday.", "Le Van Hieu"),
    ("The court jailed Ho Thi Lan for six years.", "Ho Thi Lan"),
])
def test_a_family_name_written_first_opens_the_name(text: str, name: str) -> None:
    assert name in [a.span.text for a in find_actors(text, "en") if a.kind == "person"]


@pytest.mark.parametrize("text", ["Do Not Enter signs were posted at the gate.", "Le Monde Diplomatique reported it."])
def test_words_that_look_like_such_family_names_are_no_person(text: str) -> None:
    assert not [a for a in find_actors(text, "en") if a.kind == "person"]


def test_a_quoted_russian_name_in_another_case_is_the_same_organisation() -> None:
    text = ("Редакция издания «Крапива» работает в Вильнюсе. В марте почту «Крапивы» взломали. "
            "Главного редактора «Крапивы» Анну Ли вызвали на допрос.")
    orgs = [(a.span.text, a.canonical) for a in find_actors(text, "ru") if a.kind == "organization"]
    assert orgs == [("Крапива", "Крапива"), ("Крапивы", "Крапива")], orgs  # not where the editor works


def test_a_wire_credit_in_parentheses_names_no_actor() -> None:
    text = "Police detained the blogger.\n\n(Reporting by Somchai Rattanakul; Editing by Clare Whitfield)"
    assert not [a for a in find_actors(text, "en") if a.kind == "person"]



@pytest.mark.parametrize(("a", "b", "same"), [
    ("Jaffar Mansoor", "Ali Jaffar Mansoor", False),  # a father inside his son's name
    ("Ivan Petrov", "Ivan Ivanovich Petrov", True),
    ("Petrov", "Ivan Ivanovich Petrov", True),
    ("Aigul Bektemirova", "Bektemirova", True),
    ("Lorena Quiroga Salinas", "Quiroga Salinas", True),  # her two surnames
])
def test_names_contained_in_another(a: str, b: str, same: bool) -> None:
    from kolokol.extract.names import same_person

    assert same_person(a, b) is same


def test_a_city_holding_a_first_name_is_no_person() -> None:
    text = "Exiles in San José say they are followed; Juan Carlos Espinoza was threatened there."
    persons = [a.span.text for a in find_actors(text, "en") if a.kind == "person"]
    assert "San José" not in persons and "Juan Carlos Espinoza" in persons, persons


@pytest.mark.parametrize("text,name,country", [
    ("Officers of the Rapid Action Battalion detained his cousin in Khulna.", "Rapid Action Battalion", "BD"),
    ("The DGCIM arrested his nephew in Valencia.", "DGCIM", "VE"),
    ("The Asayish detained nine party members in Erbil.", "Asayish", "IQ"),
    ("Agents of the SNR took her father away.", "SNR", "BI"),
    ("The Federal Investigation Agency registered a case against the vlogger.", "Federal Investigation Agency",
     "PK"),
    ("The Rwanda Investigation Bureau summoned his sister.", "Rwanda Investigation Bureau",
     "RW"),
])
def test_state_bodies_of_states_beyond_the_post_soviet_space(text, name, country):
    found = [(a.span.text, a.country) for a in find_actors(text) if a.kind == "agency"]
    assert (name, country) in found, found
