"""Alias groups: names that denote the same organisation or body across languages and scripts
(lexicon/aliases.yaml; analysts extend it, and actor resolution adds what reports teach)."""

from __future__ import annotations

from functools import cache

from kolokol.extract.names import fold_name
from kolokol.lexicon import load_lexicon


@cache
def _groups() -> dict[str, int]:
    index: dict[str, int] = {}
    for number, group in enumerate(load_lexicon("aliases.yaml")["groups"]):
        for name in group["names"]:
            index[fold_name(name)] = number
    return index


def alias_group(name: str) -> int | None:
    return _groups().get(fold_name(name))


def same_alias_group(a: str, b: str) -> bool:
    ga = alias_group(a)
    return ga is not None and ga == alias_group(b)
