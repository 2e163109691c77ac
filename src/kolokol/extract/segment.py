"""Paragraphs and sentences with character offsets into the report's clean text.

A line break always ends a paragraph (reports arrive with one paragraph per line, captions and
headings on lines of their own). Within a paragraph, sentences end at . ! ? … (optionally followed
by closing quotes or brackets) before whitespace and an upper-case letter, digit or opening quote,
except after known abbreviations and initials.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import yaml

from kolokol.lexicon import lexicon_path


@dataclass(frozen=True, slots=True)
class Sentence:
    index: int
    paragraph: int
    start: int
    end: int
    text: str
    first_in_paragraph: bool
    paragraph_sentences: int  # how many sentences its paragraph has


_BOUNDARY = re.compile(r"[.!?…]+[\"'”»’)\]]*(?=\s+[\"'“«(\[]?[A-ZА-ЯЁ0-9])")
_PARAGRAPH = re.compile(r"[^\n]+")


@cache
def _abbreviations() -> frozenset[str]:
    data = yaml.safe_load(lexicon_path("abbreviations.yaml").read_text(encoding="utf-8"))
    return frozenset(a.lower() for a in data["abbreviations"])


def _is_abbreviation(paragraph: str, dot: int) -> bool:
    """Is the full stop at `dot` the end of an abbreviation or an initial rather than a sentence?"""
    if paragraph[dot] != ".":
        return False
    start = dot
    while start > 0 and (paragraph[start - 1].isalpha() or paragraph[start - 1] == "."):
        start -= 1
    word = paragraph[start:dot + 1].lower()
    if word in _abbreviations():
        return True
    stem = word.rstrip(".")
    # A single capital letter ("A. Rozhkov") is an initial.
    return len(stem) == 1 and paragraph[start].isupper()


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of `text`, each with its paragraph number; whitespace-only pieces are dropped."""
    sentences: list[Sentence] = []
    for p_index, para in enumerate(_PARAGRAPH.finditer(text)):
        body = para.group()
        if not body.strip():
            continue
        pieces: list[tuple[int, int]] = []
        last = 0
        for m in _BOUNDARY.finditer(body):
            if _is_abbreviation(body, m.start()):
                continue
            pieces.append((last, m.end()))
            last = m.end()
        pieces.append((last, len(body)))
        first = True
        chunk: list[tuple[int, int]] = []
        for s, e in pieces:
            raw = body[s:e]
            lead = len(raw) - len(raw.lstrip())
            trail = len(raw) - len(raw.rstrip())
            s, e = s + lead, e - trail
            if e > s:
                chunk.append((s, e))
        for s, e in chunk:
            sentences.append(Sentence(
                index=len(sentences), paragraph=p_index, start=para.start() + s, end=para.start() + e,
                text=body[s:e], first_in_paragraph=first, paragraph_sentences=len(chunk),
            ))
            first = False
    return sentences
