"""Language of a report: the one the source declares, else py3langid over a fixed set of languages."""

from __future__ import annotations

import functools
import re
from typing import Any

# Languages reports about the region come in. Restricting the classifier to them avoids
# confusing Kyrgyz or Kazakh with Mongolian or Bashkir-like outliers on short texts.
LANGUAGES = ("en", "ru", "ky", "kk", "uk", "uz", "tg", "tr", "de", "fr", "es", "it", "pl", "be", "az",
             "ka", "hy", "fa", "ar", "zh", "mn", "lt", "lv", "et", "cs", "nl", "pt", "sv", "fi")
_LETTERS = re.compile(r"[^\W\d_]")


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages([code for code in LANGUAGES if code in identifier.labels])
    return identifier


def normalise_language(value: object) -> str | None:
    """'EN', 'en-US', 'ru_RU' -> ISO 639-1 'en', 'ru'; anything else -> None."""
    if value is None:
        return None
    code = re.split(r"[-_\s]", str(value).strip().lower(), maxsplit=1)[0]
    return code if re.fullmatch(r"[a-z]{2}", code) else None


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of `text`, or None for texts too short to tell."""
    sample = text[:10000]
    if len(_LETTERS.findall(sample)) < 20:
        return None
    code, _probability = _identifier().classify(sample)
    return str(code)
