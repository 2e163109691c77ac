"""Full-text search of an encrypted database through the blind index finds what the clear-text index
of a plaintext database finds (words of 3 letters or more, as prefixes), and the index holds no
word in clear."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from kolokol.search import (
    _WORD,
    SearchQuery,
    _current_mentions,
    _fold,
    full_text_ids,
    incident_text,
    search_incidents,
)
from kolokol.security import blind_index
from kolokol.security.keys import create_key_file
from kolokol.security.roles import SYSTEM
from kolokol.store.db import Database, open_database

from .test_keys import fill

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "src" / "kolokol" / "examples"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Database]]:
    """The bundled examples in a plaintext and in an encrypted database."""
    folder = tmp_path_factory.mktemp("pair")
    plain = open_database(f"sqlite:///{folder / 'plain.db'}", encryption=False)
    secret = open_database(f"sqlite:///{folder / 'secret.db'}", key=create_key_file(folder / "k.key"))
    fill(plain, EXAMPLES)
    fill(secret, EXAMPLES)
    yield plain, secret
    plain.close()
    secret.close()


def words_of(db: Database) -> list[str]:
    with db.session() as s:
        texts = [_fold(incident_text(ms)) for ms in _current_mentions(s, None).values()]
    return sorted({w for t in texts for w in _WORD.findall(t)})


def test_encrypted_search_finds_what_plaintext_search_finds(pair: tuple[Database, Database]) -> None:
    plain, secret = pair
    words = [w for w in words_of(plain) if len(w) >= blind_index.PREFIX_MIN]
    assert len(words) > 200
    rng = random.Random(7)
    queries = rng.sample(words, 80)
    queries += [w[:n] for w in rng.sample([w for w in words if len(w) > 8], 40) for n in (3, 5, 6, 7, 9)]
    queries += [f"{a} {b}" for a, b in zip(rng.sample(words, 20), rng.sample(words, 20), strict=True)]
    queries += ["Petersburg", "Петербург", "ПЕТЕРБУРГ", "petersburg police", "zzzz"]
    checked = 0
    for q in queries:
        with plain.session() as ps, secret.session() as ss:
            assert full_text_ids(ps, q) == full_text_ids(ss, q), q
        checked += 1
    assert checked == len(queries)
    for q in queries[::4]:  # the search page's SQL condition too (the blind index inside the query)
        a, b = (search_incidents(db, SearchQuery.parse(q=q), user=SYSTEM) for db in (plain, secret))
        assert (a.total, [r.id for r in a.incidents]) == (b.total, [r.id for r in b.incidents]), q
    assert search_incidents(secret, SearchQuery.parse(q="Петербург"), user=SYSTEM).total >= 1


def test_words_longer_than_the_indexed_prefixes_are_checked_against_the_text(pair: tuple[Database, Database]) -> None:
    _, secret = pair
    long_words = [w for w in words_of(secret) if len(w) > blind_index.PREFIX_MAX + 2]
    word = long_words[0]
    wrong = word[:blind_index.PREFIX_MAX] + "zzzz"  # same indexed prefix, no such word
    with secret.session() as s:
        assert full_text_ids(s, word)
        assert blind_index.candidates(s, [wrong]) == blind_index.candidates(s, [word])
        assert full_text_ids(s, wrong) == set()


def test_the_index_holds_no_word_in_clear(pair: tuple[Database, Database]) -> None:
    _, secret = pair
    words = set(words_of(secret))
    with secret.session() as s:
        assert s.scalar(text("SELECT count(*) FROM incident_search")) == 0
        terms = list(s.execute(text("SELECT term, incident_id FROM search_terms ORDER BY rowid")))
        incidents = s.scalar(text("SELECT count(*) FROM incidents"))
        assert blind_index.indexed_count(s) == incidents
    assert terms and all(len(t) == blind_index.TERM_HEX and int(t, 16) >= 0 for t, _ in terms)
    assert not words & {t for t, _ in terms}
    # written in hash order: the order of rows tells nothing of the order of words
    assert [t for t, _ in terms] == sorted(t for t, _ in terms)


def test_the_terms_depend_on_the_database_key(pair: tuple[Database, Database], tmp_path: Path) -> None:
    _, secret = pair
    other = open_database(f"sqlite:///{tmp_path / 'other.db'}", key=create_key_file(tmp_path / "o.key"))
    try:
        with secret.session() as s1, other.session() as s2:
            k1, k2 = blind_index._key(s1), blind_index._key(s2)
        assert blind_index.word_terms(k1, ["rahmonzoda"]) != blind_index.word_terms(k2, ["rahmonzoda"])
        assert blind_index.query_term(k1, "rahm") in blind_index.word_terms(k1, ["rahmonzoda"])
        assert blind_index.query_term(k1, "ra") not in blind_index.word_terms(k1, ["rahmonzoda"])  # 2 letters: whole
        assert blind_index.query_term(k1, "ra") in blind_index.word_terms(k1, ["ra"])  # words only
    finally:
        other.close()
