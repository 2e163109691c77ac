"""find_legal and find_outcomes: legal bases and outcomes in English and Russian, money parsing,
the schema of legal.yaml, and hostile input."""

from __future__ import annotations

import random
import re

import pycountry
import pytest
import yaml

from kolokol.extract.legal import find_legal, find_money, find_outcomes, outcome_rules, parse_amount
from kolokol.lexicon import lexicon_path


def legal(text: str, lang: str = "en") -> list[tuple[str, str | None, str | None, str | None]]:
    found = find_legal(text, lang)
    for m in found:
        assert text[m.span.start:m.span.end] == m.span.text == m.text
    return [(m.text, m.article, m.part, m.code) for m in found]


def outcomes(text: str, lang: str = "en") -> list[tuple[str, str]]:
    found = find_outcomes(text, lang)
    assert [o.span.start for o in found] == sorted(o.span.start for o in found)
    for o in found:
        assert text[o.span.start:o.span.end] == o.span.text
    return [(o.kind, o.text) for o in found]


# ---------------------------------------------------------------- legal bases


def test_article_of_the_code_of_offenses_and_later_references() -> None:
    text = ("The organisers were charged under Article 431 of the Code of Offenses. A week later the "
            "same Article 431 was cited against a second man, and Article 431 again in March.")
    found = find_legal(text)
    assert [(m.text, m.article, m.code) for m in found] == [
        ("Article 431 of the Code of Offenses", "431", "KG Code of Offenses"),
        ("Article 431", "431", "KG Code of Offenses"),
        ("Article 431", "431", "KG Code of Offenses"),
    ]
    assert found[1].rule == "legal.article_same.v1"
    assert found[2].rule == "legal.article.v1"


def test_bare_article_without_antecedent_has_no_code() -> None:
    assert legal("They referred to Article 12 only.") == [("Article 12", "12", None, None)]


@pytest.mark.parametrize(("text", "expected"), [
    ("He stands accused under Articles 205 and 280 of the Criminal Code.",
     ("Articles 205 and 280 of the Criminal Code", "205,280", None, "Criminal Code")),
    ("Prosecutors chose Part 2 of Article 280 of the Russian Criminal Code.",
     ("Part 2 of Article 280 of the Russian Criminal Code", "280", "2", "RU Criminal Code")),
    ("a case under Article 330 of the Criminal Code of the Kyrgyz Republic",
     ("Article 330 of the Criminal Code of the Kyrgyz Republic", "330", None, "KG Criminal Code")),
    ("Article 20.3.3 of the Code of Administrative Offenses of the Russian Federation",
     ("Article 20.3.3 of the Code of Administrative Offenses of the Russian Federation", "20.3.3", None,
      "RU Code of Administrative Offenses")),
    ("under Russia's Criminal Code Article 207.3",
     ("Russia's Criminal Code Article 207.3", "207.3", None, "RU Criminal Code")),
    ("the Kazakh Criminal Code, Article 174, part 2",
     ("Kazakh Criminal Code, Article 174, part 2", "174", "2", "KZ Criminal Code")),
])
def test_english_articles(text: str, expected: tuple[str, str | None, str | None, str | None]) -> None:
    assert legal(text) == [expected]


@pytest.mark.parametrize(("text", "expected"), [
    ("Ему вменили ч. 2 ст. 280 УК РФ.", ("ч. 2 ст. 280 УК РФ", "280", "2", "RU Criminal Code")),
    ("Дело завели по части 2 статьи 207.3 УК.", ("части 2 статьи 207.3 УК", "207.3", "2", "Criminal Code")),
    ("Протокол составлен по статье 20.3.3 КоАП.",
     ("статье 20.3.3 КоАП", "20.3.3", None, "Code of Administrative Offenses")),
    ("Обвинение по ст. 330 Уголовного кодекса Кыргызстана.",
     ("ст. 330 Уголовного кодекса Кыргызстана", "330", None, "KG Criminal Code")),
    ("по п. «б» ч. 2 ст. 207.3 УК РФ", ("п. «б» ч. 2 ст. 207.3 УК РФ", "207.3", "2", "RU Criminal Code")),
    ("по ст.ст. 205, 280 УК РФ", ("ст.ст. 205, 280 УК РФ", "205,280", None, "RU Criminal Code")),
    ("Статьей 280 Уголовного кодекса Российской Федерации",
     ("Статьей 280 Уголовного кодекса Российской Федерации", "280", None, "RU Criminal Code")),
    ("штраф по статье 66 Кодекса о правонарушениях",
     ("статье 66 Кодекса о правонарушениях", "66", None, "KG Code of Offenses")),
    # The hyphenated numbers of the Belarusian and Kazakh codes are one article.
    ("дело по ч. 1 ст. 361-4 УК Республики Беларусь",
     ("ч. 1 ст. 361-4 УК Республики Беларусь", "361-4", "1", "BY Criminal Code")),
    ("оштрафовали по статье 456-2 КоАП РК",
     ("статье 456-2 КоАП РК", "456-2", None, "KZ Code of Administrative Offenses")),
])
def test_russian_articles(text: str, expected: tuple[str, str | None, str | None, str | None]) -> None:
    assert legal(text, "ru") == [expected]


