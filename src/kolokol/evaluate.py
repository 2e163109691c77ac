"""Scoring extraction against gold incidents, by the rules of GUIDELINES.md ("Scoring").

Per report, predicted and gold incidents are paired greedily, best first: a pair needs a shared
type, agreeing dates (to the coarser precision; a day may be off by 3 days), the same country, and
a matching target or perpetrator name (or equal group counts). Then precision, recall, F1, the
accuracy of each slot over matched pairs, pairwise merge precision/recall, the misses and the
false alarms. NGOs use this to validate Kolokol on their own annotated cases.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from kolokol.config import Settings
from kolokol.errors import KolokolError
from kolokol.lexicon import load_lexicon

RANK = {"day": 0, "week": 1, "month": 2, "year": 3}
SLOTS = ("types", "date", "place", "origin_country", "targets", "perpetrators", "legal_basis")


@cache
def _rules() -> tuple[dict[str, str], frozenset[str], dict[str, str], list[tuple[re.Pattern[str], str]]]:
    data = load_lexicon("scoring.yaml")
    aliases = {str(k): str(v) for k, v in data["aliases"].items()}
    compiled = [(re.compile(rf"\b{re.escape(k)}\b"), v) for k, v in aliases.items()]
    return aliases, frozenset(data["generic"]), dict(data["cyrillic"]), compiled


def normalise(text: str | None) -> str:
    if not text:
        return ""
    _, _, cyr, aliases = _rules()
    s = unicodedata.normalize("NFKD", text.lower())
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = "".join(cyr.get(c, c) for c in s)
    s = re.sub(r"[^a-z0-9]+", " ", s).strip()
    for pattern, value in aliases:
        s = pattern.sub(value, s)
    return s


def _fold(token: str) -> str:
    t = token.replace("zh", "j").replace("x", "ks").replace("kh", "h").replace("w", "v")
    t = re.sub(r"(ov|ev|in|yn)a$", r"\1", t)
    t = re.sub(r"(sk|ck|tsk)(aya|aia|ii|iy|yi|y|i)$", r"\1y", t)
    t = re.sub(r"(ei|ey|ej|iy|ii|yi)$", "i", t)
    return t.replace("y", "i").replace("ia", "a").replace("iu", "u")


def _tokens(text: str | None) -> list[str]:
    generic = _rules()[1]
    return [_fold(t) for t in normalise(text).split() if len(t) > 2 and t not in generic]


def _token_match(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 5 and difflib.SequenceMatcher(None, a, b).ratio() >= 0.85)


def names_match(a: str | None, b: str | None) -> bool:
    """Equal or contained after normalisation; or two shared tokens; or one shared token when either
    name has a single token; or the same last token (surname)."""
    na, nb = normalise(a), normalise(b)
    if not na or not nb:
        return False
    if na == nb or f" {na} " in f" {nb} " or f" {nb} " in f" {na} ":
        return True
    ta, tb = _tokens(a), _tokens(b)
    if not ta or not tb:
        return False
    shared = sum(any(_token_match(x, y) for y in tb) for x in ta)
    return shared >= 2 or (shared >= 1 and min(len(ta), len(tb)) == 1) or _token_match(ta[-1], tb[-1])


def _date(value: Any, precision: Any) -> tuple[dt.date, str] | None:
    if not value:
        return None
    parts = str(value).split("-")
    try:
        when = dt.date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1,
                       int(parts[2]) if len(parts) > 2 else 1)
    except (ValueError, IndexError):
        return None
    if precision not in RANK:
        precision = {1: "year", 2: "month", 3: "day"}[len(parts[:3])]
    return when, precision


def _same_span(a: dt.date, b: dt.date, precision: str, day_slack: int) -> bool:
    if precision == "day":
        return abs((a - b).days) <= day_slack
    if precision == "week":
        return abs((a - b).days) <= (7 if day_slack else 6)
    if precision == "month":
        return (a.year, a.month) == (b.year, b.month)
    return a.year == b.year


def dates_agree(gold: tuple[dt.date, str] | None, pred: tuple[dt.date, str] | None) -> bool:
    if gold is None:
        return True
    if pred is None:
        return False
    coarse = max(gold[1], pred[1], key=RANK.__getitem__)
    return _same_span(gold[0], pred[0], coarse, 3)


def date_exact(gold: tuple[dt.date, str] | None, pred: tuple[dt.date, str] | None) -> bool:
    if gold is None:
        return pred is None
    if pred is None:
        return False
    return _same_span(gold[0], pred[0], gold[1], 0)


def _names(incident: dict[str, Any], key: str) -> list[str]:
    return [x.get("name") for x in incident.get(key) or [] if isinstance(x, dict) and x.get("name")]


def _group_counts(incident: dict[str, Any]) -> set[Any]:
    return {x.get("count") for x in incident.get("targets") or []
            if isinstance(x, dict) and x.get("kind") == "group" and x.get("count")}


def pair_score(gold: dict[str, Any], pred: dict[str, Any]) -> float | None:
    """None when the two cannot be the same incident; otherwise how well they agree."""
    gtypes, ptypes = set(gold.get("types") or []), set(pred.get("types") or [])
    if not gtypes & ptypes:
        return None
    gd = _date(gold.get("date"), gold.get("date_precision"))
    pd = _date(pred.get("date"), pred.get("date_precision"))
    if not dates_agree(gd, pd):
        return None
    if (gold.get("country") or "").upper() != (pred.get("country") or "").upper():
        return None
    hits = sum(any(names_match(g, p) for p in _names(pred, key))
               for key in ("targets", "perpetrators") for g in _names(gold, key))
    if _group_counts(gold) & _group_counts(pred):
        hits += 1
    if not hits:
        return None
    return len(gtypes & ptypes) / len(gtypes | ptypes) + hits + (1 if date_exact(gd, pd) else 0)


def _slot_values(gold: dict[str, Any], pred: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {
        "types": float(set(gold.get("types") or []) == set(pred.get("types") or [])),
        "date": float(date_exact(_date(gold.get("date"), gold.get("date_precision")),
                                 _date(pred.get("date"), pred.get("date_precision")))),
        "place": float(names_match(gold.get("place"), pred.get("place")) if gold.get("place")
                       else not pred.get("place")),
        "origin_country": float((gold.get("origin_country") or "").upper()
                                == (pred.get("origin_country") or "").upper()),
    }
    for key in ("targets", "perpetrators"):
        gnames = _names(gold, key)
        if gnames:
            pnames = _names(pred, key)
            out[key] = sum(any(names_match(a, b) for b in pnames) for a in gnames) / len(gnames)
    glegal = gold.get("legal_basis") or []
    plegal = " ".join(pred.get("legal_basis") or [])
    if glegal:
        numbers = [n for x in glegal for n in re.findall(r"\d+", x)]
        out["legal_basis"] = float(all(n in plegal for n in numbers) if numbers else bool(plegal))
    else:
        out["legal_basis"] = float(not plegal)
    return out


def score(gold: list[dict[str, Any]], pred: list[dict[str, Any]],
          sources: Iterable[str] | None = None) -> dict[str, Any]:
    """Score predictions against gold; the numbers of the reference scorer, plus the evidence of
    misses and false alarms."""
    if sources:
        keep = set(sources)
        gold = [g for g in gold if g.get("source_id") in keep]
        pred = [p for p in pred if p.get("source_id") in keep]
    gold_by: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    pred_by: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for g in gold:
        gold_by[g.get("source_id")].append(g)
    for p in pred:
        pred_by[p.get("source_id")].append(p)
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for source, golds in gold_by.items():
        preds = pred_by.get(source, [])
        ranked = []
        for i, g in enumerate(golds):
            for j, p in enumerate(preds):
                s = pair_score(g, p)
                if s is not None:
                    ranked.append((s, i, j))
        used_g: set[int] = set()
        used_p: set[int] = set()
        # Best first; ties go to the later gold and later prediction, as the reference scorer does.
        for _s, i, j in sorted(ranked, reverse=True):
            if i in used_g or j in used_p:
                continue
            used_g.add(i)
            used_p.add(j)
            pairs.append((golds[i], preds[j]))
    tp = len(pairs)
    precision = tp / len(pred) if pred else 0.0
    recall = tp / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    slots: dict[str, list[float]] = defaultdict(list)
    for g, p in pairs:
        for key, value in _slot_values(g, p).items():
            slots[key].append(value)
    same_tp = same_fp = same_fn = 0
    for a in range(len(pairs)):
        for b in range(a + 1, len(pairs)):
            (g1, p1), (g2, p2) = pairs[a], pairs[b]
            gold_same = g1.get("cluster") is not None and g1.get("cluster") == g2.get("cluster")
            m1 = p1.get("merged_id") or p1.get("incident_id")
            m2 = p2.get("merged_id") or p2.get("incident_id")
            pred_same = m1 is not None and m1 == m2
            same_tp += gold_same and pred_same
            same_fp += pred_same and not gold_same
            same_fn += gold_same and not pred_same
    mp = same_tp / (same_tp + same_fp) if same_tp + same_fp else 0.0
    mr = same_tp / (same_tp + same_fn) if same_tp + same_fn else 0.0
    mf = 2 * mp * mr / (mp + mr) if mp + mr else 0.0
    matched_gold = {id(g) for g, _ in pairs}
    matched_pred = {id(p) for _, p in pairs}
    return {
        "gold": len(gold), "pred": len(pred), "matched": tp,
        "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
        "slots": {k: round(sum(v) / len(v), 3) for k, v in slots.items() if v},
        "merge": {"precision": round(mp, 3), "recall": round(mr, 3), "f1": round(mf, 3),
                  "gold_pairs": same_tp + same_fn},
        "missed": [g.get("incident_id") for g in gold if id(g) not in matched_gold],
        "missed_detail": [_brief(g) for g in gold if id(g) not in matched_gold],
        "false_alarms": [_brief(p) for p in pred if id(p) not in matched_pred],
    }


def _brief(incident: dict[str, Any]) -> dict[str, Any]:
    return {k: incident.get(k) for k in ("source_id", "incident_id", "types", "date", "country", "evidence")}


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise KolokolError(f"cannot read {path}: {exc.strerror}", code="eval") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise KolokolError(f"{path}:{number}: not JSON: {exc.msg}", code="eval") from exc
    return items


def extract_folder(reports: Path, settings: Settings, engine: str | None = None) -> list[dict[str, Any]]:
    from kolokol.extract.engines import get_engine
    from kolokol.ingest import read_source

    if not reports.is_dir():
        raise KolokolError(f"{reports} is not a folder of reports", code="eval")
    extractor = get_engine(engine or settings.engine, settings)
    preds: list[dict[str, Any]] = []
    # Reports only: the gold file, notes and hidden files that may sit beside them are not reports.
    files = sorted(p for p in reports.rglob("*") if p.is_file() and not p.name.startswith(".")
                   and p.suffix.lower() not in {".jsonl", ".json", ".py"}
                   and not p.name.lower().startswith("readme"))
    for path in files:
        for item in read_source(str(path), settings):
            if hasattr(item, "text"):
                preds.extend(m.to_interchange() for m in extractor.extract(item))
    return preds


def evaluate_folder(gold_path: Path, reports: Path, settings: Settings, *, engine: str | None = None,
                    pred_out: Path | None = None) -> dict[str, Any]:
    gold = load_jsonl(gold_path)
    preds = extract_folder(reports, settings, engine)
    if pred_out is not None:
        pred_out.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in preds),
                            encoding="utf-8")
    return score(gold, preds)


def render_evaluation(result: dict[str, Any], console: Console) -> None:
    console.print(f"gold {result['gold']}  predicted {result['pred']}  matched {result['matched']}")
    table = Table("slot", "accuracy", box=None)
    for key, value in result["slots"].items():
        table.add_row(key, f"{value:.3f}")
    console.print(table)
    merge = result["merge"]
    console.print(f"merge P {merge['precision']:.3f} R {merge['recall']:.3f} over {merge['gold_pairs']} "
                  "gold pairs")
    for item in result["missed_detail"]:
        console.print(f"[red]missed[/red] {item['incident_id']}: {', '.join(item['types'] or [])} "
                      f"{item['date'] or '?'} — {(item['evidence'] or '')[:120]}", markup=True)
    for item in result["false_alarms"]:
        console.print(f"[yellow]false alarm[/yellow] {item['incident_id']}: "
                      f"{', '.join(item['types'] or [])} {item['date'] or '?'} — "
                      f"{(item['evidence'] or '')[:120]}", markup=True)
    console.print(f"incident F1 {result['f1']:.3f} (P {result['precision']:.3f} R {result['recall']:.3f}) "
                  f"merge F1 {merge['f1']:.3f}")
