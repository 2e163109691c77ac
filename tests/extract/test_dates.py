"""Tests of the date step: explicit, relative and anaphoric dates in English and Russian."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest

from kolokol.domain import DateMention
from kolokol.extract.dates import find_dates
from kolokol.lexicon import load_lexicon

PUB = dt.date(2023, 6, 14)  # a Wednesday
Found = list[tuple[str, str, str]]


def run(
    text: str, pub: dt.date | None = PUB, precision: str | None = "day", lang: str = "en"
) -> list[DateMention]:
    """find_dates plus the invariants every answer must keep."""
    found = find_dates(text, pub, precision, lang)
    for m in found:
        assert text[m.span.start : m.span.end] == m.span.text
        assert m.precision in {"day", "week", "month", "year"}
        assert re.fullmatch(r"dates\.[a-z_]+\.v1", m.rule), m.rule
        if m.precision == "week":
            assert m.value.weekday() == 0, "a week date is the Monday of its window"
    assert [m.span.start for m in found] == sorted(m.span.start for m in found)
    return found


def triples(text: str, pub: dt.date | None = PUB, precision: str | None = "day", lang: str = "en") -> Found:
    return [(m.span.text, m.iso(), m.precision) for m in run(text, pub, precision, lang)]


# --- explicit dates -----------------------------------------------------------------------------

EXPLICIT_EN = [
    ("Police raided the flat on March 7.", [("March 7", "2023-03-07", "day")]),
    ("The hearing was moved to 7 March.", [("7 March", "2023-03-07", "day")]),
    ("She crossed the border on 21 February without papers.", [("21 February", "2023-02-21", "day")]),
    ("He was taken off a bus on February 24, 2023, near Osh.", [("February 24, 2023", "2023-02-24", "day")]),
    ("A vigil was held on 24 February 2023 at the embassy.", [("24 February 2023", "2023-02-24", "day")]),
    ("Officers knocked on Feb. 24 and left a summons.", [("Feb. 24", "2023-02-24", "day")]),
    ("He was let go on the 3rd of May.", [("3rd of May", "2023-05-03", "day")]),
    ("MARCH 7, 2022 - BISHKEK", [("MARCH 7, 2022", "2022-03-07", "day")]),
    ("The order is dated 24.02.2023 and signed.", [("24.02.2023", "2023-02-24", "day")]),
    ("The registry lists 2023-02-24 as his arrival.", [("2023-02-24", "2023-02-24", "day")]),
    ("In February 2023, the venue opened its doors.", [("February 2023", "2023-02", "month")]),
    ("The band was founded in December.", [("December", "2022-12", "month")]),
    ("The choir rehearsed in May.", [("May", "2023-05", "month")]),
    ("She left the country last December.", [("last December", "2022-12", "month")]),
    ("She left the country last June.", [("last June", "2022-06", "month")]),
    ("He moved abroad in March last year.", [("March last year", "2022-03", "month")]),
    ("Pressure grew in early March.", [("March", "2023-03", "month")]),
    ("He has lived in exile since 2020.", [("2020", "2020", "year")]),
    ("In 2022, thousands of people fled.", [("2022", "2022", "year")]),
    ("He studied there in 2019-2021.", [("2019-2021", "2019", "year")]),
    ("Talks dragged on between 2019 and 2021.", [("2019", "2019", "year")]),
    ("Kyiv accused Moscow of breaking the 2014 Minsk agreements.", [("2014", "2014", "year")]),
    ("The festival ran from 2 to 5 June.", [("2 to 5 June", "2023-06-02", "day")]),
    ("The festival ran June 2-5 in the park.", [("June 2-5", "2023-06-02", "day")]),
    ("In March 15 people were detained.", [("March", "2023-03", "month")]),
]

EXPLICIT_RU = [
    ("Активиста задержали 7 марта 2023 г. в Бишкеке.", [("7 марта 2023 г.", "2023-03-07", "day")]),
    ("Суд над ним прошёл 7 марта.", [("7 марта", "2023-03-07", "day")]),
    ("Его выслали 24 февраля 2023 года.", [("24 февраля 2023 года", "2023-02-24", "day")]),
    ("С 2 июня в отделы доставили 57 человек.", [("2 июня", "2023-06-02", "day")]),
    ("В марте он получил повестку.", [("марте", "2023-03", "month")]),
    ("В декабре 2022 года клуб закрыли.", [("декабре 2022 года", "2022-12", "month")]),
    ("Проверки начались в начале марта.", [("марта", "2023-03", "month")]),
    ("Его оштрафовали в декабре прошлого года.", [("декабре прошлого года", "2022-12", "month")]),
    ("Обыск прошёл 7 марта прошлого года.", [("7 марта прошлого года", "2022-03-07", "day")]),
    ("В 2019 году он переехал в Алматы.", [("2019 году", "2019", "year")]),
    ("Он живёт в эмиграции с 2020 года.", [("2020 года", "2020", "year")]),
    ("Её впервые задержали в 2019-м.", [("2019-м", "2019", "year")]),
    ("Фестиваль шёл со 2 по 5 июня.", [("2 по 5 июня", "2023-06-02", "day")]),
    ("Акции шли 2–5 июня.", [("2–5 июня", "2023-06-02", "day")]),
]


@pytest.mark.parametrize(("text", "expected"), EXPLICIT_EN)
def test_explicit_english(text: str, expected: Found) -> None:
    assert triples(text) == expected


@pytest.mark.parametrize(("text", "expected"), EXPLICIT_RU)
def test_explicit_russian(text: str, expected: Found) -> None:
    assert triples(text, lang="ru") == expected


@pytest.mark.parametrize(("text", "lang", "expected"), [
    # PUB is 14 June 2023: the last week of May 2023 holds 28 May, so it starts on Monday 22 May.
    ("In the last week of May, a car stood outside her flat.", "en", [("the last week of May", "2023-05-22", "week")]),
    ("During the first week of March 2021 he was followed.", "en",
     [("the first week of March 2021", "2021-03-01", "week")]),
    ("В последнюю неделю мая у подъезда дежурила машина.", "ru", [("В последнюю неделю мая", "2023-05-22", "week")]),
    ("На второй неделе апреля к ней приходили дважды.", "ru", [("На второй неделе апреля", "2023-04-10", "week")]),
])
def test_a_week_told_by_its_place_in_a_month(text: str, lang: str, expected: Found) -> None:
    assert triples(text, lang=lang) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # PUB is 14 June 2023: a chronicle's "27.04" is this April; "10.06.22" has a two-digit year.
    ("27.04 — в Бишкеке задержан блогер.", [("27.04", "2023-04-27", "day")]),
    ("| 03.05 | обыск у родителей |", [("03.05", "2023-05-03", "day")]),
    ("10.06.22 его объявили в розыск.", [("10.06.22", "2022-06-10", "day")]),
    # numbers that are no dates: articles, shares, times, sums
    ("Его оштрафовали по ст. 20.2 КоАП.", []),
    ("Дело возбудили по ч. 1 ст. 19.11.", []),
    ("Рост составил 10.05%.", []),
    ("Встреча началась в 10.05 утра.", []),
    ("Article 12.01 of the Code applies.", []),
])
def test_a_day_and_month_in_digits(text: str, expected: Found) -> None:
    assert triples(text, lang="ru") == expected


def test_rules_name_the_form() -> None:
    rules = [m.rule for m in run("On March 7, 2023 and 8 March and 9 марта and 2023-03-10 and yesterday.")]
    assert rules == ["dates.en_month_day.v1", "dates.en_day_month.v1", "dates.ru_day_month.v1",
                     "dates.iso.v1", "dates.yesterday.v1"]


# --- year inference -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "pub", "lang", "expected"),
    [
        ("The raid happened on December 28.", dt.date(2023, 1, 5), "en", "2022-12-28"),
        ("Обыск прошёл 28 декабря.", dt.date(2023, 1, 5), "ru", "2022-12-28"),
        ("The raid happened on January 3.", dt.date(2023, 1, 5), "en", "2023-01-03"),
        ("A trial is set for March 5.", dt.date(2023, 1, 10), "en", "2023-03-05"),  # 54 days ahead: kept
        ("The raid happened on March 20.", dt.date(2023, 1, 10), "en", "2022-03-20"),  # 69 days ahead
        ("The club was shut in December.", dt.date(2023, 1, 5), "en", "2022-12"),
        ("It happened last week.", dt.date(2023, 1, 4), "en", "2022-12-26"),
        ("It happened yesterday.", dt.date(2023, 1, 1), "en", "2022-12-31"),
    ],
)
def test_year_inference_across_new_year(text: str, pub: dt.date, lang: str, expected: str) -> None:
    [m] = run(text, pub, lang=lang)
    assert m.iso() == expected


# --- relative to the publication date ---------------------------------------------------------

RELATIVE = [
    ("He was detained yesterday.", "en", ("yesterday", "2023-06-13", "day")),
    ("He was detained today.", "en", ("today", "2023-06-14", "day")),
    ("Police came last week.", "en", ("last week", "2023-06-05", "week")),
    ("Police came this week.", "en", ("this week", "2023-06-12", "week")),
    ("The centre closed earlier this month.", "en", ("earlier this month", "2023-06", "month")),
    ("The centre closed last month.", "en", ("last month", "2023-05", "month")),
    ("The centre closed last year.", "en", ("last year", "2022", "year")),
    ("The law passed this year.", "en", ("this year", "2023", "year")),
    ("Arrests grew in recent days.", "en", ("in recent days", "2023-06-05", "week")),
    ("Arrests grew in recent weeks.", "en", ("in recent weeks", "2023-06", "month")),
    ("He arrived last spring.", "en", ("last spring", "2023-03", "month")),
    ("He arrived last fall.", "en", ("last fall", "2022-09", "month")),
    ("He arrived in the summer of 2022.", "en", ("summer of 2022", "2022-06", "month")),
    ("He was called in three days ago.", "en", ("three days ago", "2023-06-11", "day")),
    ("He was called in a week ago.", "en", ("a week ago", "2023-06-07", "day")),
    ("He was called in 10 days ago.", "en", ("10 days ago", "2023-06-04", "day")),
    ("He fled two years ago.", "en", ("two years ago", "2021", "year")),
    ("Его задержали вчера.", "ru", ("вчера", "2023-06-13", "day")),
    ("Его вызвали на прошлой неделе.", "ru", ("на прошлой неделе", "2023-06-05", "week")),
    ("Центр закрыли в прошлом месяце.", "ru", ("в прошлом месяце", "2023-05", "month")),
    ("Проверка прошла в начале месяца.", "ru", ("в начале месяца", "2023-06", "month")),
    ("Он переехал в прошлом году.", "ru", ("в прошлом году", "2022", "year")),
    ("Его выслали три дня назад.", "ru", ("три дня назад", "2023-06-11", "day")),
    ("Его выслали неделю назад.", "ru", ("неделю назад", "2023-06-07", "day")),
    ("На днях его допросили.", "ru", ("На днях", "2023-06-05", "week")),
    ("Он уехал прошлой осенью.", "ru", ("прошлой осенью", "2022-09", "month")),
    ("Он уехал весной 2021 года.", "ru", ("весной 2021 года", "2021-03", "month")),
    ("Накануне в Оше задержали двух блогеров.", "ru", ("Накануне", "2023-06-13", "day")),
]


@pytest.mark.parametrize(("text", "lang", "expected"), RELATIVE)
def test_relative_to_publication(text: str, lang: str, expected: tuple[str, str, str]) -> None:
    assert triples(text, lang=lang) == [expected]


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("The court ruled on Tuesday.", "en", ("Tuesday", "2023-06-13")),
        ("The court ruled on Wednesday.", "en", ("Wednesday", "2023-06-14")),  # publication day itself
        ("The court ruled on Thursday.", "en", ("Thursday", "2023-06-08")),
        ("The court ruled last Wednesday.", "en", ("last Wednesday", "2023-06-07")),
        ("Monday's hearing was closed.", "en", ("Monday", "2023-06-12")),
        ("В понедельник суд отклонил жалобу.", "ru", ("понедельник", "2023-06-12")),
        ("Во вторник суд отклонил жалобу.", "ru", ("вторник", "2023-06-13")),
        ("В прошлую среду суд отклонил жалобу.", "ru", ("прошлую среду", "2023-06-07")),
        ("В ночь на субботу его увезли.", "ru", ("субботу", "2023-06-10")),
    ],
)
def test_weekdays(text: str, lang: str, expected: tuple[str, str]) -> None:
    assert [(m.span.text, m.iso()) for m in run(text, lang=lang)] == [expected]


def test_weekday_followed_by_its_date_gives_the_date_only() -> None:
    assert triples("Tuesday, March 7, 2023: police came.") == [("March 7, 2023", "2023-03-07", "day")]


def test_a_bare_weekday_continues_the_week_of_a_past_date_written_with_its_weekday() -> None:
    # Publication: Wednesday 14 June 2023; the story is in March.
    assert triples("В среду, 1 марта, брата забрали с работы. Три дня мы не знали, где он. Отпустили его "
                   "в субботу вечером. На следующий день, в воскресенье, маму вызвали в полицию.", lang="ru") == [
        ("1 марта", "2023-03-01", "day"), ("субботу", "2023-03-04", "day"),
        ("На следующий день", "2023-03-05", "day"), ("воскресенье", "2023-03-05", "day")]
    assert triples("On Friday, March 3, he was taken from his flat. He was released on Monday.") == [
        ("March 3", "2023-03-03", "day"), ("Monday", "2023-03-06", "day")]
    # A date written without its weekday is background: the weekday after it is this week's.
    assert triples("Police detained him on 3 March. On Monday a court extended his arrest.") == [
        ("3 March", "2023-03-03", "day"), ("Monday", "2023-06-12", "day")]
    # So is a weekday-dated day of this week.
    assert triples("On Monday, June 12, he was detained. He was released on Tuesday.") == [
        ("June 12", "2023-06-12", "day"), ("Tuesday", "2023-06-13", "day")]


def test_counted_from_an_act_told_by_another_word_past_a_sentence_that_only_counts_from_it() -> None:
    assert triples("On Friday, 2 June, the blogger was stabbed in Lyon. Two months before the attack, in April, "
                   "he received threats. Two days after the attack, his parents were detained.") == [
        ("2 June", "2023-06-02", "day"), ("Two months before", "2023-04", "month"), ("April", "2023-04", "month"),
        ("Two days after", "2023-06-04", "day")]


# --- coarse or missing publication dates ---------------------------------------------------------

MONTH_PUB = dt.date(2023, 6, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He was seized on June 5.", [("June 5", "2023-06-05", "day")]),
        ("A trial opens on August 10.", [("August 10", "2023-08-10", "day")]),  # 41 days after June 30
        ("He was seized on October 1.", [("October 1", "2022-10-01", "day")]),
        ("He was seized yesterday.", [("yesterday", "2023-06", "month")]),
        ("He was seized last week.", [("last week", "2023-06", "month")]),
        ("He was seized last month.", [("last month", "2023-05", "month")]),
        ("He was seized on Tuesday.", []),
        ("В понедельник его задержали.", []),
        ("The same day, the centre was shut.", [("The same day", "2023-06", "month")]),
    ],
)
def test_month_precise_publication(text: str, expected: Found) -> None:
    assert triples(text, MONTH_PUB, "month") == expected


def test_without_publication_date_only_dated_expressions_remain() -> None:
    text = ("On March 7, 2023 he was detained; the next day he was released. "
            "On May 5 he left. Yesterday he spoke, on Tuesday he wrote, last week he hid. In 2021 too.")
    assert triples(text, None, None) == [
        ("March 7, 2023", "2023-03-07", "day"),
        ("the next day", "2023-03-08", "day"),
        ("2021", "2021", "year"),
    ]


def test_none_precision_means_day() -> None:
    assert triples("It happened on Tuesday.", PUB, None) == [("Tuesday", "2023-06-13", "day")]


# --- anaphora ------------------------------------------------------------------------------------

def test_english_anaphora_chain() -> None:
    text = ("Police detained him on 3 May. The next day he was questioned, two days later he was "
            "deported, and that same day his flat was searched.")
    assert triples(text) == [
        ("3 May", "2023-05-03", "day"),
        ("The next day", "2023-05-04", "day"),
        ("two days later", "2023-05-06", "day"),
        ("that same day", "2023-05-06", "day"),
    ]


def test_russian_anaphora_chain() -> None:
    text = ("Его задержали 3 мая, на следующий день допросили, через два дня выслали, "
            "в тот же день закрыли центр.")
    assert triples(text, lang="ru") == [
        ("3 мая", "2023-05-03", "day"),
        ("на следующий день", "2023-05-04", "day"),
        ("через два дня", "2023-05-06", "day"),
        ("в тот же день", "2023-05-06", "day"),
    ]


def test_anaphora_uses_last_date_told_not_publication() -> None:
    text = "The raid was on 1 April. Fifteen days after, the centre closed. A day later, it reopened."
    assert triples(text) == [
        ("1 April", "2023-04-01", "day"),
        ("Fifteen days after", "2023-04-16", "day"),
        ("A day later", "2023-04-17", "day"),
    ]


def test_n_days_after_a_written_date_is_anchored_on_it() -> None:
    text = "On 10 May the court met. The ban took effect three days after March 3."
    found = triples(text)
    assert ("three days after", "2023-03-06", "day") in found


def test_anaphora_keeps_the_precision_of_its_anchor() -> None:
    assert triples("In March 2022 he was detained; two days later he was deported.") == [
        ("March 2022", "2022-03", "month"),
        ("two days later", "2022-03", "month"),
    ]
    assert triples("В 2019 году его оштрафовали, а на следующий день выслали.", lang="ru") == [
        ("2019 году", "2019", "year"),
        ("на следующий день", "2019", "year"),
    ]
    assert triples("Last week police detained him; the next day he was fined.") == [
        ("Last week", "2023-06-05", "week"),
        ("the next day", "2023-06-05", "week"),
    ]


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("The following day he was freed.", "en", []),
        ("Через два дня его отпустили.", "ru", []),
        ("Days later he was freed.", "en", []),
        ("A few days later he was freed.", "en", []),
        ("The same day, the centre was shut.", "en", [("The same day", "2023-06-14", "day")]),
        ("В тот же день центр закрыли.", "ru", [("В тот же день", "2023-06-14", "day")]),
    ],
)
def test_anaphora_without_earlier_date(text: str, lang: str, expected: Found) -> None:
    assert triples(text, lang=lang) == expected


# --- things that are not dates ------------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "Under Article 431 of the Code of Offenses he was fined KGS 5,500 (USD 63).",
        "Around 85,000 people signed, and USD 2023 was sent to the fund.",
        "Call +996 312 62 12 03 or 0555 123 456 for help.",
        "According to 24.kg, police questioned the organisers.",
        "The patch is version 1.2.3; see room 12/05.",
        "He won the vote by 2000 votes.",
        "They may march on the square.",
        "June Smith, a musician, spoke first.",
        "The fall of the regime surprised everyone.",
        "Black Friday sales and Good Friday services.",
        "Ему грозит ст. 280 УК РФ и штраф 30 000 рублей; задержаны 57 человек.",
        "Городская среда стала враждебной.",
        "Лагерь стоял в 2000 километрах от границы.",
        "Накануне выборов власти усилили давление.",
        "",
    ],
)
def test_not_dates(text: str) -> None:
    assert run(text, lang="ru" if re.search("[а-я]", text) else "en") == []


# --- robustness ----------------------------------------------------------------------------------

def test_mixed_scripts_and_html_remnants() -> None:
    text = "<td>7 марта</td><td>2023-02-24</td><p>On&nbsp;March 8 в 2019 году</p>"
    assert triples(text) == [
        ("7 марта", "2023-03-07", "day"),
        ("2023-02-24", "2023-02-24", "day"),
        ("March 8", "2023-03-08", "day"),
        ("2019 году", "2019", "year"),
    ]


def test_one_megabyte_line_finishes() -> None:
    rng = random.Random(7)
    pieces = ["7", "24", "2023", "March", "марта", "the", "в", "next", "day", ".", "-", "/", ",", "&nbsp;",
              "<b>", "İ", "aaaa", "19", "20", "later", "after", "через", "дня"]
    text = " ".join(rng.choice(pieces) for _ in range(250_000))[:1_000_000]
    found = run(text)  # the invariants hold; no catastrophic backtracking (this would hang)
    assert found and all(m.span.end <= len(text) for m in found)
    assert run("9" * 1_000_000) == []
    assert run(" " * 1_000_000) == []


def test_every_relative_phrase_of_the_lexicon_is_found() -> None:
    data = load_lexicon("dates.yaml")
    for key, entry in data["relative"].items():
        for lang in ("en", "ru"):
            for phrase in entry.get(lang, []):
                prefix = "On 1 May 2023 it began. " if lang == "en" else "1 мая 2023 года всё началось. "
                text = f"{prefix}{phrase[0].upper()}{phrase[1:]}, it went on."
                found = run(text, lang=lang)
                spans = [(m.span.start, m.rule) for m in found]
                assert (len(prefix), f"dates.{key}.v1") in spans, (phrase, spans)


@pytest.mark.parametrize(("text", "lang", "expected"), [
    # A wire dateline's date is when the report was filed: only the act's own date is found.
    ("ASTANA, March 3 (Steppe Wire) - Police detained two bloggers on Saturday.", "en",
     [("Saturday", "2023-06-10", "day")]),
    ("TBILISI, Georgia, June 12, 2023 (AP) — Border guards turned back an exile on 9 June.", "en",
     [("9 June", "2023-06-09", "day")]),
    ("ОШ, 13 июня — Ферганский вестник. Во вторник задержали активиста.", "ru",
     [("вторник", "2023-06-13", "day")]),
])
def test_dateline_date_is_not_an_act_date(text: str, lang: str, expected: Found) -> None:
    assert triples(text, lang=lang) == expected


def test_a_dated_sentence_starting_with_capitals_is_no_dateline() -> None:
    assert triples("NGO LAWYERS, on 12 June - the day of the hearing - walked out.") == [
        ("12 June", "2023-06-12", "day")]


def test_yearless_date_after_publication_continues_the_story_year() -> None:
    # Published January 2026; the judgment tells events of February 2025 with the year once.
    text = ("On 17 February 2025 the men lured him to a car park. The video appeared on 19 February. "
            "The following day, police detained his father.")
    found = run(text, pub=dt.date(2026, 1, 20))
    assert [(m.span.text, m.value.isoformat()) for m in found] == [
        ("17 February 2025", "2025-02-17"), ("19 February", "2025-02-19"), ("The following day", "2025-02-20")]
    assert found[1].rule == "dates.story_year.v1"


def test_yearless_date_already_past_keeps_the_publication_year() -> None:
    # A background paragraph with an old year does not pull the story back to that year.
    text = "On February 26, 2022, the Kremlin published a readout. Police detained the artists on March 7."
    found = run(text, pub=dt.date(2023, 3, 30))
    assert found[-1].value == dt.date(2023, 3, 7)
    # Nor does a bare year: "in 2019 ... on 12 March" of a report of July 2023 is March 2023.
    found = run("He was jailed in 2019. On 12 March police detained him again.", pub=dt.date(2023, 7, 1))
    assert found[-1].value == dt.date(2023, 3, 12)


def test_a_story_year_is_forgotten_once_the_report_returns_to_its_own_time() -> None:
    text = ("On 2 December 2025 he was questioned. Last week police searched his flat. "
            "A hearing is set for 10 February.")
    found = run(text, pub=dt.date(2026, 1, 14))
    assert found[-1].value == dt.date(2026, 2, 10)


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("Police came on the night of 4 to 5 June.", "en", "2023-06-05"),
    ("В ночь с 4 на 5 июня пришли полицейские.", "ru", "2023-06-05"),
    ("В ночь со 2 на 3 июня пришли полицейские.", "ru", "2023-06-03"),
    ("He was held from 2 to 5 June.", "en", "2023-06-02"),
    ("Его держали со 2 по 5 июня.", "ru", "2023-06-02"),
])
def test_a_night_told_by_two_days_is_dated_by_the_morning_it_ends_in(text: str, lang: str, expected: str) -> None:
    """A range of days is dated by its first day; a night "of 4 to 5 June" by the second."""
    assert [(d.value.isoformat(), d.precision) for d in run(text, lang=lang)] == [(expected, "day")]


@pytest.mark.parametrize("lang,text,expected", [
    ("ru", "Он жил там. 12 мая он пропал. Через два дня его показали по телевизору.", "2025-05-14"),
    ("en", "He lived there. On 12 May he vanished. Two days later he was shown on television.", "2025-05-14"),
])
def test_a_background_verb_in_an_earlier_sentence_does_not_void_the_anchor(lang, text, expected):
    """"He lived there. On 12 May ...": "lived" belongs to the sentence before, so 12 May still anchors
    "two days later" (the background look-back stops at a sentence end)."""
    found = find_dates(text, dt.date(2025, 6, 20), "day", lang)
    assert [d.iso() for d in found][-1] == expected, [(d.span.text, d.iso()) for d in found]


@pytest.mark.parametrize("text,expected", [
    ("Третьего февраля я выступила на митинге.", "2025-02-03"),
    ("Двадцать пятого мая 2024 года его задержали.", "2024-05-25"),
    ("Тридцать первого декабря прошлого года он уехал.", "2024-12-31"),
])
def test_a_russian_day_told_as_an_ordinal_word(text, expected):
    found = find_dates(text, dt.date(2025, 6, 20), "day", "ru")
    assert [d.iso() for d in found] == [expected]


@pytest.mark.parametrize("lang,text", [
    ("ru", "Утром 9 марта его затолкали в микроавтобус. В сентябре суд отклонил жалобу.\n\n"
           "Через неделю после похищения к его матери пришли сотрудники ФСБ."),
    ("en", "On 9 March four men bundled him into a van. In September the court rejected his appeal.\n\n"
           "A week after the abduction, officers visited his mother."),
])
def test_after_an_act_told_with_another_word_counts_from_that_act(lang, text):
    """"через неделю после похищения" when the abduction was told as "затолкали в микроавтобус": the
    anchor is the date of that act, not the last date told."""
    found = find_dates(text, dt.date(2025, 11, 20), "day", lang)
    assert found[-1].iso() == "2025-03-16", [(d.span.text, d.iso()) for d in found]


@pytest.mark.parametrize("lang,text,expected", [
    ("ru", "В ночь на 14 октября полиция задержала Ивана Орлова. В марте 2023 года МВД объявило его в розыск. "
           "На следующий день после задержания его брата вызвали в отдел.", "2025-10-15"),
    ("en", "Police detained Ivan Orlov on 14 October. In March 2023 the ministry put him on a wanted list. "
           "The day after the arrest his brother was summoned.", "2025-10-15"),
    ("en", "Police detained Ivan Orlov on 14 October. In March 2023 the ministry put him on a wanted list. "
           "The day after his detention, officers searched his flat.", "2025-10-15"),
    ("ru", "Утром 9 марта Ивана задержали. В мае суд отклонил жалобу. "
           "За день до задержания за ним следили.", "2025-03-08"),
])
def test_the_next_day_after_a_named_act_counts_from_that_act(lang, text, expected):
    """"На следующий день после задержания" counts from the arrest, not from the last date told
    (here a background date two years earlier)."""
    found = find_dates(text, dt.date(2025, 10, 20), "day", lang)
    assert found[-1].iso() == expected, [(d.span.text, d.iso()) for d in found]


def test_an_after_phrase_of_a_relative_date_does_not_tell_the_act():
    """"На следующий день после обыска мне позвонили" counts from the search; it is not itself the
    sentence of the search for a later "через неделю после обыска"."""
    text = ("В ночь на 3 февраля к родителям пришли с обыском. На следующий день после обыска мне позвонили. "
            "Через неделю после обыска брата уволили.")
    found = find_dates(text, dt.date(2026, 3, 1), "day", "ru")
    assert [d.iso() for d in found] == ["2026-02-03", "2026-02-04", "2026-02-10"]


@pytest.mark.parametrize("text,expected", [
    ("Канал признали экстремистским ещё позапрошлой весной.", ("2024-03", "month")),
    ("Его задержали в позапрошлую среду.", ("2026-03-04", "day")),
    ("Прошлой весной его вызвали на беседу.", ("2025-03", "month")),
])
def test_the_season_or_weekday_before_last(text, expected):
    found = find_dates(text, dt.date(2026, 3, 12), "day", "ru")
    assert [(d.iso(), d.precision) for d in found] == [expected]


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("en", "The editor was stabbed on Saturday, 10 June. In May he had received threats. "
           "The same night, police searched his parents' flat.", "2023-06-10"),
    ("ru", "В субботу, 10 июня, редактора ранили ножом. Ещё в мае ему угрожали. "
           "В ту же ночь у его родителей прошёл обыск.", "2023-06-10"),
])
def test_the_same_night_goes_back_to_the_last_day_told(lang, text, expected):
    """A month told in between ('In May') is a flashback: 'the same night' needs a day."""
    found = run(text, lang=lang)
    same = [m for m in found if m.rule == "dates.same_day.v1"]
    assert [(m.value.isoformat(), m.precision) for m in same] == [(expected, "day")]


@pytest.mark.parametrize("text", [
    "On 5 June his cousin was arrested and held for three days before being released on bail.",
    "On 5 June the blogger was questioned for two hours after the search ended.",
])
def test_a_duration_with_for_is_no_date(text):
    found = run(text)
    assert [(m.span.text, m.value.isoformat()) for m in found] == [("5 June", "2023-06-05")]


def test_before_the_attack_counts_from_the_act_told_as_a_hammer_blow():
    text = ("On 6 June 2023 a man struck the blogger on the head with a hammer outside his flat. "
            "In May he had seen a car parked in his street. "
            "Two days before the attack, he received a voice message.")
    found = run(text)
    counted = [m for m in found if "before" in m.span.text]
    assert [(m.value.isoformat(), m.precision) for m in counted] == [("2023-06-04", "day")], [
        (m.span.text, m.value, m.rule) for m in found]
