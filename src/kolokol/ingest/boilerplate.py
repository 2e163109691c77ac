"""Drop site-furniture lines (share buttons, cookie banners, comment prompts) kept as data in
lexicon/boilerplate.yaml. Only whole lines that match a pattern go; everything else stays verbatim."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

LEXICON = "boilerplate.yaml"


@dataclass(frozen=True, slots=True)
class BoilerplatePatterns:
    lines: re.Pattern[str]  # for every kind of input
    html_lines: re.Pattern[str]  # only for text extracted from HTML


def load_lexicon() -> dict[str, Any]:
    """The raw boilerplate lexicon (languages -> lists of patterns, plus test examples)."""
    text = resources.files("kolokol").joinpath("lexicon", LEXICON).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{LEXICON}: expected a mapping of languages")
    return data


def _compile(patterns: list[str]) -> re.Pattern[str]:
    if not patterns:
        return re.compile(r"(?!)")  # matches nothing
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


@functools.cache
def patterns() -> BoilerplatePatterns:
    data = load_lexicon()
    lines: list[str] = []
    html_lines: list[str] = []
    for language, groups in data.items():
        if language == "examples" or not isinstance(groups, dict):
            continue
        lines.extend(groups.get("lines") or [])
        html_lines.extend(groups.get("html_lines") or [])
    return BoilerplatePatterns(_compile(lines), _compile(lines + html_lines))


def is_boilerplate(line: str, *, html: bool = False) -> bool:
    """True when the whole trimmed line is site furniture."""
    stripped = line.strip()
    if not stripped or len(stripped) > 400:
        return False
    compiled = patterns().html_lines if html else patterns().lines
    return compiled.fullmatch(stripped) is not None


def strip_boilerplate(text: str, *, html: bool = False) -> str:
    """Remove boilerplate lines (with their line breaks); every other character is kept as is."""
    kept = [line for line in text.splitlines(keepends=True) if not is_boilerplate(line, html=html)]
    return "".join(kept)
