"""Knowledge kept as data (YAML): triggers, agencies, legal codes, places, name parts.

Analysts can read and extend these files; tests load every one of them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

LEXICON_DIR = Path(__file__).parent


def lexicon_path(name: str) -> Path:
    return LEXICON_DIR / name


@cache
def load_lexicon(name: str) -> Any:
    """Parse one data file once per process."""
    with lexicon_path(name).open(encoding="utf-8") as f:
        return yaml.safe_load(f)