def test_code_country_from_context() -> None:
    text = "A judge in Bishkek opened a case under Article 330 of the Criminal Code."
    assert legal(text)[0][3] == "KG Criminal Code"
    text = "Российские следователи возбудили дело по статье 280 Уголовного кодекса."
    assert legal(text, "ru")[0][3] == "RU Criminal Code"


@pytest.mark.parametrize(("text", "expected"), [
    ("She was labelled under the law on foreign agents last year.",
     ("law on foreign agents", "law on foreign agents")),
    ("Russia's legislation on “foreign agents” was cited.",
     ("Russia's legislation on “foreign agents”", "RU law on foreign agents")),
    ("A Kyrgyz law on foreign representatives took effect.",
     ("Kyrgyz law on foreign representatives", "KG law on foreign representatives")),
    ("Его признали по закону об иностранных агентах.",
     ("закону об иностранных агентах", "law on foreign agents")),
    ("Российский закон о нежелательных организациях применили к фонду.",
     ("Российский закон о нежелательных организациях", "RU law on undesirable organizations")),
])
def test_named_laws(text: str, expected: tuple[str, str]) -> None:
    found = find_legal(text)
    assert [(m.text, m.code) for m in found] == [expected]
    assert found[0].article is None


@pytest.mark.parametrize("text", [
    "ARTICLE 19 criticised the verdict.",
    "The article was published in 2023.",
    "He read 280 articles about the law.",
    "Статья вышла 20 марта.",
    "the code of conduct",
    "",
])
def test_not_legal_bases(text: str) -> None:
    assert find_legal(text) == []


# ---------------------------------------------------------------- money


@pytest.mark.parametrize(("number", "multiplier", "value"), [
    ("5,500", None, 5500.0), ("5500", None, 5500.0), ("30 000", None, 30000.0),
    ("30\u00a0000", None, 30000.0), ("30\u202f000", None, 30000.0), ("30\u2009000", None, 30000.0),
    ("5.500", None, 5500.0), ("1.5", "million", 1_500_000.0), ("1,5", "млн", 1_500_000.0),
    ("5", "тысяч", 5000.0), ("5", "тыс.", 5000.0),
    ("10.000,50", None, 10000.5), ("2,000.75", None, 2000.75), ("63", None, 63.0), ("0.5", None, 0.5),
    ("2", "billion", 2e9), ("3", "млрд", 3e9),
])
def test_parse_amount(number: str, multiplier: str | None, value: float) -> None:
    assert parse_amount(number, multiplier) == value


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("KGS 5,500", 5500.0, "KGS"), ("5,500 soms", 5500.0, "KGS"), ("200 US dollars", 200.0, "USD"),
    ("$63", 63.0, "USD"), ("USD 63", 63.0, "USD"), ("5 тысяч рублей", 5000.0, "RUB"),
    ("30 000 тенге", 30000.0, "KZT"), ("1.5 million rubles", 1_500_000.0, "RUB"), ("€200", 200.0, "EUR"),
    ("50 000 белорусских рублей", 50000.0, "BYN"), ("10,000-ruble", 10000.0, "RUB"),
    ("1 000 000 сумов", 1_000_000.0, "UZS"), ("2 000 сомов", 2000.0, "KGS"), ("700 сомони", 700.0, "TJS"),
])
def test_find_money(text: str, amount: float, currency: str) -> None:
    found = find_money(f"paid {text} today")
    assert [(m.amount, m.currency) for m in found] == [(amount, currency)]


@pytest.mark.parametrize("text", ["in 2023", "Article 431", "5,500 people", "the 1990s", "100 km"])
def test_no_money(text: str) -> None:
    assert find_money(text) == []


# ---------------------------------------------------------------- outcomes


