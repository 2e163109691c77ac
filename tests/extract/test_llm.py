"""The optional LLM engine: proposals are checked against the report; failures fall back."""

from __future__ import annotations

import json

import httpx
import pytest

from kolokol.config import Settings
from kolokol.domain import Mention, ReportInput
from kolokol.errors import ConfigError
from kolokol.extract.engines import get_engine
from kolokol.extract.llm import LLMEngine

TEXT = ("Border guards in Tashkent detained the Turkmen activist Merdan Ovezov on 3 May. "
        "He was deported two days later.")
REPORT = ReportInput(text=TEXT, raw=b"", kind="text", origin="t", source_id="x1", published="2024-05-10",
                     language="en")


class Fallback:
    name, version = "rules", "test"

    def extract(self, report):
        return [Mention(source_id=report.source_id, types=["other"], evidence="fallback")]


def engine_answering(content: str | None, status: int = 200) -> tuple[LLMEngine, list]:
    seen: list = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        if content is None:
            raise httpx.ConnectError("refused")
        return httpx.Response(status, json={"choices": [{"message": {"content": content}}]})

    return LLMEngine("http://127.0.0.1:9/v1", "local", fallback=Fallback(),
                     transport=httpx.MockTransport(handler)), seen


def test_proposals_are_kept_only_with_verbatim_evidence_and_known_types():
    answer = json.dumps([
        {"types": ["detention", "bogus"], "date": "2024-05-03", "date_precision": "day", "country": "uz",
         "targets": [{"name": "Merdan Ovezov", "kind": "person"}], "perpetrators": [{"name": "Border guards"}],
         "evidence": "Border guards in Tashkent detained the Turkmen activist Merdan Ovezov on 3 May."},
        {"types": ["killing"], "evidence": "A sentence the report does not contain."},
        {"types": ["bogus"], "evidence": "He was deported two days later."},
    ])
    engine, seen = engine_answering("Here you go:\n" + answer)
    out = engine.extract(REPORT)
    assert len(out) == 1
    m = out[0]
    assert m.types == ["detention"] and m.country == "UZ" and m.extractor == "llm"
    span = m.evidence_spans["incident"]
    assert TEXT[span["start"]:span["end"]] == m.evidence
    assert "2024-05-10" in seen[0]["messages"][0]["content"]


@pytest.mark.parametrize("content", [None, "no json here", "[not json"])
def test_unreachable_or_nonsense_server_falls_back_to_rules(content):
    engine, _ = engine_answering(content)
    out = engine.extract(REPORT)
    assert [m.evidence for m in out] == ["fallback"]
    assert "llm unavailable" in out[0].trace[-1]


def test_llm_engine_needs_a_configured_url():
    with pytest.raises(ConfigError, match="KOLOKOL_LLM_URL"):
        get_engine("llm", Settings())
    with pytest.raises(ConfigError, match="unknown extraction engine"):
        get_engine("magic", Settings())
