"""The default engine end to end on reports written for these tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kolokol.evaluate import load_jsonl, score
from kolokol.extract.pipeline import DEFAULT_STEPS, REGISTRY
from tests.extract.helpers import report

DATA = Path(__file__).resolve().parent.parent / "data"


def test_every_default_step_is_registered():
    assert all(name in REGISTRY for name in DEFAULT_STEPS)


def test_one_act_told_over_two_sentences_is_one_incident(engine):
    text = ("On May 14, police in Osh detained five Uzbek citizens who had posted a video about the border. "
            "They were released the next day after paying fines of 3,000 soms each.")
    out = engine.extract(report(text))
    assert len(out) == 1
    m = out[0]
    assert set(m.types) >= {"detention", "fine"}
    assert (m.date, m.date_precision, m.place, m.country) == ("2024-05-14", "day", "Osh", "KG")
    assert any(t.kind == "group" and t.count == 5 for t in m.targets)


def test_two_victims_two_acts_in_one_sentence_are_two_incidents(engine):
    text = ("Police in Almaty detained the blogger Timur Akhmetov on 3 May, and on 9 May "
            "border guards deported the poet Saida Nazarova to Dushanbe.")
    out = engine.extract(report(text))
    names = sorted(t.name for m in out for t in m.targets if t.kind == "person")
    assert len(out) == 2, [m.to_interchange() for m in out]
    assert names == ["Saida Nazarova", "Timur Akhmetov"]


def test_context_is_not_an_incident(engine):
    text = ("Exiles protested outside the embassy on Saturday, demanding the release of political prisoners. "
            "The ministry said it works with partners to keep order. "
            "Activists fear they could be arrested at any moment. "
            "The ombudsman visited the community centre to offer support.")
    assert engine.extract(report(text)) == []


def test_caption_of_a_past_detention_is_an_incident(engine):
    text = ("The journalist now lives in Tbilisi.\n"
            "Detention of Anna Sorokina on 12 June 2021 in Moscow.\n"
            "She left Russia a year later.")
    out = engine.extract(report(text, published="2024-02-01"))
    assert len(out) == 1
    assert (out[0].date, out[0].place, out[0].country) == ("2021-06-12", "Moscow", "RU")


def test_aggregate_with_count_is_one_group_incident(engine):
    text = "The ministry said 57 people had been delivered to police stations in Bishkek since June 2."
    out = engine.extract(report(text, published="2023-06-20"))
    assert len(out) == 1
    assert [t.count for t in out[0].targets if t.kind == "group"] == [57]


def test_russian_report(engine):
    text = ("7 марта 2024 г. сотрудники полиции задержали в Бишкеке российского активиста Илью Смирнова. "
            "Суд оштрафовал его на 5500 сомов по статье 431 Кодекса о правонарушениях.")
    out = engine.extract(report(text, published="2024-03-10", lang="ru"))
    assert len(out) == 1
    m = out[0]
    assert set(m.types) >= {"detention", "fine"} and m.date == "2024-03-07" and m.country == "KG"


def test_origin_country_from_a_request(engine):
    text = ("Kyrgyz security services detained the Russian activist Pavel Lebedev in Bishkek on June 3 "
            "at the request of their colleagues from Russia.")
    out = engine.extract(report(text, published="2023-06-10"))
    assert out and out[0].origin_country == "RU" and out[0].country == "KG"


@pytest.mark.parametrize(("text", "lang", "origin", "country"), [
    ("3 мая в Казани полиция задержала таджикского блогера Фируза Саидова, которого Душанбе разыскивает "
     "по ст. 307 УК.", "ru", "TJ", "RU"),
    ("Police in Izmir detained the Uyghur teacher Abdulla Tursun, whom Beijing has been seeking since 2019.",
     "en", "CN", "TR"),
])
def test_origin_country_from_the_state_that_seeks_the_person(engine, text, lang, origin, country):
    out = engine.extract(report(text, published="2024-05-10", lang=lang))
    assert out and (out[0].origin_country, out[0].country) == (origin, country), [m.to_interchange() for m in out]


def test_every_field_has_evidence_offsets_into_the_text(engine):
    text = ("On 4 April, officers of the GKNB detained the journalist Aibek Toktorov in Bishkek. "
            "He was fined under Article 431 of the Code of Offenses.")
    out = engine.extract(report(text))
    assert out
    spans = out[0].evidence_spans
    inc = spans["incident"]
    assert text[inc["start"]:inc["end"]] == out[0].evidence
    for key in ("date", "place"):
        span = spans[key]
        assert span and text[span["start"]:span["end"]] == span["text"]
    for span in spans["targets"] + spans["perpetrators"] + spans["legal_basis"]:
        assert text[span["start"]:span["end"]] == span["text"]
    assert out[0].extractor == "rules" and out[0].extractor_version


@pytest.mark.parametrize("text", [
    "", "   \n\n  ", "x" * 1_000_000, ("detained " * 50_000),
    "<div class='nav'><a href='/'>Home</a></div><script>var a = 1;</script> &nbsp; &amp;",
    "Полиция detained активиста в Osh 3 мая and then 釋放 him. " * 200,
])
def test_hostile_input_does_not_crash_or_invent(engine, text):
    out = engine.extract(report(text))
    assert all(m.targets for m in out)


# Pinned floors a little below the scores at the time of pinning (gold 0.86, gold2 0.83, gold3 0.80,
# gold4 0.87, gold5 0.83, gold6 0.86, gold7 0.79, gold8 0.78, gold9 0.83, gold10 0.79, gold12 0.81): a change that
# loses quality on reports the project wrote fails here. Raise them as quality grows. gold5 to gold10 were held out
# until their misses were studied (gold10 in the seventh session), gold12 was written blind as a development set;
# gold11 and gold16 are held out (their reports and misses are not read to change the extractor): no floor.
# gold13 was held out until the eighth session (0.579 at f176dfc, 0.78 once its misses were studied), gold14
# until the ninth (0.31 when written, 0.378 at 0f4e04a, 0.74 once its misses were studied), gold15 until the
# tenth (0.562 when written, 0.576 at 4bddead, 0.82 once its misses were studied).
FLOORS = {
    "gold": {"f1": 0.83, "slots": {"types": 0.71, "date": 0.94, "place": 0.77, "origin_country": 0.89,
                                   "targets": 0.90, "perpetrators": 0.88, "legal_basis": 0.94}},
    "gold2": {"f1": 0.80, "slots": {"types": 0.81, "date": 0.95, "place": 0.87, "origin_country": 0.74,
                                    "targets": 0.86, "perpetrators": 0.86, "legal_basis": 0.87}},
    "gold3": {"f1": 0.77, "slots": {"types": 0.72, "date": 0.89, "place": 0.79, "origin_country": 0.72,
                                    "targets": 0.90, "perpetrators": 0.78, "legal_basis": 0.89}},
    "gold4": {"f1": 0.85, "slots": {"types": 0.82, "date": 0.95, "place": 0.91, "origin_country": 0.91,
                                    "targets": 0.91, "perpetrators": 0.87, "legal_basis": 0.89}},
    # gold5 codes an extradition arrest as detention alone; the later sets' convention (gold6 on) codes it
    # ["detention", "extradition"], which the extractor follows: its types floor sits lower for that one pair.
    # Its perpetrators floor sits at 0.74 since a killing by unnamed gunmen in San José is matched (the
    # slot averages over matched pairs, and that one names no body).
    "gold5": {"f1": 0.80, "slots": {"types": 0.69, "date": 0.92, "place": 0.82, "origin_country": 0.82,
                                    "targets": 0.82, "perpetrators": 0.74, "legal_basis": 0.92}},
    "gold6": {"f1": 0.83, "slots": {"types": 0.78, "date": 0.92, "place": 0.69, "origin_country": 0.76,
                                    "targets": 0.82, "perpetrators": 0.89, "legal_basis": 0.81}},
    "gold7": {"f1": 0.76, "slots": {"types": 0.66, "date": 0.94, "place": 0.73, "origin_country": 0.69,
                                    "targets": 0.87, "perpetrators": 0.73, "legal_basis": 0.81}},
    "gold8": {"f1": 0.75, "slots": {"types": 0.64, "date": 0.79, "place": 0.73, "origin_country": 0.72,
                                    "targets": 0.79, "perpetrators": 0.81, "legal_basis": 0.83}},
    # gold9's place and origin floors sit at 0.70 and 0.76 since the Montenegrin request merged with the Russian
    # case is dated by the case and matched to it (ninth session): a pair with the request's place and origin.
    # Its types floor sits at 0.64: photos of her entrance sent after WhatsApp threats join them as surveillance,
    # where gold9 codes the threats alone (gold14 codes such a pair ["threat", "surveillance"]).
    "gold9": {"f1": 0.81, "slots": {"types": 0.64, "date": 0.89, "place": 0.70, "origin_country": 0.76,
                                    "targets": 0.82, "perpetrators": 0.82, "legal_basis": 0.83}},
    "gold10": {"f1": 0.74, "slots": {"types": 0.69, "date": 0.92, "place": 0.63, "origin_country": 0.72,
                                     "targets": 0.82, "perpetrators": 0.75, "legal_basis": 0.83}},
    "gold12": {"f1": 0.77, "slots": {"types": 0.56, "date": 0.89, "place": 0.65, "origin_country": 0.69,
                                     "targets": 0.83, "perpetrators": 0.69, "legal_basis": 0.81}},
    "gold13": {"f1": 0.75, "slots": {"types": 0.69, "date": 0.94, "place": 0.73, "origin_country": 0.69,
                                     "targets": 0.85, "perpetrators": 0.69, "legal_basis": 0.81}},
    "gold14": {"f1": 0.70, "slots": {"types": 0.60, "date": 0.94, "place": 0.56, "origin_country": 0.62,
                                     "targets": 0.88, "perpetrators": 0.62, "legal_basis": 0.84}},
    "gold15": {"f1": 0.76, "slots": {"types": 0.74, "date": 0.93, "place": 0.76, "origin_country": 0.66,
                                     "targets": 0.84, "perpetrators": 0.68, "legal_basis": 0.90}},
}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_quality_gate_on_the_project_gold_sets(engine, name):
    """Pinned floors: extraction quality on reports written by the project must not drop."""
    from kolokol.config import Settings
    from kolokol.ingest import read_source

    folder = DATA / name
    gold = load_jsonl(folder / "gold.jsonl")
    preds = []
    for path in sorted(folder.glob("*.md")):
        if path.name.lower().startswith("readme"):
            continue
        for item in read_source(str(path), Settings()):
            preds.extend(m.to_interchange() for m in engine.extract(item))
    result = score(gold, preds)
    print(json.dumps({k: result[k] for k in ("f1", "precision", "recall", "slots")}))
    floors = FLOORS[name]
    assert result["f1"] >= floors["f1"], result["f1"]
    for slot, floor in floors["slots"].items():
        assert result["slots"].get(slot, 0) >= floor, (slot, result["slots"])
