"""The gazetteer: names in both scripts and inflected Russian forms resolve; nationality helpers;
the data files keep their schema; the on-disk cache round-trips and never serves a bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pycountry
import pytest
import yaml

from kolokol.lexicon import lexicon_path
from kolokol.resolve import gazetteer as gz
from kolokol.resolve.gazetteer import (
    Place,
    capital_of,
    country_of_adjective,
    get_gazetteer,
    nationality_of,
)


@pytest.fixture(scope="module")
def gaz() -> gz.Gazetteer:
    return get_gazetteer()


@pytest.mark.parametrize(("name", "expected", "country", "kind"), [
    ("Bishkek", "Bishkek", "KG", "city"),
    ("Frunze", "Bishkek", "KG", "city"),
    ("Фрунзе", "Bishkek", "KG", "city"),
    ("Бишкек", "Bishkek", "KG", "city"),
    ("Alma-Ata", "Almaty", "KZ", "city"),
    ("Алма-Ата", "Almaty", "KZ", "city"),
    ("Nur-Sultan", "Astana", "KZ", "city"),
    ("Нур-Султан", "Astana", "KZ", "city"),
    ("Chimkent", "Shymkent", "KZ", "city"),
    ("Шымкент", "Shymkent", "KZ", "city"),
    ("Przhevalsk", "Karakol", "KG", "city"),
    ("Cholpon-Ata", "Cholpon-Ata", "KG", "city"),
    ("Jalalabad", "Jalal-Abad", "KG", "city"),
    ("Jalal Abad", "Jalal-Abad", "KG", "city"),
    ("Osh", "Osh", "KG", "city"),
    ("Ош", "Osh", "KG", "city"),
    ("Ташкент", "Tashkent", "UZ", "city"),
    ("Душанбе", "Dushanbe", "TJ", "city"),
    ("Москва", "Moscow", "RU", "city"),
    ("St. Petersburg", "Saint Petersburg", "RU", "city"),
    ("St Petersburg", "Saint Petersburg", "RU", "city"),
    ("Петербург", "Saint Petersburg", "RU", "city"),
    ("Yekaterinburg", "Yekaterinburg", "RU", "city"),
    ("Стамбул", "Istanbul", "TR", "city"),
    ("İstanbul", "Istanbul", "TR", "city"),
    ("Batumi", "Batumi", "GE", "city"),
    ("Иссык-Куль", "Issyk-Kul Region", "KG", "region"),
    ("Sverdlovsk region", "Sverdlovsk Oblast", "RU", "region"),
    ("Buryatia", "Buryatia", "RU", "region"),
    ("Crimea", "Crimea", "UA", "region"),
    ("Kyrgyzstan", "Kyrgyzstan", "KG", "country"),
    ("Kyrgyz Republic", "Kyrgyzstan", "KG", "country"),
    ("Казахстан", "Kazakhstan", "KZ", "country"),
    ("Georgia", "Georgia", "GE", "country"),
    ("Türkiye", "Turkey", "TR", "country"),
    ("Munich", "Munich", "DE", "city"),  # a geonames city outside the curated list
])
def test_lookup_names_and_scripts(gaz: gz.Gazetteer, name: str, expected: str, country: str,
                                  kind: str) -> None:
    place = gaz.lookup(name)
    assert place is not None, name
    assert (place.name, place.country, place.kind) == (expected, country, kind)


@pytest.mark.parametrize(("phrase", "expected"), [
    ("в Бишкеке", "Bishkek"),
    ("из Москвы", "Moscow"),
    ("в Алматы", "Almaty"),
    ("Каракола", "Karakol"),
    ("Казахстане", "Kazakhstan"),
    ("России", "Russia"),
    ("в Оше", "Osh"),
    ("в Чолпон-Ате", "Cholpon-Ata"),
    ("в Санкт-Петербурге", "Saint Petersburg"),
    ("в Нижнем Новгороде", "Nizhny Novgorod"),
    ("в Свердловской области", "Sverdlovsk Oblast"),
    ("в Бурятии", "Buryatia"),
    ("в Стамбуле", "Istanbul"),
    ("из Киргизии", "Kyrgyzstan"),
    ("в Пржевальске", "Karakol"),
    ("в Мюнхене", "Munich"),
    ("city of Osh", "Osh"),
    # Russian exonyms and old names of post-Soviet towns (curated in places.yaml)
    ("в Чарджоу", "Turkmenabat"),
    ("в Дашховузе", "Dashoguz"),
    ("в Мингечевире", "Mingachevir"),
    ("в Мары", "Mary"),
    ("в Худжанде", "Khujand"),
    ("в Гяндже", "Ganja"),
])
def test_lookup_russian_inflection_and_prepositions(gaz: gz.Gazetteer, phrase: str, expected: str) -> None:
    place = gaz.lookup(phrase, lang="ru")
    assert place is not None and place.name == expected


@pytest.mark.parametrize("name", ["", "   ", "blah", "Zzyzxqwe", "в", "the", "Kazakh", "Russian",
                                  "Bishkek Zzyzxqwe", "<div>", "12345"])
def test_lookup_none_of_these(gaz: gz.Gazetteer, name: str) -> None:
    assert gaz.lookup(name) is None


def test_ids_and_coordinates(gaz: gz.Gazetteer) -> None:
    bishkek = gaz.lookup("Bishkek")
    munich = gaz.lookup("Munich")
    kg = gaz.lookup("Kyrgyzstan")
    assert bishkek is not None and munich is not None and kg is not None
    assert bishkek.gazetteer_id == "kolokol:bishkek"
    assert munich.gazetteer_id.startswith("geonames:") and munich.admin1 and munich.admin1.startswith("DE.")
    assert kg.gazetteer_id == "iso:KG"
    assert bishkek.latitude == pytest.approx(42.87, abs=0.1)
    assert bishkek.longitude == pytest.approx(74.59, abs=0.1)


def test_place_is_a_frozen_value() -> None:
    p = Place("Osh", "KG", "city", "kolokol:osh", 40.5, 72.8)
    with pytest.raises(AttributeError):
        p.name = "Bishkek"  # type: ignore[misc]
    m = p.mention(gz.Span(0, 3, "Ош"), "test")
    assert (m.name, m.country, m.kind, m.gazetteer_id, m.rule) == ("Osh", "KG", "city", "kolokol:osh", "test")


def test_capitals() -> None:
    bishkek, astana, moscow = capital_of("KG"), capital_of("kz"), capital_of("RU")
    assert bishkek is not None and bishkek.name == "Bishkek"
    assert astana is not None and astana.name == "Astana"
    assert moscow is not None and moscow.name == "Moscow"
    assert capital_of("XX") is None


@pytest.mark.parametrize(("phrase", "code"), [
    ("Russian", "RU"), ("Russians", "RU"), ("Kyrgyz", "KG"), ("Kyrgyzstani", "KG"), ("Kyrgyzstanis", "KG"),
    ("Kazakh", "KZ"), ("Kazak", "KZ"), ("Kazakhstani", "KZ"), ("Uzbek", "UZ"), ("Tajik", "TJ"),
    ("Turkmen", "TM"), ("Belarusian", "BY"), ("Ukrainian", "UA"), ("Georgian", "GE"), ("Armenian", "AM"),
    ("Azerbaijani", "AZ"), ("Chinese", "CN"), ("Turkish", "TR"), ("Chechen", "RU"),
    ("россиянин", "RU"), ("россиянка", "RU"), ("россияне", "RU"), ("россиян", "RU"),
    ("граждане России", "RU"), ("гражданин РФ", "RU"), ("гражданку Кыргызстана", "KG"),
    ("кыргызстанец", "KG"), ("кыргызстанцы", "KG"), ("кыргызстанцев", "KG"), ("киргиз", "KG"),
    ("казахстанец", "KZ"), ("узбек", "UZ"), ("таджиков", "TJ"), ("Crimean Tatars", "UA"),
    ("крымских татар", "UA"), ("citizen of Kazakhstan", "KZ"), ("a Kyrgyz citizen", "KG"),
    ("two Tajikistan nationals", "TJ"), ("Kyrgyzstan", "KG"),
])
def test_nationality_of(phrase: str, code: str) -> None:
    assert nationality_of(phrase) == code


@pytest.mark.parametrize("phrase", ["", "us", "the police", "blah blah", "Moscow", "уроженец", "<b>"])
def test_nationality_of_none(phrase: str) -> None:
    assert nationality_of(phrase) is None


@pytest.mark.parametrize(("phrase", "code"), [
    ("Kazakh authorities", "KZ"), ("российские власти", "RU"), ("российских", "RU"),
    ("Russian court", "RU"), ("Chechen", "RU"), ("казахстанских силовиков", "KZ"), ("Kyrgyz police", "KG"),
])
def test_country_of_adjective(phrase: str, code: str) -> None:
    assert country_of_adjective(phrase) == code


@pytest.mark.parametrize("phrase", ["Russians", "россияне", "police", "Bishkek", ""])
def test_country_of_adjective_needs_an_adjective(phrase: str) -> None:
    assert country_of_adjective(phrase) is None


def test_hostile_lookups_do_not_crash(gaz: gz.Gazetteer) -> None:
    for name in ["\x00", "Бишкек" * 10_000, "-" * 1000, "'s", "Ё", "İ", "a" * 100_000, "<script>Bishkek"]:
        gaz.lookup(name)
        nationality_of(name)
        country_of_adjective(name)


# ---------------------------------------------------------------- data files


def _load(name: str) -> dict:
    with lexicon_path(name).open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def _iso(code: object) -> bool:
    return isinstance(code, str) and pycountry.countries.get(alpha_2=code) is not None


def test_places_yaml_schema() -> None:
    data = _load("places.yaml")
    ids = set()
    for e in data["places"]:
        assert {"id", "name", "country", "kind", "lat", "lon", "variants"} <= set(e), e
        assert re_slug(e["id"]) and e["id"] not in ids, e["id"]
        ids.add(e["id"])
        assert _iso(e["country"]), e
        assert e["kind"] in {"city", "region"}, e
        assert -90 <= float(e["lat"]) <= 90 and -180 <= float(e["lon"]) <= 180, e
        assert isinstance(e["variants"], list)
        assert all(isinstance(v, str) and v.strip() for v in e["variants"])
        if "geonames" in e:
            assert isinstance(e["geonames"], int)
        assert e.get("capital", False) in {True, False}
        assert set(e) <= {"id", "name", "country", "kind", "lat", "lon", "admin1", "geonames", "capital",
                          "variants"}
    for c in data["countries"]:
        assert _iso(c["code"]), c
        assert -90 <= float(c["lat"]) <= 90 and -180 <= float(c["lon"]) <= 180, c
        assert all(isinstance(v, str) for v in c.get("variants", []) + c.get("acronyms", []))
    assert set(data["stoplist"]) == {"en", "ru"}
    assert all(isinstance(w, str) for lang in ("en", "ru") for w in data["stoplist"][lang])
    for row in data["ru_suffixes"]:
        assert isinstance(row["ending"], str) and row["ending"]
        assert all(isinstance(r, str) for r in row["replace"])
    for key in ("street_words", "district_words", "not_place_phrases", "lookup_prefixes"):
        assert data[key], key


def re_slug(value: object) -> bool:
    import re

    return isinstance(value, str) and re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", value) is not None


def test_curated_places_resolve_to_themselves(gaz: gz.Gazetteer) -> None:
    """Every curated name and variant leads back to its entry (no variant is shadowed)."""
    for e in _load("places.yaml")["places"]:
        for name in [e["name"], *e["variants"]]:
            place = gaz.lookup(name)
            assert place is not None and place.gazetteer_id == f"kolokol:{e['id']}", (name, place)


def test_nationalities_yaml_schema() -> None:
    data = _load("nationalities.yaml")
    seen = set()
    for entry in data["nationalities"]:
        assert _iso(entry["country"]), entry
        assert entry["country"] not in seen
        seen.add(entry["country"])
        for lang in ("en", "ru"):
            block = entry[lang]
            assert set(block) <= {"demonyms", "adjectives"} and block.get("demonyms"), entry
            for word in block.get("demonyms", []) + block.get("adjectives", []):
                assert isinstance(word, str) and word.strip()
                assert gz.is_cyrillic(word) == (lang == "ru"), word


def test_every_nationality_word_resolves() -> None:
    for entry in _load("nationalities.yaml")["nationalities"]:
        for lang in ("en", "ru"):
            for word in entry[lang]["demonyms"] + entry[lang].get("adjectives", []):
                assert nationality_of(word) == entry["country"], word
            for word in entry[lang].get("adjectives", []):
                assert country_of_adjective(word) == entry["country"], word


# ---------------------------------------------------------------- cache


def test_cache_round_trip(gaz: gz.Gazetteer) -> None:
    data = json.loads(json.dumps(gaz.to_json()))
    copy = gz.Gazetteer.from_json(data, gz.load_data("places.yaml"))
    for name in ["Bishkek", "в Бишкеке", "Munich", "USA", "Kyrgyzstan", "Иссык-Куль"]:
        assert copy.lookup(name) == gaz.lookup(name), name
    assert copy.capital("KG") == gaz.capital("KG")


def test_cache_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KOLOKOL_CACHE_DIR", "off")
    assert gz._cache_file() is None
    monkeypatch.setenv("KOLOKOL_CACHE_DIR", str(tmp_path))
    path = gz._cache_file()
    assert path is not None and path.parent == tmp_path and path.name.startswith(gz.CACHE_FORMAT)


def test_a_corrupt_cache_file_is_rebuilt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KOLOKOL_CACHE_DIR", str(tmp_path))
    path = gz._cache_file()
    assert path is not None
    path.write_text("{not json", encoding="utf-8")
    fresh = gz.get_gazetteer.__wrapped__()  # type: ignore[attr-defined]
    assert fresh.lookup("Bishkek") is not None
    assert json.loads(path.read_text(encoding="utf-8"))["places"]  # replaced by a good file
