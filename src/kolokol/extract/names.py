"""Name folding: one key for the spellings of a name across scripts, transliteration systems and
Russian gendered surname forms (Rozhkov / Рожков / Rojkov; Kuleshov / Kuleshova)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz

from kolokol.lexicon import load_lexicon

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=1)
def _cyrillic() -> dict[str, str]:
    return dict(load_lexicon("transliteration.yaml")["cyrillic"])


def transliterate(text: str) -> str:
    table = _cyrillic()
    return "".join(table.get(c, c) for c in text)


def fold_token(token: str) -> str:
    """Fold one lower-case Latin token: transliteration variants and gendered surname endings."""
    t = token
    t = re.sub(r"(sk|ck|tsk|tsk)(aya|aia|aja|ii|iy|yi|y|i|ij)$", r"\1i", t)
    t = re.sub(r"(ov|ev|yov|in|yn)a$", r"\1", t)
    t = t.replace("zh", "j").replace("kh", "h").replace("x", "ks").replace("w", "v").replace("dzh", "j")
    t = re.sub(r"(ei|ey|ej|iy|ii|yi|ij)$", "i", t)
    t = t.replace("yo", "e").replace("y", "i").replace("ia", "a").replace("iu", "u").replace("ya", "a")
    t = t.replace("yu", "u").replace("ck", "k").replace("ts", "c").replace("ph", "f")
    return re.sub(r"(.)\1+", r"\1", t)  # doubled letters: Alla/Ala, Kassym/Kasym


@lru_cache(maxsize=65536)
def name_tokens(name: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKD", name.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = transliterate(text)
    return tuple(fold_token(t) for t in _NON_ALNUM.sub(" ", text).split() if t)


def fold_name(name: str) -> str:
    """A comparison key for a name: 'Алёна Крылова' and 'Alyona Krylova' fold alike."""
    return " ".join(name_tokens(name))


@lru_cache(maxsize=1)
def _folded_first_names() -> frozenset[str]:
    """Every given name the lexicons know (names.yaml and given_names.yaml), folded."""
    names = load_lexicon("names.yaml").get("first_names") or {}
    world = load_lexicon("given_names.yaml")
    out: set[str] = set()
    for table in (names, world):
        for gender in ("male", "female", "unisex"):
            for entry in table.get(gender) or []:
                for variant in entry if isinstance(entry, list) else [entry]:
                    out.update(name_tokens(str(variant)))
    return frozenset(out)


def _token_match(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 5 and fuzz.ratio(a, b) >= 85)


@lru_cache(maxsize=65536)
def same_person(a: str, b: str) -> bool:
    """Do two names denote the same person or organisation? A shared surname (last token) with
    no conflicting first name, or one name contained in the other. Memoised: merging candidates
    compares the same pairs of names many times."""
    ta, tb = name_tokens(a), name_tokens(b)
    if not ta or not tb:
        return False
    if ta == tb:
        return True
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if all(any(_token_match(x, y) for y in long_) for x in short) and (
            len(short) == 1 or _token_match(short[0], long_[0]) or short[0] not in _folded_first_names()):
        # "Jaffar Mansoor" inside "Ali Jaffar Mansoor" is his father: two full names that open
        # differently, each with a given name, are two people. "Artola Benavides" inside "Marisol Artola
        # Benavides" opens with a surname: her two surnames.
        return True
    if not _token_match(ta[-1], tb[-1]):
        return False
    # Same surname: the first names must not contradict each other (initials may stand for them).
    fa, fb = ta[0], tb[0]
    if len(ta) == 1 or len(tb) == 1:
        return True
    return _token_match(fa, fb) or (fa[0] == fb[0] and (len(fa) == 1 or len(fb) == 1))
