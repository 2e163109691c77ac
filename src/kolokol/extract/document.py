"""The document that flows through the extraction pipeline: each step reads and adds layers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kolokol.domain import (
    ActorMention,
    DateMention,
    LegalMention,
    Mention,
    OutcomeMention,
    PlaceMention,
    Span,
    parse_partial_date,
)
from kolokol.extract.segment import Sentence


@dataclass(slots=True)
class Trigger:
    """A word or phrase telling that an act of a given type happened."""

    type: str
    span: Span
    sentence: int
    rule: str
    suppressed: str | None = None  # why it does not make an incident on its own (irrealis, threat...)


@dataclass(slots=True)
class Document:
    text: str
    lang: str = "en"
    source_id: str | None = None
    title: str | None = None
    published: dt.date | None = None
    published_precision: str | None = None
    sentences: list[Sentence] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    places: list[PlaceMention] = field(default_factory=list)
    actors: list[ActorMention] = field(default_factory=list)
    legal: list[LegalMention] = field(default_factory=list)
    outcomes: list[OutcomeMention] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, text: str, *, lang: str | None = None, published: str | None = None,
               source_id: str | None = None, title: str | None = None) -> Document:
        parsed = parse_partial_date(published)
        return cls(
            text=text, lang=(lang or "en")[:2].lower(), source_id=source_id, title=title,
            published=parsed[0] if parsed else None, published_precision=parsed[1] if parsed else None,
        )

    def in_sentence(self, items: list, index: int) -> list:
        """The items (anything with a .span) that lie inside sentence `index`."""
        s = self.sentences[index]
        return [x for x in items if s.start <= x.span.start and x.span.end <= s.end]

    def sentence_at(self, offset: int) -> int | None:
        lo, hi = 0, len(self.sentences) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            s = self.sentences[mid]
            if offset < s.start:
                hi = mid - 1
            elif offset >= s.end:
                lo = mid + 1
            else:
                return mid
        return None
