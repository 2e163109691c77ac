"""Full-text search over encrypted incidents: a blind index of keyed word hashes (`search_terms`).

An encrypted database cannot keep the clear-text index (`incident_search`, FTS5 / tsvector): it
would hold every name. Instead each incident is filed under keyed hashes (HMAC-SHA256 with the
database's search key, truncated to 128 bits) of its folded words:

- a word of 1 or 2 letters under ``w`` + the word (whole-word match only);
- a longer word under ``p`` + each of its prefixes of 3 to PREFIX_MAX letters.

A query word of 3 to PREFIX_MAX letters is then an exact prefix query ("Rozh" finds Rozhkov and
Рожкова folded alike); a longer one finds the candidates of its first PREFIX_MAX letters, which
search.py checks against the decrypted text; a word of 1 or 2 letters matches whole words only.
Each incident also gets one row under a fixed term, so the index knows every incident it holds.

What the index leaks to someone holding the file but not the key: how many distinct prefixes an
incident's text has, and which incidents share a hashed word or prefix (a rare name shared by two
incidents shows as a hash found only in those two). Frequency analysis of the 3-letter prefixes
may guess common ones; prefixes stop at PREFIX_MAX letters so the hashes never spell out a whole
long name letter by letter. Rows are written in hash order, so their order tells nothing of the
order of the words.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.orm import Session

from kolokol.errors import KolokolError
from kolokol.store import models
from kolokol.store.types import keys_of

PREFIX_MIN = 3
PREFIX_MAX = 6
TERM_HEX = 32
_EVERY = "incident"  # the term every indexed incident has


def _key(session: Session) -> bytes:
    key = keys_of(session.get_bind().dialect).subkey("search")
    if key is None:
        raise KolokolError("the blind search index is for encrypted databases", code="search")
    return key


def term_hash(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()[:TERM_HEX]


def word_terms(key: bytes, words: Iterable[str]) -> set[str]:
    """Every term of a text's folded words (plus the term every incident has)."""
    terms = {term_hash(key, "i", _EVERY)}
    for word in set(words):
        if len(word) < PREFIX_MIN:
            terms.add(term_hash(key, "w", word))
        else:
            terms.update(term_hash(key, "p", word[:n]) for n in range(PREFIX_MIN, min(len(word), PREFIX_MAX) + 1))
    return terms


def query_term(key: bytes, word: str) -> str:
    """The one term a folded query word is looked up under."""
    if len(word) < PREFIX_MIN:
        return term_hash(key, "w", word)
    return term_hash(key, "p", word[:PREFIX_MAX])


def needs_check(words: Sequence[str]) -> bool:
    """The index only narrows the search down: candidates must be checked against the text."""
    return any(len(w) > PREFIX_MAX for w in words)


def reindex(session: Session, words: Mapping[int, Sequence[str]], *, everything: bool,
            requested: Iterable[int] = ()) -> int:
    """File each incident of `words` (incident id -> its folded words) under its terms, replacing
    what it had; `everything` empties the index first, otherwise only the `requested` incidents
    (and those of `words`) are replaced. Returns the incidents indexed."""
    key = _key(session)
    table = models.SearchTerm.__table__
    if everything:
        session.execute(delete(table))
    else:
        ids = sorted(set(requested) | set(words))
        for i in range(0, len(ids), 500):
            session.execute(delete(table).where(table.c.incident_id.in_(ids[i:i + 500])))
    rows = [{"term": term, "incident_id": iid} for iid in sorted(words) for term in sorted(word_terms(key, words[iid]))]
    rows.sort(key=lambda r: (r["term"], r["incident_id"]))
    for i in range(0, len(rows), 5000):
        session.execute(insert(table), rows[i:i + 5000])
    return len(words)


def indexed_count(session: Session) -> int:
    """How many incidents the index holds."""
    every = term_hash(_key(session), "i", _EVERY)
    return int(session.scalar(select(func.count()).select_from(models.SearchTerm)
                              .where(models.SearchTerm.term == every)) or 0)


def candidates(session: Session, words: Sequence[str]) -> set[int]:
    """Incidents filed under the term of every query word (exact unless `needs_check`)."""
    key = _key(session)
    found: set[int] | None = None
    for term in dict.fromkeys(query_term(key, w) for w in words):
        ids = set(session.scalars(select(models.SearchTerm.incident_id).where(models.SearchTerm.term == term)))
        found = ids if found is None else found & ids
        if not found:
            return set()
    return found or set()


def condition(session: Session, words: Sequence[str], column: Any) -> Any:
    """The same as `candidates`, as a SQL condition on an incident-id column."""
    key = _key(session)
    return and_(*(column.in_(select(models.SearchTerm.incident_id).where(models.SearchTerm.term == term))
                  for term in dict.fromkeys(query_term(key, w) for w in words)))