def test_fines_with_conversion_and_each() -> None:
    text = "The two organisers were fined KGS 5,500 (USD 63) each and released the same day."
    found = find_outcomes(text)
    assert [(o.kind, o.text, o.amount, o.currency) for o in found] == [
        ("fine", "fined 5500 KGS (63 USD) each", 5500.0, "KGS"),
        ("released", "released the same day", None, None),
    ]
    assert found[0].span.text == "fined KGS 5,500 (USD 63)"


def test_several_fines_in_one_sentence() -> None:
    text = "A judge fined one man 5,500 soms, another 200 US dollars and a third $63."
    assert outcomes(text) == [("fine", "fined 5500 KGS"), ("fine", "fined 200 USD"), ("fine", "fined 63 USD")]


@pytest.mark.parametrize(("text", "label"), [
    ("Суд назначил штраф в размере 5 тысяч рублей.", "fined 5000 RUB"),
    ("Её оштрафовали на 30 000 тенге.", "fined 30000 KZT"),
    ("He was fined 1.5 million rubles.", "fined 1500000 RUB"),
    ("She got a 10,000-ruble fine.", "fined 10000 RUB"),
    ("The penalty was USD 63.", "fined 63 USD"),
])
def test_fine_amounts(text: str, label: str) -> None:
    assert outcomes(text) == [("fine", label)]


def test_money_without_a_fine_is_not_a_fine() -> None:
    assert outcomes("He paid 500 dollars for the flight. Rent is 20 000 сомов.") == []


@pytest.mark.parametrize(("text", "expected"), [
    ("Both men were released late that night.", [("released", "released")]),
    ("The activist was released the same day.", [("released", "released the same day")]),
    ("Police released them on the same day.", [("released", "released the same day")]),
    ("Её отпустили в тот же день.", [("released", "released the same day")]),
    ("Задержанного позже освободили.", [("released", "released")]),
    ("Журналист освобожден.", [("released", "released")]),
    ("The blogger remains in custody.", [("held", "held")]),
    ("He was held in detention for two months.", [("held", "held for 2 months")]),
    ("A judge remanded him for 2 months.", [("held", "held for 2 months")]),
    ("Суд арестовал его на 2 месяца.", [("held", "held for 2 months")]),
    ("Активиста арестован на 10 суток.", [("held", "held for 10 days")]),
    ("Её поместили в СИЗО.", [("held", "held")]),
    ("He was deported to Uzbekistan.", [("deported", "deported to Uzbekistan")]),
    ("The couple were expelled.", [("deported", "deported")]),
    ("Его депортировали в Таджикистан.", [("deported", "deported to Tajikistan")]),
    ("Гражданина выдворили.", [("deported", "deported")]),
    ("He was handed over to Russia in May.", [("handed_over", "handed over to Russia")]),
    ("Weeks later he turned up in a Russian court.", [("handed_over", "handed over to Russia")]),
    ("He was extradited to Tajikistan.", [("handed_over", "extradited to Tajikistan")]),
    ("Его передали российским властям.", [("handed_over", "handed over to Russia")]),
    ("Активиста выдали России.", [("handed_over", "handed over to Russia")]),
    ("Он был экстрадирован в Узбекистан.", [("handed_over", "extradited to Uzbekistan")]),
    ("A court sentenced him to nine years.", [("sentenced", "sentenced to 9 years")]),
    ("He was sentenced in absentia to 1 year.", [("sentenced", "sentenced to 1 year")]),
    ("She faces a new nine-year prison sentence.", [("sentenced", "sentenced to 9 years")]),
    ("He was sentenced to two and a half years.", [("sentenced", "sentenced to 2.5 years")]),
    ("Его приговорили к 6 годам колонии.", [("sentenced", "sentenced to 6 years")]),
    ("Суд приговорил блогера заочно к шести годам.", [("sentenced", "sentenced to 6 years")]),
    ("Её приговорили к 3,5 годам.", [("sentenced", "sentenced to 3.5 years")]),
    ("He was acquitted.", [("other", "acquitted")]),
    ("They were fined.", [("fine", "fined")]),
    ("Он был оштрафован.", [("fine", "fined")]),
])
def test_outcome_kinds(text: str, expected: list[tuple[str, str]]) -> None:
    assert outcomes(text) == expected


@pytest.mark.parametrize("text", [
    "He was not released.",
    "Его не отпустили.",
    "He could be deported.",
    "Он может быть депортирован.",
    "They threatened him with deportation.",
    "He returned to Russia on his own.",
    "The police handed him over to the duty officer.",
    "Паспорт выдан в 2010 году.",
    "",
])
def test_not_outcomes(text: str) -> None:
    assert find_outcomes(text) == []


