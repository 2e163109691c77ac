"""An independent notion of "a protected name appears in this text", for the public-export tests.

Written apart from kolokol.export.public on purpose: its own folding (NFKC, case, accents, invisible
characters, Arabic letter variants, a plain Cyrillic transliteration) and its own list of Russian
case forms, so the tests do not just re-run the code they check. A name appears when one of its
words of three or more letters (particles aside), or one of that word's case forms, in Cyrillic or
in Latin letters, is a whole word of the text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

PARTICLES = frozenset({"al", "el", "bin", "ibn", "abu", "uulu", "kyzy", "van", "der", "de", "ben", "بن", "ابو"})
CYR = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
               ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s",
                "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"], strict=True))
ARABIC = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي", "ـ": None})
WORD = re.compile(r"[^\W_]+")


def clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", html.unescape(text))
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).translate(ARABIC)


def latin(word: str) -> str:
    return "".join(CYR.get(c, c) for c in word)


def is_cyrillic(word: str) -> bool:
    return any("а" <= c <= "я" or c == "ё" for c in word.lower())


def case_forms(word: str) -> set[str]:
    """A Russian word's case forms (surnames in -ов/-ев/-ин and their feminine, given names)."""
    w = word.lower()
    forms = {w}
    if not is_cyrillic(w):
        return forms | {w + "s"}
    if re.search(r"(ов|ев|ин|ын)а$", w):  # Иванова
        forms |= {w[:-1] + e for e in ("ой", "у", "ы", "ых")}
        forms |= {w[:-1] + e for e in ("", "а", "у", "ым", "е")}  # the masculine forms name her too
    elif re.search(r"(ов|ев|ин|ын)$", w):  # Иванов
        forms |= {w + e for e in ("а", "у", "ым", "е", "ых", "ыми", "ой")}
    elif w.endswith(("а", "я")):  # Анна, Гульнара
        forms |= {w[:-1] + e for e in ("ы", "и", "е", "у", "ю", "ой", "ей")}
    elif not w.endswith(("ь", "й")):  # Давлат, Иван
        forms |= {w + e for e in ("а", "у", "ом", "е")}
    return forms


def protected_forms(names: Iterable[str]) -> set[str]:
    """Every folded form (Cyrillic and Latin) of every significant word of `names`."""
    out: set[str] = set()
    for name in names:
        for word in WORD.findall(clean(name)):
            if len(word) < 3 or word in PARTICLES:
                continue
            for form in case_forms(word):
                form = clean(form)  # the same normal form as the text: й and ё lose their marks
                out.add(form)
                out.add(latin(form))
    return out


def appearing(text: str, forms: set[str]) -> set[str]:
    """The protected forms that are whole words of `text` (or of its Latin transliteration)."""
    words = set(WORD.findall(clean(text)))
    return {w for w in words if w in forms or latin(w) in forms}
