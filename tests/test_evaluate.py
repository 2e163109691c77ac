"""Scoring by the rules of the incident guidelines, on gold and predictions written here."""

from __future__ import annotations

import json

from kolokol.evaluate import _date, date_exact, dates_agree, names_match, score


def inc(source, iid, types, date, prec, country, targets=(), perps=(), **kw):
    return {"source_id": source, "incident_id": iid, "types": list(types), "date": date,
            "date_precision": prec, "country": country,
            "targets": [t if isinstance(t, dict) else {"name": t, "kind": "person"} for t in targets],
            "perpetrators": [{"name": p, "country": country} for p in perps], **kw}


def test_names_match_across_scripts_genders_and_aliases():
    assert names_match("Aleksei Rozhkov", "Алексей Рожков")
    assert names_match("Kuleshov", "Yulia Kuleshova")
    assert names_match("Red Roof", "Krasnaya Krysha")
    assert names_match("GKNB", "State Committee for National Security")
    assert not names_match("Ivan Petrov", "Ivan Sidorov")
    assert not names_match("", "x")


def test_date_rules_by_precision():
    assert dates_agree(_date("2024-03-07", "day"), _date("2024-03-10", "day"))
    assert not dates_agree(_date("2024-03-07", "day"), _date("2024-03-11", "day"))
    assert dates_agree(_date("2024-03", "month"), _date("2024-03-28", "day"))
    assert not date_exact(_date("2024-03-07", "day"), _date("2024-03", "month"))
    assert date_exact(_date("2024-03", "month"), _date("2024-03-28", "day"))
    assert not dates_agree(_date("2024-03-07", "day"), None)
    assert dates_agree(None, None)


def test_greedy_matching_precision_recall_slots_and_misses():
    gold = [
        inc("r1", "g1", ["detention", "fine"], "2024-03-07", "day", "KG", ["Azamat Toktogulov"], ["police"],
            place="Bishkek", legal_basis=["Article 431 of the Code of Offenses"], cluster="c1"),
        inc("r1", "g2", ["deportation"], "2024-04", "month", "KG", [], ["GKNB"], cluster="c2"),
        inc("r2", "g3", ["detention"], "2024-03-08", "day", "KG", ["Toktogulov"], cluster="c1"),
    ]
    pred = [
        inc("r1", "p1", ["detention"], "2024-03-07", "day", "KG", ["Azamat Toktogulov"], ["police"],
            place="Bishkek", legal_basis=["Article 431"], merged_id="m1"),
        inc("r1", "p2", ["threat"], "2024-04-02", "day", "KG", ["Someone Else"]),  # false alarm
        inc("r2", "p3", ["detention"], "2024-03-07", "day", "KG", ["A. Toktogulov"], merged_id="m1"),
    ]
    r = score(gold, pred)
    assert (r["matched"], r["precision"], r["recall"]) == (2, 0.667, 0.667)
    assert r["slots"]["types"] == 0.5  # g1 has fine too
    assert r["slots"]["date"] == 0.5  # g3 is the 8th, predicted the 7th: agrees, but is not exact
    assert r["slots"]["legal_basis"] == 1.0
    assert r["missed"] == ["g2"]
    assert [f["incident_id"] for f in r["false_alarms"]] == ["p2"]
    assert r["merge"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "gold_pairs": 1}


def test_no_match_without_shared_name_type_or_country():
    g = [inc("r", "g", ["detention"], "2024-01-01", "day", "KZ", ["Nurlan Abenov"])]
    assert score(g, [inc("r", "p", ["detention"], "2024-01-01", "day", "KG", ["Nurlan Abenov"])])["matched"] == 0
    assert score(g, [inc("r", "p", ["threat"], "2024-01-01", "day", "KZ", ["Nurlan Abenov"])])["matched"] == 0
    assert score(g, [inc("r", "p", ["detention"], "2024-01-01", "day", "KZ", ["Other Person"])])["matched"] == 0
    groups = [inc("r", "g", ["detention"], "2024-01", "month", "KZ",
                  [{"name": "five foreigners", "kind": "group", "count": 5}])]
    pred = [inc("r", "p", ["detention"], "2024-01-20", "day", "KZ",
                [{"name": "5 people", "kind": "group", "count": 5}])]
    assert score(groups, pred)["matched"] == 1


def test_cli_eval_writes_predictions_and_scores(tmp_path):
    from typer.testing import CliRunner

    from kolokol.cli import app

    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "a.md").write_text(
        '---\nsource_id: "a1"\npublished: "2024-05-20"\nlang: "en"\ntitle: "Exile held"\n---\n'
        "On May 14, police in Almaty detained the Tajik blogger Farrukh Nazarov.\n", encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(inc("a1", "g1", ["detention"], "2024-05-14", "day", "KZ",
                                   ["Farrukh Nazarov"], ["police"])) + "\n", encoding="utf-8")
    out = tmp_path / "pred.jsonl"
    result = CliRunner().invoke(app, ["eval", str(gold), str(reports), "--json", "--pred-out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["gold"] == 1 and data["matched"] == 1 and data["f1"] == 1.0
    assert out.read_text(encoding="utf-8").count("\n") == data["pred"]