def test_every_outcome_rule_has_a_test_sentence() -> None:
    """Each rule in legal.yaml fires on at least one sentence of this module."""
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    fired = {o.rule for o in find_outcomes(source)}
    missing = [r["id"] for r in outcome_rules() if f"outcomes.{r['id']}.v1" not in fired]
    assert missing == []


def test_rare_outcome_rules() -> None:
    assert outcomes("He walked free after a week.") == [("released", "released")]
    assert outcomes("He was released on bail.") == [("released", "released")]
    assert outcomes("The charges were dropped.") == [("other", "charges dropped")]
    assert outcomes("Суд оправдал журналиста.") == [("other", "acquitted")]
    assert outcomes("Дело в отношении него прекращено.") == [("other", "charges dropped")]
    assert outcomes("He was sentenced to life.") == [("sentenced", "sentenced to life")]
    assert outcomes("Его приговорили к пожизненному заключению.") == [("sentenced", "sentenced to life")]
    assert outcomes("Он получил 8 лет колонии.") == [("sentenced", "sentenced to 8 years")]
    assert outcomes("Позже он оказался в российском СИЗО.") == [("handed_over", "handed over to Russia")]
    assert outcomes("Он остается под стражей.") == [("held", "held")]
    assert outcomes("He was jailed for 15 days.") == [("held", "held for 15 days")]
    assert outcomes("Officers deported them to Kazakhstan.") == [("deported", "deported to Kazakhstan")]
    assert outcomes("Его этапировали в Россию.") == [("handed_over", "extradited to Russia")]


# ---------------------------------------------------------------- data file and hostile input


def test_legal_yaml_schema() -> None:
    with lexicon_path("legal.yaml").open(encoding="utf-8") as f:
        data = yaml.safe_load(f)
    for code in data["codes"]:
        assert {"id", "name", "en", "ru"} <= set(code)
        for p in code["en"] + code["ru"]:
            re.compile(p)
        if code.get("default_country"):
            assert pycountry.countries.get(alpha_2=code["default_country"]) is not None
    for cc, forms in data["jurisdictions"].items():
        assert pycountry.countries.get(alpha_2=cc) is not None, cc
        assert set(forms) <= {"en_adj", "en_of", "ru", "ru_adj"}
        for patterns in forms.values():
            for p in patterns:
                re.compile(p)
    for law in data["laws"]:
        assert {"id", "name", "en", "ru"} <= set(law)
        for p in law["en"] + law["ru"]:
            re.compile(p)
    for cur in data["currencies"]:
        assert pycountry.currencies.get(alpha_3=cur["code"]) is not None, cur["code"]
        for p in cur["before"] + cur["after"]:
            re.compile(p)
    assert all(float(k) > 1 for k in data["multipliers"])
    kinds = {"fine", "released", "held", "deported", "handed_over", "sentenced", "other"}
    ids = set()
    for rule in data["outcomes"]:
        assert {"id", "kind", "lang", "keywords", "pattern", "text"} <= set(rule), rule
        assert rule["id"] not in ids
        ids.add(rule["id"])
        assert rule["kind"] in kinds and rule["lang"] in {"en", "ru"}
        assert rule.get("dest") in {None, "optional", "required"}
        assert rule["keywords"] and all(k == k.lower() for k in rule["keywords"])
        assert rule["text"]
    assert ids == {r["id"] for r in outcome_rules()}  # every rule compiles


@pytest.mark.parametrize("text", [
    "1" * 1_000_000,
    "000 " * 250_000,
    "1,000," * 150_000,
    "Article 1, " * 50_000,
    "ст. 1 и " * 60_000,
    "fined " * 150_000,
    "приговорили к " * 60_000,
    "law on " * 120_000,
    "was later " * 90_000,
    "<td>&nbsp;$</td>" * 60_000,
])
def test_hostile_input_finishes(text: str) -> None:
    """A megabyte on one line: every pattern is bounded, so this is linear work (no timing assert)."""
    for m in find_legal(text)[:20]:
        assert text[m.span.start:m.span.end] == m.span.text
    for o in find_outcomes(text)[:20]:
        assert text[o.span.start:o.span.end] == o.span.text


def test_random_mixed_scripts_do_not_crash() -> None:
    rng = random.Random(3)
    alphabet = "aбZЯ1 ,.-—()$€₽статьяArticle ч.УКРФfinedштраф"
    for _ in range(20):
        text = "".join(rng.choice(alphabet) for _ in range(5000))
        find_legal(text)
        find_outcomes(text)
