"""One extractor interface, several engines.

- `rules` (default): fully offline, explainable: every field traces to a span and a rule.
- `llm`: an OpenAI-compatible chat endpoint given by URL (a user's own llama.cpp or Ollama
  server); never a hosted service by default: it is used only when `llm_url` is configured.
Each incident records the engine and version that produced it.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from kolokol import __version__
from kolokol.config import Settings
from kolokol.domain import Mention, ReportInput
from kolokol.errors import ConfigError
from kolokol.extract.document import Document
from kolokol.extract.pipeline import DEFAULT_STEPS, run_pipeline
from kolokol.lexicon import LEXICON_DIR


class Extractor(Protocol):
    name: str
    version: str

    def extract(self, report: ReportInput) -> list[Mention]: ...


# Data files other layers read (scoring, exports, merging): changing them is no new extractor version.
NOT_EXTRACTION = frozenset({"scoring.yaml", "acled.yaml", "aliases.yaml"})


def lexicon_fingerprint() -> str:
    """A short hash of every data file, so a changed lexicon is a new extractor version."""
    h = hashlib.sha256()
    for path in sorted(LEXICON_DIR.glob("*.yaml")):
        if path.name in NOT_EXTRACTION:
            continue
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:8]


class RulesEngine:
    """Rules, lexicons and packaged models; offline and explainable."""

    name = "rules"

    def __init__(self, steps: tuple[str, ...] = DEFAULT_STEPS) -> None:
        self.steps = steps
        self.version = f"{__version__}+{lexicon_fingerprint()}"

    def document(self, report: ReportInput) -> Document:
        doc = Document.create(report.text, lang=report.language, published=report.published,
                              source_id=report.source_id, title=report.title)
        return run_pipeline(doc, self.steps)

    def extract(self, report: ReportInput) -> list[Mention]:
        doc = self.document(report)
        for mention in doc.mentions:
            mention.extractor = self.name
            mention.extractor_version = self.version
        return doc.mentions


def get_engine(name: str, settings: Settings) -> Extractor:
    if name == "rules":
        return RulesEngine()
    if name == "llm":
        if not settings.llm_url:
            raise ConfigError("the llm engine needs an endpoint",
                              hint="set KOLOKOL_LLM_URL to your own OpenAI-compatible server")
        from kolokol.extract.llm import LLMEngine

        return LLMEngine(settings.llm_url, settings.llm_model, fallback=RulesEngine())
    raise ConfigError(f"unknown extraction engine {name!r}", hint="choose rules or llm")
