"""Optional engine: an OpenAI-compatible chat endpoint that the user runs (llama.cpp, Ollama).

Used only when configured (`engine = "llm"`, `llm_url`). The model proposes incidents as JSON; every
proposal is checked against the report: its evidence must be a sentence of the report (the span is
located, never invented), its types must be in the type list, its dates and countries well formed.
Proposals that fail the checks are dropped. When the server cannot be reached or answers nonsense,
the rules engine's output is used, so a flaky local server never loses a report.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from kolokol.domain import IncidentType, Mention, Party, ReportInput, Span, parse_partial_date, sort_types
from kolokol.errors import KolokolError

TYPES = {t.value for t in IncidentType}
PROMPT = """You code incidents of transnational repression from a news report, like a careful
human-rights analyst. An incident is one act (or one tightly bound sequence of acts) of repression
by a state, its agents or proxies against identifiable people or organisations, at one place and
time. Protests by victims, policy statements, opinion and acts of support are not incidents.
Answer with a JSON array only. Each element: {"types": [...], "date": "YYYY-MM-DD|YYYY-MM|YYYY",
"date_precision": "day|week|month|year", "place": city or null, "country": ISO alpha-2,
"origin_country": alpha-2 or null, "targets": [{"name","kind":"person|organization|group",
"nationality","count"}], "perpetrators": [{"name","country"}], "legal_basis": [...],
"outcome": text or null, "evidence": one sentence copied verbatim from the report}.
Types: """ + ", ".join(sorted(TYPES)) + """.
The report was published on {published}. Resolve relative dates against it.

REPORT:
{text}"""


class LLMEngine:
    name = "llm"

    def __init__(self, url: str, model: str | None, *, fallback: Any, timeout: float = 120.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self.model = model or "default"
        self.fallback = fallback
        self.version = f"{self.model}+rules-{fallback.version}"
        self.client = httpx.Client(timeout=timeout, transport=transport, trust_env=False)

    def _ask(self, report: ReportInput) -> list[dict[str, Any]]:
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [{"role": "user", "content": PROMPT.replace("{published}", report.published or "unknown")
                          .replace("{text}", report.text[:30000])}],
        }
        try:
            response = self.client.post(f"{self.url}/chat/completions", json=body)
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise KolokolError(f"LLM server at {self.url} failed: {type(exc).__name__}", code="llm") from exc
        match = re.search(r"\[.*\]", content, re.DOTALL)
        if not match:
            raise KolokolError("LLM answer holds no JSON array", code="llm")
        try:
            data = json.loads(match.group())
        except json.JSONDecodeError as exc:
            raise KolokolError("LLM answer is not valid JSON", code="llm") from exc
        return [x for x in data if isinstance(x, dict)]

    def _check(self, report: ReportInput, item: dict[str, Any], ordinal: int) -> Mention | None:
        types = [t for t in item.get("types") or [] if t in TYPES]
        evidence = str(item.get("evidence") or "").strip()
        start = report.text.find(evidence) if evidence else -1
        if not types or start < 0:
            return None  # an unsupported claim is not evidence
        date = item.get("date")
        parsed = parse_partial_date(date) if date else None
        precision = item.get("date_precision") if item.get("date_precision") in ("day", "week", "month",
                                                                                 "year") else None
        country = str(item.get("country") or "").upper() or None
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            country = None
        origin = str(item.get("origin_country") or "").upper() or None
        if origin and not re.fullmatch(r"[A-Z]{2}", origin):
            origin = None
        targets = []
        for t in item.get("targets") or []:
            if isinstance(t, dict) and t.get("name"):
                kind = t.get("kind") if t.get("kind") in ("person", "organization", "group") else "person"
                count = t.get("count") if isinstance(t.get("count"), int) else None
                targets.append(Party(name=str(t["name"]), kind=kind, nationality=t.get("nationality"),
                                     count=count))
        perps = [Party(name=str(p["name"]), kind="organization", country=p.get("country"))
                 for p in item.get("perpetrators") or [] if isinstance(p, dict) and p.get("name")]
        span = Span(start, start + len(evidence), evidence)
        return Mention(
            source_id=report.source_id, incident_id=f"{report.source_id or 'report'}-{ordinal}",
            types=sort_types(types), date=date if parsed else None,
            date_precision=(precision or (parsed[1] if parsed else None)) if parsed else None,  # type: ignore[arg-type]
            place=item.get("place") or None, country=country, origin_country=origin,
            targets=targets, perpetrators=perps,
            legal_basis=[str(x) for x in item.get("legal_basis") or []],
            outcome=item.get("outcome") or None, evidence=evidence,
            evidence_spans={"incident": span.to_dict()}, confidence=0.5,
            extractor=self.name, extractor_version=self.version, trace=["llm proposal, evidence located"],
        )

    def extract(self, report: ReportInput) -> list[Mention]:
        try:
            items = self._ask(report)
        except KolokolError:
            mentions = self.fallback.extract(report)
            for m in mentions:
                m.trace.append("llm unavailable: rules engine used")
            return mentions
        out = []
        for item in items:
            mention = self._check(report, item, len(out) + 1)
            if mention is not None:
                out.append(mention)
        return out
