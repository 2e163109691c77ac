"""Helpers of the extraction tests: a report built from a test's own sentences, and who its incidents name."""

from __future__ import annotations

from kolokol.domain import Mention, ReportInput
from kolokol.extract.engines import RulesEngine


def report(text: str, published: str = "2024-05-20", lang: str = "en", sid: str = "t1") -> ReportInput:
    return ReportInput(text=text, raw=b"", kind="text", origin="test", source_id=sid, published=published,
                       language=lang)


def run_rules(engine: RulesEngine, text: str, *, published: str, lang: str = "en") -> list[Mention]:
    """The incidents the rules engine finds in `text` as a report of `published`."""
    return engine.extract(report(text, published=published, lang=lang, sid="t"))


def names(m: Mention) -> list[str]:
    """The victims' names of an incident, as written."""
    return [t.name for t in m.targets]
