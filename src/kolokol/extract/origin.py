"""`origin_country`: the state on whose behalf or request an act was done, when the report says so
("at the request of their colleagues from Russia", "the Russian embassy had asked", "wanted by
Russian authorities", "handed over to Russia")."""

from __future__ import annotations

import re
from functools import cache

from kolokol.domain import Span
from kolokol.extract.document import Document
from kolokol.lexicon import load_lexicon


@cache
def _patterns(lang: str) -> list[re.Pattern[str]]:
    data = load_lexicon("origin.yaml")
    key = "ru" if lang == "ru" else "en"
    # English patterns rely on capitalised state names, so they are case-sensitive except for the
    # first letter of the cue; Russian ones are not.
    flags = re.IGNORECASE if key == "ru" else 0
    return [re.compile(p, flags) for p in data[key]]


def _state(word: str) -> str | None:
    from kolokol.resolve.gazetteer import get_gazetteer, nationality_of

    code = nationality_of(word)
    if code:
        return code
    place = get_gazetteer().lookup(word)
    return place.country if place is not None else None


def _state_after(text: str, start: int) -> tuple[str, int] | None:
    """A state named a few words after the cue, and where its name ends: "по запросу Генеральной
    прокуратуры Узбекистана"."""
    for m in list(re.finditer(r"[\w-]+", text[start:start + 80]))[1:4]:
        word = m.group()
        if word[:1].isupper() and (code := _state(word)):
            return code, start + m.end()
    return None


def find_origin_country(doc: Document, sentences: list[int], country: str | None) -> tuple[str | None,
                                                                                        Span | None]:
    """Search the incident's sentences, then the rest of their paragraph, for an origin cue."""
    if not sentences:
        return None, None
    last = max(sentences)
    par = doc.sentences[last].paragraph
    extra = [i for i in range(last + 1, len(doc.sentences)) if doc.sentences[i].paragraph == par][:2]
    for index in [*sorted(sentences), *extra]:
        sent = doc.sentences[index]
        for pattern in _patterns(doc.lang):
            for m in pattern.finditer(sent.text):
                word = m.group("state")
                if not word:
                    continue
                code = _state(word)
                end = m.end()
                if not code and re.search(r"запрос|просьб|требовани|request", m.group(), re.I):
                    # The span runs to the state's name, so that name is not taken for the scene.
                    code, end = _state_after(sent.text, m.start("state")) or (None, end)
                if code and code != country:
                    s, e = sent.start + m.start(), sent.start + end
                    return code, Span(s, e, doc.text[s:e])
    return None, None
